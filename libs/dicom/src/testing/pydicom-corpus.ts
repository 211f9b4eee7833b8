import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

// Debian's python3-pydicom ships pydicom's own test files: real files from many writers, in every
// uncompressed and several compressed syntaxes, with their quirks. Tests read them from there and
// ask pydicom (Debian's /usr/bin/python3, which sees the package) what it makes of each.

/** Where Debian's python3-pydicom puts its data files. */
export const PYDICOM_DATA_DIR = '/usr/lib/python3/dist-packages/pydicom/data';
const PYTHON = '/usr/bin/python3';
const REFERENCE_SCRIPT = join(__dirname, '..', '..', 'scripts', 'pydicom-reference.py');

/** The pydicom folder ('test_files' or 'charset_files'); throws, naming the package, when absent. */
export function pydicomFolder(folder: 'test_files' | 'charset_files'): string {
  const path = join(PYDICOM_DATA_DIR, folder);
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: install Debian's python3-pydicom (apt-get install python3-pydicom)`);
  }
  return path;
}

/** Every file under a pydicom folder, as "<folder>/<relative path>" keys, sorted. */
export function listPydicomFiles(folder: 'test_files' | 'charset_files'): string[] {
  const root = pydicomFolder(folder);
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(`${folder}/${relative(root, path)}`);
    }
  };
  walk(root);
  return out.sort();
}

/** Absolute path of a "<folder>/<relative path>" key. */
export function pydicomPath(key: string): string {
  return join(PYDICOM_DATA_DIR, key);
}

/** What pydicom reads from one file (scripts/pydicom-reference.py). */
export interface PydicomReference {
  /** dcmread without force succeeded. */
  readonly readable: boolean;
  /** Read only with force=True (files without meta group); values below are from that read. */
  readonly forced?: boolean;
  readonly error?: string;
  readonly transferSyntaxUID?: string | null;
  readonly mediaStorageSOPInstanceUID?: string | null;
  readonly isImplicitVR?: boolean;
  readonly isLittleEndian?: boolean;
  readonly StudyInstanceUID?: string | null;
  readonly SeriesInstanceUID?: string | null;
  readonly SOPInstanceUID?: string | null;
  readonly SOPClassUID?: string | null;
  readonly Modality?: string | null;
  readonly PatientName?: string | null;
  /** charset_files only: every text value by tag path, as pydicom decodes it. */
  readonly texts?: Readonly<Record<string, readonly string[]>>;
  /** pydicom's DICOM JSON of the file (to_json_dict, all binary inline). */
  readonly json?: Readonly<Record<string, unknown>>;
  readonly jsonError?: string;
}

/** An entry of pydicom's data dictionary (VR as pydicom writes it, e.g. "US or SS"). */
export interface PydicomDictionaryEntry {
  readonly vr: string;
  readonly vm: string;
  readonly keyword: string;
  readonly retired: boolean;
}

interface PydicomOutput {
  readonly version: string;
  readonly files: Record<string, PydicomReference>;
  readonly dictionary: Record<string, PydicomDictionaryEntry>;
  readonly transferSyntaxes: readonly string[];
}

let cached: PydicomOutput | undefined;

// Runs scripts/pydicom-reference.py once per test process (about 1 s).
function load(): PydicomOutput {
  if (cached) return cached;
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: install Debian's python3-pydicom`);
  const output = execFileSync(PYTHON, [REFERENCE_SCRIPT], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const parsed = JSON.parse(output) as Record<string, unknown>;
  if (typeof parsed['__error__'] === 'string') throw new Error(parsed['__error__']);
  const { __pydicomVersion__, __dictionary__, __transferSyntaxes__, ...files } = parsed;
  cached = {
    version: __pydicomVersion__ as string,
    files: files as Record<string, PydicomReference>,
    dictionary: __dictionary__ as Record<string, PydicomDictionaryEntry>,
    transferSyntaxes: __transferSyntaxes__ as string[],
  };
  return cached;
}

/**
 * pydicom's reading of every file, keyed like listPydicomFiles. Throws, naming the package, when
 * pydicom is not installed.
 */
export function pydicomReference(): Record<string, PydicomReference> {
  return load().files;
}

/** pydicom's data dictionary, keyed by 8 hex digits. */
export function pydicomDictionary(): Record<string, PydicomDictionaryEntry> {
  return load().dictionary;
}

/** The transfer syntax UIDs pydicom knows. */
export function pydicomTransferSyntaxes(): readonly string[] {
  return load().transferSyntaxes;
}

/** The version of the installed pydicom. */
export function pydicomVersion(): string {
  return load().version;
}
