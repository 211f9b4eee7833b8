// docs/benchmarks.md: the method, the machine, the results (medians, spreads, ratios) and caveats.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { STORESCU_FLAGS } from './measure';
import { QUERY_BEGIN, QUERY_END } from './query-report';
import { STORESCP_FLAGS, type TargetName } from './targets';

export type Path = 'dimse' | 'stow';

/** One measurement: one target, one path, one round, on a fresh target. */
export interface Sample {
  readonly target: TargetName;
  readonly path: Path;
  readonly round: number;
  seconds: number;
  readonly instances: number;
  readonly bytes: number;
  /** Of the server process: VmHWM at the end, CPU (user + system) used during the measurement. */
  peakRssBytes: number;
  cpuSeconds: number;
  /** This PACS: rows of audit_records in its audit.sqlite after the transfer (see main.ts). */
  auditRecords?: number;
  /** With auditing: the records expected (the application's start and the transfer's). */
  auditExpected?: number;
  /** With auditing: seconds from the end of the transfer until audit.sqlite held them all. */
  auditCatchUpSeconds?: number;
  ok: boolean;
  error?: string;
}

export interface LargeResult {
  readonly path: Path;
  readonly size: number;
  readonly frames: number;
  seconds: number;
  peakRssBytes: number;
  storedSize?: number;
  check?: string;
  sizeMatches?: boolean;
  shaMatches?: boolean;
  ok: boolean;
  error?: string;
}

export interface RunInfo {
  readonly date: string;
  readonly command: string;
  /** The PACS revision measured. */
  readonly revision: string;
  /** 1-minute load average of the machine at the start and at the end of the run. */
  readonly load: string;
  readonly machine: Record<'cpu' | 'memory' | 'kernel' | 'node' | 'orthanc' | 'dcmtk' | 'disk', string>;
  readonly instances: number;
  readonly corpusBytes: number;
  readonly rounds: number;
  readonly only?: Path;
  readonly skipOrthanc: boolean;
  /** `--skip-audit-cost`: this PACS with auditing off not measured. */
  readonly skipAuditCost: boolean;
  readonly largeOnly: boolean;
  readonly profiled: boolean;
}

const NAMES: Record<TargetName, string> = {
  pacs: 'this PACS (embedded)',
  'pacs-unaudited': 'this PACS, auditing off',
  orthanc: 'Orthanc',
  storescp: 'DCMTK storescp',
};
const PATHS = { dimse: 'C-STORE', stow: 'STOW-RS' };
/** The most auditing may cost ingest (instances/s), as a fraction. */
const AUDIT_COST_TARGET = 0.05;
/** Orthanc and storescp as measured when issue 3 was written, before this PACS existed. */
const ISSUE = { orthanc: { dimse: 145, stow: 106 }, storescp: { dimse: 627 } };
const MB = 1e6;
const MIB = 2 ** 20;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

interface Summary {
  readonly ok: number;
  readonly of: number;
  readonly rate: number;
  readonly min: number;
  readonly max: number;
  readonly seconds: number;
  readonly mbps: number;
  readonly cpu: number;
  readonly rss: number;
}

function summarize(samples: readonly Sample[]): Summary | undefined {
  const ok = samples.filter((s) => s.ok);
  if (ok.length === 0) return undefined;
  const rates = ok.map((s) => s.instances / s.seconds);
  return {
    ok: ok.length,
    of: samples.length,
    rate: median(rates),
    min: Math.min(...rates),
    max: Math.max(...rates),
    seconds: median(ok.map((s) => s.seconds)),
    mbps: median(ok.map((s) => s.bytes / MB / s.seconds)),
    cpu: median(ok.map((s) => s.cpuSeconds)),
    rss: Math.max(...ok.map((s) => s.peakRssBytes)),
  };
}

const f0 = (n: number) => n.toFixed(0);
const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);
const ratio = (a: Summary | undefined, b: Summary | undefined) => (a && b ? `${f2(a.rate / b.rate)}×` : '–');

const LARGE_BEGIN = '<!-- bench:large:begin -->';
const LARGE_END = '<!-- bench:large:end -->';
const CORPUS_BEGIN = '<!-- bench:corpus:begin -->';
const CORPUS_END = '<!-- bench:corpus:end -->';
const CORPUS_NOT_RUN = `${CORPUS_BEGIN}\nNot run yet: \`npm run bench\`.\n${CORPUS_END}`;
const LARGE_NOT_RUN = `${LARGE_BEGIN}\nNot run yet: \`npm run bench -- --large-only\` (or \`--large\` with the corpus runs).\n${LARGE_END}`;

function between(text: string, begin: string, end: string): string | undefined {
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  return a >= 0 && b > a ? text.slice(a, b + end.length) : undefined;
}

