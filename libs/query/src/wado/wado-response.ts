import { finished } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import { MultipartSender, type PartHeaders, type RandomAccessBody } from '@pacs/multipart';
import type { FastifyReply } from 'fastify';

/** What a WADO use case answers: the status, headers and a body (streamed when it is a stream). */
export interface WadoResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer | Readable | MultipartBody;
}

/** One part of a multipart/related answer: bytes, a stream, or a stored copy read at offsets. */
export interface WadoPart {
  readonly headers: PartHeaders;
  readonly body: Buffer | Readable | RandomAccessBody;
}

/**
 * A multipart/related body (RFC 2387, PS3.18 8.6.1.2) fed from `parts` as the client reads it: the
 * next parts are produced only as far as the sender's few buffers reach ahead of the socket
 * (back-pressure), so a study is never held in memory. A failure after the first byte cannot change
 * the status any more: the body is cut short without its close delimiter, so the client sees an
 * incomplete answer, and `onError` hears of it.
 */
export class MultipartBody {
  /** The Content-Type header value, boundary included. */
  readonly contentType: string;
  private readonly sender: MultipartSender;

  constructor(
    type: string,
    private readonly parts: AsyncIterable<WadoPart>,
    private readonly onError: (error: unknown) => void,
  ) {
    this.sender = new MultipartSender({ type });
    this.contentType = this.sender.contentType;
  }

  /**
   * Writes the parts and the close delimiter onto `out`, an HTTP response or a socket (it must be done
   * with a chunk once it calls back its write: MultipartSender reuses the buffer); does not end it.
   * Rejects when the body was cut short (a part failed, `out` closed first), after `onError`.
   */
  async writeTo(out: Writable): Promise<void> {
    try {
      await this.sender.send(out, this.parts);
    } catch (error) {
      this.onError(error);
      throw error;
    }
  }
}

/** A multipart/related body of `type` parts; see MultipartBody. */
export function multipartBody(
  type: string,
  parts: AsyncIterable<WadoPart>,
  onError: (error: unknown) => void,
): MultipartBody {
  return new MultipartBody(type, parts, onError);
}

/** Sends the answer; resolves once it has been written out (or the client went away). */
export async function sendWadoResponse(reply: FastifyReply, response: WadoResponse): Promise<void> {
  void reply.status(response.status);
  for (const [name, value] of Object.entries(response.headers)) void reply.header(name, value);
  const { body } = response;
  if (body instanceof MultipartBody) return sendMultipart(reply, body);
  await reply.send(body);
}

// The multipart body writes itself onto the response instead of being piped by reply.send(): a
// piped stream never hears when the socket has taken a chunk, and the sender must, to reuse the
// buffers it reads the stored copies into. Hijacked, the reply is left to this function by Fastify;
// the status and headers are those set on it.
async function sendMultipart(reply: FastifyReply, body: MultipartBody): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  try {
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined) res.setHeader(name, value);
    }
    res.writeHead(reply.statusCode);
    await body.writeTo(res);
  } catch {
    // Cut short (writeTo has told onError): the chunked encoding is left unfinished and the close
    // delimiter unsent, so that the client cannot take the answer for a complete one.
    res.destroy();
    return;
  }
  res.end();
  await finished(res).catch(() => undefined);
}
