import type { FastifyReply } from 'fastify';

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  404: 'Not Found',
  406: 'Not Acceptable',
  416: 'Range Not Satisfiable',
};

/**
 * A request the origin server refuses, with the status of PS3.18 10.4.3 (Table 10.4.3-1) or of
 * HTTP (416, RFC 9110 15.5.17), and a detail that names the fault. Answered as RFC 9457
 * problem+json before any byte of a payload is sent.
 */
export class WadoProblem extends Error {
  constructor(
    readonly status: 400 | 404 | 406 | 416,
    readonly detail: string,
    /** Extra response headers, e.g. `Content-Range: bytes *\/size` of a 416. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(detail);
    this.name = 'WadoProblem';
  }
}

/** Sends a problem+json answer. */
export async function sendProblem(
  reply: FastifyReply,
  status: number,
  detail: string,
  headers: Readonly<Record<string, string>> = {},
): Promise<void> {
  for (const [name, value] of Object.entries(headers)) void reply.header(name, value);
  await reply
    .status(status)
    .header('Content-Type', 'application/problem+json')
    .send(JSON.stringify({ type: 'about:blank', title: TITLES[status] ?? 'Error', status, detail }));
}
