import { isValidUid } from '@pacs/dicom';
import { parseAccept } from '../wado/accept-header';
import { WadoProblem } from '../wado/wado-problem';

/** What a WADO-URI request asks for: the instance, and either its DICOM bytes or a rendering. */
export type WadoUriRequest = {
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly sopInstanceUid: string;
} & (
  | {
      readonly kind: 'dicom';
      /** The transferSyntax parameter (PS3.18 9.4.2.4); undefined asks for the default. */
      readonly transferSyntax: string | undefined;
    }
  | {
      readonly kind: 'rendered';
      readonly format: 'image/jpeg' | 'image/png';
      readonly frameNumber: number;
      /** The rendering parameters in the WADO-RS syntax of PS3.18 8.3.5.1 (viewport, window, quality). */
      readonly renderParams: URLSearchParams;
    }
);

const RENDER_ONLY = ['frameNumber', 'rows', 'columns', 'windowCenter', 'windowWidth', 'imageQuality'] as const;

function bad(detail: string): WadoProblem {
  return new WadoProblem(400, detail);
}

function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) throw bad(`${name} is given ${values.length} times; it takes one value`);
  return values[0];
}

function requiredUid(params: URLSearchParams, name: string): string {
  const value = single(params, name);
  if (value === undefined || value === '')
    throw bad(`${name} is missing; WADO-URI requires studyUID, seriesUID and objectUID (PS3.18 9.1.2)`);
  if (!isValidUid(value)) throw bad(`${name}: "${value}" is not a valid UID (PS3.5 9.1)`);
  return value;
}

function positiveInteger(params: URLSearchParams, name: string, max: number): number | undefined {
  const value = single(params, name);
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]{0,9}$/.test(value) || Number(value) > max) {
    throw bad(`${name}: "${value}" is not an integer from 1 to ${max}`);
  }
  return Number(value);
}

function decimal(params: URLSearchParams, name: string): number | undefined {
  const value = single(params, name);
  if (value === undefined) return undefined;
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(value))
    throw bad(`${name}: "${value}" is not a decimal number`);
  return Number(value);
}

// PS3.18 9.1.2 contentType (the Accept Query Parameter of the URI service): a list of media types.
function selectedMediaType(
  params: URLSearchParams,
  acceptHeader: string | undefined,
): 'application/dicom' | 'image/jpeg' | 'image/png' {
  const contentType = params.getAll('contentType').join(',');
  const ranges = parseAccept(contentType !== '' ? contentType : acceptHeader);
  for (const range of ranges) {
    if (range.mediaType === 'application/dicom') return 'application/dicom';
    if (range.mediaType === 'image/png') return 'image/png';
    // Without contentType, */* selects image/jpeg: Retrieve Rendered Instance (PS3.18 9.5).
    if (['image/jpeg', 'image/*', '*/*'].includes(range.mediaType)) return 'image/jpeg';
  }
  const asked = contentType !== '' ? `contentType "${contentType}"` : `Accept "${acceptHeader ?? ''}"`;
  throw new WadoProblem(
    406,
    `${asked} names no media type this server returns: application/dicom, image/jpeg or image/png`,
  );
}

/**
 * Parses and checks the query of a WADO-URI request (PS3.18 9): requestType=WADO, the three UIDs,
 * contentType; for application/dicom the transferSyntax; for a rendering frameNumber, rows and
 * columns (both or neither, PS3.18 9.5.1), windowCenter and windowWidth (both or neither, width at
 * least 1), imageQuality (1-100). A missing or invalid parameter is a 400 naming it; parameters this
 * server does not support (annotation, region, presentationUID, charset) are ignored as PS3.18 8.3
 * says, except anonymize, which is refused rather than ignored so that no identified data goes out
 * to a client that asked for it removed.
 */
export function parseWadoUriRequest(query: URLSearchParams, acceptHeader: string | undefined): WadoUriRequest {
  const requestType = single(query, 'requestType');
  if (requestType === undefined) throw bad('requestType is missing; it must be WADO (PS3.18 9.1.2.1)');
  if (requestType !== 'WADO')
    throw bad(`requestType: "${requestType}" is not supported; it must be WADO (PS3.18 9.1.2.1)`);
  const uids = {
    studyInstanceUid: requiredUid(query, 'studyUID'),
    seriesInstanceUid: requiredUid(query, 'seriesUID'),
    sopInstanceUid: requiredUid(query, 'objectUID'),
  };
  if (query.has('anonymize')) throw bad('anonymize is not supported by this server; the instance is not sent');
  const mediaType = selectedMediaType(query, acceptHeader);
  const transferSyntax = single(query, 'transferSyntax');

  if (mediaType === 'application/dicom') {
    const renderOnly = RENDER_ONLY.filter((name) => query.has(name));
    if (renderOnly.length > 0)
      throw bad(`${renderOnly.join(', ')} apply to rendered images, not to contentType application/dicom`);
    if (transferSyntax !== undefined && !isValidUid(transferSyntax)) {
      throw bad(`transferSyntax: "${transferSyntax}" is not a Transfer Syntax UID (PS3.18 9.4.2.4)`);
    }
    return { ...uids, kind: 'dicom', transferSyntax };
  }
  if (transferSyntax !== undefined)
    throw bad(`transferSyntax applies to contentType application/dicom only, not ${mediaType}`);
  const frameNumber = positiveInteger(query, 'frameNumber', 0x7fffffff) ?? 1;
  const rows = positiveInteger(query, 'rows', 65535);
  const columns = positiveInteger(query, 'columns', 65535);
  if ((rows === undefined) !== (columns === undefined)) {
    throw bad(`${rows === undefined ? 'rows' : 'columns'} is missing: rows and columns go together (PS3.18 9.5.1.2)`);
  }
  const center = decimal(query, 'windowCenter');
  const width = decimal(query, 'windowWidth');
  if ((center === undefined) !== (width === undefined)) {
    throw bad(
      `${center === undefined ? 'windowCenter' : 'windowWidth'} is missing: windowCenter and windowWidth go together`,
    );
  }
  if (width !== undefined && width < 1) throw bad(`windowWidth: ${width} is less than 1`);
  const quality = positiveInteger(query, 'imageQuality', 100);

  const renderParams = new URLSearchParams();
  if (rows !== undefined && columns !== undefined) renderParams.set('viewport', `${columns},${rows}`);
  if (center !== undefined && width !== undefined) renderParams.set('window', `${center},${width},linear`);
  if (quality !== undefined && mediaType === 'image/jpeg') renderParams.set('quality', String(quality));
  return { ...uids, kind: 'rendered', format: mediaType, frameNumber, renderParams };
}
