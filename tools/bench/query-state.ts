// Each server's storage with the index corpus loaded, cached under the benchmark's cache folder:
// loading 100,000 instances takes minutes per server, so each is loaded once, through its normal
// ingest (STOW-RS), and later runs start on a copy. This PACS's copy is keyed by a hash of the
// sources that decide what it writes (index schema and records, event log, blob layout), so that
// a change there loads it again; Orthanc's by its version.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CACHE_ROOT } from './corpus';
import { firstLine } from './machine';
import { indexedTotals, studyInstanceCount } from './query-measure';
import { readBody, type IndexCorpus, type StoredBody } from './query-corpus';
import { ORTHANC, startOrthanc, startPacs, type Target } from './targets';

export type LoadedTarget = 'pacs' | 'orthanc';

export interface StateInfo {
  readonly target: LoadedTarget;
  readonly key: string;
  readonly corpusId: string;
  readonly instances: number;
  /** When it was loaded, and by which revision of this PACS. */
  readonly loadedAt: string;
  readonly revision: string;
  /** From the first STOW-RS request to the last answer (4 requests in flight). */
  readonly stowSeconds: number;
  /** From the first request until every instance is found by a query (this PACS indexes after it answers). */
  readonly queryableSeconds: number;
}

export interface LoadedState {
  /** The folder to copy: this PACS's PACS_DATA_DIR, or Orthanc's storage and index folder. */
  readonly data: string;
  readonly info: StateInfo;
  /** Whether this run loaded it (false: found in the cache). */
  readonly loadedNow: boolean;
}

/**
 * Sources whose change makes a cached state of this PACS unusable (non-test .ts files): what the
 * index and the indexer write, the event log, the blob layout.
 */
const PACS_STATE_SOURCES = [
  'libs/metadata-index-sqlite/src',
  'libs/index/src',
  'libs/metadata-index/src/study-record.ts',
  'libs/metadata-index/src/study-search.ts',
  'libs/dicom/src/index-attributes.ts',
  'libs/event-bus-sqlite/src',
  'libs/blob-store-fs/src',
];

const LOAD_CONCURRENCY = 4;

/** The non-test .ts files of a folder and its subfolders (or the file itself). */
function sourceFiles(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).flatMap((name) => {
    const child = join(path, name);
    if (statSync(child).isDirectory()) return name === 'testing' || name === 'test-fixtures' ? [] : sourceFiles(child);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [child] : [];
  });
}

/** SHA-256 (12 hex digits) of the state sources of the tree at `root`. */
export function pacsStateHash(root: string): string {
  const hash = createHash('sha256');
  for (const file of PACS_STATE_SOURCES.flatMap((p) => sourceFiles(join(root, p))).sort()) {
    hash.update(file.slice(root.length)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 12);
}

function orthancHash(plugin: string): string {
  const versions = [
    firstLine(ORTHANC, ['--version']),
    plugin,
    firstLine('dpkg-query', ['-W', '-f=${Version}', 'orthanc-dicomweb']),
  ];
  return createHash('sha256').update(versions.join('\n')).digest('hex').slice(0, 12);
}

export interface LoadContext {
  /** This PACS's built entry point, and pacsStateHash of its sources. */
  readonly main: string;
  readonly stateHash: string;
  readonly revision: string;
  readonly plugin: string;
  /** Load again even when a cached state exists. */
  readonly reload: boolean;
  readonly log: (line: string) => void;
}

/** The cached loaded state of `target` for this corpus, loading it first when there is none. */
export async function ensureLoadedState(
  target: LoadedTarget,
  corpus: IndexCorpus,
  context: LoadContext,
): Promise<LoadedState> {
  const hash = target === 'pacs' ? context.stateHash : orthancHash(context.plugin);
  const prefix = `state-${target}-${basename(corpus.dir)}-`;
  const key = `${prefix}${corpus.id}-${hash}`;
  const dir = join(CACHE_ROOT, key);
  const folder = target === 'pacs' ? 'data' : 'storage';
  const infoPath = join(dir, 'state.json');
  if (!context.reload && existsSync(infoPath)) {
    const info = JSON.parse(readFileSync(infoPath, 'utf8')) as StateInfo;
    context.log(`${target}: loaded state cached in ${dir} (loaded ${info.loadedAt}, ${info.revision})`);
    return { data: join(dir, folder), info, loadedNow: false };
  }

  const tmp = `${dir}.tmp-${process.pid}`;
  mkdirSync(tmp, { recursive: true });
  const data = join(tmp, folder);
  context.log(
    `${target}: loading ${corpus.totalInstances} instances by STOW-RS (${LOAD_CONCURRENCY} requests in flight)`,
  );
  let stowSeconds: number;
  let queryableSeconds: number;
  let server: Target | undefined;
  try {
    server =
      target === 'pacs'
        ? await startPacs(context.main, { dataDir: data })
        : await startOrthanc(context.plugin, { storageDir: data });
    const started = performance.now();
    await sendBodies(server, corpus, [...corpus.bodies, ...corpus.retrieve.bodies], context.log);
    stowSeconds = (performance.now() - started) / 1000;
    context.log(`${target}: every STOW-RS request answered 200 after ${stowSeconds.toFixed(0)} s`);
    await waitQueryable(target, server, corpus, context.log);
    queryableSeconds = (performance.now() - started) / 1000;
    context.log(`${target}: every instance queryable after ${queryableSeconds.toFixed(0)} s`);
  } catch (error) {
    await server?.stop();
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
  await server.stop();
  const info: StateInfo = {
    target,
    key,
    corpusId: corpus.id,
    instances: corpus.totalInstances,
    loadedAt: new Date().toISOString(),
    revision: context.revision,
    stowSeconds,
    queryableSeconds,
  };
  writeFileSync(join(tmp, 'state.json'), JSON.stringify(info, null, 2));
  // Older states of this target and corpus size are of no use any more.
  for (const name of readdirSync(CACHE_ROOT)) {
    if (name.startsWith(prefix) && name !== basename(tmp))
      rmSync(join(CACHE_ROOT, name), { recursive: true, force: true });
  }
  renameSync(tmp, dir);
  return { data: join(dir, folder), info, loadedNow: true };
}

/** `cp -a` of a cached state to `destination` (which must not exist); returns the seconds taken. */
export function copyState(state: LoadedState, destination: string): number {
  const started = performance.now();
  execFileSync('cp', ['-a', state.data, destination]);
  return (performance.now() - started) / 1000;
}

/** POSTs every body, LOAD_CONCURRENCY at a time; any answer but 200 stops the load. */
async function sendBodies(
  server: Target,
  corpus: IndexCorpus,
  bodies: readonly StoredBody[],
  log: (line: string) => void,
): Promise<void> {
  const total = bodies.reduce((n, b) => n + b.instances, 0);
  let next = 0;
  let sent = 0;
  const started = performance.now();
  const progress = setInterval(() => {
    const seconds = (performance.now() - started) / 1000;
    log(`${server.name}: ${sent} of ${total} instances stored (${(sent / seconds).toFixed(0)}/s)`);
  }, 15_000);
  const worker = async () => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      const response = await fetch(server.stowUrl!, {
        method: 'POST',
        headers: { 'Content-Type': body.contentType, Accept: 'application/dicom+json' },
        body: readBody(corpus, body),
        signal: AbortSignal.timeout(600_000),
      });
      const text = await response.text();
      if (response.status !== 200) {
        throw new Error(`${server.name}: STOW-RS of ${body.file} answered ${response.status}: ${text.slice(0, 500)}`);
      }
      sent += body.instances;
    }
  };
  try {
    await Promise.all(Array.from({ length: LOAD_CONCURRENCY }, worker));
  } finally {
    clearInterval(progress);
  }
}

