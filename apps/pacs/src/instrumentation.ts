import { startTelemetry } from '@pacs/observability';

startTelemetry('pacs');
