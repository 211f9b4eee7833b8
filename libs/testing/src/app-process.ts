import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');

/** An app started as its own process, as `npm start` would, with its output captured. */
export interface AppProcess {
  readonly child: ChildProcess;
  readonly baseUrl: string;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A TCP port free on loopback at the time of the call. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Starts `apps/<app>/src/main.ts` with Node 22 (this process's binary) and the given env. */
export function startApp(app: string, env: Record<string, string>): AppProcess {
  const child = spawn(
    process.execPath,
    ['-r', join(root, 'tools/testing/register-ts.js'), join(root, 'apps', app, 'src/main.ts')],
    {
      cwd: root,
      env: { ...process.env, OTEL_SDK_DISABLED: 'true', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    baseUrl: `http://127.0.0.1:${env.PACS_HTTP_PORT ?? '8080'}`,
    stdout: () => out,
    stderr: () => err,
    exited: () => exit,
  };
}

/** Polls a URL until it answers with the status, or fails with the app's output. */
export async function waitForStatus(
  app: AppProcess,
  path: string,
  status: number,
  timeoutMs: number,
): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (app.child.exitCode !== null) break;
    try {
      const response = await fetch(`${app.baseUrl}${path}`);
      if (response.status === status) return response;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `${path} did not answer ${status} within ${timeoutMs} ms (last: ${last})\nstdout:\n${app.stdout()}\nstderr:\n${app.stderr()}`,
  );
}