/**
 * Until every instance is found: this PACS's study search counts them (its indexer follows the
 * stores); Orthanc indexes before it answers, its statistics count them.
 */
async function waitQueryable(
  target: LoadedTarget,
  server: Target,
  corpus: IndexCorpus,
  log: (line: string) => void,
): Promise<void> {
  const expected = { studies: corpus.studies.length, instances: corpus.totalInstances };
  if (target === 'orthanc') {
    const count = await server.count();
    if (count !== expected.instances) throw new Error(`orthanc: ${count} of ${expected.instances} instances stored`);
    return;
  }
  // While the indexer catches up, cheap probes only (a full count reads every study record and
  // would slow it down): ten studies spread over the send order, the last being the retrieve
  // study, sent last. Once all are complete, a full count must find everything.
  const base = server.dicomWebBase!;
  const probes = Array.from({ length: 10 }, (_, i) => {
    const study = corpus.studies[Math.floor(((i + 1) * (corpus.studies.length - 1)) / 10)]!;
    return { uid: study.studyInstanceUid, instances: study.series.reduce((n, se) => n + se.instances, 0) };
  });
  let last = -1;
  let lastProgress = performance.now();
  let nextLog = 0;
  for (;;) {
    let complete = 0;
    for (const probe of probes) if ((await studyInstanceCount(base, probe.uid)) === probe.instances) complete++;
    if (complete === probes.length) {
      const totals = await indexedTotals(base);
      if (totals.instances === expected.instances && totals.studies === expected.studies) return;
      if (totals.instances > expected.instances || totals.studies > expected.studies) {
        throw new Error(
          `pacs: the index holds more than was sent: ${JSON.stringify(totals)} for ${JSON.stringify(expected)}`,
        );
      }
      complete += totals.instances / expected.instances; // progress, for the check below
      log(`pacs: ${totals.instances} of ${expected.instances} instances queryable, ${totals.studies} studies`);
    }
    if (complete !== last) {
      last = complete;
      lastProgress = performance.now();
    } else if (performance.now() - lastProgress > 600_000) {
      throw new Error(
        `pacs: no indexing progress for 10 min (${Math.floor(complete)} of ${probes.length} probe studies complete)`,
      );
    }
    if (performance.now() > nextLog) {
      log(`pacs: indexing, ${Math.floor(complete)} of ${probes.length} probe studies complete`);
      nextLog = performance.now() + 30_000;
    }
    await new Promise((r) => setTimeout(r, complete >= probes.length ? 30_000 : 5000));
  }
}
