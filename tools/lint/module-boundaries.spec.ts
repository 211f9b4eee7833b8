import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The dependency rules of the architecture are enforced by lint (eslint.config.mjs, Nx tags).
// Probe files are written into the workspace and linted in one run of the ESLint command that
// `npm run lint` runs, then removed. The rule reads Nx's project graph, which `nx show projects`
// computes first (on a fresh clone there is none, and the rule would be skipped with a warning).
const root = join(__dirname, '..', '..');
const probes = {
  portImportsAdapter: ['libs/cache/src/lint-probe.ts', "import { KafkaEventBus } from '@pacs/event-bus-kafka';"],
  appImportsAdapter: ['apps/gateway/src/lint-probe.ts', "import { RedisCache } from '@pacs/cache-redis';"],
  deepImport: ['libs/platform/src/lint-probe.ts', "import { FsBlobStore } from '../../blob-store-fs/src/index';"],
  adapterImportsPort: ['libs/cache-redis/src/lint-probe.ts', "import { CACHE } from '@pacs/cache';"],
  platformImportsAdapter: ['libs/platform/src/lint-probe-2.ts', "import { RedisCache } from '@pacs/cache-redis';"],
} as const;

describe('module boundaries (lint)', () => {
  const errors = new Map<string, string[]>();

  beforeAll(() => {
    const files = Object.values(probes).map(([file, line]) => {
      const path = join(root, file);
      writeFileSync(path, `${line}\nexport const probe = [${line.match(/\{ (\w+) \}/)![1]}];\n`);
      return path;
    });
    const env = { ...process.env, NX_DAEMON: 'false' };
    const report = join(mkdtempSync(join(tmpdir(), 'pacs-lint-')), 'report.json');
    try {
      execFileSync(process.execPath, [join(root, 'node_modules/.bin/nx'), 'show', 'projects'], { cwd: root, env, stdio: 'ignore' });
      execFileSync(
        process.execPath,
        [join(root, 'node_modules/.bin/eslint'), '--format', 'json', '--output-file', report, ...files],
        { cwd: root, env, stdio: 'ignore' },
      );
    } catch {
      // ESLint exits 1 when it finds an error: the report says which.
    } finally {
      for (const file of files) rmSync(file, { force: true });
    }
    const output = readFileSync(report, 'utf8');
    for (const result of JSON.parse(output) as { filePath: string; messages: { ruleId: string | null; message: string }[] }[]) {
      errors.set(
        result.filePath,
        result.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message),
      );
    }
  }, 120_000);

  const found = (probe: keyof typeof probes) => errors.get(join(root, probes[probe][0])) ?? ['(not linted)'];

  it('refuses a port that imports an adapter', () => {
    expect(found('portImportsAdapter')).toEqual([
      expect.stringMatching(/type:port.*can only depend on libs tagged with "type:lib", "type:port"/),
    ]);
  });

  it('refuses an app that binds an adapter itself instead of through the platform lib', () => {
    expect(found('appImportsAdapter')).toEqual([expect.stringMatching(/type:app.*can only depend on libs tagged with/)]);
  });

  it('refuses a relative import into another lib', () => {
    expect(found('deepImport')).toEqual([expect.stringMatching(/relative|Projects should use relative imports|imports/i)]);
  });

  it('accepts the allowed directions: adapter to port, platform to adapter', () => {
    expect(found('adapterImportsPort')).toEqual([]);
    expect(found('platformImportsAdapter')).toEqual([]);
  });
});