function resultsTable(info: RunInfo, samples: readonly Sample[]): { table: string; ratios: string; rounds: string } {
  const groups = new Map<string, Sample[]>();
  for (const s of samples) groups.set(`${s.target} ${s.path}`, [...(groups.get(`${s.target} ${s.path}`) ?? []), s]);
  const get = (target: Sample['target'], path: Path) => summarize(groups.get(`${target} ${path}`) ?? []);

  const table = [
    '| target | path | rounds ok | median time (s) | instances/s: median (min–max) | spread | MB/s (median) | server CPU (s, median) | server peak RSS (MiB, max) |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const [key, group] of groups) {
    const [target, path] = key.split(' ') as [Sample['target'], Path];
    const s = summarize(group);
    const label = `${NAMES[target]} | ${PATHS[path]}`;
    if (!s) {
      table.push(`| ${label} | 0/${group.length} | failed | – | – | – | – | – |`);
      continue;
    }
    const spread = `±${f0(((s.max - s.min) / 2 / s.rate) * 100)} %`;
    table.push(
      `| ${label} | ${s.ok}/${s.of} | ${f2(s.seconds)} | **${f0(s.rate)}** (${f0(s.min)}–${f0(s.max)}) | ${spread} | ` +
        `${f1(s.mbps)} | ${f1(s.cpu)} | ${f0(s.rss / MIB)} |`,
    );
  }

  const ratios = [
    '| path | this PACS (inst/s) | Orthanc (inst/s) | storescp (inst/s) | ours / Orthanc | ours / Orthanc, round by round | ours / storescp | issue 3 goal: ≥ 2× Orthanc (not done below 1×) |',
    '|---|---|---|---|---|---|---|---|',
  ];
  // The targets run one after the other within a round: their ratio in one round is less exposed
  // to the machine's slow phases than the ratio of the medians.
  const perRound = (path: Path) => {
    const values: string[] = [];
    for (let round = 1; round <= info.rounds; round++) {
      const ours = samples.find((s) => s.target === 'pacs' && s.path === path && s.round === round);
      const other = samples.find((s) => s.target === 'orthanc' && s.path === path && s.round === round);
      if (ours?.ok && other?.ok) values.push(f2(other.seconds / ours.seconds));
    }
    return values.length > 0 ? values.join(', ') : '–';
  };
  for (const path of ['dimse', 'stow'] as const) {
    if (info.only && info.only !== path) continue;
    const ours = get('pacs', path);
    const orthanc = get('orthanc', path);
    const scp = path === 'dimse' ? get('storescp', path) : undefined;
    const verdict = info.skipOrthanc
      ? 'not measured (Orthanc skipped)'
      : ours && orthanc
        ? ours.rate >= 2 * orthanc.rate
          ? 'met'
          : ours.rate >= orthanc.rate
            ? 'not met (between 1× and 2×)'
            : 'not met (below 1×)'
        : 'not measured';
    ratios.push(
      `| ${PATHS[path]} | ${ours ? f0(ours.rate) : '–'} | ${info.skipOrthanc ? 'skipped' : orthanc ? f0(orthanc.rate) : '–'} | ` +
        `${path === 'dimse' ? (scp ? f0(scp.rate) : '–') : 'n/a'} | ${info.skipOrthanc ? 'skipped' : ratio(ours, orthanc)} | ` +
        `${info.skipOrthanc ? 'skipped' : perRound(path)} | ` +
        `${path === 'dimse' ? ratio(ours, scp) : 'n/a'} | ${verdict} |`,
    );
  }

  const rounds = [
    '| round | target | path | s | instances/s | MB/s | server CPU s | peak RSS MiB | result |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const s of [...samples].sort((a, b) => a.round - b.round)) {
    rounds.push(
      `| ${s.round} | ${NAMES[s.target]} | ${PATHS[s.path]} | ${f2(s.seconds)} | ${f0(s.instances / s.seconds)} | ` +
        `${f1(s.bytes / MB / s.seconds)} | ${f1(s.cpuSeconds)} | ${f0(s.peakRssBytes / MIB)} | ` +
        `${s.ok ? 'ok' : `FAILED: ${(s.error ?? '').replace(/\s+/g, ' ').replace(/\|/g, '/').slice(0, 300)}`} |`,
    );
  }
  return { table: table.join('\n'), ratios: ratios.join('\n'), rounds: rounds.join('\n') };
}

/**
 * An interval that holds the median of the distribution the values were drawn from with at least
 * `confidence` (distribution-free: order statistics, binomial with p = ½); undefined with too few
 * values (fewer than 5 for 90 %).
 */
function medianInterval(values: readonly number[], confidence: number): [number, number] | undefined {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  let choose = 1; // C(n, i)
  let below = 0; // P(Binomial(n, ½) < k)
  let found: number | undefined;
  for (let k = 1; 2 * k <= n; k++) {
    below += choose / 2 ** n;
    choose = (choose * (n - k + 1)) / k;
    if (1 - 2 * below < confidence) break;
    found = k;
  }
  return found === undefined ? undefined : [sorted[found - 1]!, sorted[n - found]!];
}

/**
 * "Cost of auditing": this PACS with auditing and without, per path; the ratio of the two in each
 * round (they run one right after the other), its median over the rounds, the cost (1 − ratio)
 * with an interval, against the target; then the audit records each measurement left.
 */
