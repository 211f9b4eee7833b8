import {
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLICIT_VR_LITTLE_ENDIAN,
  readPart10,
  readPart10Header,
  type TransferSyntax,
} from '@pacs/dicom';
import { canDecodeTransferSyntax, transcodeToExplicitVrLittleEndian } from '@pacs/dicom-imaging';
import { applyModification } from '../modify/apply-modification';
import { isModificationError } from '../modify/modification.errors';
import type { RuleModification } from '../rule-modification';
import { ForwardError } from './forward.errors';
import type { ForwardInstance, SendOutcome } from './forward-sender.port';
import { toImplicitVrLittleEndian } from './implicit-vr';

export type RejectedOutcome = Extract<SendOutcome, { kind: 'rejected' }>;

/** A verdict reached inside a send: thrown down there, returned as the send's outcome. */
export class Refusal extends Error {
  constructor(readonly outcome: RejectedOutcome) {
    super(outcome.message);
    this.name = 'Refusal';
  }
}

/** The message of anything thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The copy to send: the stored file, with the rule's changes when there are some. */
export async function outgoingCopy(instance: ForwardInstance, modify: RuleModification | undefined): Promise<Buffer> {
  let file: Buffer;
  try {
    file = await instance.open();
  } catch (error) {
    // A store error that says it is permanent (the copy is gone) is not retried; anything else is.
    const retriable = (error as { retriable?: unknown } | undefined)?.retriable !== false;
    throw new ForwardError(
      'SOURCE_UNAVAILABLE',
      `instance ${instance.sopInstanceUid}: the stored copy cannot be read: ${messageOf(error)}`,
      retriable,
      { cause: error },
    );
  }
  if (!modify) return file;
  try {
    return applyModification(file, modify);
  } catch (error) {
    if (!isModificationError(error)) throw error;
    const unreadable = error.code === 'UNREADABLE_INSTANCE' || error.code === 'UNSUPPORTED_TRANSFER_SYNTAX';
    throw new Refusal({
      kind: 'rejected',
      code: unreadable ? 'UNREADABLE_INSTANCE' : 'MODIFICATION_FAILED',
      message: `instance ${instance.sopInstanceUid}: ${error.message}`,
    });
  }
}

/** The transfer syntax and data set bytes (after the File Meta Information) of a Part 10 file. */
export function storedDataset(file: Buffer, sopInstanceUid: string): { syntax: TransferSyntax; dataset: Buffer } {
  try {
    const read = readPart10Header(file);
    if (read.status !== 'complete') throw new Error('the file is truncated');
    return { syntax: read.header.transferSyntax, dataset: file.subarray(read.header.dataSetOffset) };
  } catch (error) {
    throw new Refusal({
      kind: 'rejected',
      code: 'UNREADABLE_INSTANCE',
      message: `instance ${sopInstanceUid}: the stored copy is not a DICOM file that can be sent: ${messageOf(error)}`,
    });
  }
}

/**
 * Whether a copy in this syntax can be converted to the native little endian syntaxes: the imaging
 * library reads its pixel data (decoding it when encapsulated), or it is native already.
 */
export function isConvertible(transferSyntaxUid: string): boolean {
  return canDecodeTransferSyntax(transferSyntaxUid);
}

/**
 * The data set of a Part 10 file converted to Explicit VR Little Endian (pixel data decoded, see
 * transcodeToExplicitVrLittleEndian) or from there to Implicit VR Little Endian. Throws the imaging
 * library's error when the pixel data cannot be decoded.
 */
export async function convertedDataset(file: Buffer, to: string): Promise<Buffer> {
  const explicit = await transcodeToExplicitVrLittleEndian(file);
  if (to === EXPLICIT_VR_LITTLE_ENDIAN.uid) {
    const read = readPart10Header(explicit);
    if (read.status !== 'complete') throw new Error('the converted copy has no data set');
    return explicit.subarray(read.header.dataSetOffset);
  }
  if (to !== IMPLICIT_VR_LITTLE_ENDIAN.uid) throw new RangeError(`no conversion to ${to}`);
  const read = readPart10(explicit);
  if (read.status !== 'complete') throw new Error('the converted copy has no data set');
  return toImplicitVrLittleEndian(read.dataset);
}
