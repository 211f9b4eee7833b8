import { startTelemetry } from '@pacs/observability';

startTelemetry('gateway');
