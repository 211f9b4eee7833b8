// `npm run bench`: the ingest benchmark (issue 3). This PACS (embedded shape), the same with
// auditing off (what auditing costs), Orthanc and DCMTK storescp receive the same synthetic CT
// corpus by C-STORE (storescu, one association) and by STOW-RS (50 instances per request, one
// request at a time), one target after the other, each started fresh; three rounds; the results go
// to docs/benchmarks.md. See that file for the method.
// `npm run bench -- --suite query`: the query/retrieve benchmark, in query-suite.ts.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import {
  CACHE_ROOT,
  datasetOffsetOf,
  ensureCorpus,
  ensureLargeObject,
  sha256OfFile,
  studyIndexOf,
  type Corpus,
} from './corpus';
import { killAll, ROOT } from './children';
import { machine } from './machine';
import { pacsStateHash } from './query-state';
import { parseQueryArgs, QUERY_USAGE, runQuerySuite } from './query-suite';
import { buildStowBodies, runStorescu, runStow, runStowStreamed } from './measure';
import { writeReport, type LargeResult, type Path, type RunInfo, type Sample } from './report';
import {
  buildPacs,
  hasCommand,
  ORTHANC,
  orthancDicomWebPlugin,
  startOrthanc,
  startPacs,
  startStorescp,
  type Target,
  type TargetName,
} from './targets';

const USAGE = `usage: npm run bench -- [options]            the ingest suite (the default)
       npm run bench -- --suite query [options]    the query/retrieve suite (--suite query --help)
  --instances N      corpus size (default 1000 CT instances of 512x512x16 bits, 10 studies x 2 series)
  --rounds N         measurements per target and path (default 3; the report gives the median)
  --only dimse|stow  one path only
  --skip-orthanc     leave Orthanc out (quick run; the report says so)
  --skip-audit-cost  leave out this PACS with auditing off (PACS_AUDIT_ENABLED=false), measured
                     by default beside it to give what auditing costs
  --large            also send one multi-frame instance over 2 GiB to this PACS (STOW-RS and
                     C-STORE); needs ~5 GB in the temp folder and minutes
  --large-only       only the large instance (keeps the corpus results already in the report)
  --frames N         frames of the large instance (default 4200 x 512 KiB = 2.2 GB)
  --ref REF          benchmark a committed revision (git archive into the cache, then built)
                     instead of the working tree
  --cpu-prof DIR     run this PACS with --cpu-prof, profiles written to DIR
  --out FILE         report file (default docs/benchmarks.md)`;

interface Options {
  instances: number;
  rounds: number;
  only?: Path;
  skipOrthanc: boolean;
  skipAuditCost: boolean;
  large: boolean;
  largeOnly: boolean;
  frames: number;
  cpuProfileDir?: string;
  ref?: string;
  out: string;
  /** Set once built. */
  main?: string;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = {
    instances: 1000,
    rounds: 3,
    skipOrthanc: false,
    skipAuditCost: false,
    large: false,
    largeOnly: false,
    frames: 4200,
    out: join(ROOT, 'docs/benchmarks.md'),
  };
  const positive = (flag: string, value: string | undefined) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} needs a positive integer\n${USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = () => argv[++i];
    if (flag === '--instances') options.instances = positive(flag, value());
    else if (flag === '--rounds') options.rounds = positive(flag, value());
    else if (flag === '--frames') options.frames = positive(flag, value());
    else if (flag === '--skip-orthanc') options.skipOrthanc = true;
    else if (flag === '--skip-audit-cost') options.skipAuditCost = true;
    else if (flag === '--large') options.large = true;
    else if (flag === '--large-only') options.large = options.largeOnly = true;
    else if (flag === '--cpu-prof') options.cpuProfileDir = value();
    else if (flag === '--ref') options.ref = value();
    else if (flag === '--out') options.out = value() ?? options.out;
    else if (flag === '--only') {
      const path = value();
      if (path !== 'dimse' && path !== 'stow') throw new Error(`--only takes dimse or stow\n${USAGE}`);
      options.only = path;
    } else throw new Error(`unknown option ${flag}\n${USAGE}`);
  }
  return options;
}

const log = (line: string) => console.log(`[bench] ${line}`);

/** Instances per STOW-RS request. */
const STOW_PER_REQUEST = 50;

const TIMEOUT_PER_INSTANCE_MS = 500;
/** How long the audit trail may take, after the transfer, to hold every record expected. */
const AUDIT_CATCH_UP_MS = 30_000;

