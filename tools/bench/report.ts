// docs/benchmarks.md: the method, the machine, the results (medians, spreads, ratios) and caveats.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export type Path = 'dimse' | 'stow';

/** One measurement: one target, one path, one round, on a fresh target. */
export interface Sample {
  readonly target: 'pacs' | 'orthanc' | 'storescp';
  readonly path: Path;
  readonly round: number;
  seconds: number;
  readonly instances: number;
  readonly bytes: number;
  /** Of the server process: VmHWM at the end, CPU (user + system) used during the measurement. */
  peakRssBytes: number;
  cpuSeconds: number;
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
  readonly largeOnly: boolean;
  readonly storescuFlags: string;
  readonly storescpFlags: string;
  readonly profiled: boolean;
}

const NAMES = { pacs: 'this PACS (embedded)', orthanc: 'Orthanc', storescp: 'DCMTK storescp' };
const PATHS = { dimse: 'C-STORE', stow: 'STOW-RS' };
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
  const m = info.machine;
  const corpusSection = info.largeOnly
    ? (between(previous, CORPUS_BEGIN, CORPUS_END) ?? `${CORPUS_BEGIN}\nNot run yet: \`npm run bench\`.\n${CORPUS_END}`)
    : [
        CORPUS_BEGIN,
        `Measured ${info.date.replace('T', ' ').slice(0, 16)} UTC with \`${info.command}\`: ${info.instances} instances ` +
          `(${f0(info.corpusBytes / MB)} MB), ${info.rounds} round(s), each target started fresh for each measurement.` +
          (info.skipOrthanc
            ? ' **Orthanc was skipped (`--skip-orthanc`): no comparison with Orthanc in this run.**'
            : '') +
          (info.only ? ` **Only ${PATHS[info.only]} was measured (\`--only ${info.only}\`).**` : '') +
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
        '### Results',
        '',
        table,
        '',
        '### Side by side',
        '',
        ratios,
        '',
        `Issue 3's reference figures, measured on another occasion before this PACS existed: Orthanc ` +
          `${ISSUE.orthanc.dimse}/s by C-STORE and ${ISSUE.orthanc.stow}/s by STOW-RS, storescp ${ISSUE.storescp.dimse}/s.`,
        '',
        '<details><summary>Every round</summary>',
        '',
        rounds,
        '',
        '</details>',
        CORPUS_END,
      ].join('\n');
  const large_ =
    large !== undefined
      ? largeSection(info, large)
      : (between(previous, LARGE_BEGIN, LARGE_END) ??
        `${LARGE_BEGIN}\nNot run yet: \`npm run bench -- --large-only\` (or \`--large\` with the corpus runs).\n${LARGE_END}`);

  const doc = `# Ingest benchmark

How fast this PACS receives images, compared with Orthanc and with DCMTK's \`storescp\`, on the
same machine in the same run (issue 3). Generated by \`npm run bench\` (\`tools/bench/\`); the
tables below are replaced by each run.

## How to reproduce

\`\`\`sh
npm install
apt-get install dcmtk orthanc orthanc-dicomweb   # Debian; the benchmark uses /usr/sbin/Orthanc
npm run bench                                    # 1000 instances, 3 rounds, every target (~5 min)
npm run bench -- --ref HEAD                      # a committed revision, built apart from the working tree
npm run bench -- --skip-orthanc --rounds 1       # quick run; the report then says Orthanc was skipped
npm run bench -- --only dimse                    # or --only stow: one path
npm run bench -- --instances 200                 # another corpus size
npm run bench -- --large-only                    # the > 2 GiB instance only (~5 GB of disk, minutes)
npm run bench -- --large                         # everything
\`\`\`

Options: \`--out FILE\` writes the report elsewhere; \`--cpu-prof DIR\` runs this PACS under the V8
profiler (\`.cpuprofile\` files in DIR, to open in Chrome DevTools). Generated inputs are cached
in \`$TMPDIR/pacs-bench/\` (default \`/tmp/pacs-bench/\`), keyed by their parameters; delete that
folder to get rid of them.

## What is measured

- **Corpus**: synthetic CT images (\`ctInstanceFile\` of \`@pacs/dicom/testing\`: about 110
  elements as scanners write them, then 512×512 16-bit pixel data, ~0.5 MB per file, Explicit VR
  Little Endian), spread over 10 studies × 2 series, generated before anything is timed.
- **Targets**, one after the other, never two at once, each started fresh on 127.0.0.1 with empty
  storage in the temp folder for every measurement, and stopped (its storage deleted) after it:
  - **this PACS**, embedded shape: \`node dist/apps/pacs/src/main.js\` after \`npm run build\`,
    with \`PACS_LOG_LEVEL=warn\`, otherwise defaults (SQLite event log, blobs on the local disk);
    ready when \`/health/ready\` answers 200.
  - **Orthanc** (Debian package) with a generated configuration: SQLite index (its default),
    \`StorageCompression false\`, \`DicomCheckCalledAet false\`, DICOMweb plugin on \`/dicom-web/\`,
    everything else at Orthanc's defaults (\`SyncStorageArea true\`, \`StoreMD5ForAttachments
    true\`, \`ConcurrentJobs\` 2, maximum PDU 16 KiB); ready when \`/system\` answers 200.
  - **DCMTK storescp** (C-STORE only), the ceiling "bytes to disk, no index, no fsync":
    \`storescp ${info.storescpFlags} -od <dir> -aet STORESCP <port>\` (\`+B\`: writes the data set as
    received, without decoding it; it measured a little faster than without it, \`--max-pdu 131072\`
    made no measurable difference and is not used); ready when it answers C-ECHO.
- **C-STORE**: DCMTK \`storescu ${info.storescuFlags} -aet BENCH -aec <AE> +sd +r 127.0.0.1 <port> <corpus>\`,
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

## Results

${corpusSection}

## Large object (over 2 GiB)

${large_}

## Where the C-STORE time goes

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

## Caveats

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
`;
  writeFileSync(out, doc);
  return [...(info.largeOnly ? [] : [table, '', ratios, '']), ...(large ? [large_] : [])].join('\n');
}