function auditCostTables(info: RunInfo, samples: readonly Sample[]): string {
  const of = (target: TargetName, path: Path) => samples.filter((s) => s.target === target && s.path === path);
  const pct = (fraction: number) => `${(fraction * 100).toFixed(1).replace('-', '−')} %`;
  const target = pct(AUDIT_COST_TARGET).replace('.0 ', ' ');
  const cost = [
    '| path | with auditing: instances/s (median) | auditing off: instances/s (median) | with ÷ without, round by round | ratio (median of the rounds) | cost of auditing (1 − ratio) | cost, 90 % interval | server CPU, with ÷ without (median of the rounds) | target: cost ≤ 5 % |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  const records = [
    '| path | with auditing: records in audit.sqlite, round by round | expected per round | all written, seconds after the transfer | auditing off: records |',
    '|---|---|---|---|---|',
  ];
  for (const path of ['dimse', 'stow'] as const) {
    if (info.only && info.only !== path) continue;
    const audited = of('pacs', path);
    const unaudited = of('pacs-unaudited', path);
    const withAudit = summarize(audited);
    const without = summarize(unaudited);
    const ratios: number[] = [];
    const cpuRatios: number[] = [];
    for (let round = 1; round <= info.rounds; round++) {
      const a = audited.find((s) => s.round === round);
      const u = unaudited.find((s) => s.round === round);
      if (!a?.ok || !u?.ok) continue;
      // Same corpus: the ratio of the rates is the inverse ratio of the times.
      ratios.push(u.seconds / a.seconds);
      if (u.cpuSeconds > 0) cpuRatios.push(a.cpuSeconds / u.cpuSeconds);
    }
    let verdict = 'not measured';
    let columns = '– | – | – | – | –';
    if (ratios.length > 0) {
      const r = median(ratios);
      const interval = medianInterval(ratios, 0.9);
      // The cost's interval: 1 − the ratio's, bounds swapped.
      const [low, high] = interval ? [1 - interval[1], 1 - interval[0]] : [NaN, NaN];
      const byMedian = 1 - r <= AUDIT_COST_TARGET ? 'met' : 'not met';
      const spread = (Math.max(...ratios) - Math.min(...ratios)) / 2 / r;
      verdict = !interval
        ? `${byMedian} by the median; too few rounds for an interval (5 at least)`
        : high <= AUDIT_COST_TARGET
          ? 'met'
          : low > AUDIT_COST_TARGET
            ? 'not met'
            : `${byMedian} by the median, **not conclusive**: the interval includes ${target} ` +
              `(the ratios spread ±${f0(spread * 100)} % from round to round)`;
      columns =
        `${ratios.map(f2).join(', ')} | **${f2(r)}** | **${pct(1 - r)}** | ` +
        `${interval ? `${pct(low)} to ${pct(high)}` : '–'} | ${cpuRatios.length > 0 ? f2(median(cpuRatios)) : '–'}`;
    }
    cost.push(
      `| ${PATHS[path]} | ${withAudit ? f0(withAudit.rate) : '–'} | ${without ? f0(without.rate) : '–'} | ${columns} | ${verdict} |`,
    );
    const list = (values: readonly (number | undefined)[], format: (n: number) => string) =>
      values.length > 0 ? values.map((v) => (v === undefined ? '–' : format(v))).join(', ') : '–';
    const expected = [...new Set(audited.map((s) => s.auditExpected).filter((n) => n !== undefined))];
    records.push(
      `| ${PATHS[path]} | ${list(
        audited.map((s) => s.auditRecords),
        String,
      )} | ${expected.length > 0 ? expected.join(', ') : '–'} | ${list(
        audited.map((s) => s.auditCatchUpSeconds),
        f1,
      )} | ${list(
        unaudited.map((s) => s.auditRecords),
        String,
      )} |`,
    );
  }
  return [
    cost.join('\n'),
    '',
    'Ratio: instances/s of this PACS with auditing ÷ without, in the same round (the two run one ' +
      'right after the other, the first of the two alternating from round to round), median of the rounds; ' +
      'rounds where either failed are left out. "Auditing off" is the same build started with ' +
      '`PACS_AUDIT_ENABLED=false` (every audit event dropped, nothing written to `audit.sqlite`). ' +
      "90 % interval: between two order statistics of the rounds' ratios, an interval that holds " +
      'their true median with at least 90 % confidence whatever their distribution (5 rounds: the ' +
      'lowest and highest ratio); the target is met when the whole interval is at most 5 %, not met ' +
      'when it is all above, not conclusive otherwise. Server CPU: user + system seconds of the ' +
      'server during the transfer, with auditing ÷ without, per round.',
    '',
    records.join('\n'),
    '',
    'Records: rows of `audit_records` in `<data>/audit.sqlite`, read (read-only) after the transfer, ' +
      'waiting until the audit service has appended every record expected (at most 30 s): the ' +
      `application's start, and for C-STORE the association's log-on, one "instances transferred" ` +
      'per study and its log-off, for STOW-RS one "instances transferred" per study of each request. ' +
      'A measurement with auditing that leaves no record, or fewer than expected, fails; so does one ' +
      'with auditing off that leaves any. The time the audit service takes after the transfer is not ' +
      'in the figures (as for the indexer, it works after the answer).',
  ].join('\n');
}

