// The query section of docs/benchmarks.md: p50/p99 of each search on both servers, the retrieve
// throughput, the ingest-to-queryable lag, how the index was loaded, and where this PACS is slower.
import type { Machine } from './machine';
import { percentile } from './query-measure';
import type { StateInfo } from './query-state';

export const QUERY_BEGIN = '<!-- bench:query:begin -->';
export const QUERY_END = '<!-- bench:query:end -->';

export type QueryKind = 'patientId' | 'patientName' | 'studyDate';
export type Server = 'pacs' | 'orthanc';

export const KIND_LABELS: Record<QueryKind, string> = {
  patientId: 'PatientID, exact',
  patientName: 'PatientName, wildcard (`SMI*`)',
  studyDate: 'StudyDate, a month (`20190301-20190331`)',
};

/** The measurements of one kind of search over one protocol. */
export interface KindResult {
  readonly kind: QueryKind;
  readonly ms: Record<Server, number[]>;
  readonly bytes: Record<Server, number[]>;
  /** Studies found, per query (as both servers answered, when they agree). */
  readonly results: number[];
  /** Queries whose answers differed between the servers or from the corpus, described. */
  readonly mismatches: string[];
  /** A server's first failed request (status, error), after which it was not asked again. */
  readonly failed: Partial<Record<Server, string>>;
}

export interface RetrieveRun {
  readonly server: Server;
  readonly seconds: number;
  readonly bodyBytes: number;
  readonly parts: number;
  readonly partBytes: number;
  readonly ok: boolean;
  readonly error?: string;
}

export interface LagResult {
  readonly server: Server;
  /** Per STOW-RS request: ms from its answer to the answer of the first poll that found it. */
  readonly lagsMs: number[];
  /** Duration of the polls (QIDO-RS round trips) while ingesting. */
  readonly pollMs: number[];
  readonly instances: number;
  readonly stowSeconds: number;
  readonly errors: string[];
}

export interface LoadRow {
  readonly server: Server;
  readonly info: StateInfo;
  readonly loadedNow: boolean;
  readonly copySeconds: number;
  readonly startSeconds: number;
}

export interface QueryRun {
  readonly date: string;
  readonly command: string;
  readonly revision: string;
  readonly machine: Machine;
  readonly load: string;
  readonly corpus: {
    readonly instances: number;
    readonly studies: number;
    readonly patients: number;
    readonly series: number;
    readonly bytes: number;
    readonly retrieveInstances: number;
    readonly retrieveBytes: number;
  };
  readonly queries: number;
  readonly warmup: number;
  readonly namePrefixes: readonly string[];
  /** Family name prefixes not asked, and why. */
  readonly excludedPrefixes: {
    readonly nonAscii: readonly string[];
    readonly tooMany: readonly string[];
    readonly folding: readonly string[];
  };
  readonly loads: readonly LoadRow[];
  readonly qido: readonly KindResult[];
  /** C-FIND: the results, or why a server could not be measured. */
  readonly find: { readonly kinds: readonly KindResult[]; readonly unavailable: Partial<Record<Server, string>> };
  readonly retrieve: readonly RetrieveRun[];
  readonly lag: readonly LagResult[];
}

const f0 = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '–');
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '–');
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '–');
const ms = (n: number) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0)) : '–');
const MB = 1e6;
const clean = (text: string) => text.replace(/\s+/g, ' ').replace(/\|/g, '/').slice(0, 300);
const median = (values: readonly number[]) => percentile(values, 0.5);

/** `ours ÷ theirs` of a time: below 1 we are faster. */
const timeRatio = (ours: number, theirs: number) => (Number.isFinite(ours / theirs) ? `${f2(ours / theirs)}×` : '–');

interface Slower {
  readonly what: string;
  readonly detail: string;
}

