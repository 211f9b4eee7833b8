import { startTelemetry } from '@pacs/observability';

startTelemetry('audit');