function largeSection(info: RunInfo, large: readonly LargeResult[]): string {
  const rows = [
    '| path | sent (bytes) | time (s) | MB/s | stored (bytes) | compared | size equal | SHA-256 equal | server peak RSS (MiB) | result |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const l of large) {
    rows.push(
      `| ${PATHS[l.path]} | ${l.size} (${(l.size / 2 ** 30).toFixed(2)} GiB, ${l.frames} frames) | ${f1(l.seconds)} | ` +
        `${f1(l.size / MB / l.seconds)} | ${l.storedSize ?? '–'} | ${l.check ?? '–'} | ${l.sizeMatches ?? '–'} | ` +
        `${l.shaMatches ?? '–'} | ${f0(l.peakRssBytes / MIB)} | ` +
        `${l.ok ? 'ok' : `FAILED: ${(l.error ?? '').replace(/\s+/g, ' ').replace(/\|/g, '/').slice(0, 400)}`} |`,
    );
  }
  const rssOk = large.every((l) => l.ok && l.peakRssBytes < 512 * MIB);
  return [
    LARGE_BEGIN,
    `Measured ${info.date.replace('T', ' ').slice(0, 16)} UTC with \`${info.command}\` on this PACS ${info.revision}, ` +
      'into a fresh PACS each time.',
    '',
    rows.join('\n'),
    '',
    `Target: stored bytes identical to the sent bytes, peak RSS under 512 MiB: **${rssOk ? 'met' : 'not met'}**.`,
    LARGE_END,
  ].join('\n');
}

/** Writes the report; returns its result tables (for the console). */
export function writeReport(
  out: string,
  info: RunInfo,
  samples: readonly Sample[],
  large: readonly LargeResult[] | undefined,
): string {
  const previous = existsSync(out) ? readFileSync(out, 'utf8') : '';
  const { table, ratios, rounds } = resultsTable(info, samples);
  const auditCost = info.skipAuditCost ? undefined : auditCostTables(info, samples);
  const m = info.machine;
  const corpusSection = info.largeOnly
    ? (headingsOf(between(previous, CORPUS_BEGIN, CORPUS_END)) ?? CORPUS_NOT_RUN)
    : [
        CORPUS_BEGIN,
        `Measured ${info.date.replace('T', ' ').slice(0, 16)} UTC with \`${info.command}\`: ${info.instances} instances ` +
          `(${f0(info.corpusBytes / MB)} MB), ${info.rounds} round(s), each target started fresh for each measurement.` +
          (info.skipOrthanc
            ? ' **Orthanc was skipped (`--skip-orthanc`): no comparison with Orthanc in this run.**'
            : '') +
          (info.only ? ` **Only ${PATHS[info.only]} was measured (\`--only ${info.only}\`).**` : '') +
          (info.skipAuditCost
            ? ' **This PACS with auditing off was skipped (`--skip-audit-cost`): no cost of auditing in this run.**'
            : '') +
          (info.profiled ? ' **This PACS ran with `--cpu-prof`: its figures include the profiler overhead.**' : ''),
        '',
        '| machine and software | |',
        '|---|---|',
        `| this PACS | ${info.revision} |`,
        `| CPU | ${m.cpu} |`,
        `| memory | ${m.memory} |`,
        `| kernel | ${m.kernel} |`,
        `| load average (1 min) | ${info.load} (other work on the machine included) |`,
        `| temp folder (storage of every target) | \`${m.disk.replace(/\s+/g, ' ')}\` |`,
        `| Node.js | ${m.node} |`,
        `| Orthanc | ${m.orthanc} (Debian package, DICOMweb plugin from orthanc-dicomweb) |`,
        `| DCMTK | ${m.dcmtk.replace(/\$/g, '').trim()} |`,
        '',
        '#### Results',
        '',
        table,
        '',
        '#### Side by side',
        '',
        ratios,
        '',
        `Issue 3's reference figures, measured on another occasion before this PACS existed: Orthanc ` +
          `${ISSUE.orthanc.dimse}/s by C-STORE and ${ISSUE.orthanc.stow}/s by STOW-RS, storescp ${ISSUE.storescp.dimse}/s.`,
        '',
        ...(auditCost ? ['#### Cost of auditing', '', auditCost, ''] : []),
        '<details><summary>Every round</summary>',
        '',
        rounds,
        '',
        '</details>',
        CORPUS_END,
      ].join('\n');
  const large_ =
    large !== undefined ? largeSection(info, large) : (between(previous, LARGE_BEGIN, LARGE_END) ?? LARGE_NOT_RUN);

  writeFileSync(
    out,
    renderDocument({
      corpus: corpusSection,
      large: large_,
      query: between(previous, QUERY_BEGIN, QUERY_END) ?? QUERY_NOT_RUN,
    }),
  );
  return [
    ...(info.largeOnly ? [] : [table, '', ratios, '', ...(auditCost ? [auditCost, ''] : [])]),
    ...(large ? [large_] : []),
  ].join('\n');
}

