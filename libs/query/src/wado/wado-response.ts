import { Readable } from 'node:stream';
import { MultipartWriter, type PartHeaders } from '@pacs/multipart';
import type { FastifyReply } from 'fastify';

/** What a WADO use case answers: the status, headers and a body (streamed when it is a stream). */
export interface WadoResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer | Readable;
}

/** One part of a multipart/related answer. */
export interface WadoPart {
  readonly headers: PartHeaders;
  readonly body: Buffer | Readable;
}

/** Sends the answer; resolves once it has been written out (or the client went away). */
export async function sendWadoResponse(reply: FastifyReply, response: WadoResponse): Promise<void> {
  void reply.status(response.status);
  for (const [name, value] of Object.entries(response.headers)) void reply.header(name, value);
  await reply.send(response.body);
}

/**
 * A multipart/related body (RFC 2387, PS3.18 8.6.1.2) fed from `parts` as the client reads it: the
 * next part is produced only once the previous one is on its way (back-pressure), so a study is
 * never held in memory. A failure after the first byte cannot change the status any more: the body
 * is cut short without its close delimiter, so the client sees an incomplete answer, and `onError`
 * hears of it.
 */
export function multipartBody(
  type: string,
  parts: AsyncIterable<WadoPart>,
  onError: (error: unknown) => void,
): MultipartWriter {
  // Up to 1 MiB buffered ahead of the socket: with the default 16 KiB the per-chunk hand-offs
  // halve a series retrieve's throughput; memory stays bounded per request.
  const writer = new MultipartWriter({ type, highWaterMark: 1 << 20 });
  void (async () => {
    try {
      for await (const part of parts) {
        try {
          await writer.addPart(part.headers, part.body);
        } catch (error) {
          // A stream that was never read (the writer was already gone) still holds a file open.
          if (part.body instanceof Readable) part.body.destroy();
          throw error;
        }
      }
      await writer.end();
    } catch (error) {
      if (!writer.destroyed) writer.destroy(error as Error);
      onError(error);
    }
  })();
  return writer;
}
