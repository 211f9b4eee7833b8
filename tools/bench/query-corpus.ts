// The query suite's index corpus: many small CT instances spread over patients, studies and
// series as an archive holds them, plus one series of full-size images for the retrieve. Written
// once as ready-made STOW-RS bodies (50 instances each) under the cache, with a manifest that
// says what every study holds, so that the expected answer of every query is known.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { EXPLICIT_VR_LITTLE_ENDIAN, generateUid } from '@pacs/dicom';
import { ctInstanceElements, encodePart10File, type CtInstanceOptions, type TestElement } from '@pacs/dicom/testing';
import { CACHE_ROOT } from './corpus';

export interface IndexCorpusParameters {
  /** Small instances in the index (the figure: 100,000). */
  readonly instances: number;
  /** Instances of the retrieve series (512x512x16 bits). */
  readonly retrieveInstances: number;
}

export interface PlannedStudy {
  readonly studyInstanceUid: string;
  /** Index into `patients`. */
  readonly patient: number;
  readonly studyDate: string;
  readonly series: readonly { readonly seriesInstanceUid: string; readonly instances: number }[];
}

export interface IndexCorpus {
  readonly parameters: IndexCorpusParameters;
  /** Random, drawn when the corpus was generated: the loaded states cached from it carry it. */
  readonly id: string;
  readonly dir: string;
  readonly patients: readonly { readonly patientId: string; readonly patientName: string }[];
  /** Every study, the retrieve study last. */
  readonly studies: readonly PlannedStudy[];
  /** STOW-RS bodies of the small instances: file name (under dir/bodies), content type, instances. */
  readonly bodies: readonly StoredBody[];
  /** The retrieve series and its bodies; `bytes` is the sum of its Part 10 files. */
  readonly retrieve: {
    readonly studyInstanceUid: string;
    readonly seriesInstanceUid: string;
    readonly instances: number;
    readonly bytes: number;
    readonly bodies: readonly StoredBody[];
  };
  readonly totalInstances: number;
  readonly totalBytes: number;
  /** Family names of the name list, for the wildcard queries. */
  readonly familyNames: readonly string[];
}

export interface StoredBody {
  readonly file: string;
  readonly contentType: string;
  readonly instances: number;
}

/** Bump when the generated data change. */
const FORMAT = 1;
const PER_BODY = 50;
const SMALL = 16;

// Latin-1 only: the files declare ISO_IR 100. Some accented, as a European archive holds them.
const FAMILY_NAMES = [
  'SMITH',
  'MÜLLER',
  'GARCÍA',
  'MARTIN',
  'BERNARD',
  'DUBOIS',
  'ROSSI',
  'RUSSO',
  'FERRARI',
  'SCHMIDT',
  'SCHNEIDER',
  'FISCHER',
  'WEBER',
  'MEYER',
  'WAGNER',
  'BECKER',
  'SCHULZ',
  'HOFFMANN',
  'KOCH',
  'RICHTER',
  'KLEIN',
  'WOLF',
  'SCHRÖDER',
  'NEUMANN',
  'SCHWARZ',
  'ZIMMERMANN',
  'BRAUN',
  'KRÜGER',
  'HOFMANN',
  'HARTMANN',
  'LANGE',
  'JOHNSON',
  'WILLIAMS',
  'BROWN',
  'JONES',
  'DAVIS',
  'WILSON',
  'TAYLOR',
  'ANDERSON',
  'THOMAS',
  'JACKSON',
  'WHITE',
  'HARRIS',
  'THOMPSON',
  'LEFÈVRE',
  'LEROY',
  'MOREAU',
  'LAURENT',
  'FONTAINE',
  'ROUSSEAU',
  'NÚÑEZ',
  'PÉREZ',
  'GÓMEZ',
  'SÁNCHEZ',
  'LÓPEZ',
  'FERNÁNDEZ',
  'JIMÉNEZ',
  'SØRENSEN',
  'JØRGENSEN',
  'ÅBERG',
  'LINDSTRÖM',
  'NYSTRÖM',
  'CONCEIÇÃO',
  'GONÇALVES',
  'JANSSEN',
  'DE VRIES',
  'VAN DIJK',
  'BAKKER',
  'VISSER',
  "O'BRIEN",
  'MURPHY',
  'KELLY',
  'WALSH',
  'BYRNE',
  'NOWAK',
  'KOWALSKI',
  'WÓJCIK',
  'KAMINSKI',
];
const GIVEN_NAMES = [
  'JOHN',
  'MARY',
  'JÜRGEN',
  'JOSÉ',
  'FRANÇOIS',
  'HÉLÈNE',
  'BJÖRN',
  'SØREN',
  'ANNA',
  'MARÍA',
  'PETER',
  'CLAUDIA',
  'LUCA',
  'GIULIA',
  'THOMAS',
  'SARAH',
  'MICHAEL',
  'ELENA',
  'DAVID',
  'SOPHIE',
  'ANDRÉ',
  'RENÉE',
  'JOÃO',
  'INÊS',
  'ÅSA',
  'MATTHIAS',
  'KATRIN',
  'PAUL',
  'LAURA',
  'JAN',
  'EVA',
  'ZOË',
  'NOËL',
  'CHLOÉ',
];