/** The whole document: the fixed text of both suites around the sections of the last runs. */
function renderDocument(sections: { corpus: string; large: string; query: string }): string {
  return `# Benchmarks

Two suites, both run by \`npm run bench\` (\`tools/bench/\`), each measuring this PACS side by side
with Orthanc on the same machine in the same run:

- [**Ingest**](#ingest) (issue 3, the default suite): how fast images are received, by C-STORE and
  STOW-RS, against Orthanc and DCMTK's \`storescp\`.
- [**Query and retrieve**](#query-and-retrieve) (\`--suite query\`): study search by QIDO-RS and
  C-FIND, WADO-RS retrieve of a series, and the lag from a STOW-RS answer until its instances are
  found, on an index of 100,000 instances.

A run replaces the results of its own suite below and keeps those of the other.

## Ingest

How fast this PACS receives images, compared with Orthanc and with DCMTK's \`storescp\`, on the
same machine in the same run (issue 3), and what its audit trail costs: the same PACS measured
with auditing off beside it.

### How to reproduce

\`\`\`sh
npm install
apt-get install dcmtk orthanc orthanc-dicomweb   # Debian; the benchmark uses /usr/sbin/Orthanc
npm run bench                                    # 1000 instances, 3 rounds, every target (~5 min)
npm run bench -- --ref HEAD                      # a committed revision, built apart from the working tree
npm run bench -- --skip-orthanc --rounds 1       # quick run; the report then says Orthanc was skipped
npm run bench -- --skip-audit-cost               # without the target pacs-unaudited (no cost of auditing)
npm run bench -- --only dimse                    # or --only stow: one path
npm run bench -- --instances 200                 # another corpus size
npm run bench -- --large-only                    # the > 2 GiB instance only (~5 GB of disk, minutes)
npm run bench -- --large                         # everything
\`\`\`

Options: \`--out FILE\` writes the report elsewhere; \`--cpu-prof DIR\` runs this PACS under the V8
profiler (\`.cpuprofile\` files in DIR, to open in Chrome DevTools). Generated inputs are cached
in \`$TMPDIR/pacs-bench/\` (default \`/tmp/pacs-bench/\`), keyed by their parameters; delete that
folder to get rid of them.

### What is measured

- **Corpus**: synthetic CT images (\`ctInstanceFile\` of \`@pacs/dicom/testing\`: about 110
  elements as scanners write them, then 512×512 16-bit pixel data, ~0.5 MB per file, Explicit VR
  Little Endian), spread over 10 studies × 2 series, generated before anything is timed.
- **Targets**, one after the other, never two at once, each started fresh on 127.0.0.1 with empty
  storage in the temp folder for every measurement, and stopped (its storage deleted) after it:
  - **this PACS**, embedded shape: \`node dist/apps/pacs/src/main.js\` after \`npm run build\`,
    with \`PACS_LOG_LEVEL=warn\`, otherwise defaults (SQLite event log, blobs on the local disk,
    auditing on: \`PACS_AUDIT_ENABLED=true\`, the audit trail in \`<data>/audit.sqlite\`); ready
    when \`/health/ready\` answers 200.
  - **this PACS, auditing off** (target \`pacs-unaudited\`; left out with \`--skip-audit-cost\`):
    the same build started the same way with \`PACS_AUDIT_ENABLED=false\`, which drops every audit
    event (nothing published, nothing appended); measured right before or after this PACS in each
    round (which first alternates), to give what auditing costs (the issue's target: at most 5 %
    of the instances/s).
  - **Orthanc** (Debian package) with a generated configuration: SQLite index (its default),
    \`StorageCompression false\`, \`DicomCheckCalledAet false\`, DICOMweb plugin on \`/dicom-web/\`,
    everything else at Orthanc's defaults (\`SyncStorageArea true\`, \`StoreMD5ForAttachments
    true\`, \`ConcurrentJobs\` 2, maximum PDU 16 KiB); ready when \`/system\` answers 200.
  - **DCMTK storescp** (C-STORE only), the ceiling "bytes to disk, no index, no fsync":
    \`storescp ${STORESCP_FLAGS.join(' ')} -od <dir> -aet STORESCP <port>\` (\`+B\`: writes the data set as
    received, without decoding it; it measured a little faster than without it, \`--max-pdu 131072\`
    made no measurable difference and is not used); ready when it answers C-ECHO.
- **C-STORE**: DCMTK \`storescu ${STORESCU_FLAGS.join(' ')} -aet BENCH -aec <AE> +sd +r 127.0.0.1 <port> <corpus>\`,
  one association for the whole corpus (\`-R\`: only the presentation contexts the files need),
  one operation at a time, halting at the first failure (storescu's default), with \`TCP_NODELAY=1\` (for
  Orthanc and storescp too, which also use DCMTK's network layer); timed from spawning storescu to
  its exit (so it includes storescu reading the files and negotiating the association). Passed when
  storescu exits 0 and every instance is stored.
- **STOW-RS**: requests of 50 instances (\`multipart/related; type="application/dicom"\`), one after
  the other from this benchmark's process (Node's fetch, one request in flight), bodies built in
  memory before the clock starts; every answer must be 200 and every instance stored.
- **Stored count**: this PACS, files under \`<data>/blobs/hot/default/**.dcm\`; Orthanc,
  \`CountInstances\` of \`GET /statistics\`; storescp, files in its output folder.
- **Audit records** (this PACS): after the transfer, the rows of \`audit_records\` in
  \`<data>/audit.sqlite\` (opened read-only, before the PACS is stopped), once the audit service has
  appended every record expected: the application's start, then for C-STORE the association's
  log-on, one "instances transferred" per study and its log-off, for STOW-RS one "instances
  transferred" per study of each request. With auditing, no record or fewer than expected within
  30 s fails the measurement; auditing off, any record does.
- **Figures**: instances/s and MB/s (corpus bytes / time); the median of the rounds and the
  range (min–max; "spread" is half that range relative to the median); the server's CPU time
  during the measurement (user + system, from \`/proc/<pid>/stat\`) and its peak resident set size
  (\`VmHWM\` of \`/proc/<pid>/status\`, read just before it is stopped). The rounds interleave the
  targets (round 1 of each, then round 2, ...), so that a slow phase of the machine affects all.
- **Large object** (\`--large\`): one Multi-frame Grayscale Word Secondary Capture instance of
  4200 frames of 512×512×16 bits (2.2 GB, over 2 GiB), generated streaming to a file; sent once by
  STOW-RS (one request, body streamed from the file) and once by storescu, each into a fresh PACS.
  The stored blob must equal what was sent: the whole file for STOW-RS; for C-STORE the data set
  (the PACS writes its own meta group), both compared by size and SHA-256 computed streaming.

### Results

${sections.corpus}

### Large object (over 2 GiB)

${sections.large}

### Where the C-STORE time goes

One association, one operation at a time: storescu sends the next instance only after the answer
to the previous one, so the rate is one over the time of one round trip, and every sync this PACS
makes before answering is in it. Measured once on the reference machine with temporary timers
in the server (1000 instances, 6.3 s, per instance on average), at a revision (1859d0b) that kept
an instance's copies in its series folder and ran no indexer:

| step | ms |
|---|---|
| from the C-STORE request to a parsed header (first bytes of the data set) | 0.5 |
| the rest of the data set arriving, written as it arrives | 1.7 |
| last write after the end of the data set | 0.5 |
| fdatasync of the file | 1.1 |
| rename into the series folder, fsync of the folder | 0.45 |
| instance lock, list of the instance's other copies (duplicates) | 0.4 |
| \`instance.stored\` committed and the WAL fdatasynced | 1.4 |
| from the answer to the next request (storescu reads and sends the next file) | 1.0 |

The three syncs one after the other (3 ms of about 7) are what the durability rule costs: the
file must be durable before its name, and the name before the event that announces it, or a
crash could leave an announced instance without its bytes. Each instance now has a folder of its
own: one more folder sync, made while the data is written, so that listing an instance's copies
(for duplicates) reads only them, not the whole series (3000 names take about 5 ms to read).
Orthanc makes one sync per instance and none for its index or directories. STOW-RS has no such chain: the parts of a request are
stored up to 8 at once, and their syncs overlap.

### Caveats

- **Shared machine.** The benchmark runs on whatever else the machine is doing (on the reference
  machine: 2 cores shared with other work); the spread column says how much the rounds differed.
  Compare figures of the same run only; the issue's reference figures were measured on another
  occasion.
- **Loopback.** Client and server share the 2 cores and there is no network latency: storescu and
  the STOW-RS client take CPU away from the server, which a real modality would not.
- **Durability differs** (what each target has done when it answers success; the fsync counts were
  observed with \`strace -f\` over 200 instances, with the versions above):
  - **this PACS**: writes the instance to a temporary file and fdatasyncs it, renames it into
    its own instance folder and fsyncs that folder (the new folder's entry in its series folder is
    synced while the data is written), then commits the \`instance.stored\` event to the SQLite
    event log and fdatasyncs its WAL (one sync covers every event committed meanwhile: with one
    association that is one per instance, with STOW-RS parts in flight fewer); only then does the
    C-STORE response or the STOW-RS answer go out: 4 syncs per instance, 3 of them one after the
    other, each of which must reach the disk. The indexer runs in the same process and consumes
    each event after the answer: its SQLite index and its \`instance.indexed\` event sync too
    (200 instances by C-STORE, indexer included: 801 fdatasync, 413 fsync), on the same cores;
    Orthanc indexes each instance before answering.
  - **Orthanc 1.10** (defaults): parses the whole instance, writes the file and fdatasyncs it
    (\`SyncStorageArea\`), computes its MD5 (\`StoreMD5ForAttachments\`) and indexes it in its
    SQLite database before answering; that database is in WAL mode and synced only now and then
    (15 syncs for 200 instances), and directories are not synced: about 1 sync per instance. An
    instance whose file is durable may still be missing from the index after a power loss.
  - **storescp**: writes each file with buffered writes, **no fsync** at all, and keeps no index;
    the bytes may still be in the page cache when it answers. It is the ceiling of the C-STORE
    path, not a like-for-like competitor.
- **PDU size.** This PACS offers a 256 KiB maximum PDU, Orthanc and storescp 16 KiB (their
  defaults); storescu sends PDUs up to what the receiver offers.
- **Cache.** The corpus is read from the page cache (it was just generated or read by the previous
  measurement); every target writes to the same filesystem, the temp folder.
- **Cost of auditing.** On the reference machine the rounds differ by more than the 5 % judged
  (other work shares the 2 cores): the median of the rounds says whether the target is met, its
  interval whether that is conclusive. What auditing adds to the server's work was measured once
  apart, with V8 CPU profiles (\`--cpu-prof\`) of one transfer of the 1000 instances per path with
  and without auditing (at 6457af5): the audit code (the audit trail's publications, the
  "instances transferred" records, their append to the SHA-256 chain in \`audit.sqlite\`) took about
  50 ms of the server's 8 to 13 s of CPU, under 1 %. No audit record is made per instance: C-STORE
  records the association's log-on, then at its end one record per study and its log-off; STOW-RS
  makes its records (one per study of the request) durable before answering: in this corpus one
  more event log sync per request of 50 instances.

${QUERY_METHOD}

### Results

${sections.query}

${QUERY_CAVEATS}
`;
}

