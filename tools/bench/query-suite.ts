// `npm run bench -- --suite query`: study search (QIDO-RS and C-FIND), retrieve (WADO-RS) and
// the ingest-to-queryable lag, this PACS and Orthanc side by side on the same index (100,000
// instances by default), both servers running at once and asked in turn. See docs/benchmarks.md.
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { generateUid } from '@pacs/dicom';
import { ctInstanceFile } from '@pacs/dicom/testing';
import { DimseStatus } from '@pacs/dimse';
import { removeTempDir, tempDir } from './children';
import { machine } from './machine';
import { stowBodyOf, type StowBody } from './measure';
import { ensureIndexCorpus, prng, type IndexCorpus } from './query-corpus';
import {
  percentile,
  qidoStudies,
  retrieveSeries,
  studyInstanceCount,
  StudyFinder,
  type FindAnswer,
  type QidoAnswer,
} from './query-measure';
import {
  KIND_LABELS,
  renderQuerySection,
  type KindResult,
  type LagResult,
  type LoadRow,
  type QueryKind,
  type QueryRun,
  type RetrieveRun,
  type Server,
} from './query-report';
import { copyState, ensureLoadedState, type LoadedState } from './query-state';
import { writeQueryReport } from './report';
import { startOrthanc, startPacs, type PacsBuild, type Target } from './targets';

export const QUERY_USAGE = `usage: npm run bench -- --suite query [options]
  --instances N      small instances in the index (default 100000, the issue's figure; e.g. 5000
                     to try things quickly: the report says the size used)
  --queries N        requests per search and server (default 200)
  --warmup N         requests per search and server before those, not counted (default 20)
  --retrieves N      WADO-RS retrieves of the series per server (default 5)
  --lag-requests N   STOW-RS requests of 50 instances per lag block (default 20)
  --lag-blocks N     lag blocks per server (default 2)
  --reload           load both servers again instead of using the cached loaded states
  --ref REF          benchmark a committed revision (built apart from the working tree)
  --out FILE         report file (default docs/benchmarks.md)`;

export interface QueryOptions {
  readonly instances: number;
  readonly queries: number;
  readonly warmup: number;
  readonly retrieves: number;
  readonly lagRequests: number;
  readonly lagBlocks: number;
  readonly reload: boolean;
  readonly ref?: string;
  readonly out?: string;
}

