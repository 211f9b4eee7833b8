import { MultipartWriter } from '@pacs/multipart';

/**
 * A whole `multipart/related; type="application/dicom"` body in memory, as a STOW-RS client sends
 * it: each part with its Content-Type (application/dicom unless given).
 */
export async function stowBody(
  parts: readonly { type?: string; body: Buffer }[],
): Promise<{ contentType: string; body: Buffer }> {
  const writer = new MultipartWriter({ type: 'application/dicom' });
  const done = (async () => {
    for (const part of parts) await writer.addPart({ 'Content-Type': part.type ?? 'application/dicom' }, part.body);
    writer.end();
  })();
  const chunks: Buffer[] = [];
  for await (const chunk of writer) chunks.push(chunk as Buffer);
  await done;
  return { contentType: writer.contentType, body: Buffer.concat(chunks) };
}
