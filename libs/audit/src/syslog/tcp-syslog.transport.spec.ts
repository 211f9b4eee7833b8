import { createServer, type Server } from 'node:net';
import { frameSyslogMessage } from './syslog-message';
import { SyslogDeliveryError, unbracket } from './syslog-transport';
import { TcpSyslogTransport } from './tcp-syslog.transport';
import { freePort } from '@pacs/testing';
import { NodeCollector } from './testing/collectors';

const frames = ['<85>1 - h a - IHE+RFC-3881 - \ufeff<a/>', 'é€ two', 'three'].map((m) =>
  frameSyslogMessage(Buffer.from(m, 'utf8')),
);

describe('TcpSyslogTransport', () => {
  let collector: NodeCollector;
  let port: number;
  let other: Server | undefined;

  beforeEach(async () => {
    collector = new NodeCollector();
    port = await collector.start();
  });
  afterEach(async () => {
    await collector.stop();
    if (other) await new Promise((resolve) => other!.close(resolve));
    other = undefined;
  });

  it('resolves once the collector read the batch to its end and closed', async () => {
    await new TcpSyslogTransport({ host: '127.0.0.1', port }).sendBatch(frames);
    expect(collector.streams).toEqual([Buffer.concat(frames)]);
    expect(collector.messages().map((m) => m.toString('utf8'))).toEqual([
      '<85>1 - h a - IHE+RFC-3881 - \ufeff<a/>',
      'é€ two',
      'three',
    ]);
  });

  it('uses one connection per batch, none for an empty one', async () => {
    const transport = new TcpSyslogTransport({ host: '127.0.0.1', port });
    await transport.sendBatch(frames.slice(0, 1));
    await transport.sendBatch(frames.slice(1));
    await transport.sendBatch([]);
    expect(collector.connections).toBe(2);
    expect(collector.messages()).toHaveLength(3);
  });

  it('rejects when the collector resets the connection', async () => {
    collector.mode = 'reset';
    const sent = new TcpSyslogTransport({ host: '127.0.0.1', port }).sendBatch(frames);
    await expect(sent).rejects.toBeInstanceOf(SyslogDeliveryError);
    await expect(sent).rejects.toMatchObject({ retriable: true, code: 'SYSLOG_NOT_DELIVERED' });
  });

  it('rejects when the collector never closes, after the timeout', async () => {
    collector.mode = 'silent';
    const started = Date.now();
    await expect(new TcpSyslogTransport({ host: '127.0.0.1', port, timeoutMs: 300 }).sendBatch(frames)).rejects.toThrow(
      /no orderly close within 300 ms/,
    );
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('rejects when nothing listens', async () => {
    const closed = await freePort();
    await expect(new TcpSyslogTransport({ host: '127.0.0.1', port: closed }).sendBatch(frames)).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });

  it('rejects when the collector closes as it accepts, before reading anything', async () => {
    // Its FIN comes before our data, which it then resets: a close that confirms nothing.
    other = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.destroy();
    });
    await new Promise<void>((resolve) => other!.listen(0, '127.0.0.1', () => resolve()));
    const closing = (other.address() as { port: number }).port;
    const transport = new TcpSyslogTransport({ host: '127.0.0.1', port: closing });
    for (let i = 0; i < 20; i++) {
      await expect(transport.sendBatch(frames)).rejects.toThrow(/closed the connection before/);
    }
  });

  it('takes an IPv6 host in brackets, as URLs write it', () => {
    expect(unbracket('[::1]')).toBe('::1');
    expect(unbracket('::1')).toBe('::1');
    expect(unbracket('logs.example.org')).toBe('logs.example.org');
  });
});