function latencyTable(kinds: readonly KindResult[], protocol: string, slower: Slower[]): string {
  const sizes = protocol === 'QIDO-RS';
  const rows = [
    '| search | requests per server | studies per answer: median (min–max) | this PACS p50 / p99 (ms) | Orthanc p50 / p99 (ms) | ' +
      `ours ÷ Orthanc, p50 | ours ÷ Orthanc, p99 | ${sizes ? 'answer size, ours / Orthanc (kB, median) | ' : ''}answers equal |`,
    `|---|---|---|---|---|---|---|${sizes ? '---|' : ''}---|`,
  ];
  for (const k of kinds) {
    const p = { p50: percentile(k.ms.pacs, 0.5), p99: percentile(k.ms.pacs, 0.99) };
    const o = { p50: percentile(k.ms.orthanc, 0.5), p99: percentile(k.ms.orthanc, 0.99) };
    const results =
      k.results.length > 0 ? `${f0(median(k.results))} (${Math.min(...k.results)}–${Math.max(...k.results)})` : '–';
    const failed = Object.entries(k.failed).map(
      ([s, e]) => `${s === 'pacs' ? 'this PACS' : 'Orthanc'} FAILED: ${clean(e)}`,
    );
    const equal =
      failed.length > 0
        ? failed.join('; ')
        : k.mismatches.length === 0
          ? `yes, ${k.results.length} of ${k.results.length}`
          : `**NO**: ${k.mismatches.length} differ, first: ${clean(k.mismatches[0]!)}`;
    rows.push(
      `| ${KIND_LABELS[k.kind]} | ${Math.max(k.ms.pacs.length, k.ms.orthanc.length)} | ${results} | ` +
        `**${ms(p.p50)}** / ${ms(p.p99)} | **${ms(o.p50)}** / ${ms(o.p99)} | ${timeRatio(p.p50, o.p50)} | ${timeRatio(p.p99, o.p99)} | ` +
        `${sizes ? `${f1(median(k.bytes.pacs) / 1000)} / ${f1(median(k.bytes.orthanc) / 1000)} | ` : ''}${equal} |`,
    );
    if (p.p50 > 1.05 * o.p50 || p.p99 > 1.05 * o.p99) {
      slower.push({
        what: `${protocol} by ${KIND_LABELS[k.kind]}`,
        detail:
          `p50 ${ms(p.p50)} ms against ${ms(o.p50)} ms (${timeRatio(p.p50, o.p50)}), ` +
          `p99 ${ms(p.p99)} ms against ${ms(o.p99)} ms (${timeRatio(p.p99, o.p99)})`,
      });
    }
  }
  return rows.join('\n');
}

function retrieveTable(run: QueryRun, slower: Slower[]): string {
  const rows = [
    '| server | repetitions ok | MB/s: median (min–max) | time (s, median) | instances per answer | instance bytes per answer (expected) | HTTP body bytes |',
    '|---|---|---|---|---|---|---|',
  ];
  const rates: Partial<Record<Server, number>> = {};
  for (const server of ['pacs', 'orthanc'] as const) {
    const runs = run.retrieve.filter((r) => r.server === server);
    const ok = runs.filter((r) => r.ok);
    const name = server === 'pacs' ? 'this PACS' : 'Orthanc';
    if (ok.length === 0) {
      rows.push(
        `| ${name} | 0/${runs.length} | not available: ${clean(runs[0]?.error ?? 'not run')} | – | – | – | – |`,
      );
      continue;
    }
    const mbps = ok.map((r) => r.bodyBytes / MB / r.seconds);
    rates[server] = median(mbps);
    const failed = runs.find((r) => !r.ok);
    rows.push(
      `| ${name} | ${ok.length}/${runs.length}${failed ? ` (failed: ${clean(failed.error ?? '')})` : ''} | ` +
        `**${f0(median(mbps))}** (${f0(Math.min(...mbps))}–${f0(Math.max(...mbps))}) | ${f2(median(ok.map((r) => r.seconds)))} | ` +
        `${ok[0]!.parts} | ${ok[0]!.partBytes} (${run.corpus.retrieveBytes}) | ${ok[0]!.bodyBytes} |`,
    );
  }
  const ratio = rates.pacs !== undefined && rates.orthanc !== undefined ? rates.pacs / rates.orthanc : NaN;
  if (ratio < 0.95) {
    slower.push({
      what: 'WADO-RS retrieve of the series',
      detail: `${f0(rates.pacs!)} MB/s against ${f0(rates.orthanc!)} MB/s (${f2(ratio)}× Orthanc's throughput)`,
    });
  }
  return `${rows.join('\n')}\n\nThroughput, ours ÷ Orthanc (above 1: we are faster): **${Number.isFinite(ratio) ? `${f2(ratio)}×` : '–'}**.`;
}

