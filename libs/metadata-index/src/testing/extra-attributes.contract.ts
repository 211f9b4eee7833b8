import type { DicomJsonDataset } from '@pacs/dicom';
import type { ExtraAttributeRequest } from '../extra-attributes';
import { MetadataIndexError } from '../metadata-index.errors';
import type { MetadataIndex, SearchLevel } from '../metadata-index.port';
import type { ReindexProgress } from '../reindex-job';
import { contractContext, type ContractContext } from './contract-context';
import {
  archive,
  indexedInstance,
  searchWith,
  seriesOf,
  sopsOf,
  tag,
  uidsOf,
  type InstanceSpec,
} from './contract-fixtures';

const PROTOCOL: ExtraAttributeRequest = { attribute: 'ProtocolName', level: 'series' };
const IMAGE_TYPE: ExtraAttributeRequest = { attribute: '00080008', level: 'instance' };
const INSTITUTION: ExtraAttributeRequest = { attribute: 'InstitutionName', level: 'study' };

/** The whole data set of a copy: its index attributes, a protocol, an image type, an institution. */
function withMetadata(spec: InstanceSpec, protocol: string, imageType: string[], institution = 'General') {
  const copy = indexedInstance(spec);
  const metadata: DicomJsonDataset = {
    ...copy.attributes,
    [tag('ProtocolName')]: { vr: 'LO', Value: [protocol] },
    [tag('ImageType')]: { vr: 'CS', Value: imageType },
    [tag('InstitutionName')]: { vr: 'LO', Value: [institution] },
  };
  return { ...copy, metadata };
}

/** Two studies of radiology with their metadata, one of cardiology. */
function described() {
  return [
    withMetadata({ study: '7.1', series: '7.1.1', sop: '7.1.1.1' }, 'ABD ROUTINE', ['ORIGINAL', 'PRIMARY', 'AXIAL']),
    withMetadata({ study: '7.1', series: '7.1.1', sop: '7.1.1.2' }, 'ABD ROUTINE', ['DERIVED', 'SECONDARY', 'MPR']),
    withMetadata({ study: '7.1', series: '7.1.2', sop: '7.1.2.1' }, 'CHEST HR', ['ORIGINAL', 'PRIMARY', 'AXIAL']),
    withMetadata({ study: '7.2', series: '7.2.1', sop: '7.2.1.1' }, 'HEAD', ['ORIGINAL', 'PRIMARY'], 'Clinic'),
    withMetadata({ tenantId: 'cardiology', study: '7.1', series: '7.1.1', sop: '7.1.1.1' }, 'ABD ROUTINE', ['X']),
  ];
}

const first = (record: DicomJsonDataset, keyword: string) => record[tag(keyword)]?.Value;

/**
 * A tenant's extra attributes: stored per tenant as generations with their reindex job, carried by
 * the records of copies upserted since, given to older copies by applyExtraAttributes; the job's
 * primitives (listing, progress recorded once per batch).
 */
export function describeExtraAttributes(open: () => Promise<MetadataIndex>): void {
  const context = contractContext(open);
  describeLists(context);
  describeRecords(context);
  describeJobs(context);
}