async function start(name: TargetName, options: Options, plugin: string | undefined): Promise<Target> {
  if (name === 'pacs' || name === 'pacs-unaudited') {
    return startPacs(options.main!, { cpuProfileDir: options.cpuProfileDir, audit: name === 'pacs' });
  }
  if (name === 'orthanc') return startOrthanc(plugin!);
  return startStorescp();
}

/**
 * The audit records one transfer of the corpus leaves, besides the application's start record:
 * C-STORE (one association), its log-on, one "instances transferred" per study, its log-off;
 * STOW-RS, one "instances transferred" per study of each request.
 */
function expectedAuditRecords(path: Path, corpus: Corpus, perRequest: number): number {
  const studies = (from: number, to: number) => {
    const seen = new Set<number>();
    for (let i = from; i < to; i++) seen.add(studyIndexOf(corpus.parameters, i));
    return seen.size;
  };
  const n = corpus.files.length;
  if (path === 'dimse') return 2 + studies(0, n);
  let records = 0;
  for (let i = 0; i < n; i += perRequest) records += studies(i, Math.min(n, i + perRequest));
  return records;
}

/**
 * After the transfer: the rows of audit.sqlite. With auditing, waits until the audit service has
 * appended every record expected (the application's start and the transfer's), at most
 * AUDIT_CATCH_UP_MS; the sample fails without any record, or with fewer than expected. Auditing
 * off: after a second, there must be none.
 */
async function checkAuditRecords(
  target: Target,
  sample: Sample,
  expected: number,
  transferEnded: number,
): Promise<string | undefined> {
  const count = target.auditRecords!;
  if (target.name === 'pacs-unaudited') {
    await new Promise((r) => setTimeout(r, 1000));
    sample.auditRecords = count();
    return sample.auditRecords === 0 ? undefined : `${sample.auditRecords} audit records with auditing off`;
  }
  sample.auditExpected = expected + 1;
  let records = count();
  while (records < sample.auditExpected && Date.now() - transferEnded < AUDIT_CATCH_UP_MS) {
    await new Promise((r) => setTimeout(r, 50));
    records = count();
  }
  sample.auditRecords = records;
  if (records >= sample.auditExpected) sample.auditCatchUpSeconds = (Date.now() - transferEnded) / 1000;
  if (records === 0) return 'no audit record in audit.sqlite: the audited measurement is invalid';
  if (records < sample.auditExpected) {
    return `${records} of ${sample.auditExpected} audit records in audit.sqlite after ${AUDIT_CATCH_UP_MS / 1000} s`;
  }
  return undefined;
}

/** One measurement on a fresh target: send the corpus by one path, check that everything arrived. */
async function measure(
  name: TargetName,
  path: Path,
  round: number,
  corpus: Corpus,
  options: Options,
  plugin: string | undefined,
  bodies: ReturnType<typeof buildStowBodies>,
): Promise<Sample> {
  const sample: Sample = {
    target: name,
    path,
    round,
    seconds: NaN,
    instances: corpus.files.length,
    bytes: corpus.totalBytes,
    peakRssBytes: NaN,
    cpuSeconds: NaN,
    ok: false,
  };
  let target: Target | undefined;
  try {
    target = await start(name, options, plugin);
    const cpuBefore = target.usage().cpuSeconds;
    const timeoutMs = Math.max(120_000, corpus.files.length * TIMEOUT_PER_INSTANCE_MS);
    if (path === 'dimse') {
      const run = await runStorescu(target.dicom, { dir: join(corpus.dir, 'files') }, timeoutMs);
      sample.seconds = run.seconds;
      if (run.exitCode !== 0) sample.error = `storescu exit ${run.exitCode}: ${run.output.slice(-400)}`;
    } else {
      const run = await runStow(target.stowUrl!, bodies, timeoutMs);
      sample.seconds = run.seconds;
      if (run.failures > 0) sample.error = `${run.failures} requests not answered 200, first: ${run.firstFailure}`;
    }
    const transferEnded = Date.now();
    const usage = target.usage();
    sample.peakRssBytes = usage.peakRssBytes;
    sample.cpuSeconds = usage.cpuSeconds - cpuBefore;
    const stored = await target.count();
    if (stored !== corpus.files.length) {
      sample.error = `${sample.error ? `${sample.error}; ` : ''}${stored} of ${corpus.files.length} instances stored`;
    }
    if (target.auditRecords) {
      const expected = expectedAuditRecords(path, corpus, STOW_PER_REQUEST);
      const auditError = await checkAuditRecords(target, sample, expected, transferEnded);
      if (auditError) sample.error = `${sample.error ? `${sample.error}; ` : ''}${auditError}`;
    }
    sample.ok = sample.error === undefined;
  } catch (error) {
    sample.error = (error as Error).message.slice(0, 1000);
  } finally {
    await target?.stop();
  }
  return sample;
}

