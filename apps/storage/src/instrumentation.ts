import { startTelemetry } from '@pacs/observability';

startTelemetry('storage');
