import { parseRenderQuery } from '@pacs/dicom-imaging';
import { coversMediaType, describeAccept, parseAccept } from './accept-header';
import { imagingProblem } from './imaging-problem';
import { WadoProblem } from './wado-problem';

/** The rendered media types this server produces (PS3.18 8.7.4, Table 8.7.4-1: single-frame images). */
export type RenderedFormat = 'image/jpeg' | 'image/png';

/** The rendering the client accepts: its media type, and whether it asked for multipart/related. */
export interface RenderedForm {
  readonly format: RenderedFormat;
  readonly multipart: boolean;
}

const FORMATS: readonly RenderedFormat[] = ['image/jpeg', 'image/png'];

function formatFor(range: string | undefined): RenderedFormat | undefined {
  // image/jpeg first: the default rendered media type of PS3.18 Table 8.7.4-1.
  return FORMATS.find((format) => coversMediaType(range, format));
}

/**
 * Chooses the rendered media type from the Accept header, or from the `accept` query parameter when
 * given (PS3.18 8.3.3.1), most preferred first: image/jpeg or image/png, wildcards meaning
 * image/jpeg, single part or inside multipart/related. None of them is a 406.
 */
export function renderedForm(accept: string | undefined): RenderedForm {
  for (const range of parseAccept(accept)) {
    if (range.mediaType === 'multipart/related' || range.mediaType === 'multipart/*') {
      const format = formatFor(range.partType);
      if (format) return { format, multipart: true };
      continue;
    }
    const format = formatFor(range.mediaType);
    if (format) return { format, multipart: false };
  }
  throw new WadoProblem(
    406,
    `Accept ${describeAccept(accept)} allows no rendered media type this server produces: image/jpeg or image/png (PS3.18 8.7.4)`,
  );
}

/** Rendering options of the query (PS3.18 8.3.5.1): window, viewport, quality. */
export type RenderQuery = ReturnType<typeof parseRenderQuery>;

/**
 * The rendering parameters of a Rendered or Thumbnail request and the Accept it carries: the
 * `accept` query parameter (PS3.18 8.3.3.1) takes the header's place; the other parameters are
 * parsed by the imaging library, a bad one being a 400 naming it. `defaults` fill parameters the
 * query leaves out (a thumbnail's viewport).
 */
export function renderRequest(
  url: string,
  acceptHeader: string | undefined,
  defaults: Readonly<Record<string, string>> = {},
): { readonly query: RenderQuery; readonly accept: string | undefined } {
  const params = new URL(url, 'http://localhost').searchParams;
  const acceptParam = params.getAll('accept');
  params.delete('accept');
  // charset (PS3.18 8.3.3.2) concerns text; images have none.
  params.delete('charset');
  for (const [name, value] of Object.entries(defaults)) if (!params.has(name)) params.set(name, value);
  let query: RenderQuery;
  try {
    query = parseRenderQuery(params);
  } catch (error) {
    throw imagingProblem(error, 'rendering');
  }
  return { query, accept: acceptParam.length > 0 ? acceptParam.join(',') : acceptHeader };
}
