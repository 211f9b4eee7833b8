import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startApp, waitForStatus, type AppProcess } from '@pacs/testing';

// The all-in-one process as a user runs it: embedded adapters, nothing else installed.
describe('pacs process (embedded shape)', () => {
  let dataDir: string;
  const started: AppProcess[] = [];

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'pacs-app-'));
  });

  afterEach(async () => {
    for (const app of started.splice(0)) {
      if (app.child.exitCode === null && app.child.signalCode === null) {
        app.child.kill('SIGKILL');
        await app.exited();
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(env: Record<string, string> = {}): Promise<AppProcess> {
    const port = String(await freePort());
    const app = startApp('pacs', {
      PACS_DATA_DIR: dataDir,
      PACS_HTTP_PORT: port,
      PACS_DICOM_PORT: String(await freePort()),
      ...env,
    });
    started.push(app);
    return app;
  }

  it('becomes ready, serves liveness and Prometheus metrics, logs JSON, and stops cleanly on SIGTERM', async () => {
    const app = await start();
    const t0 = Date.now();
    const ready = await waitForStatus(app, '/health/ready', 200, 20_000);
    const readyAfterMs = Date.now() - t0;
    expect(readyAfterMs).toBeLessThan(20_000);
    const body = (await ready.json()) as { status: string; checks: Record<string, { ok: boolean }> };
    expect(body.status).toBe('ready');
    expect(Object.keys(body.checks)).toEqual(expect.arrayContaining(['eventBus', 'cache', 'blobStore']));

    expect(await (await fetch(`${app.baseUrl}/health/live`)).json()).toEqual({ status: 'ok' });
    const metrics = await fetch(`${app.baseUrl}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await metrics.text()).toMatch(/^pacs_process_resident_memory_bytes\{service="pacs"\} \d+/m);

    const logLines = app
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logLines).toContainEqual(expect.objectContaining({ level: 'info', service: 'pacs', msg: 'pacs started' }));

    app.child.kill('SIGTERM');
    expect(await app.exited()).toEqual({ code: 0, signal: null });
    expect(app.stdout()).toContain('"msg":"stopped"');
  }, 30_000);

  it('refuses a second process on the same data folder, naming the folder and the holder', async () => {
    const first = await start();
    await waitForStatus(first, '/health/ready', 200, 20_000);
    const second = await start();
    const { code } = await second.exited();
    expect(code).toBe(1);
    expect(second.stderr()).toContain(
      `the data folder ${dataDir} is in use by another PACS process (pid ${first.child.pid})`,
    );
    // The first one is unharmed.
    await waitForStatus(first, '/health/ready', 200, 2_000);
  }, 30_000);

  it('restarts on its data folder after being SIGKILLed (the lock dies with the process)', async () => {
    const first = await start();
    await waitForStatus(first, '/health/ready', 200, 20_000);
    first.child.kill('SIGKILL');
    await first.exited();
    const second = await start();
    await waitForStatus(second, '/health/ready', 200, 20_000);
  }, 45_000);

  it.each([
    [{ PACS_HTTP_PORT: 'abc' }, /PACS_HTTP_PORT: expected a TCP port number 1-65535 \(got "abc"\)/],
    [{ PACS_AE_TITLE: 'MUCH_TOO_LONG_AE_TITLE' }, /PACS_AE_TITLE: an AE title has at most 16 characters/],
    [{ PACS_MODE: 'cloud' }, /PACS_MODE: expected one of embedded, distributed/],
    [{ PACS_HTTP_HOST: '0.0.0.0' }, /PACS_HTTP_HOST: listening beyond loopback needs authentication/],
  ])(
    'exits non-zero on bad configuration %o, naming the variable',
    async (env, message) => {
      const app = startApp('pacs', { PACS_DATA_DIR: dataDir, ...env });
      started.push(app);
      const { code } = await app.exited();
      expect(code).toBe(1);
      expect(app.stderr()).toMatch(message);
    },
    20_000,
  );
});
