import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateUid } from '@pacs/dicom';
import { listPydicomFiles, pydicomPath, pydicomReference } from '@pacs/dicom/testing';
import { freePort, startApp, stowBody, waitForStatus, type AppProcess } from '@pacs/testing';

const run = promisify(execFile);

type Dataset = Record<string, { vr: string; Value?: unknown[] }>;

/** What pydicom reads from a C-FIND response: its study, its patient's name and character set. */
interface FoundStudy {
  readonly study: string;
  readonly name: string;
  readonly charset: string[];
}

// pydicom (Debian's /usr/bin/python3) decodes each response file in its Specific Character Set.
const READ_RESPONSES = `
import json, sys, pydicom
out = {}
for path in sys.argv[1:]:
    ds = pydicom.dcmread(path, force=True)
    charset = ds.get("SpecificCharacterSet", [])
    out[path] = {
        "study": str(ds.get("StudyInstanceUID", "")),
        "name": str(ds.get("PatientName", "")),
        "charset": [charset] if isinstance(charset, str) else list(charset),
    }
print(json.dumps(out))
`;
type PersonName = { Alphabetic?: string; Ideographic?: string; Phonetic?: string };

// pydicom's character set files (Debian python3-pydicom): one patient per script and encoding
// (ISO 8859 parts, ISO 2022 with Japanese and Korean escapes, UTF-8, GB18030). Each is stored by
// STOW-RS and must be found by its name written in its own script, as pydicom decodes it.
const files = listPydicomFiles('charset_files').filter((key) => {
  const reference = pydicomReference()[key];
  return key.endsWith('.dcm') && reference?.StudyInstanceUID && reference.PatientName;
});

/** The groups of a name as PS3.5 6.2 writes them: "alphabetic=ideographic=phonetic". */
function groupsOf(name: string): PersonName {
  const [alphabetic, ideographic, phonetic] = name.split('=');
  return {
    ...(alphabetic ? { Alphabetic: alphabetic } : {}),
    ...(ideographic ? { Ideographic: ideographic } : {}),
    ...(phonetic ? { Phonetic: phonetic } : {}),
  };
}

/**
 * The studies whose patient a name query must find (PS3.4 C.2.2.2.1, names case-insensitive): a
 * query of one group finds the names with that group in any position; a query of several groups
 * finds the names equal group by group.
 */
function studiesNamed(query: string): string[] {
  const wanted = query.toLowerCase().split('=');
  const found = files.filter((key) => {
    const groups = pydicomReference()[key]!.PatientName!.toLowerCase().split('=');
    if (wanted.length === 1) return groups.includes(wanted[0]!);
    return wanted.every((group, index) => group === '' || groups[index] === group);
  });
  return [...new Set(found.map((key) => pydicomReference()[key]!.StudyInstanceUID!))].sort();
}