/** A small deterministic generator (xorshift32), so that a corpus is reproducible from its size. */
export function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** YYYYMMDD of a day counted from 2016-01-01 (ten years: days 0 to 3652). */
export function dayToDate(day: number): string {
  const d = new Date(Date.UTC(2016, 0, 1) + day * 86_400_000);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}`;
}
export const DAYS = 3653;

/** The tiny deterministic pixel data of the small instances and the noise of the large ones. */
function pixels(rows: number, columns: number, seed: number): Buffer {
  const random = prng(seed);
  const out = Buffer.alloc(rows * columns * 2);
  for (let i = 0; i < out.length; i += 2) out.writeInt16LE(Math.floor(random() * 4096) - 1024, i);
  return out;
}

/** The CT elements with the study's and series' own values in place of the defaults. */
function instanceFile(options: CtInstanceOptions, overrides: Readonly<Record<string, string>>): Buffer {
  const elements: TestElement[] = ctInstanceElements(options).map((e) =>
    typeof e.tag === 'string' && overrides[e.tag] !== undefined ? { ...e, value: overrides[e.tag] } : e,
  );
  return encodePart10File({ elements, transferSyntaxUid: EXPLICIT_VR_LITTLE_ENDIAN.uid });
}

/** Writes the parts as one multipart/related body to `path`; returns its content type. */
class BodyWriter {
  private fd: number | undefined;
  private count = 0;
  private boundary = '';
  readonly written: StoredBody[] = [];

  constructor(
    private readonly dir: string,
    private readonly prefix: string,
  ) {}

  add(file: Buffer): void {
    if (this.fd === undefined) {
      this.boundary = `bench-${randomBytes(12).toString('hex')}`;
      this.fd = openSync(join(this.dir, this.name(this.written.length)), 'w');
    }
    writeSync(this.fd, Buffer.from(`--${this.boundary}\r\nContent-Type: application/dicom\r\n\r\n`, 'latin1'));
    writeSync(this.fd, file);
    writeSync(this.fd, Buffer.from('\r\n', 'latin1'));
    if (++this.count === PER_BODY) this.flush();
  }

  flush(): void {
    if (this.fd === undefined) return;
    writeSync(this.fd, Buffer.from(`--${this.boundary}--\r\n`, 'latin1'));
    closeSync(this.fd);
    this.fd = undefined;
    this.written.push({
      file: this.name(this.written.length),
      contentType: `multipart/related; type="application/dicom"; boundary=${this.boundary}`,
      instances: this.count,
    });
    this.count = 0;
  }

  private name(index: number): string {
    return `${this.prefix}-${pad(index + 1, 5)}.mime`;
  }
}

/**
 * The corpus for `instances` small instances: instances/10 patients, instances/5 studies (each
 * patient one, the rest to patients drawn at random), 1 or 2 series per study, the instances
 * spread at random over the series (at least one each); StudyDate uniform over 2016-2025; names
 * drawn from the lists with a mild skew (the commonest family name about 3 % of patients).
 */
export function ensureIndexCorpus(p: IndexCorpusParameters, log: (line: string) => void): IndexCorpus {
  const key = `index-v${FORMAT}-n${p.instances}-r${p.retrieveInstances}`;
  const dir = join(CACHE_ROOT, key);
  const manifestPath = join(dir, 'manifest.json');
  if (existsSync(manifestPath)) {
    const cached = JSON.parse(readFileSync(manifestPath, 'utf8')) as Omit<IndexCorpus, 'dir'>;
    log(`index corpus: ${cached.totalInstances} instances cached in ${dir}`);
    return { ...cached, dir };
  }
  const started = Date.now();
  log(`index corpus: generating ${p.instances} + ${p.retrieveInstances} instances into ${dir}`);
  rmSync(dir, { recursive: true, force: true });
  // Per process, so that two runs at once do not write into each other's files.
  const tmp = `${dir}.tmp-${process.pid}`;
  mkdirSync(join(tmp, 'bodies'), { recursive: true });
  try {
    const corpus = generate(p, tmp, log);
    renameSync(tmp, dir);
    log(
      `index corpus: generated in ${((Date.now() - started) / 1000).toFixed(0)} s (${(corpus.totalBytes / 1e6).toFixed(0)} MB)`,
    );
    return { ...corpus, dir };
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
}

/** Writes the bodies and the manifest into `tmp`. */
function generate(p: IndexCorpusParameters, tmp: string, log: (line: string) => void): Omit<IndexCorpus, 'dir'> {
  const random = prng(0x5eed + p.instances);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  // Weight of the family name of rank r: 1 / (r + 25).
  const weights = FAMILY_NAMES.map((_, r) => 1 / (r + 25));
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  const familyName = () => {
    let x = random() * totalWeight;
    for (let r = 0; r < FAMILY_NAMES.length; r++) if ((x -= weights[r]!) <= 0) return FAMILY_NAMES[r]!;
    return FAMILY_NAMES[FAMILY_NAMES.length - 1]!;
  };

  const patientCount = Math.max(1, Math.round(p.instances / 10));
  const studyCount = Math.max(patientCount, Math.round(p.instances / 5));
  const patients = Array.from({ length: patientCount }, (_, i) => ({
    patientId: `PID${pad(i + 1, 7)}`,
    patientName: `${familyName()}^${pick(GIVEN_NAMES)}`,
  }));
  const studies: {
    studyInstanceUid: string;
    patient: number;
    studyDate: string;
    series: { seriesInstanceUid: string; instances: number }[];
  }[] = [];
  for (let s = 0; s < studyCount; s++) {
    studies.push({
      studyInstanceUid: generateUid(),
      patient: s < patientCount ? s : Math.floor(random() * patientCount),
      studyDate: dayToDate(Math.floor(random() * DAYS)),
      series: Array.from({ length: random() < 0.5 ? 1 : 2 }, () => ({
        seriesInstanceUid: generateUid(),
        instances: 1,
      })),
    });
  }
  const allSeries = studies.flatMap((s) => s.series);
  if (allSeries.length > p.instances) throw new Error(`--instances ${p.instances} is too small for the layout`);
  for (let left = p.instances - allSeries.length; left > 0; left--)
    allSeries[Math.floor(random() * allSeries.length)]!.instances++;

  const small = pixels(SMALL, SMALL, 1);
  const writer = new BodyWriter(join(tmp, 'bodies'), 'index');
  let totalBytes = 0;
  let done = 0;
  let nextLog = Date.now() + 10_000;
  for (const [s, study] of studies.entries()) {
    const patient = patients[study.patient]!;
    const studyTime = `${pad(7 + Math.floor(random() * 12), 2)}${pad(Math.floor(random() * 60), 2)}00`;
    const overrides = {
      StudyDate: study.studyDate,
      SeriesDate: study.studyDate,
      AcquisitionDate: study.studyDate,
      ContentDate: study.studyDate,
      InstanceCreationDate: study.studyDate,
      AcquisitionDateTime: `${study.studyDate}${studyTime}`,
      StudyTime: studyTime,
      PatientBirthDate: dayToDate(-Math.floor(random() * 80 * 365)),
      PatientSex: random() < 0.5 ? 'F' : 'M',
      StudyID: String(s + 1),
    };
    for (const [index, series] of study.series.entries()) {
      for (let i = 0; i < series.instances; i++) {
        const file = instanceFile(
          {
            studyInstanceUid: study.studyInstanceUid,
            seriesInstanceUid: series.seriesInstanceUid,
            instanceNumber: i + 1,
            patientId: patient.patientId,
            patientName: patient.patientName,
            accessionNumber: `A${pad(s + 1, 8)}`,
            rows: SMALL,
            columns: SMALL,
            pixelData: small,
          },
          { ...overrides, SeriesNumber: String(index + 1) },
        );
        writer.add(file);
        totalBytes += file.length;
        done++;
      }
    }
    if (Date.now() > nextLog) {
      log(`index corpus: ${done} of ${p.instances} instances written`);
      nextLog = Date.now() + 10_000;
    }
  }
  writer.flush();

  // The retrieve series: full-size images of one more patient, in a study of its own.
  const retrievePatient = { patientId: 'PRETRIEVE', patientName: 'BENCH^RETRIEVE' };
  patients.push(retrievePatient);
  const retrieveStudy = {
    studyInstanceUid: generateUid(),
    patient: patients.length - 1,
    studyDate: '20210615',
    series: [{ seriesInstanceUid: generateUid(), instances: p.retrieveInstances }],
  };
  studies.push(retrieveStudy);
  const large = pixels(512, 512, 2);
  const retrieveWriter = new BodyWriter(join(tmp, 'bodies'), 'retrieve');
  let retrieveBytes = 0;
  for (let i = 0; i < p.retrieveInstances; i++) {
    const copy = Buffer.from(large);
    copy.writeUInt32LE(i, 0); // every image differs a little
    const file = instanceFile(
      {
        studyInstanceUid: retrieveStudy.studyInstanceUid,
        seriesInstanceUid: retrieveStudy.series[0]!.seriesInstanceUid,
        instanceNumber: i + 1,
        ...retrievePatient,
        accessionNumber: 'ARETRIEVE',
        pixelData: copy,
      },
      { StudyDate: retrieveStudy.studyDate, SeriesDate: retrieveStudy.studyDate },
    );
    retrieveWriter.add(file);
    retrieveBytes += file.length;
  }
  retrieveWriter.flush();

  const corpus: Omit<IndexCorpus, 'dir'> = {
    parameters: p,
    id: randomBytes(6).toString('hex'),
    patients,
    studies,
    bodies: writer.written,
    retrieve: {
      studyInstanceUid: retrieveStudy.studyInstanceUid,
      seriesInstanceUid: retrieveStudy.series[0]!.seriesInstanceUid,
      instances: p.retrieveInstances,
      bytes: retrieveBytes,
      bodies: retrieveWriter.written,
    },
    totalInstances: p.instances + p.retrieveInstances,
    totalBytes: totalBytes + retrieveBytes,
    familyNames: FAMILY_NAMES,
  };
  writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(corpus));
  return corpus;
}

/** The body bytes of a stored body. */
export function readBody(corpus: IndexCorpus, body: StoredBody): Buffer {
  return readFileSync(join(corpus.dir, 'bodies', body.file));
}
