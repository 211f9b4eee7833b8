import { formatStatus } from '@pacs/dimse';
import type { ForwardErrorCode } from './forward.errors';
import type { RejectionCode } from './forward-sender.port';

/** What a storage status means for the job that sent the instance. */
export type StatusVerdict =
  | { readonly kind: 'success' }
  /** Stored, with a warning: the job is done. */
  | { readonly kind: 'warning'; readonly code: string; readonly meaning: string }
  /** Not stored, for a reason that can go away: try again later. */
  | { readonly kind: 'transient'; readonly code: ForwardErrorCode; readonly meaning: string }
  /** Not stored, and the same instance would be refused again: dead-letter it. */
  | { readonly kind: 'refused'; readonly code: RejectionCode; readonly meaning: string };

/**
 * The verdict of a C-STORE-RSP Status (PS3.4 B.2.3, PS3.7 Annex C), also used for the Failure and
 * Warning Reasons of a STOW-RS answer, which take their codes from the same tables (PS3.18 10.5.3,
 * Table 10.5.3-1).
 *
 * | status            | meaning                                        | verdict                              |
 * |-------------------|------------------------------------------------|--------------------------------------|
 * | 0000              | success                                        | confirmed                            |
 * | B000, B006, B007  | coercion, elements discarded, does not match   | confirmed with warning               |
 * | Bxxx, 0001, 0107, 0116 | other warnings (PS3.7 C.4)                | confirmed with warning               |
 * | 0111              | duplicate SOP instance: the peer has it        | confirmed with warning               |
 * | A7xx              | refused: out of resources                      | retriable OUT_OF_RESOURCES           |
 * | 0213              | resource limitation                            | retriable BUSY                       |
 * | 0110              | processing failure (the peer's own trouble)    | retriable PROCESSING_FAILURE         |
 * | 0124              | refused: not authorized (the peer's configuration) | retriable NOT_AUTHORIZED         |
 * | FE00, FFxx        | cancel, pending: not a final C-STORE answer    | retriable PROTOCOL_ERROR             |
 * | 0122              | refused: SOP class not supported               | rejected SOP_CLASS_NOT_SUPPORTED     |
 * | A9xx              | data set does not match SOP class              | rejected DATA_SET_DOES_NOT_MATCH_SOP_CLASS |
 * | Cxxx              | cannot understand (C122: transfer syntax)      | rejected CANNOT_UNDERSTAND           |
 * | any other         | a failure naming no transient cause            | rejected REFUSED                     |
 */
export function storeStatusVerdict(status: number): StatusVerdict {
  const hex = formatStatus(status);
  if (status === 0x0000) return { kind: 'success' };
  if (status === 0xb000)
    return { kind: 'warning', code: 'COERCION_OF_DATA_ELEMENTS', meaning: 'coercion of data elements (B000)' };
  if (status === 0xb006) return { kind: 'warning', code: 'ELEMENTS_DISCARDED', meaning: 'elements discarded (B006)' };
  if (status === 0xb007) {
    return {
      kind: 'warning',
      code: 'DATA_SET_DOES_NOT_MATCH_SOP_CLASS',
      meaning: 'data set does not match SOP class (B007)',
    };
  }
  if ((status & 0xf000) === 0xb000 || status === 0x0001 || status === 0x0107 || status === 0x0116) {
    return { kind: 'warning', code: 'WARNING', meaning: `warning ${hex}` };
  }
  // Over DIMSE the peer then holds an instance with this UID; for a forward that is delivered.
  if (status === 0x0111) {
    return { kind: 'warning', code: 'DUPLICATE_SOP_INSTANCE', meaning: 'duplicate SOP instance (0111): already there' };
  }
  if ((status & 0xff00) === 0xa700) {
    return { kind: 'transient', code: 'OUT_OF_RESOURCES', meaning: `refused: out of resources (${hex})` };
  }
  if (status === 0x0213) return { kind: 'transient', code: 'BUSY', meaning: 'resource limitation (0213)' };
  if (status === 0x0110) return { kind: 'transient', code: 'PROCESSING_FAILURE', meaning: 'processing failure (0110)' };
  if (status === 0x0124)
    return { kind: 'transient', code: 'NOT_AUTHORIZED', meaning: 'refused: not authorized (0124)' };
  if (status === 0xfe00 || (status & 0xff00) === 0xff00) {
    return { kind: 'transient', code: 'PROTOCOL_ERROR', meaning: `status ${hex} is no final C-STORE answer` };
  }
  if (status === 0x0122) {
    return { kind: 'refused', code: 'SOP_CLASS_NOT_SUPPORTED', meaning: 'refused: SOP class not supported (0122)' };
  }
  if ((status & 0xff00) === 0xa900) {
    return {
      kind: 'refused',
      code: 'DATA_SET_DOES_NOT_MATCH_SOP_CLASS',
      meaning: `error: data set does not match SOP class (${hex})`,
    };
  }
  if ((status & 0xf000) === 0xc000) {
    const meaning =
      status === 0xc122 ? 'referenced transfer syntax not supported (C122)' : `error: cannot understand (${hex})`;
    return { kind: 'refused', code: 'CANNOT_UNDERSTAND', meaning };
  }
  return { kind: 'refused', code: 'REFUSED', meaning: `failure ${hex}` };
}
