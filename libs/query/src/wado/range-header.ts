import { WadoProblem } from './wado-problem';

/** A byte range resolved against a representation's size: both ends inclusive, inside it. */
export interface SatisfiableRange {
  readonly start: number;
  readonly end: number;
}

function unsatisfiable(detail: string, size: number): WadoProblem {
  // RFC 9110 15.5.17: a 416 says the current length in Content-Range.
  return new WadoProblem(416, detail, { 'Content-Range': `bytes */${size}` });
}

/**
 * The Range header of a bulk data request (RFC 9110 14.2), resolved against the value's size:
 * undefined when absent, in another unit (which must be ignored), or a list of several ranges (which
 * a server may ignore: the whole value is sent). A malformed or unsatisfiable byte range is a 416
 * naming it.
 */
export function resolveRangeHeader(header: string | undefined, size: number): SatisfiableRange | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*=\s*(.*)$/.exec(header);
  if (!match) throw unsatisfiable(`Range "${header}" is malformed; expected bytes=first-last`, size);
  if (match[1]!.toLowerCase() !== 'bytes') return undefined;
  const spec = match[2]!.trim();
  if (spec.includes(',')) return undefined;
  const parts = /^(\d*)-(\d*)$/.exec(spec);
  if (!parts || (parts[1] === '' && parts[2] === '')) {
    throw unsatisfiable(
      `Range "${header}" is malformed; expected bytes=first-last, bytes=first- or bytes=-suffix`,
      size,
    );
  }
  if (parts[1] === '') {
    const suffix = Number(parts[2]);
    if (suffix === 0 || size === 0) throw unsatisfiable(`Range "${header}" selects no byte of the ${size}`, size);
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(parts[1]);
  const last = parts[2] === '' ? undefined : Number(parts[2]);
  if (last !== undefined && last < start) {
    throw unsatisfiable(`Range "${header}" ends before it starts`, size);
  }
  if (start >= size) {
    throw unsatisfiable(`Range "${header}" starts at or beyond the end of the ${size} bytes`, size);
  }
  return { start, end: Math.min(last ?? size - 1, size - 1) };
}