function describeLists(context: ContractContext): void {
  it('has none before the first list, and no job', async () => {
    expect(await context.index.getExtraAttributes('radiology')).toEqual({ generation: 0, attributes: [] });
    expect(await context.index.findUnfinishedReindexJobs(10)).toEqual([]);
  });

  it('stores a list, normalized, as a new generation with its pending job, per tenant', async () => {
    await context.load(archive());
    const { extras, job } = await context.index.setExtraAttributes('radiology', [PROTOCOL, IMAGE_TYPE]);
    expect(extras).toEqual({
      generation: 1,
      attributes: [
        { tag: '00181030', keyword: 'ProtocolName', vr: 'LO', level: 'series' },
        { tag: '00080008', keyword: 'ImageType', vr: 'CS', level: 'instance' },
      ],
      reindexJobId: job.id,
    });
    expect(job).toMatchObject({ tenantId: 'radiology', generation: 1, state: 'pending', done: 0, total: 5 });
    expect(job).toMatchObject({ batches: 0, errorCount: 0, errors: [] });
    expect(await context.index.getExtraAttributes('radiology')).toEqual(extras);
    expect(await context.index.getReindexJob('radiology', job.id)).toEqual(job);
    expect(await context.index.getExtraAttributes('cardiology')).toEqual({ generation: 0, attributes: [] });
    expect(await context.index.getReindexJob('cardiology', job.id)).toBeUndefined();
    expect(await context.index.findUnfinishedReindexJobs(10)).toEqual([job]);
  });

  it('supersedes the job of the list it replaces', async () => {
    const { job: older } = await context.index.setExtraAttributes('radiology', [PROTOCOL]);
    const { extras, job } = await context.index.setExtraAttributes('radiology', [IMAGE_TYPE]);
    expect(extras.generation).toBe(2);
    expect((await context.index.getReindexJob('radiology', older.id))?.state).toBe('superseded');
    expect(await context.index.findUnfinishedReindexJobs(10)).toEqual([job]);
    const cardiology = await context.index.setExtraAttributes('cardiology', []);
    expect(cardiology.extras).toEqual({ generation: 1, attributes: [], reindexJobId: cardiology.job.id });
    expect((await context.index.findUnfinishedReindexJobs(10)).map((j) => j.id)).toEqual([job.id, cardiology.job.id]);
    expect(await context.index.findUnfinishedReindexJobs(1)).toEqual([job]);
  });

  it('refuses a bad list naming its entry, and keeps the list it had', async () => {
    await context.index.setExtraAttributes('radiology', [PROTOCOL]);
    const bad = context.index.setExtraAttributes('radiology', [
      PROTOCOL,
      { attribute: 'ProtocolNam', level: 'series' },
    ]);
    await expect(bad).rejects.toThrow(MetadataIndexError);
    await expect(bad).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', retriable: false });
    await expect(bad).rejects.toThrow(/attributes\[1\] "ProtocolNam"/);
    expect((await context.index.getExtraAttributes('radiology')).generation).toBe(1);
    expect(await context.index.findUnfinishedReindexJobs(10)).toHaveLength(1);
  });
}

