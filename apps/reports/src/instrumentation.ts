import { startTelemetry } from '@pacs/observability';

startTelemetry('reports');