export function parseQueryArgs(argv: readonly string[]): QueryOptions {
  const o: { -readonly [K in keyof QueryOptions]: QueryOptions[K] } = {
    instances: 100_000,
    queries: 200,
    warmup: 20,
    retrieves: 5,
    lagRequests: 20,
    lagBlocks: 2,
    reload: false,
  };
  const count = (flag: string, value: string | undefined, min: number) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new Error(`${flag} needs an integer of at least ${min}\n${QUERY_USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = () => argv[++i];
    if (flag === '--suite') i++;
    else if (flag === '--instances') o.instances = count(flag, value(), 100);
    else if (flag === '--queries') o.queries = count(flag, value(), 1);
    else if (flag === '--warmup') o.warmup = count(flag, value(), 0);
    else if (flag === '--retrieves') o.retrieves = count(flag, value(), 1);
    else if (flag === '--lag-requests') o.lagRequests = count(flag, value(), 2);
    else if (flag === '--lag-blocks') o.lagBlocks = count(flag, value(), 1);
    else if (flag === '--reload') o.reload = true;
    else if (flag === '--ref') o.ref = value();
    else if (flag === '--out') o.out = value();
    else throw new Error(`unknown option ${flag}\n${QUERY_USAGE}`);
  }
  return o;
}

/** A search, as QIDO-RS parameters and as C-FIND matching keys, with the answer the corpus implies. */
interface Query {
  readonly qido: string;
  readonly find: Readonly<Record<string, string>>;
  readonly expected: number;
}

/** Most studies this PACS returns in one answer (its default limit). */
const LARGEST_ANSWER = 1000;

/** Letters only, accents removed, upper case: how a server that folds accents compares names. */
function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .replace(/Ø/g, 'O')
    .replace(/Æ/g, 'AE')
    .toUpperCase();
}

/** `n` searches of each kind, drawn deterministically, and the name prefixes used or left out. */
export function makeQueries(corpus: IndexCorpus, n: number) {
  const random = prng(0xbe4c4 + n);
  const studiesOfPatient = new Map<number, number>();
  for (const s of corpus.studies) studiesOfPatient.set(s.patient, (studiesOfPatient.get(s.patient) ?? 0) + 1);
  const nameOf = (s: { patient: number }) => corpus.patients[s.patient]!.patientName;

  const prefixes: string[] = [];
  const excluded = { nonAscii: [] as string[], tooMany: [] as string[], folding: [] as string[] };
  for (const prefix of [...new Set(corpus.familyNames.map((f) => f.slice(0, 3)))]) {
    if (!/^\p{Lu}{3}$/u.test(prefix)) continue;
    const exact = corpus.studies.filter((s) => nameOf(s).startsWith(prefix)).length;
    const folded = corpus.studies.filter((s) => fold(nameOf(s)).startsWith(fold(prefix))).length;
    if (exact === 0) continue;
    // Orthanc's DICOMweb plugin (1.7) finds no study for a prefix with a non-ASCII letter.
    if (!/^[A-Z]+$/.test(prefix)) excluded.nonAscii.push(prefix);
    else if (exact > LARGEST_ANSWER) excluded.tooMany.push(prefix);
    else if (folded !== exact) excluded.folding.push(prefix);
    else prefixes.push(prefix);
  }
  if (prefixes.includes('SMI')) {
    prefixes.splice(prefixes.indexOf('SMI'), 1);
    prefixes.unshift('SMI');
  }

  const byKind: Record<QueryKind, Query[]> = { patientId: [], patientName: [], studyDate: [] };
  for (let i = 0; i < n; i++) {
    const patient = Math.floor(random() * corpus.patients.length);
    const patientId = corpus.patients[patient]!.patientId;
    byKind.patientId.push({
      qido: `PatientID=${encodeURIComponent(patientId)}`,
      find: { PatientID: patientId },
      expected: studiesOfPatient.get(patient) ?? 0,
    });
    // The issue's example first, then the others drawn at random.
    const prefix = i === 0 && prefixes[0] === 'SMI' ? 'SMI' : prefixes[Math.floor(random() * prefixes.length)]!;
    byKind.patientName.push({
      qido: `PatientName=${encodeURIComponent(prefix)}*`,
      find: { PatientName: `${prefix}*` },
      expected: corpus.studies.filter((s) => nameOf(s).startsWith(prefix)).length,
    });
    const month = Math.floor(random() * 120);
    const year = 2016 + Math.floor(month / 12);
    const mm = String((month % 12) + 1).padStart(2, '0');
    const last = new Date(Date.UTC(year, (month % 12) + 1, 0)).getUTCDate();
    const from = `${year}${mm}01`;
    const to = `${year}${mm}${last}`;
    byKind.studyDate.push({
      qido: `StudyDate=${from}-${to}`,
      find: { StudyDate: `${from}-${to}` },
      expected: corpus.studies.filter((s) => s.studyDate >= from && s.studyDate <= to).length,
    });
  }
  return { byKind, prefixes, excluded };
}

const KINDS: readonly QueryKind[] = ['patientId', 'patientName', 'studyDate'];
const SERVERS: readonly Server[] = ['pacs', 'orthanc'];
const NAME: Record<Server, string> = { pacs: 'this PACS', orthanc: 'Orthanc' };

type Ask = (server: Server, query: Query) => Promise<{ ms: number; count: number; bytes: number; error?: string }>;

/**
 * The searches of every kind, interleaved: query i of each kind goes to both servers, in turn,
 * the first server alternating, so that a slow phase of the machine falls on both. The answers
 * must agree with each other and with the corpus. A server whose request fails is not asked again.
 */
async function measureSearches(
  label: string,
  queries: Record<QueryKind, Query[]>,
  warmup: number,
  servers: readonly Server[],
  ask: Ask,
  log: (line: string) => void,
): Promise<KindResult[]> {
  const results: KindResult[] = KINDS.map((kind) => ({
    kind,
    ms: { pacs: [], orthanc: [] },
    bytes: { pacs: [], orthanc: [] },
    results: [],
    mismatches: [],
    failed: {},
  }));
  const total = queries.patientId.length;
  for (let i = -warmup; i < total; i++) {
    for (const [k, kind] of KINDS.entries()) {
      const result = results[k]!;
      // Warm-up: the first queries again, not counted.
      const query = queries[kind][i < 0 ? (i + warmup) % total : i]!;
      const order = i % 2 === 0 ? servers : [...servers].reverse();
      const counts: Partial<Record<Server, number>> = {};
      for (const server of order) {
        if (result.failed[server] !== undefined) continue;
        const answer = await ask(server, query).catch((error: Error) => ({
          ms: NaN,
          count: 0,
          bytes: 0,
          error: error.message,
        }));
        if (answer.error !== undefined) {
          result.failed[server] = `${query.qido}: ${answer.error}`;
          log(`${label} ${kind}: ${NAME[server]} failed (${answer.error.slice(0, 200)}); not asked again`);
          continue;
        }
        counts[server] = answer.count;
        if (i < 0) continue;
        result.ms[server].push(answer.ms);
        result.bytes[server].push(answer.bytes);
      }
      if (i < 0) continue;
      const found = SERVERS.filter((s) => counts[s] !== undefined).map((s) => `${NAME[s]} ${counts[s]}`);
      const values = Object.values(counts);
      if (values.length > 0) result.results.push(values[0]!);
      if (values.some((v) => v !== query.expected)) {
        result.mismatches.push(`${query.qido}: ${found.join(', ')}, the corpus holds ${query.expected}`);
      }
    }
    if (i >= 0 && (i + 1) % 50 === 0) log(`${label}: ${i + 1} of ${total} rounds`);
  }
  for (const r of results) {
    const p = (s: Server) => `${percentile(r.ms[s], 0.5).toFixed(1)}/${percentile(r.ms[s], 0.99).toFixed(1)} ms`;
    log(
      `${label} ${r.kind}: this PACS ${p('pacs')}, Orthanc ${p('orthanc')} (p50/p99)` +
        `${r.mismatches.length > 0 ? `; ${r.mismatches.length} answers DIFFER, first: ${r.mismatches[0]}` : ''}`,
    );
  }
  return results;
}

const qidoAsk =
  (targets: Record<Server, Target>): Ask =>
  async (server, query) => {
    const answer: QidoAnswer = await qidoStudies(targets[server].dicomWebBase!, query.qido);
    if (answer.status !== 200 && answer.status !== 204) {
      return { ...answer, error: `answered ${answer.status}` };
    }
    if (answer.truncated) return { ...answer, error: 'the answer was cut (Warning 299): more studies matched' };
    return answer;
  };

const findAsk =
  (finders: Partial<Record<Server, StudyFinder>>): Ask =>
  async (server, query) => {
    const answer: FindAnswer = await finders[server]!.find(query.find);
    if (answer.status !== DimseStatus.Success) {
      return { ...answer, bytes: 0, error: `final status 0x${answer.status.toString(16).padStart(4, '0')}` };
    }
    return { ...answer, bytes: 0 };
  };

// --- ingest-to-queryable lag ----------------------------------------------------------------------

const POLL_INTERVAL_MS = 5;
const LAG_TIMEOUT_MS = 120_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The bodies of one lag block: a new study of two series, `requests` × 50 CT instances of 512×512. */
function lagBodies(requests: number, pixels: Buffer): { studyInstanceUid: string; bodies: StowBody[] } {
  const studyInstanceUid = generateUid();
  const series = [generateUid(), generateUid()];
  const patientId = `PLAG${generateUid().slice(-8)}`;
  const bodies: StowBody[] = [];
  for (let r = 0; r < requests; r++) {
    const files = Array.from({ length: 50 }, (_, i) =>
      ctInstanceFile({
        studyInstanceUid,
        seriesInstanceUid: series[r < requests / 2 ? 0 : 1]!,
        sopInstanceUid: generateUid(),
        instanceNumber: r * 50 + i + 1,
        patientId,
        patientName: 'BENCH^LAG',
        accessionNumber: 'ALAG',
        pixelData: pixels,
      }),
    );
    bodies.push(stowBodyOf(files));
  }
  return { studyInstanceUid, bodies };
}

/**
 * STOW-RS requests one after the other, as the ingest suite sends them; a second loop polls the
 * study's NumberOfStudyRelatedInstances by QIDO-RS every few ms, and each request's lag is the
 * time from its answer to the answer of the first poll that counts its instances.
 */
async function lagBlock(server: Server, target: Target, requests: number, pixels: Buffer): Promise<LagResult> {
  const { studyInstanceUid, bodies } = lagBodies(requests, pixels);
  const base = target.dicomWebBase!;
  const pending: { expected: number; sentAt: number }[] = [];
  const lagsMs: number[] = [];
  const pollMs: number[] = [];
  const errors: string[] = [];
  let stowDone = false;
  const poller = (async () => {
    while (!stowDone || pending.length > 0) {
      if (pending.length === 0) {
        await sleep(1);
        continue;
      }
      const sent = performance.now();
      const count = await studyInstanceCount(base, studyInstanceUid);
      const received = performance.now();
      pollMs.push(received - sent);
      while (pending.length > 0 && pending[0]!.expected <= count) lagsMs.push(received - pending.shift()!.sentAt);
      if (pending.length > 0 && received - pending[0]!.sentAt > LAG_TIMEOUT_MS) {
        throw new Error(
          `${count} of ${pending[0]!.expected} instances queryable ${LAG_TIMEOUT_MS / 1000} s after the answer`,
        );
      }
      await sleep(POLL_INTERVAL_MS);
    }
  })();
  const started = performance.now();
  let stored = 0;
  try {
    for (const body of bodies) {
      const response = await fetch(target.stowUrl!, {
        method: 'POST',
        headers: { 'Content-Type': body.contentType, Accept: 'application/dicom+json' },
        body: body.body,
        signal: AbortSignal.timeout(600_000),
      });
      const text = await response.text();
      if (response.status !== 200) throw new Error(`STOW-RS answered ${response.status}: ${text.slice(0, 300)}`);
      stored += body.instances;
      pending.push({ expected: stored, sentAt: performance.now() });
    }
  } catch (error) {
    errors.push((error as Error).message);
  }
  const stowSeconds = (performance.now() - started) / 1000;
  stowDone = true;
  await poller.catch((error: Error) => {
    errors.push(error.message);
    pending.length = 0;
  });
  return { server, lagsMs, pollMs, instances: stored, stowSeconds, errors };
}

// --- the run --------------------------------------------------------------------------------------

export interface QuerySuiteContext {
  readonly build: PacsBuild;
  /** pacsStateHash of the built sources. */
  readonly stateHash: string;
  readonly plugin: string;
  readonly out: string;
  readonly log: (line: string) => void;
}

/** Runs the suite and writes its section of the report; resolves to whether every check passed. */
export async function runQuerySuite(options: QueryOptions, context: QuerySuiteContext): Promise<boolean> {
  const { log } = context;
  const started = new Date();
  const loadBefore = loadavg()[0]!;
  const corpus = ensureIndexCorpus({ instances: options.instances, retrieveInstances: 500 }, log);
  const loadContext = {
    main: context.build.main,
    stateHash: context.stateHash,
    revision: context.build.revision,
    plugin: context.plugin,
    reload: options.reload,
    log,
  };
  const states: Record<Server, LoadedState> = {
    pacs: await ensureLoadedState('pacs', corpus, loadContext),
    orthanc: await ensureLoadedState('orthanc', corpus, loadContext),
  };

  // Both servers on copies of their loaded state, running side by side.
  const loads: LoadRow[] = [];
  const targets: Partial<Record<Server, Target>> = {};
  const copies: string[] = [];
  try {
    for (const server of SERVERS) {
      const dir = tempDir(`query-${server}`);
      copies.push(dir);
      const copy = join(dir, server === 'pacs' ? 'data' : 'storage');
      log(`${NAME[server]}: copying the loaded state`);
      const copySeconds = copyState(states[server], copy);
      const t0 = performance.now();
      targets[server] =
        server === 'pacs'
          ? await startPacs(context.build.main, { dataDir: copy })
          : // C-FIND from any AE title, as this PACS answers it.
            await startOrthanc(context.plugin, { storageDir: copy, config: { DicomAlwaysAllowFind: true } });
      const startSeconds = (performance.now() - t0) / 1000;
      log(`${NAME[server]}: copy ${copySeconds.toFixed(1)} s, started in ${startSeconds.toFixed(1)} s`);
      loads.push({ server, info: states[server].info, loadedNow: states[server].loadedNow, copySeconds, startSeconds });
    }
    const both = targets as Record<Server, Target>;

    const { byKind, prefixes, excluded } = makeQueries(corpus, options.queries);
    log(`QIDO-RS: ${options.queries} requests per search and server (${KINDS.map((k) => KIND_LABELS[k]).join('; ')})`);
    const qido = await measureSearches('QIDO-RS', byKind, options.warmup, SERVERS, qidoAsk(both), log);

    log('C-FIND: connecting');
    const finders: Partial<Record<Server, StudyFinder>> = {};
    const unavailable: Partial<Record<Server, string>> = {};
    for (const server of SERVERS) {
      try {
        finders[server] = await StudyFinder.connect(both[server].dicom.port, both[server].dicom.aeTitle);
      } catch (error) {
        unavailable[server] = `association: ${(error as Error).message}`;
        log(`C-FIND: ${NAME[server]} not available: ${(error as Error).message}`);
      }
    }
    const findServers = SERVERS.filter((s) => finders[s]);
    let findKinds: KindResult[] = [];
    if (findServers.length > 0) {
      findKinds = await measureSearches('C-FIND', byKind, options.warmup, findServers, findAsk(finders), log);
      for (const k of findKinds) {
        for (const server of findServers) {
          if (k.failed[server] && k.ms[server].length === 0) unavailable[server] ??= k.failed[server];
        }
      }
    }
    for (const finder of Object.values(finders)) await finder.close();

    log(`WADO-RS: ${options.retrieves} retrieves of the ${corpus.retrieve.instances}-instance series per server`);
    const retrieve: RetrieveRun[] = [];
    for (let r = 0; r < options.retrieves; r++) {
      for (const server of r % 2 === 0 ? SERVERS : [...SERVERS].reverse()) {
        const answer = await retrieveSeries(
          both[server].dicomWebBase!,
          corpus.retrieve.studyInstanceUid,
          corpus.retrieve.seriesInstanceUid,
        ).catch((error: Error) => ({
          seconds: NaN,
          status: 0,
          bodyBytes: 0,
          parts: 0,
          partBytes: 0,
          error: error.message,
        }));
        const error =
          answer.error ??
          (answer.parts !== corpus.retrieve.instances
            ? `${answer.parts} of ${corpus.retrieve.instances} instances in the answer`
            : answer.partBytes !== corpus.retrieve.bytes
              ? `${answer.partBytes} instance bytes, ${corpus.retrieve.bytes} stored`
              : undefined);
        retrieve.push({ server, ...answer, ok: error === undefined, ...(error !== undefined ? { error } : {}) });
        log(
          `WADO-RS ${NAME[server]}: ${error ? `FAILED (${error.slice(0, 200)}) ` : ''}` +
            `${answer.seconds.toFixed(2)} s, ${(answer.bodyBytes / 1e6 / answer.seconds).toFixed(0)} MB/s`,
        );
      }
    }

    log(`lag: ${options.lagBlocks} block(s) of ${options.lagRequests} STOW-RS requests of 50 instances per server`);
    const pixels = Buffer.alloc(512 * 512 * 2, 7);
    const lag: LagResult[] = [];
    for (let b = 0; b < options.lagBlocks; b++) {
      for (const server of b % 2 === 0 ? SERVERS : [...SERVERS].reverse()) {
        const block = await lagBlock(server, both[server], options.lagRequests, pixels);
        lag.push(block);
        log(
          `lag ${NAME[server]} block ${b + 1}: p50 ${percentile(block.lagsMs, 0.5).toFixed(1)} ms, ` +
            `max ${(block.lagsMs.length > 0 ? Math.max(...block.lagsMs) : NaN).toFixed(1)} ms, ${(block.instances / block.stowSeconds).toFixed(0)} instances/s` +
            `${block.errors.length > 0 ? `, errors: ${block.errors.join('; ')}` : ''}`,
        );
      }
    }

    const run: QueryRun = {
      date: started.toISOString(),
      command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      revision: context.build.revision,
      machine: machine(),
      load: `${loadBefore.toFixed(2)} at the start, ${loadavg()[0]!.toFixed(2)} at the end`,
      corpus: {
        instances: corpus.parameters.instances,
        studies: corpus.studies.length,
        patients: corpus.patients.length,
        series: corpus.studies.reduce((n, s) => n + s.series.length, 0),
        bytes: corpus.totalBytes,
        retrieveInstances: corpus.retrieve.instances,
        retrieveBytes: corpus.retrieve.bytes,
      },
      queries: options.queries,
      warmup: options.warmup,
      namePrefixes: prefixes,
      excludedPrefixes: excluded,
      loads,
      qido,
      find: { kinds: findKinds, unavailable },
      retrieve,
      lag,
    };
    const section = renderQuerySection(run);
    writeQueryReport(context.out, section);
    console.log(`\n${section}\n`);
    log(`report written to ${context.out}`);

    // The run fails when the servers' answers differ, or Orthanc (the reference) fails a measurement.
    const mismatches = [...qido, ...findKinds].reduce((n, k) => n + k.mismatches.length, 0);
    const orthancFailed =
      qido.some((k) => k.failed.orthanc) ||
      unavailable.orthanc !== undefined ||
      retrieve.some((r) => r.server === 'orthanc' && !r.ok) ||
      lag.some((l) => l.server === 'orthanc' && l.errors.length > 0);
    const pacsFailed = qido.some((k) => k.failed.pacs) || lag.some((l) => l.server === 'pacs' && l.errors.length > 0);
    if (mismatches > 0) log(`${mismatches} answers differ between the servers or from the corpus`);
    if (orthancFailed) log('Orthanc failed a measurement');
    if (pacsFailed) log('this PACS failed a QIDO-RS or lag measurement');
    return mismatches === 0 && !orthancFailed && !pacsFailed;
  } finally {
    for (const target of Object.values(targets)) await target.stop();
    for (const dir of copies) removeTempDir(dir);
  }
}
