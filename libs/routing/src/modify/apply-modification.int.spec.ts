import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ctInstanceFile, pydicomFolder, pydicomPath } from '@pacs/dicom/testing';
import { hasTool, runTool } from '@pacs/dimse/testing';
import { applyModification } from './apply-modification';

// DCMTK's dcmdump, a reader nobody here wrote, must read every modified copy without a warning and
// show the change.
describe('applyModification, read back by DCMTK dcmdump', () => {
  let dir: string;

  beforeAll(() => {
    if (!hasTool('dcmdump')) throw new Error('dcmdump is missing: install DCMTK (apt-get install dcmtk)');
    pydicomFolder('test_files'); // fails naming python3-pydicom when it is missing
    dir = mkdtempSync(join(tmpdir(), 'routing-modify-'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function dump(file: Buffer): Promise<string> {
    const path = join(dir, `${Math.random().toString(36).slice(2)}.dcm`);
    writeFileSync(path, file);
    // +U8: values converted from the data set's character set to UTF-8 for the comparison.
    const run = await runTool('dcmdump', ['+U8', '-M', path]);
    expect(run.code).toBe(0);
    expect(run.output).not.toMatch(/^[EWF]: /m);
    return run.output;
  }

  it.each([
    ['Explicit VR Little Endian', '1.2.840.10008.1.2.1'],
    ['Implicit VR Little Endian', '1.2.840.10008.1.2'],
    ['Explicit VR Big Endian', '1.2.840.10008.1.2.2'],
    ['Deflated Explicit VR Little Endian', '1.2.840.10008.1.2.1.99'],
  ])('a CT instance in %s', async (_name, syntax) => {
    const original = ctInstanceFile({ rows: 16, columns: 16, transferSyntaxUid: syntax });
    const modified = applyModification(original, {
      set: { InstitutionName: ['Hôpital Général'], OtherPatientIDs: ['A1', 'B2'] },
      remove: ['StationName', '00091001'],
    });
    const before = await dump(original);
    const after = await dump(modified);
    expect(after).toMatch(/\(0008,0080\) LO \[Hôpital Général\]/);
    expect(after).toMatch(/\(0010,1000\) LO \[A1\\B2\]/);
    expect(before).toMatch(/\(0008,1010\) SH \[CT01\]/);
    expect(after).not.toMatch(/\(0008,1010\)/);
    expect(after).not.toMatch(/\(0009,1001\)/);
    // Every other line of the dump (private block, sequences, pixel data) is the same.
    const unchanged = (text: string) =>
      text
        .split('\n')
        .filter((line) => !/^\((0008,0080|0010,1000|0008,1010|0009,1001)\)/.test(line.trim()))
        .filter((line) => !line.startsWith('# Dicom-File-Format') && !line.includes('/routing-modify-'));
    expect(unchanged(after)).toEqual(unchanged(before));
  });

  it('a JPEG instance of pydicom, its fragments untouched', async () => {
    const original = readFileSync(pydicomPath('test_files/SC_rgb_jpeg_dcmtk.dcm'));
    const after = await dump(applyModification(original, { set: { InstitutionName: ['Teaching File'] } }));
    expect(after).toMatch(/\(0008,0080\) LO \[Teaching File\]/);
    expect(after).toMatch(/\(fffe,e000\) pi/);
  });
});