function describeRecords(context: ContractContext): void {
  const search = (level: SearchLevel, query: string, tenantId = 'radiology') =>
    searchWith(context.index, level, {}, query, tenantId);

  it('gives copies upserted after the list its attributes, each at its level, and matches them', async () => {
    await context.index.setExtraAttributes('radiology', [PROTOCOL, IMAGE_TYPE, INSTITUTION]);
    await context.load(described());
    const [study] = (await search('study', 'StudyInstanceUID=7.1')).results;
    expect(first(study!, 'InstitutionName')).toEqual(['General']);
    expect(study![tag('ProtocolName')]).toBeUndefined();
    const series = (await search('series', 'StudyInstanceUID=7.1')).results;
    expect(series.map((record) => first(record, 'ProtocolName'))).toEqual([['ABD ROUTINE'], ['CHEST HR']]);
    expect(series.map((record) => first(record, 'InstitutionName'))).toEqual([['General'], ['General']]);
    expect(series.every((record) => record[tag('ImageType')] === undefined)).toBe(true);
    const instances = (await search('instance', 'StudyInstanceUID=7.1')).results;
    expect(instances.map((record) => first(record, 'ImageType')?.[0])).toEqual(['ORIGINAL', 'DERIVED', 'ORIGINAL']);
    expect(seriesOf((await search('series', 'ProtocolName=CHEST*')).results)).toEqual(['7.1.2']);
    expect(sopsOf((await search('instance', 'ImageType=MPR')).results)).toEqual(['7.1.1.2']);
    expect(uidsOf((await search('study', 'InstitutionName=Clinic')).results)).toEqual(['7.2']);
    // Cardiology has no list: its records carry nothing more.
    const [other] = (await search('instance', '', 'cardiology')).results;
    expect(other![tag('ProtocolName')]).toBeUndefined();
  });

  it('takes a study attribute from the latest copy of the study', async () => {
    await context.index.setExtraAttributes('radiology', [INSTITUTION]);
    await context.load([
      withMetadata(
        { study: '7.1', series: '7.1.1', sop: '7.1.1.1', indexedAt: '2024-01-01T00:00:00Z' },
        'A',
        [],
        'Old',
      ),
      withMetadata(
        { study: '7.1', series: '7.1.2', sop: '7.1.2.1', indexedAt: '2024-01-02T00:00:00Z' },
        'B',
        [],
        'New',
      ),
    ]);
    const [study] = (await search('study', '')).results;
    expect(first(study!, 'InstitutionName')).toEqual(['New']);
  });

  it('takes the attributes of a copy without metadata from its index attributes', async () => {
    await context.index.setExtraAttributes('radiology', [PROTOCOL]);
    const copy = indexedInstance({
      study: '7.1',
      series: '7.1.1',
      sop: '7.1.1.1',
      attributes: { [tag('ProtocolName')]: { vr: 'LO', Value: ['FROM EVENT'] } },
    });
    await context.load([copy]);
    const [series] = (await search('series', '')).results;
    expect(first(series!, 'ProtocolName')).toEqual(['FROM EVENT']);
  });

  it('gives copies indexed before the list its attributes once applied, idempotently', async () => {
    await context.load(described());
    const before = await search('instance', '');
    expect(before.results[0]![tag('ImageType')]).toBeUndefined();
    const { extras } = await context.index.setExtraAttributes('radiology', [PROTOCOL, IMAGE_TYPE]);
    // Until applied, the records are as they were.
    expect(await search('instance', '')).toEqual(before);
    const copies = await context.index.listReindexCopies('radiology', undefined, 100);
    const reindexed = copies.map(({ instance, metadata }) => ({
      sopInstanceUid: instance.sopInstanceUid,
      version: instance.version,
      metadata: metadata ?? instance.attributes,
    }));
    await context.index.applyExtraAttributes('radiology', extras.generation, reindexed);
    const after = await search('instance', '');
    expect(after.results.map((record) => first(record, 'ProtocolName'))).toEqual([
      ['ABD ROUTINE'],
      ['ABD ROUTINE'],
      ['CHEST HR'],
      ['HEAD'],
    ]);
    await context.index.applyExtraAttributes('radiology', extras.generation, reindexed);
    expect(await search('instance', '')).toEqual(after);
    expect(after.results[0]![tag('NumberOfSeriesRelatedInstances')]).toEqual({ vr: 'IS', Value: [2] });
    expect(seriesOf((await search('series', 'ProtocolName=HEAD')).results)).toEqual(['7.2.1']);
  });

  it('drops at once an attribute no longer listed, and adds a new one when applied', async () => {
    await context.index.setExtraAttributes('radiology', [PROTOCOL]);
    await context.load(described());
    const { extras } = await context.index.setExtraAttributes('radiology', [IMAGE_TYPE]);
    const [record] = (await search('instance', '')).results;
    expect(record![tag('ProtocolName')]).toBeUndefined();
    expect(record![tag('ImageType')]).toBeUndefined();
    expect((await search('series', 'ProtocolName=HEAD')).results).toEqual([]);
    const [copy] = await context.index.listReindexCopies('radiology', undefined, 1);
    await context.index.applyExtraAttributes('radiology', extras.generation, [
      { sopInstanceUid: copy!.instance.sopInstanceUid, version: copy!.instance.version, metadata: copy!.metadata! },
    ]);
    const [applied] = (await search('instance', '')).results;
    expect(first(applied!, 'ImageType')).toEqual(['ORIGINAL', 'PRIMARY', 'AXIAL']);
  });

  it('refuses to apply a generation the tenant never had', async () => {
    await context.index.setExtraAttributes('radiology', [PROTOCOL]);
    await expect(
      context.index.applyExtraAttributes('radiology', 2, [{ sopInstanceUid: '7.1.1.1', version: 1, metadata: {} }]),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
}

function describeJobs(context: ContractContext): void {
  const progress = (batch: number, more: Partial<ReindexProgress> = {}): ReindexProgress => ({
    batch,
    cursor: '7.1.1.2',
    done: 2,
    total: 4,
    errorCount: 0,
    errors: [],
    finished: false,
    ...more,
  });

  it('lists the current copies of a tenant in SOP Instance UID order, after a cursor, with their metadata', async () => {
    await context.load([
      ...described(),
      indexedInstance({ study: '7.1', series: '7.1.1', sop: '7.1.1.2', version: 2 }),
      indexedInstance({ study: '7.0', series: '7.0.1', sop: '10.1' }),
    ]);
    const page = await context.index.listReindexCopies('radiology', undefined, 3);
    expect(page.map(({ instance }) => `${instance.sopInstanceUid}@${instance.version}`)).toEqual([
      '10.1@1',
      '7.1.1.1@1',
      '7.1.1.2@2',
    ]);
    expect(page.map(({ metadata }) => metadata !== undefined)).toEqual([false, true, false]);
    expect(page[1]!.metadata![tag('ProtocolName')]).toEqual({ vr: 'LO', Value: ['ABD ROUTINE'] });
    expect(page[1]!.instance.blob.key).toBe('7.1/7.1.1/7.1.1.1-1.dcm');
    const rest = await context.index.listReindexCopies('radiology', '7.1.1.2', 3);
    expect(rest.map(({ instance }) => instance.sopInstanceUid)).toEqual(['7.1.2.1', '7.2.1.1']);
    expect(await context.index.listReindexCopies('radiology', '7.2.1.1', 3)).toEqual([]);
    expect(await context.index.listReindexCopies('oncology', undefined, 3)).toEqual([]);
  });

  it('records a progress once per batch number, and the job as of its last one', async () => {
    await context.load(described());
    const { job } = await context.index.setExtraAttributes('radiology', [PROTOCOL]);
    expect(await context.index.recordReindexProgress('radiology', job.id, progress(1))).toBe(true);
    expect(await context.index.recordReindexProgress('radiology', job.id, progress(1, { done: 9 }))).toBe(false);
    const running = await context.index.getReindexJob('radiology', job.id);
    expect(running).toMatchObject({ state: 'running', batches: 1, cursor: '7.1.1.2', done: 2, total: 4 });
    expect(Date.parse(running!.updatedAt)).toBeGreaterThanOrEqual(Date.parse(job.createdAt));
    const errors = [{ sopInstanceUid: '7.2.1.1', message: 'blob missing' }];
    const last = progress(2, { cursor: '7.2.1.1', done: 4, errorCount: 1, errors, finished: true });
    expect(await context.index.recordReindexProgress('radiology', job.id, last)).toBe(true);
    expect(await context.index.getReindexJob('radiology', job.id)).toMatchObject({
      state: 'done',
      batches: 2,
      done: 4,
      errorCount: 1,
      errors,
    });
    expect(await context.index.findUnfinishedReindexJobs(10)).toEqual([]);
    expect(await context.index.getReindexJob('radiology', 'no-such-job')).toBeUndefined();
  });

  it('refuses a progress of another tenant, or with bad counts', async () => {
    const { job } = await context.index.setExtraAttributes('radiology', [PROTOCOL]);
    await expect(context.index.recordReindexProgress('cardiology', job.id, progress(1))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(context.index.recordReindexProgress('radiology', job.id, progress(0))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(
      context.index.recordReindexProgress('radiology', job.id, progress(1, { done: -1 })),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('keeps the records of the applied generation once its job is done', async () => {
    await context.index.setExtraAttributes('radiology', [PROTOCOL]);
    await context.load(described());
    const { extras, job } = await context.index.setExtraAttributes('radiology', [PROTOCOL, IMAGE_TYPE]);
    const copies = await context.index.listReindexCopies('radiology', undefined, 100);
    await context.index.applyExtraAttributes(
      'radiology',
      extras.generation,
      copies.map(({ instance, metadata }) => ({ ...instance, metadata: metadata! })),
    );
    const applied = await search(context, 'instance');
    const done = progress(1, { cursor: '7.2.1.1', done: 4, finished: true });
    expect(await context.index.recordReindexProgress('radiology', job.id, done)).toBe(true);
    // The older generation's extras are dropped; the records keep the applied ones.
    expect(await search(context, 'instance')).toEqual(applied);
    expect(applied.results.map((record) => first(record, 'ImageType')?.[0])).toEqual([
      'ORIGINAL',
      'DERIVED',
      'ORIGINAL',
      'ORIGINAL',
    ]);
  });
}

function search(context: ContractContext, level: SearchLevel) {
  return searchWith(context.index, level, {}, '');
}
