import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { stopChild, waitForChild } from '@pacs/testing';

// Syslog collectors for the specs: a tiny Node one whose behaviour on a batch is chosen, and the
// real ones (Debian's rsyslogd over TCP, socat over TLS) run as child processes.

const INSTALL_HINT = 'run `bash deploy/local/engines.sh tools` (npm test runs it first)';

/** Throws, naming the Debian package, when a tool is missing. */
export function requireTool(path: string, debianPackage: string): string {
  if (!existsSync(path)) throw new Error(`${path} is missing (Debian package ${debianPackage}): ${INSTALL_HINT}`);
  return path;
}

/** Splits an octet-counted stream (RFC 6587 3.4.1) into messages; throws on a malformed frame. */
export function parseOctetCounted(stream: Buffer): Buffer[] {
  const messages: Buffer[] = [];
  let at = 0;
  while (at < stream.length) {
    const space = stream.indexOf(0x20, at);
    const length = space > at ? Number(stream.subarray(at, space).toString('ascii')) : NaN;
    if (!Number.isInteger(length) || length < 1 || space + 1 + length > stream.length) {
      throw new Error(`bad octet-counted frame at offset ${at}`);
    }
    messages.push(stream.subarray(space + 1, space + 1 + length));
    at = space + 1 + length;
  }
  return messages;
}

/**
 * What the Node collector does with a connection: `orderly` reads to the end and then closes,
 * `reset` resets the connection at the first data, `silent` reads and never closes.
 */
export type NodeCollectorMode = 'orderly' | 'reset' | 'silent';

/** A syslog collector in this process: keeps the streams of the connections it closed in order. */
export class NodeCollector {
  /** The streams of the connections read to their end (orderly mode). */
  readonly streams: Buffer[] = [];
  mode: NodeCollectorMode = 'orderly';
  connections = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  /** The messages received by orderly connections, in order. */
  messages(): Buffer[] {
    return this.streams.flatMap((stream) => parseOctetCounted(stream));
  }

  async start(port = 0): Promise<number> {
    // Half-open allowed: a socket closes when the collector says so, not at the client's FIN.
    const server = createServer({ allowHalfOpen: true }, (socket) => {
      this.connections++;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      const chunks: Buffer[] = [];
      const mode = this.mode;
      socket.on('data', (chunk: Buffer) => {
        if (mode === 'reset') socket.resetAndDestroy();
        else chunks.push(chunk);
      });
      socket.on('end', () => {
        if (mode !== 'orderly') return;
        this.streams.push(Buffer.concat(chunks));
        socket.end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    const address = server.address();
    return typeof address === 'object' && address ? address.port : port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Whether something accepts connections on the port now (probed with an empty connection). */
function accepts(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/**
 * Debian's rsyslogd listening with imtcp on loopback (octet-counted framing is on by default),
 * writing each message as received (`%rawmsg%`, PRI, BOM and all) on a line of `output`.
 * The main queue is direct, so a message is in the file before imtcp reads further, and the
 * maximum message size is raised from 8 KiB so that no audit message is cut.
 */
export class RsyslogCollector {
  readonly output: string;
  private child: ChildProcess | undefined;
  private readonly config: string;
  private stderr = '';

  constructor(
    private readonly folder: string,
    readonly port: number,
  ) {
    this.output = join(folder, 'received.log');
    this.config = join(folder, 'rsyslog.conf');
    writeFileSync(
      this.config,
      [
        `global(workDirectory="${folder}" maxMessageSize="64k")`,
        'main_queue(queue.type="Direct")',
        'module(load="imtcp")',
        'template(name="raw" type="string" string="%rawmsg%\\n")',
        `ruleset(name="audit") { action(type="omfile" file="${this.output}" template="raw") }`,
        `input(type="imtcp" port="${port}" address="127.0.0.1" ruleset="audit")`,
        '',
      ].join('\n'),
    );
  }

  /** Starts rsyslogd in the foreground and waits until it listens. */
  async start(): Promise<void> {
    const rsyslogd = requireTool('/usr/sbin/rsyslogd', 'rsyslog');
    const check = spawnSync(rsyslogd, ['-N1', '-f', this.config], { encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`rsyslogd rejects its configuration: ${check.stderr}${check.stdout}`);
    const child = spawn(rsyslogd, ['-n', '-f', this.config, '-i', join(this.folder, 'rsyslogd.pid')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.child = child;
    await waitForChild(
      'rsyslogd',
      () => accepts(this.port),
      () => this.stderr,
      child,
    );
  }

  /** SIGTERM, and waits for the exit. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child) await stopChild(child);
  }

  /** The messages written so far, one a line. */
  messages(): Buffer[] {
    if (!existsSync(this.output)) return [];
    const data = readFileSync(this.output);
    const lines: Buffer[] = [];
    let at = 0;
    for (let nl = data.indexOf(0x0a, at); nl >= 0; nl = data.indexOf(0x0a, at)) {
      lines.push(data.subarray(at, nl));
      at = nl + 1;
    }
    return lines;
  }
}

/**
 * socat as a TLS syslog collector: accepts TLS connections (one child per connection) with the
 * given certificate, requires a client certificate signed by `clientCa` when given, and appends
 * what it reads to `output` (the octet-counted stream). It closes a connection at its end.
 */
export class SocatTlsCollector {
  readonly output: string;
  private child: ChildProcess | undefined;
  private stderr = '';

  constructor(
    folder: string,
    readonly port: number,
    private readonly server: { certFile: string; keyFile: string },
    private readonly clientCa?: string,
  ) {
    this.output = join(folder, 'tls-received.log');
  }

  async start(): Promise<void> {
    const socat = requireTool('/usr/bin/socat', 'socat');
    const verify = this.clientCa ? `verify=1,cafile=${this.clientCa}` : 'verify=0';
    const listen = `OPENSSL-LISTEN:${this.port},bind=127.0.0.1,reuseaddr,fork,cert=${this.server.certFile},key=${this.server.keyFile},${verify}`;
    const child = spawn(socat, ['-u', listen, `OPEN:${this.output},creat,append`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.child = child;
    await waitForChild(
      'socat',
      () => accepts(this.port),
      () => this.stderr,
      child,
    );
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child) await stopChild(child);
  }

  /** What socat logged (its refusals of handshakes). */
  log(): string {
    return this.stderr;
  }

  messages(): Buffer[] {
    return existsSync(this.output) ? parseOctetCounted(readFileSync(this.output)) : [];
  }
}
