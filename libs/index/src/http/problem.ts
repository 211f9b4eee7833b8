import type { FastifyReply } from 'fastify';

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  404: 'Not Found',
  415: 'Unsupported Media Type',
};

/** Answers an RFC 9457 problem (application/problem+json) with the status and a detail for people. */
export async function sendProblem(reply: FastifyReply, status: number, detail: string): Promise<void> {
  await reply
    .status(status)
    .header('Content-Type', 'application/problem+json')
    .send(JSON.stringify({ type: 'about:blank', title: TITLES[status] ?? 'Error', status, detail }));
}

/** Answers JSON. */
export async function sendJson(reply: FastifyReply, status: number, body: unknown): Promise<void> {
  await reply.status(status).header('Content-Type', 'application/json').send(JSON.stringify(body));
}
