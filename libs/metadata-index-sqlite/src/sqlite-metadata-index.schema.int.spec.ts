import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import {
  MetadataIndexError,
  modalityOf,
  parseQidoQuery,
  searchNarrowing,
  type IndexedInstance,
  type MetadataIndex,
  type SearchLevel,
  type SearchScope,
} from '@pacs/metadata-index';
import { collect, indexedInstance, listedStudy, orderedArchive } from '@pacs/metadata-index/testing';
import { SqliteMetadataIndex } from './sqlite-metadata-index.adapter';
import { SCHEMA_VERSION } from './sqlite-schema';
import { listSql, searchSql } from './sqlite-search-sql';

const root = mkdtempSync(join(tmpdir(), 'pacs-metadata-index-schema-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const newFile = () => join(root, `index-${++counter}.db`);

// The schema of the first release (user_version 0): copies and study records only.
const VERSION_0 = `
  CREATE TABLE instances (
    tenant TEXT NOT NULL, study_uid TEXT NOT NULL, series_uid TEXT NOT NULL, sop_uid TEXT NOT NULL,
    version INTEGER NOT NULL, sop_class_uid TEXT NOT NULL, transfer_syntax_uid TEXT NOT NULL, modality TEXT,
    blob_key TEXT NOT NULL, blob_size INTEGER NOT NULL, blob_sha256 TEXT NOT NULL, blob_tier TEXT NOT NULL,
    attributes TEXT NOT NULL, PRIMARY KEY (tenant, sop_uid, version));
  CREATE INDEX instances_of_study ON instances (tenant, study_uid, series_uid);
  CREATE TABLE studies (
    tenant TEXT NOT NULL, study_uid TEXT NOT NULL, patient_id TEXT, accession_number TEXT, study_date TEXT,
    record TEXT NOT NULL, PRIMARY KEY (tenant, study_uid));
  CREATE INDEX studies_by_patient_id ON studies (tenant, patient_id);
  CREATE INDEX studies_by_accession ON studies (tenant, accession_number);
  CREATE INDEX studies_by_date ON studies (tenant, study_date);
`;

/** A file as the first release wrote it, with these copies. */
function writeVersion0(file: string, instances: readonly IndexedInstance[]): void {
  const db = new DatabaseSync(file);
  db.exec(VERSION_0);
  const insert = db.prepare('INSERT OR IGNORE INTO instances VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const study = db.prepare('INSERT OR REPLACE INTO studies VALUES (?, ?, NULL, NULL, NULL, ?)');
  for (const i of instances) {
    insert.run(
      i.tenantId,
      i.studyInstanceUid,
      i.seriesInstanceUid,
      i.sopInstanceUid,
      i.version,
      i.sopClassUid,
      i.transferSyntaxUid,
      modalityOf(i.attributes),
      i.blob.key,
      i.blob.size,
      i.blob.sha256,
      i.blob.tier,
      JSON.stringify(i.attributes),
    );
    study.run(i.tenantId, i.studyInstanceUid, '{}');
  }
  db.close();
}

/** Everything an index answers without keys, per tenant. */
async function contents(index: MetadataIndex): Promise<unknown[]> {
  const answers: unknown[] = [];
  for (const tenantId of ['radiology', 'cardiology']) {
    for (const level of ['study', 'series', 'instance'] as SearchLevel[]) {
      answers.push(await index.search(tenantId, level, {}, []));
    }
    for (const studyInstanceUid of ['1.1', '1.10', '1.2', '1.3', '4.1']) {
      answers.push(await collect(index.listMetadata(tenantId, { studyInstanceUid })));
    }
  }
  return answers;
}

describe('SqliteMetadataIndex schema', () => {
  const history = () => [
    ...orderedArchive(),
    ...listedStudy('cardiology'),
    indexedInstance({ study: '1.1', series: '1.1.1', sop: '1.1.1.1', version: 3, instanceNumber: 7 }),
    indexedInstance({ study: '1.1', series: '1.1.1', sop: '1.1.1.1', version: 2, instanceNumber: 5 }),
    indexedInstance({ study: '1.2', series: '1.2.9', sop: '1.1.1.2', version: 2 }),
  ];

  it('opens a file of the first schema, rebuilt to answer as a file indexed anew', async () => {
    const file = newFile();
    writeVersion0(file, history());
    const upgraded = new SqliteMetadataIndex({ file });
    await upgraded.start();
    const fresh = new SqliteMetadataIndex({ file: newFile() });
    await fresh.start();
    try {
      // The first schema kept no metadata.
      for (const { metadata: _none, ...instance } of history()) await fresh.upsertInstance(instance);
      expect(await contents(upgraded)).toEqual(await contents(fresh));
      // Its studies were announced before, if ever: none is pending, until it changes.
      expect(await upgraded.findQuietStudies('9999-01-01T00:00:00Z', 100)).toEqual([]);
      expect(await upgraded.upsertInstance(history()[0]!)).toBe('unchanged');
      const late = indexedInstance({
        study: '1.3',
        series: '1.3.1',
        sop: '1.3.1.2',
        indexedAt: '2024-05-01T10:00:00Z',
      });
      expect(await upgraded.upsertInstance(late)).toBe('created');
      expect(await upgraded.findQuietStudies('9999-01-01T00:00:00Z', 100)).toMatchObject([
        { tenantId: 'radiology', studyInstanceUid: '1.3', instanceCount: 2 },
      ]);
    } finally {
      await upgraded.close();
      await fresh.close();
    }
    const db = new DatabaseSync(file);
    expect(db.prepare('PRAGMA user_version').get()).toEqual({ user_version: SCHEMA_VERSION });
    db.close();
    // Opened again, it is not rebuilt again.
    const again = new SqliteMetadataIndex({ file });
    await again.start();
    expect(await again.findQuietStudies('9999-01-01T00:00:00Z', 100)).toHaveLength(1);
    await again.close();
  });

  it('opens a file of schema 1 without a rebuild: what it had stays, each series and study names its latest copy', async () => {
    const file = newFile();
    const written = new SqliteMetadataIndex({ file });
    await written.start();
    const copies = [
      indexedInstance({ study: '7.1', series: '7.1.1', sop: '7.1.1.1', indexedAt: '2024-01-01T00:00:00Z' }),
      indexedInstance({ study: '7.1', series: '7.1.1', sop: '7.1.1.2', indexedAt: '2024-01-03T00:00:00Z' }),
      indexedInstance({ study: '7.1', series: '7.1.2', sop: '7.1.2.1', indexedAt: '2024-01-02T00:00:00Z' }),
    ];
    for (const copy of copies) await written.upsertInstance(copy);
    const before = await contents(written);
    const quiet = await written.findQuietStudies('9999-01-01T00:00:00Z', 100);
    await written.close();
    // Back to schema 1: without the tables and columns of the extra attributes.
    const db = new DatabaseSync(file);
    db.exec(`
      DROP TABLE extra_attribute_lists; DROP TABLE instance_extras; DROP TABLE reindex_progress;
      ALTER TABLE series DROP COLUMN latest_sop; ALTER TABLE series DROP COLUMN latest_version;
      ALTER TABLE studies DROP COLUMN latest_sop; ALTER TABLE studies DROP COLUMN latest_version;
      PRAGMA user_version = 1;
    `);
    db.close();
    const upgraded = new SqliteMetadataIndex({ file });
    await upgraded.start();
    try {
      expect(await contents(upgraded)).toEqual(before);
      expect(await upgraded.findQuietStudies('9999-01-01T00:00:00Z', 100)).toEqual(quiet);
      const { extras } = await upgraded.setExtraAttributes('radiology', [
        { attribute: 'InstitutionName', level: 'study' },
        { attribute: 'ProtocolName', level: 'series' },
      ]);
      const reindexed = copies.map((copy) => ({
        sopInstanceUid: copy.sopInstanceUid,
        version: 1,
        metadata: {
          '00080080': { vr: 'LO' as const, Value: [`institution of ${copy.sopInstanceUid}`] },
          '00181030': { vr: 'LO' as const, Value: [`protocol of ${copy.sopInstanceUid}`] },
        },
      }));
      await upgraded.applyExtraAttributes('radiology', extras.generation, reindexed);
      const series = (await upgraded.search('radiology', 'series', {}, [])).results;
      expect(series.map((record) => record['00080080']?.Value)).toEqual([
        ['institution of 7.1.1.2'],
        ['institution of 7.1.1.2'],
      ]);
      expect(series.map((record) => record['00181030']?.Value)).toEqual([
        ['protocol of 7.1.1.2'],
        ['protocol of 7.1.2.1'],
      ]);
    } finally {
      await upgraded.close();
    }
  });

  it('refuses a file of a newer schema, and leaves it as it was', async () => {
    const file = newFile();
    const db = new DatabaseSync(file);
    db.exec('PRAGMA user_version = 99');
    db.close();
    const index = new SqliteMetadataIndex({ file });
    await expect(index.start()).rejects.toMatchObject({ code: 'SCHEMA_TOO_NEW', retriable: false });
    await expect(index.start()).rejects.toThrow(MetadataIndexError);
    const after = new DatabaseSync(file);
    expect(after.prepare("SELECT COUNT(*) AS n FROM sqlite_schema WHERE type = 'table'").get()).toEqual({ n: 0 });
    after.close();
  });

  it('refuses options it cannot use', () => {
    expect(() => new SqliteMetadataIndex({ file: ':memory:', listBatchSize: 0 })).toThrow(MetadataIndexError);
    expect(() => new SqliteMetadataIndex({ file: ':memory:', maxResults: -1 })).toThrow(MetadataIndexError);
  });

  describe('query plans', () => {
    const file = newFile();
    let db: DatabaseSync;
    beforeAll(async () => {
      const index = new SqliteMetadataIndex({ file });
      await index.start();
      for (const instance of [...orderedArchive(), ...listedStudy()]) await index.upsertInstance(instance);
      await index.close();
      db = new DatabaseSync(file);
    });
    afterAll(() => db.close());

    const plan = ({ sql, parameters }: { sql: string; parameters: readonly unknown[] }) =>
      db
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all(...(parameters as string[]))
        .map((row) => String(row['detail']))
        .join('\n');
    const searchPlan = (level: SearchLevel, scope: SearchScope, query: string) => {
      const parsed = parseQidoQuery(new URLSearchParams(query));
      return plan(searchSql('radiology', level, scope, searchNarrowing(level, parsed.keys, { fuzzy: parsed.fuzzy })));
    };

    // How much each plan sorts: nothing (index order), each series' instances, or the few rows found.
    type Sorting = 'nothing' | 'per series' | 'found';
    it.each<[string, SearchLevel, SearchScope, string, RegExp, Sorting]>([
      [
        'the series of a modality in the tenant',
        'series',
        {},
        'Modality=CT',
        /se USING INDEX series_by_modality/,
        'nothing',
      ],
      [
        'the series of a study',
        'series',
        { studyInstanceUid: '1.1' },
        '',
        /se USING INDEX sqlite_autoindex_series_1/,
        'nothing',
      ],
      ['a series by its UID', 'series', {}, 'SeriesInstanceUID=1.1.1', /se USING INDEX series_by_uid/, 'found'],
      ['the series of a patient', 'series', {}, 'PatientID=P1', /st USING INDEX studies_of_patient/, 'found'],
      ['the instances of a tenant', 'instance', {}, '', /i USING INDEX current_instances /, 'nothing'],
      [
        'the instances of a series',
        'instance',
        { studyInstanceUid: '1.1', seriesInstanceUid: '1.1.1' },
        '',
        /i USING INDEX current_instances /,
        'nothing',
      ],
      [
        'the instances of a SOP Class',
        'instance',
        {},
        'SOPClassUID=1.2.840.10008.5.1.4.1.1.4',
        /i USING INDEX current_instances_by_class/,
        'nothing',
      ],
      ['the instances of a modality', 'instance', {}, 'Modality=CT', /se USING INDEX series_by_modality/, 'per series'],
      [
        'an instance by its UID',
        'instance',
        {},
        'SOPInstanceUID=1.1.1.1',
        /i USING INDEX sqlite_autoindex_instances_1 \(tenant=\? AND sop_uid=\?\)/,
        'found',
      ],
      ['the studies of a patient', 'study', {}, 'PatientID=P1', /st USING INDEX studies_of_patient/, 'nothing'],
      [
        'the studies of an accession',
        'study',
        {},
        'AccessionNumber=A1',
        /st USING INDEX studies_of_accession/,
        'nothing',
      ],
      ['the studies of a date', 'study', {}, 'StudyDate=20200110', /st USING INDEX studies_by_date/, 'found'],
    ])('reads %s from an index', (_what, level, scope, query, index, sorting) => {
      const text = searchPlan(level, scope, query);
      expect(text).toMatch(index);
      if (sorting === 'nothing') expect(text).not.toMatch(/TEMP B-TREE/);
      if (sorting === 'per series') expect(text).toMatch(/TEMP B-TREE FOR LAST TERM OF ORDER BY/);
    });

    it('narrows a name search with the name tokens', () => {
      expect(searchPlan('study', {}, 'PatientName=DOE*')).toMatch(/study_names/);
      expect(searchPlan('instance', {}, 'PatientName=doe&fuzzymatching=true')).toMatch(/study_names/);
      expect(searchPlan('study', {}, 'PatientName=*DOE')).not.toMatch(/study_names/);
    });

    it('reads each batch of a listing from its index, in its order', () => {
      const after = { series_uid: '4.1.2', numberless: 0, number: 2, sop_uid: '4.1.2.2' };
      for (const withMetadata of [false, true]) {
        const text = plan(listSql('radiology', { studyInstanceUid: '4.1' }, { withMetadata, limit: 3, after }));
        expect(text).toMatch(/USING INDEX current_instances_listed/);
        expect(text).not.toMatch(/TEMP B-TREE/);
      }
    });
  });
});