function lagTable(run: QueryRun, slower: Slower[]): string {
  const rows = [
    '| server | STOW-RS requests (50 instances each) | lag p50 (ms) | lag p99 (ms) | lag max (ms) | STOW-RS meanwhile (instances/s) | poll round trip p50 (ms) | errors |',
    '|---|---|---|---|---|---|---|---|',
  ];
  const p: Partial<Record<Server, { p50: number; p99: number }>> = {};
  for (const server of ['pacs', 'orthanc'] as const) {
    const blocks = run.lag.filter((l) => l.server === server);
    const lags = blocks.flatMap((l) => l.lagsMs);
    const polls = blocks.flatMap((l) => l.pollMs);
    const instances = blocks.reduce((n, l) => n + l.instances, 0);
    const seconds = blocks.reduce((n, l) => n + l.stowSeconds, 0);
    const errors = blocks.flatMap((l) => l.errors);
    p[server] = { p50: percentile(lags, 0.5), p99: percentile(lags, 0.99) };
    rows.push(
      `| ${server === 'pacs' ? 'this PACS' : 'Orthanc'} | ${lags.length} | **${ms(p[server].p50)}** | ${ms(p[server].p99)} | ` +
        `${ms(lags.length ? Math.max(...lags) : NaN)} | ${f0(instances / seconds)} | ${ms(median(polls))} | ` +
        `${errors.length === 0 ? 'none' : clean(errors.join('; '))} |`,
    );
  }
  if (p.pacs && p.orthanc && (p.pacs.p50 > 1.05 * p.orthanc.p50 || p.pacs.p99 > 1.05 * p.orthanc.p99)) {
    slower.push({
      what: 'Ingest-to-queryable lag',
      detail:
        `p50 ${ms(p.pacs.p50)} ms against ${ms(p.orthanc.p50)} ms, p99 ${ms(p.pacs.p99)} ms against ${ms(p.orthanc.p99)} ms: ` +
        'this PACS answers STOW-RS once the instances are durable and indexes them afterwards; Orthanc indexes before it answers',
    });
  }
  const ratios =
    p.pacs && p.orthanc
      ? `${timeRatio(p.pacs.p50, p.orthanc.p50)} at p50, ${timeRatio(p.pacs.p99, p.orthanc.p99)} at p99`
      : '–';
  return `${rows.join('\n')}\n\nLag, ours ÷ Orthanc (below 1: our instances are found sooner): **${ratios}**.`;
}

function loadTable(run: QueryRun, slower: Slower[]): string {
  const rows = [
    '| server | state | loaded on | STOW-RS of every instance (s) | until every instance is queryable (s) | instances/s (queryable) | copy of the cached state, this run (s) | start on the copy (s) |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const l of run.loads) {
    rows.push(
      `| ${l.server === 'pacs' ? 'this PACS' : 'Orthanc'} | ${l.loadedNow ? 'loaded in this run' : 'cached'} | ` +
        `${l.info.loadedAt.replace('T', ' ').slice(0, 16)} UTC (${l.info.revision}) | ${f0(l.info.stowSeconds)} | ` +
        `${f0(l.info.queryableSeconds)} | ${f0(l.info.instances / l.info.queryableSeconds)} | ${f1(l.copySeconds)} | ${f1(l.startSeconds)} |`,
    );
  }
  const pacs = run.loads.find((l) => l.server === 'pacs')?.info;
  const orthanc = run.loads.find((l) => l.server === 'orthanc')?.info;
  if (pacs && orthanc && pacs.queryableSeconds > 1.05 * orthanc.queryableSeconds) {
    slower.push({
      what: 'Loading the index until everything is queryable',
      detail:
        `${f0(pacs.queryableSeconds)} s against ${f0(orthanc.queryableSeconds)} s (STOW-RS answered after ` +
        `${f0(pacs.stowSeconds)} s against ${f0(orthanc.stowSeconds)} s; the indexer follows behind); the two loads ran ` +
        'one after the other, not interleaved',
    });
  }
  return rows.join('\n');
}