describe('pacs process: patients found by their names in every character set', () => {
  let work: string;
  let app: AppProcess;
  let dicomPort: string;

  async function qido(query: string): Promise<Dataset[]> {
    const response = await fetch(`${app.baseUrl}/dicomweb/studies?${query}`, {
      headers: { Accept: 'application/dicom+json' },
    });
    expect(response.status).toBe(200);
    return (await response.json()) as Dataset[];
  }
  const studyUids = (studies: Dataset[]) => studies.map((s) => String(s['0020000D']?.Value?.[0])).sort();

  /**
   * findscu (Study Root, STUDY level) with the name in UTF-8 under Specific Character Set ISO_IR 192,
   * one folder of response files per query (-X); then pydicom reads every response of the queries.
   */
  async function cfind(names: readonly string[]): Promise<Map<string, FoundStudy[]>> {
    const folders = new Map<string, string>();
    for (const name of names) {
      const dir = join(work, `find-${generateUid()}`);
      mkdirSync(dir);
      folders.set(name, dir);
      const { stdout, stderr } = await run(
        'findscu',
        [
          '-v',
          '-S',
          '-aec',
          'PACS',
          '-k',
          'QueryRetrieveLevel=STUDY',
          '-k',
          'SpecificCharacterSet=ISO_IR 192',
          '-k',
          `PatientName=${name}`,
          '-k',
          'StudyInstanceUID',
          '-X',
          '-od',
          dir,
          '127.0.0.1',
          dicomPort,
        ],
        { timeout: 30_000 },
      );
      expect({ name, output: `${stdout}${stderr}` }).toEqual({
        name,
        output: expect.stringContaining('Received Final Find Response (Success)'),
      });
    }
    const paths = [...folders.values()].flatMap((dir) => readdirSync(dir).map((file) => join(dir, file)));
    const read =
      paths.length === 0
        ? {}
        : (JSON.parse((await run('/usr/bin/python3', ['-c', READ_RESPONSES, ...paths])).stdout) as Record<
            string,
            FoundStudy
          >);
    return new Map(
      [...folders].map(([name, dir]) => [
        name,
        paths.filter((path) => path.startsWith(`${dir}/`)).map((p) => read[p]!),
      ]),
    );
  }

  beforeAll(async () => {
    expect(files.length).toBeGreaterThanOrEqual(12);
    work = mkdtempSync(join(tmpdir(), 'pacs-charset-'));
    dicomPort = String(await freePort());
    app = startApp('pacs', {
      PACS_DATA_DIR: join(work, 'data'),
      PACS_HTTP_PORT: String(await freePort()),
      PACS_DICOM_PORT: dicomPort,
    });
    await waitForStatus(app, '/health/ready', 200, 20_000);
    // One request per file: two of them share a SOP Instance UID (a later copy is a new version).
    for (const key of files) {
      const { contentType, body } = await stowBody([{ body: readFileSync(pydicomPath(key)) }]);
      const response = await fetch(`${app.baseUrl}/dicomweb/studies`, {
        method: 'POST',
        headers: { 'Content-Type': contentType, Accept: 'application/dicom+json' },
        body,
      });
      await response.arrayBuffer();
      expect({ key, status: response.status }).toEqual({ key, status: 200 });
    }
    const studies = new Set(files.map((key) => pydicomReference()[key]!.StudyInstanceUID));
    const deadline = Date.now() + 20_000;
    while ((await qido('')).length < studies.size) {
      if (Date.now() > deadline) throw new Error(`the ${studies.size} stored studies were not indexed within 20 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }, 60_000);

  afterAll(async () => {
    app?.child.kill('SIGTERM');
    await app?.exited();
    rmSync(work, { recursive: true, force: true });
  }, 30_000);

  it.each(files)('%s: found by its whole name, returned as pydicom reads it', async (key) => {
    const reference = pydicomReference()[key]!;
    const found = await qido(`PatientName=${encodeURIComponent(reference.PatientName!)}`);
    expect(studyUids(found)).toEqual(studiesNamed(reference.PatientName!));
    expect(studyUids(found)).toContain(reference.StudyInstanceUID);
    const study = found.find((s) => s['0020000D']?.Value?.[0] === reference.StudyInstanceUID)!;
    expect(study['00100010']).toEqual({ vr: 'PN', Value: [groupsOf(reference.PatientName!)] });
  });

  it.each(files)('%s: found by each group of its name, and by a wildcard in its own script', async (key) => {
    const reference = pydicomReference()[key]!;
    const groups = Object.values(groupsOf(reference.PatientName!)) as string[];
    for (const group of groups) {
      const found = await qido(`PatientName=${encodeURIComponent(group)}`);
      expect({ group, studies: studyUids(found) }).toEqual({ group, studies: studiesNamed(group) });
      expect(studyUids(found)).toContain(reference.StudyInstanceUID);
    }
    // The family name of the last group (ideographic or phonetic when there are several): its
    // first two characters and a wildcard.
    const family = groups.at(-1)!.split('^')[0]!;
    const prefix = `${[...family].slice(0, 2).join('')}*`;
    const found = await qido(`PatientName=${encodeURIComponent(prefix)}`);
    expect({ prefix, found: studyUids(found) }).toEqual(
      expect.objectContaining({ prefix, found: expect.arrayContaining([reference.StudyInstanceUID]) }),
    );
  });

  it.each(files)('%s: C-FIND finds it by its name and by each group of it, answered in UTF-8', async (key) => {
    const reference = pydicomReference()[key]!;
    const whole = reference.PatientName!;
    const groups = Object.values(groupsOf(whole)) as string[];
    const answers = await cfind([...new Set([whole, ...groups])]);
    for (const [name, found] of answers) {
      expect({ name, studies: found.map((f) => f.study).sort() }).toEqual({ name, studies: studiesNamed(name) });
      for (const study of found) expect({ name, charset: study.charset }).toEqual({ name, charset: ['ISO_IR 192'] });
      const own = found.find((f) => f.study === reference.StudyInstanceUID);
      // The patient's name, as pydicom decodes it from the response, is the one pydicom read from the file.
      expect({ name, patient: own?.name }).toEqual({ name, patient: whole });
    }
  });

  it('matches names case-insensitively and fuzzily in non-Latin alphabets (Greek, Cyrillic)', async () => {
    for (const key of files.filter((k) => /chr(Greek|Russ)\.dcm$/.test(k))) {
      const reference = pydicomReference()[key]!;
      const lower = reference.PatientName!.toLocaleLowerCase();
      expect(studyUids(await qido(`PatientName=${encodeURIComponent(lower)}`))).toEqual([reference.StudyInstanceUID]);
      const start = [...lower].slice(0, 3).join('');
      expect(studyUids(await qido(`PatientName=${encodeURIComponent(start)}&fuzzymatching=true`))).toEqual([
        reference.StudyInstanceUID,
      ]);
    }
  });
});