const QUERY_NOT_RUN = `${QUERY_BEGIN}\nNot run yet: \`npm run bench -- --suite query\`.\n${QUERY_END}`;

/** The query suite's fixed text: how to run it and what it measures. */
const QUERY_METHOD = `## Query and retrieve

How fast this PACS answers study searches and retrieves a series, and how soon a stored instance
can be found, compared with Orthanc on the same index, both servers running side by side.

### How to reproduce

\`\`\`sh
npm run bench -- --suite query                    # 100,000 instances; the first run loads both servers (see below)
npm run bench -- --suite query --instances 5000   # a small index, to try things quickly (the report says its size)
npm run bench -- --suite query --reload           # load both servers again instead of using the cached states
npm run bench -- --suite query --queries 500      # more requests per search (default 200, after 20 not counted)
\`\`\`

Other options: \`--warmup N\`, \`--retrieves N\` (default 5), \`--lag-requests N\` and \`--lag-blocks N\`
(default 20 and 2), \`--ref REF\`, \`--out FILE\`. The index corpus and each server's loaded state
are cached in \`$TMPDIR/pacs-bench/\` (at 100,000 instances: 0.6 GB of STOW-RS bodies, 2.5 GB for
this PACS's state, 1.1 GB for Orthanc's). Time on the reference machine at 100,000 instances: the
corpus is generated in about 2 minutes, this PACS loaded in about 12 and Orthanc in about 8 (first
run, or after a change to the state sources of this PACS); then each run copies both states
(about 2 minutes), measures (about 12) and deletes the copies (about 2).

### What is measured

- **Index**: \`--instances N\` small CT instances (default 100,000, the issue's figure):
  \`ctInstanceElements\` of \`@pacs/dicom/testing\` (about 110 elements as scanners write them) with
  16×16 pixel data, about 3 kB each; N/10 patients (PatientID unique per patient; PatientName drawn
  from a list of 78 family and 34 given names, some with accents, Latin-1 with \`ISO_IR 100\`, the
  commonest family name about 3 % of patients), N/5 studies (each patient at least one, the others
  to patients at random), 1 or 2 series per study, the instances spread at random over the series
  (at least one each), StudyDate uniform over 2016–2025. Plus, for the retrieve, one series of 500
  CT instances of 512×512×16 bits (about 262 MB) in a study of its own. Generated once (the layout
  is deterministic for a size, the UIDs random), written as STOW-RS bodies of 50 instances, cached.
- **Loading**: each server, started on empty storage, receives the whole corpus by STOW-RS, 4
  requests in flight. This PACS is loaded once its study search finds every study and instance
  (its indexer follows the stores); Orthanc, once its statistics count every instance. The server
  is stopped and its storage (this PACS's \`PACS_DATA_DIR\`; Orthanc's storage and SQLite index) kept
  in the cache, keyed by the corpus and, for this PACS, by a hash of the sources that decide what
  it writes (\`libs/metadata-index-sqlite/src\`, \`libs/index/src\`, the study record and search
  fields of \`libs/metadata-index\`, the indexed attributes of \`libs/dicom\`,
  \`libs/event-bus-sqlite/src\`, \`libs/blob-store-fs/src\`), for Orthanc by its version: a change there loads again. Each run
  copies each state (\`cp -a\`) to a temporary folder and starts the server on the copy. The load
  table gives how long the load took, in whichever run made it.
- **Servers**: both at once on 127.0.0.1, configured as for the ingest suite (this PACS: embedded
  shape, \`PACS_LOG_LEVEL=warn\`; Orthanc: its defaults, among them \`StorageAccessOnFind Always\`,
  plus \`DicomAlwaysAllowFind true\` so that it answers C-FIND from any AE title, as this PACS does).
  One client, this benchmark's process: one request at a time.
- **QIDO-RS study search**: \`GET /dicomweb/studies?…\` (this PACS) and \`GET /dicom-web/studies?…\`
  (Orthanc's DICOMweb plugin), \`Accept: application/dicom+json\`, no \`includefield\` (each server's
  default attributes), \`Accept-Encoding: identity\` (Orthanc compresses its answers when asked; on
  loopback that only costs time). Three searches: \`PatientID=<id>\` (a patient drawn at random),
  \`PatientName=<prefix>*\` (the first three letters of a family name of the list, drawn at random,
  \`SMI*\` first), \`StudyDate=<first>-<last>\` (a calendar month drawn at random in the ten years).
  Per search, 20 warm-up requests per server not counted, then 200 counted; request i of each
  search goes to both servers, one after the other, the first one alternating, so that a slow phase
  of the machine falls on both. Time from sending the request to the last byte of the answer
  (parsing not included); p50 and p99 by nearest rank; "ours ÷ Orthanc" below 1 means this PACS is
  faster. **Checked**: for every request both servers must find the number of studies the corpus
  holds for that query; a difference fails the run (exit code 1) and is shown in the table. Name
  prefixes that match more than 1000 studies (this PACS's largest answer without paging) or whose
  matches change when accents are folded (Orthanc folds them in some comparisons) are not asked,
  and listed.
- **C-FIND** (Study Root, study level): the same searches, by this project's DIMSE client
  (\`libs/dimse\`), one association per server kept open for every request; identifier:
  \`QueryRetrieveLevel STUDY\`, \`SpecificCharacterSet ISO_IR 100\`, the matching key, and empty
  return keys (StudyInstanceUID, PatientName, PatientID, PatientBirthDate, StudyDate, StudyTime,
  AccessionNumber, StudyDescription, ModalitiesInStudy, NumberOfStudyRelatedInstances); time from
  the request to the final response; the pending responses are the studies counted and checked.
  A server without a C-FIND SCP is reported as not available; the rest of the run goes on.
- **WADO-RS retrieve**: \`GET …/studies/{study}/series/{series}\` with \`Accept: multipart/related;
  type="application/dicom"; transfer-syntax=*\` for the 500-instance series, 5 times per server,
  alternating; MB/s = HTTP body bytes (10^6) / time to the last byte. **Checked**: 500 parts, whose
  bytes add up to the Part 10 files sent.
- **Ingest-to-queryable lag**, last (it adds to the index): per block, a new study of two series,
  20 STOW-RS requests of 50 CT instances of 512×512 (as the ingest suite sends them), one after the
  other; a second loop in the same process asks
  \`studies?StudyInstanceUID=<uid>&includefield=00201208\` every 5 ms. The lag of a request is the
  time from its answer to the answer of the first poll whose NumberOfStudyRelatedInstances counts
  its instances: an upper bound, which includes up to one poll round trip (its median is in the
  table). Two blocks per server, alternating. Orthanc indexes an instance before it answers: its
  lag is that of a poll at most, which shows what the method itself adds.`;

