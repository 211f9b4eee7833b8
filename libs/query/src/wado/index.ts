import { WadoPixelsController } from './wado-pixels.controller';
import { WadoRenderedController } from './wado-rendered.controller';
import { WadoRetrieveController } from './wado-retrieve.controller';

export { WadoPixelsController, WadoRenderedController, WadoRetrieveController };

/** The WADO-RS controllers (PS3.18 10.4), for the gateway's module. */
export const WADO_RS_CONTROLLERS = [WadoRetrieveController, WadoPixelsController, WadoRenderedController];