/** The large multi-frame instance, once by STOW-RS and once by C-STORE, into a fresh PACS each. */
async function runLarge(options: Options): Promise<LargeResult[]> {
  const large = await ensureLargeObject(options.frames, log);
  const results: LargeResult[] = [];
  const paths: Path[] = options.only ? [options.only] : ['stow', 'dimse'];
  for (const path of paths) {
    log(`large object: ${path}`);
    const result: LargeResult = {
      path,
      size: large.size,
      frames: large.frames,
      seconds: NaN,
      peakRssBytes: NaN,
      ok: false,
    };
    let target: Target | undefined;
    try {
      target = await startPacs(options.main!, { cpuProfileDir: options.cpuProfileDir });
      const timeoutMs = 30 * 60_000;
      if (path === 'stow') {
        const run = await runStowStreamed(target.stowUrl!, large.path, timeoutMs);
        result.seconds = run.seconds;
        if (run.failures > 0) result.error = `STOW-RS answered ${run.firstFailure}`;
      } else {
        // No storescu file checks beyond the defaults; it reads large values lazily from the file.
        const run = await runStorescu(target.dicom, { files: [large.path] }, timeoutMs);
        result.seconds = run.seconds;
        if (run.exitCode !== 0) result.error = `storescu exit ${run.exitCode}: ${run.output.slice(-600)}`;
      }
      result.peakRssBytes = target.usage().peakRssBytes;
      const stored = target.storedFiles();
      if (stored.length !== 1) {
        result.error ??= `${stored.length} stored files instead of 1`;
      } else {
        const file = stored[0]!;
        result.storedSize = statSync(file).size;
        if (path === 'stow') {
          result.check = 'whole file';
          result.sizeMatches = result.storedSize === large.size;
          result.shaMatches = (await sha256OfFile(file)) === large.sha256;
        } else {
          // The PACS writes its own meta group before the data set bytes as received.
          const head = Buffer.alloc(4096);
          const fd = openSync(file, 'r');
          readSync(fd, head, 0, head.length, 0);
          closeSync(fd);
          const offset = datasetOffsetOf(head);
          result.check = 'data set (after the meta group)';
          result.sizeMatches = result.storedSize - offset === large.size - large.datasetOffset;
          result.shaMatches = (await sha256OfFile(file, offset)) === large.datasetSha256;
        }
        if (!result.sizeMatches || !result.shaMatches) result.error ??= 'stored bytes differ from the sent bytes';
      }
      result.ok = result.error === undefined;
    } catch (error) {
      result.error = (error as Error).message.slice(0, 1000);
    } finally {
      await target?.stop();
    }
    log(
      `large object ${path}: ${result.ok ? 'ok' : `FAILED: ${result.error}`}, ${result.seconds.toFixed(1)} s, ` +
        `peak RSS ${(result.peakRssBytes / 2 ** 20).toFixed(0)} MiB`,
    );
    results.push(result);
  }
  return results;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const suite = argv[argv.indexOf('--suite') + 1];
  if (argv.includes('--suite') && suite !== 'ingest' && suite !== 'query') {
    throw new Error(`--suite takes ingest or query\n${USAGE}`);
  }
  if (suite === 'query') return queryMain(argv);
  const options = parseArgs(argv.filter((_, i) => !(argv[i] === '--suite' || argv[i - 1] === '--suite')));
  for (const tool of ['storescu', 'storescp', 'echoscu']) {
    if (!hasCommand(tool)) throw new Error(`${tool} is missing: apt-get install dcmtk`);
  }
  let plugin: string | undefined;
  if (!options.skipOrthanc && !options.largeOnly) {
    if (!hasCommand(ORTHANC)) throw new Error(`${ORTHANC} is missing: apt-get install orthanc orthanc-dicomweb`);
    plugin = orthancDicomWebPlugin();
  }
  const started = new Date();
  const loadBefore = loadavg()[0]!;
  log(`building this PACS (npm run build${options.ref ? ` of ${options.ref}` : ''})`);
  const build = buildPacs(options.ref, CACHE_ROOT);
  options.main = build.main;
  log(`this PACS: ${build.revision}`);

  const samples: Sample[] = [];
  let corpus: Corpus | undefined;
  if (!options.largeOnly) {
    corpus = ensureCorpus(
      { instances: options.instances, rows: 512, columns: 512, studies: 10, seriesPerStudy: 2 },
      log,
    );
    const paths: Path[] = options.only ? [options.only] : ['dimse', 'stow'];
    const plan = (round: number) => {
      const steps: [TargetName, Path][] = [];
      for (const path of paths) {
        // This PACS with and without auditing one right after the other, the first of the two
        // alternating from round to round, so that neither always follows the same target.
        const pacs: TargetName[] = options.skipAuditCost
          ? ['pacs']
          : round % 2 === 1
            ? ['pacs', 'pacs-unaudited']
            : ['pacs-unaudited', 'pacs'];
        for (const name of pacs) steps.push([name, path]);
        if (!options.skipOrthanc) steps.push(['orthanc', path]);
        if (path === 'dimse') steps.push(['storescp', path]);
      }
      return steps;
    };
    const bodies = paths.includes('stow') ? buildStowBodies(corpus.files, STOW_PER_REQUEST) : [];
    // Rounds interleave the targets, so that a slow phase of the shared machine hits all of them.
    for (let round = 1; round <= options.rounds; round++) {
      for (const [name, path] of plan(round)) {
        const sample = await measure(name, path, round, corpus, options, plugin, bodies);
        samples.push(sample);
        log(
          `round ${round} ${name} ${path}: ${sample.ok ? '' : `FAILED (${sample.error}) `}${sample.seconds.toFixed(2)} s, ` +
            `${(sample.instances / sample.seconds).toFixed(0)} instances/s, peak RSS ${(sample.peakRssBytes / 2 ** 20).toFixed(0)} MiB` +
            (sample.auditRecords !== undefined ? `, ${sample.auditRecords} audit records` : ''),
        );
      }
    }
  }
  const large = options.large ? await runLarge(options) : undefined;

  const info: RunInfo = {
    date: started.toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    machine: machine(),
    revision: build.revision,
    load: `${loadBefore.toFixed(2)} at the start, ${loadavg()[0]!.toFixed(2)} at the end`,
    instances: corpus?.files.length ?? options.instances,
    corpusBytes: corpus?.totalBytes ?? 0,
    rounds: options.rounds,
    only: options.only,
    skipOrthanc: options.skipOrthanc,
    skipAuditCost: options.skipAuditCost,
    largeOnly: options.largeOnly,
    profiled: options.cpuProfileDir !== undefined,
  };
  const table = writeReport(options.out, info, samples, large);
  console.log(`\n${table}\n`);
  log(`report written to ${options.out}`);
  const failed = samples.filter((s) => !s.ok).length + (large ?? []).filter((l) => !l.ok).length;
  if (failed > 0) {
    log(`${failed} measurement(s) failed, see the report`);
    process.exitCode = 1;
  }
}

