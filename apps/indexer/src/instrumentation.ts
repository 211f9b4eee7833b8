import { startTelemetry } from '@pacs/observability';

startTelemetry('indexer');
