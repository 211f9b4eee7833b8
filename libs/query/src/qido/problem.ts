import type { FastifyReply } from 'fastify';

const TITLES: Readonly<Record<number, string>> = { 400: 'Bad Request', 404: 'Not Found', 406: 'Not Acceptable' };

/** Answers an RFC 9457 problem (application/problem+json) with the status and a detail for people. */
export async function sendProblem(reply: FastifyReply, status: number, detail: string): Promise<void> {
  await reply
    .status(status)
    .header('Content-Type', 'application/problem+json')
    .send(JSON.stringify({ type: 'about:blank', title: TITLES[status] ?? 'Error', status, detail }));
}
