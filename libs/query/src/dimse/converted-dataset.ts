import type { BlobStore } from '@pacs/blob-store';
import { EXPLICIT_VR_LITTLE_ENDIAN, readPart10Header } from '@pacs/dicom';
import { canDecodeTransferSyntax, transcodeToExplicitVrLittleEndian } from '@pacs/dicom-imaging';

/**
 * The transfer syntaxes a stored copy can also be sent in by a C-STORE sub-operation: Explicit VR
 * Little Endian, which every Storage SCP may be asked for (PS3.5 10.1 only requires Implicit VR
 * Little Endian; the imaging library writes Explicit), when the imaging library reads the stored
 * syntax (pixel data decoded, or a native data set re-encoded). None when it is stored in it.
 */
export function convertibleSyntaxes(storedTransferSyntaxUid: string): string[] {
  if (storedTransferSyntaxUid === EXPLICIT_VR_LITTLE_ENDIAN.uid) return [];
  return canDecodeTransferSyntax(storedTransferSyntaxUid) ? [EXPLICIT_VR_LITTLE_ENDIAN.uid] : [];
}

/**
 * A stored copy's data set in Explicit VR Little Endian, for a peer that did not accept its stored
 * syntax: the blob read whole (one instance in memory), transcoded (pixel data decoded, PS3.5 A.2;
 * see transcodeToExplicitVrLittleEndian), without the File Meta Information, which a C-STORE
 * does not carry (PS3.7 9.3.1.1). Rejects with the imaging library's error when it cannot.
 */
export async function convertedDataset(blobStore: BlobStore, key: string, transferSyntaxUid: string): Promise<Buffer> {
  if (transferSyntaxUid !== EXPLICIT_VR_LITTLE_ENDIAN.uid) {
    throw new Error(`a stored copy is converted to ${EXPLICIT_VR_LITTLE_ENDIAN.uid} only, not ${transferSyntaxUid}`);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of await blobStore.get(key)) chunks.push(chunk as Buffer);
  const converted = await transcodeToExplicitVrLittleEndian(Buffer.concat(chunks));
  const header = readPart10Header(converted, { final: true });
  if (header.status !== 'complete') throw new Error(`blob ${key}: the transcoded copy has no file meta group`);
  return converted.subarray(header.header.dataSetOffset);
}
