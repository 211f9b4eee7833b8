// Telemetry first, so that it instruments what Nest and the adapters load.
import './instrumentation';
import { runApp } from '@pacs/platform';
import { PACS_APP_OPTIONS } from './pacs-app.options';

void runApp(PACS_APP_OPTIONS);