/** The section between QUERY_BEGIN and QUERY_END. */
export function renderQuerySection(run: QueryRun): string {
  const m = run.machine;
  const c = run.corpus;
  const ex = run.excludedPrefixes;
  const list = (prefixes: readonly string[]) => prefixes.map((p) => `\`${p}*\``).join(', ');
  const slower: Slower[] = [];
  const load = loadTable(run, slower);
  const qido = latencyTable(run.qido, 'QIDO-RS', slower);
  const findUnavailable = Object.entries(run.find.unavailable).map(
    ([s, why]) => `**${s === 'pacs' ? 'This PACS' : 'Orthanc'}: C-FIND not available** (${clean(why)}).`,
  );
  const find = run.find.kinds.length > 0 ? latencyTable(run.find.kinds, 'C-FIND', slower) : '';
  const retrieve = retrieveTable(run, slower);
  const lag = lagTable(run, slower);
  const size =
    c.instances + c.retrieveInstances >= 100_000
      ? ''
      : ` **This is a smaller index than the issue's 100,000 instances (\`--instances\`).**`;
  return [
    QUERY_BEGIN,
    `Measured ${run.date.replace('T', ' ').slice(0, 16)} UTC with \`${run.command}\` on this PACS ${run.revision}.`,
    '',
    `**Index: ${c.instances + c.retrieveInstances} instances** (${c.instances} small CT instances in ${c.studies - 1} studies, ` +
      `${c.series - 1} series, ${c.patients - 1} patients, and the retrieve series of ${c.retrieveInstances} instances of ` +
      `512×512×16 bits in a study of its own; ${f0(c.bytes / MB)} MB of DICOM files).${size}`,
    '',
    '| machine and software | |',
    '|---|---|',
    `| this PACS | ${run.revision} |`,
    `| CPU | ${m.cpu} |`,
    `| memory | ${m.memory} |`,
    `| kernel | ${m.kernel} |`,
    `| load average (1 min) | ${run.load} (other work on the machine included) |`,
    `| temp folder (storage of both servers) | \`${m.disk.replace(/\s+/g, ' ')}\` |`,
    `| Node.js | ${m.node} |`,
    `| Orthanc | ${m.orthanc} (Debian package, DICOMweb plugin from orthanc-dicomweb) |`,
    '',
    '#### Loading the index',
    '',
    load,
    '',
    '#### QIDO-RS study search',
    '',
    `${run.queries} requests per search and server, after ${run.warmup} of each not counted; one client, one request at a ` +
      'time, the two servers alternating request by request. Times in ms, to the last byte of the answer.',
    `Name prefixes asked: ${list(run.namePrefixes)}.` +
      (ex.nonAscii.length > 0
        ? ` Left out as Orthanc's DICOMweb plugin finds nothing for them (a letter outside ASCII; its \`/tools/find\` ` +
          `and this PACS do find them): ${list(ex.nonAscii)}.`
        : '') +
      (ex.tooMany.length > 0 ? ` Left out as they match more than 1000 studies: ${list(ex.tooMany)}.` : '') +
      (ex.folding.length > 0 ? ` Left out as their matches change with accents folded: ${list(ex.folding)}.` : ''),
    '',
    qido,
    '',
    '#### C-FIND study level (Study Root)',
    '',
    ...(findUnavailable.length > 0 ? [findUnavailable.join(' '), ''] : []),
    ...(find
      ? [
          'The same searches as QIDO-RS, over one association per server kept open for all requests; time from the ' +
            'C-FIND-RQ to the final response.',
          '',
          find,
          '',
        ]
      : []),
    '#### WADO-RS retrieve of the series',
    '',
    retrieve,
    '',
    '#### Ingest-to-queryable lag',
    '',
    lag,
    '',
    '#### Where this PACS is slower',
    '',
    ...(slower.length === 0
      ? ['Nowhere in this run (by more than 5 %).']
      : slower.map((s) => `- **${s.what}**: ${s.detail}.`)),
    QUERY_END,
  ].join('\n');
}
