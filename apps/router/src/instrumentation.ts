import { startTelemetry } from '@pacs/observability';

startTelemetry('router');