/** The query suite's caveats. */
const QUERY_CAVEATS = `### Caveats

- **Shared machine.** Both servers and the client share 2 cores with whatever else runs; the
  servers are asked in turn, request by request, so that both see the same conditions: the ratios
  mean more than the absolute times. Compare figures of the same run only.
- **Page cache.** Each server's state was copied just before the run: both read their index and
  files from memory, as a server does once warm.
- **Largest answer.** This PACS returns at most 1000 studies per search (with a \`Warning\` header
  when more matched, PS3.18 8.3.4.4), Orthanc has no limit by default: searches are chosen to stay
  below it, so that both answers are complete.
- **Default attributes differ.** Without \`includefield\` each server returns its own default set
  (the answer sizes are in the table); the checks compare the number of studies, not the attributes.
- **Orthanc's settings.** Orthanc runs with its defaults, as a user installs it. Its QIDO-RS (the
  DICOMweb plugin 1.7 on Orthanc 1.10) builds the answer study by study, and \`StorageAccessOnFind
  Always\` lets it read DICOM files meanwhile. Checked by hand once on the 100,000-instance state
  (curl, 3 requests each, not side by side): with \`StorageAccessOnFind Never\` a PatientID search
  took 85–105 ms instead of 200–240 ms, \`SMI*\` 1.3–1.7 s instead of 1.9–2.2 s, a month 0.4–0.6 s
  instead of 0.7–0.9 s: faster, still far from this PACS's figures. Newer Orthanc versions were not
  tried.
- **Lag of Orthanc.** Orthanc's lag is about one poll round trip, which is long while it stores
  (see the poll column): it says more about how fast Orthanc answers a search during ingest than
  about when the instance was indexed, which is before the STOW-RS answer.
- **Synthetic index.** One modality (CT), dates uniform over ten years, names from a short list:
  a real archive's distribution differs, and so could the figures.`;

/** Writes the query suite's section, keeping the ingest suite's sections of the previous report. */
export function writeQueryReport(out: string, querySection: string): void {
  const previous = existsSync(out) ? readFileSync(out, 'utf8') : '';
  writeFileSync(
    out,
    renderDocument({
      corpus: headingsOf(between(previous, CORPUS_BEGIN, CORPUS_END)) ?? CORPUS_NOT_RUN,
      large: between(previous, LARGE_BEGIN, LARGE_END) ?? LARGE_NOT_RUN,
      query: querySection,
    }),
  );
}

/** A corpus section written before both suites shared the document had its headings a level up. */
function headingsOf(section: string | undefined): string | undefined {
  return section?.replace(/^### (Results|Side by side)$/gm, '#### $1');
}
