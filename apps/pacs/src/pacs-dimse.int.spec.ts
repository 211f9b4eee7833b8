import { execFile } from 'node:child_process';
import { readFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { promisify } from 'node:util';
import { generateUid, readPart10 } from '@pacs/dicom';
import { ctInstanceFile } from '@pacs/dicom/testing';
import { DimseClient } from '@pacs/dimse';
import { withoutTrailingPadding } from '@pacs/dimse/testing';
import { freePort, startApp, waitForStatus, type AppProcess, filesUnder, datasetOf } from '@pacs/testing';

const run = promisify(execFile);
const dcmtk = { env: { ...process.env, TCP_NODELAY: '1' }, timeout: 60_000 };
const PYDICOM = '/usr/lib/python3/dist-packages/pydicom/data/test_files';

// The all-in-one process receiving from DCMTK's tools, as a modality would send: two tenants with
// their own AE titles, Verification, storage, rejection of unknown AE titles and broken data.
describe('pacs process: DIMSE C-ECHO and C-STORE with DCMTK', () => {
  let work: string;
  let app: AppProcess;
  let dicomPort: number;

  beforeAll(async () => {
    for (const tool of ['echoscu', 'storescu', 'dcmconv']) {
      await run('which', [tool]).catch(() => {
        throw new Error(`${tool} is missing: install DCMTK (apt-get install dcmtk, or npm test's pretest does it)`);
      });
    }
    work = mkdtempSync(join(tmpdir(), 'pacs-dimse-'));
    const tenantsFile = join(work, 'tenants.json');
    writeFileSync(
      tenantsFile,
      JSON.stringify({
        tenants: [
          { id: 'radiology', aeTitles: ['RAD_PACS'] },
          { id: 'cardiology', aeTitles: ['CARD_PACS'], allowedCallingAeTitles: ['CATHLAB'] },
        ],
      }),
    );
    dicomPort = await freePort();
    app = startApp('pacs', {
      PACS_DATA_DIR: join(work, 'data'),
      PACS_HTTP_PORT: String(await freePort()),
      PACS_DICOM_PORT: String(dicomPort),
      PACS_TENANTS_FILE: tenantsFile,
    });
    await waitForStatus(app, '/health/ready', 200, 20_000);
  }, 30_000);

  afterAll(async () => {
    app?.child.kill('SIGTERM');
    await app?.exited();
    rmSync(work, { recursive: true, force: true });
  }, 30_000);

  const stored = (tenant: string) => filesUnder(join(work, 'data', 'blobs', 'hot', tenant));

  it('answers C-ECHO on the default AE title', async () => {
    await run('echoscu', ['-aet', 'MODALITY', '-aec', 'PACS', '127.0.0.1', String(dicomPort)], dcmtk);
  });

  it('rejects an unknown called AE title at association (reason 7)', async () => {
    const result = await run(
      'echoscu',
      ['-aet', 'MODALITY', '-aec', 'NOBODY', '127.0.0.1', String(dicomPort)],
      dcmtk,
    ).catch((e: { stdout: string; stderr: string; code: number }) => e);
    expect('code' in result && result.code).not.toBe(0);
    expect(`${result.stdout}${result.stderr}`).toMatch(/Called AE Title Not Recognized/i);
  });

  it("rejects a calling AE title outside the tenant's allow-list (reason 3)", async () => {
    const refused = await run(
      'echoscu',
      ['-aet', 'INTRUDER', '-aec', 'CARD_PACS', '127.0.0.1', String(dicomPort)],
      dcmtk,
    ).catch((e: { stdout: string; stderr: string }) => e);
    expect(`${refused.stdout}${refused.stderr}`).toMatch(/Calling AE Title Not Recognized/i);
    await run('echoscu', ['-aet', 'CATHLAB', '-aec', 'CARD_PACS', '127.0.0.1', String(dicomPort)], dcmtk);
  });

  it('stores what storescu sends into the tenant of the called AE title, data sets byte-identical', async () => {
    const outbox = join(work, 'outbox');
    mkdirSync(outbox, { recursive: true });
    const study = { studyInstanceUid: generateUid(), seriesInstanceUid: generateUid() };
    const pixels = Buffer.alloc(128 * 128 * 2, 3);
    const sent = new Map<string, Buffer>();
    const sources = [
      ...Array.from({ length: 12 }, (_, i) => {
        const path = join(work, `gen-${i}.dcm`);
        writeFileSync(
          path,
          ctInstanceFile({ ...study, instanceNumber: i + 1, rows: 128, columns: 128, pixelData: pixels }),
        );
        return path;
      }),
      join(PYDICOM, 'CT_small.dcm'),
      join(PYDICOM, 'MR_small.dcm'),
    ];
    // DCMTK re-encodes what it sends (sequence lengths, no trailing padding element): the
    // reference for the stored bytes is dcmconv's encoding of each file in the transfer syntax
    // that storescu proposes, without the Data Set Trailing Padding that only files carry.
    for (const [i, source] of sources.entries()) {
      const converted = join(outbox, `${i}.dcm`);
      await run('dcmconv', ['+te', source, converted], dcmtk);
      const bytes = readFileSync(converted);
      const read = readPart10(bytes);
      if (read.status !== 'complete') throw new Error('unreadable');
      sent.set(read.dataset.string('SOPInstanceUID')!, withoutTrailingPadding(datasetOf(bytes), true));
    }
    await run(
      'storescu',
      ['-xe', '-aet', 'CT1', '-aec', 'RAD_PACS', '127.0.0.1', String(dicomPort), '+sd', outbox],
      dcmtk,
    );

    const files = stored('radiology');
    expect(files).toHaveLength(sent.size);
    for (const file of files) {
      const bytes = readFileSync(file);
      const read = readPart10(bytes);
      if (read.status !== 'complete') throw new Error(`stored file ${file} is not readable`);
      const sop = read.dataset.string('SOPInstanceUID')!;
      expect(file).toContain(`/radiology/${read.dataset.string('StudyInstanceUID')}/`);
      expect(read.header.meta?.transferSyntaxUid).toBe('1.2.840.10008.1.2.1');
      expect(datasetOf(bytes).equals(sent.get(sop)!)).toBe(true);
    }
    expect(stored('cardiology')).toEqual([]);
  }, 60_000);

  it('answers a data set cut in its pixels, or garbage, with C000, stores nothing of it, and keeps serving', async () => {
    const before = stored('radiology').length;
    const sop = generateUid();
    const file = ctInstanceFile({ sopInstanceUid: sop, rows: 64, columns: 64 });
    const dataset = datasetOf(file);
    const association = await DimseClient.connect({
      host: '127.0.0.1',
      port: dicomPort,
      callingAeTitle: 'CT1',
      calledAeTitle: 'RAD_PACS',
      presentationContexts: [
        { abstractSyntax: '1.2.840.10008.5.1.4.1.1.2', transferSyntaxes: ['1.2.840.10008.1.2.1'] },
      ],
    });
    const truncated = await association.store({
      sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
      sopInstanceUid: sop,
      dataset: dataset.subarray(0, dataset.length - 1000),
    });
    expect(truncated.status).toBe(0xc000);
    const garbage = await association.store({
      sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
      sopInstanceUid: sop,
      dataset: Buffer.from('this is not a DICOM data set at all'),
    });
    expect(garbage.status).toBe(0xc000);
    const wrongUid = await association.store({
      sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
      sopInstanceUid: '1.2.3.4',
      dataset,
    });
    expect(wrongUid.status).toBe(0xa900);
    const good = await association.store({ sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: sop, dataset });
    expect(good.status).toBe(0x0000);
    await association.release();
    expect(stored('radiology')).toHaveLength(before + 1);
    await run('echoscu', ['-aet', 'MODALITY', '-aec', 'RAD_PACS', '127.0.0.1', String(dicomPort)], dcmtk);
  }, 30_000);

  it('announces each stored instance and audits each association (DICOM Instances Transferred)', async () => {
    const events = (topic: string) => {
      const db = new DatabaseSync(join(work, 'data', 'events.sqlite'), { readOnly: true });
      try {
        return (db.prepare('SELECT value FROM messages WHERE topic = ?').all(topic) as { value: string }[]).map(
          (row) => JSON.parse(row.value) as Record<string, unknown>,
        );
      } finally {
        db.close();
      }
    };
    const storedEvents = events('pacs.instance.stored.v1');
    expect(storedEvents).toHaveLength(stored('radiology').length);
    expect(storedEvents[0]).toMatchObject({
      tenantId: 'radiology',
      source: { protocol: 'DIMSE', callingAeTitle: 'CT1', calledAeTitle: 'RAD_PACS' },
    });

    const deadline = Date.now() + 5_000;
    let audits = events('pacs.audit.event.v1');
    while (audits.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      audits = events('pacs.audit.event.v1');
    }
    const transferred = audits.filter((a) => (a.event as { code: string }).code === '110104');
    expect(transferred.length).toBeGreaterThan(0);
    const fromStorescu = transferred.find((a) =>
      (a.objects as { typeCode: string; details?: Record<string, string> }[]).some(
        (o) => o.typeCode === '2' && o.details?.['sopClass:1.2.840.10008.5.1.4.1.1.2'] === '12',
      ),
    );
    expect(fromStorescu).toMatchObject({
      tenantId: 'radiology',
      action: 'C',
      outcome: 0,
      participants: [
        { userId: 'CT1', isRequestor: true, roles: [{ code: '110153' }] },
        { userId: 'RAD_PACS', isRequestor: false, roles: [{ code: '110152' }] },
      ],
    });
    // The association that sent broken data sets is audited with its failures.
    expect(transferred.some((a) => a.outcome === 4 && String(a.outcomeDescription).includes('not stored'))).toBe(true);
  });
});