/** `--suite query`: see query-suite.ts. */
async function queryMain(argv: readonly string[]): Promise<void> {
  if (argv.includes('--help')) {
    console.log(QUERY_USAGE);
    return;
  }
  const options = parseQueryArgs(argv);
  for (const tool of [ORTHANC, 'cp']) {
    if (!hasCommand(tool)) throw new Error(`${tool} is missing: apt-get install orthanc orthanc-dicomweb`);
  }
  const plugin = orthancDicomWebPlugin();
  log(`building this PACS (npm run build${options.ref ? ` of ${options.ref}` : ''})`);
  const build = buildPacs(options.ref, CACHE_ROOT);
  // Hashed right after the build, so that edits made in the working tree meanwhile do not count.
  const stateHash = pacsStateHash(build.main.replace(/dist\/apps\/pacs\/src\/main\.js$/, ''));
  log(`this PACS: ${build.revision} (state sources ${stateHash})`);
  const ok = await runQuerySuite(options, {
    build,
    stateHash,
    plugin,
    out: options.out ?? join(ROOT, 'docs/benchmarks.md'),
    log,
  });
  if (!ok) process.exitCode = 1;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping every child process`);
    killAll();
    process.exit(130);
  });
}
process.once('exit', killAll);

main().catch((error: unknown) => {
  console.error(`[bench] ${(error as Error).stack ?? String(error)}`);
  killAll();
  process.exitCode = 1;
});
