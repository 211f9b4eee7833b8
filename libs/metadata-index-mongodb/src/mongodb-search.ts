import type { Collection, Document, Filter, Sort } from 'mongodb';
import type { DicomJsonDataset } from '@pacs/dicom';
import {
  instanceRecord,
  LEVEL_OF_FIELD,
  levelHolds,
  seriesRecord,
  withExtraAttributes,
  type ExtraAttribute,
  type FieldCondition,
  type NameCondition,
  type SearchLevel,
  type SearchNarrowing,
  type SearchScope,
} from '@pacs/metadata-index';
import type { CurrentDocument, SeriesDocument, StudyDocument } from './mongodb-documents';
import { copyKeyOf, type CopyKey } from './mongodb-extra-attributes';

/** The collections a search reads. */
export interface SearchCollections {
  readonly studies: Collection<StudyDocument>;
  readonly series: Collection<SeriesDocument>;
  readonly currentInstances: Collection<CurrentDocument>;
}

type AnyDocument = StudyDocument | SeriesDocument | CurrentDocument;

/** The tenant's extra attributes to add to the records (searchRecords), and where they are. */
export interface RecordExtras {
  readonly attributes: readonly ExtraAttribute[];
  /** The extras of each copy (of its highest generation), by copyKeyOf. */
  of(copies: readonly CopyKey[]): Promise<Map<string, DicomJsonDataset>>;
  /** The latest current copy of a study or series, for a document that does not name it. */
  latestOf(filter: {
    readonly studyInstanceUid: string;
    readonly seriesInstanceUid?: string;
  }): Promise<CopyKey | undefined>;
}

const LEVELS: readonly SearchLevel[] = ['study', 'series', 'instance'];
const UID_FIELDS = new Set(['studyInstanceUid', 'seriesInstanceUid', 'sopInstanceUid']);
const ORDER: Readonly<Record<SearchLevel, Sort>> = {
  study: { studyInstanceUid: 1 },
  series: { studyInstanceUid: 1, seriesInstanceUid: 1 },
  instance: { studyInstanceUid: 1, seriesInstanceUid: 1, sopInstanceUid: 1 },
};
// Parents whose children one query reads: studies by $in (merged in order by the index), series
// by $or of their UIDs.
const PARENT_BATCH: Readonly<Record<SearchLevel, number>> = { study: 100, series: 50, instance: 100 };

/**
 * The records of a search at `level`, in its order, as candidates for collectPage.
 *
 * The UIDs of the scope and of the keys are fields of every level below theirs, so they filter
 * the searched collection directly. Other conditions of a level above (PatientID, StudyDate, a
 * name, Modality for instances) are in its own collection: without a UID to narrow on, the
 * search goes down from the highest such level, batch by batch, to the children of each batch
 * that meet their own conditions; with one, the searched collection is read directly and
 * collectPage checks the conditions above. Every record is then completed with its parents', and
 * each level with its extra attributes when the tenant lists some.
 */
export async function* searchRecords(
  collections: SearchCollections,
  tenantId: string,
  level: SearchLevel,
  scope: SearchScope,
  narrowing: SearchNarrowing,
  extras?: RecordExtras,
): AsyncGenerator<DicomJsonDataset> {
  const filters = levelFilters(tenantId, level, scope, narrowing);
  const narrowedByUid = filters[level].some((clause) => Object.keys(clause).some((field) => UID_FIELDS.has(field)));
  const upper = LEVELS.filter((l) => l !== level && levelHolds(level, l) && filters.own[l].length > 0);
  const chain = narrowedByUid ? [level] : [...upper, level];
  const documents = descend(collections, chain, filters, {});
  if (level !== 'study') {
    const lower = documents as AsyncIterable<SeriesDocument | CurrentDocument>;
    yield* withParents(collections, tenantId, level, lower, extras);
    return;
  }
  if (!extras) {
    for await (const study of documents) yield JSON.parse((study as StudyDocument).record) as DicomJsonDataset;
    return;
  }
  for await (const batch of batches(documents as AsyncIterable<StudyDocument>, 100)) {
    const sources = await sourcesOf(batch, extras);
    const found = await extras.of([...sources.values()]);
    for (const study of batch) {
      const source = sources.get(study);
      const record = JSON.parse(study.record) as DicomJsonDataset;
      yield withExtraAttributes(record, 'study', source && found.get(copyKeyOf(source)), extras.attributes);
    }
  }
}

/** The copy each study or series document takes its attributes from. */
async function sourcesOf<T extends StudyDocument | SeriesDocument>(
  documents: readonly T[],
  extras: RecordExtras,
): Promise<Map<T, CopyKey>> {
  const sources = new Map<T, CopyKey>();
  for (const document of documents) {
    const { latestSop, latestVersion } = document;
    const source =
      latestSop !== undefined && latestVersion !== undefined
        ? { sopInstanceUid: latestSop, version: latestVersion }
        : await extras.latestOf({
            studyInstanceUid: document.studyInstanceUid,
            ...('seriesInstanceUid' in document ? { seriesInstanceUid: document.seriesInstanceUid } : {}),
          });
    if (source) sources.set(document, source);
  }
  return sources;
}

/** Per level, the clauses of its collection: `own` are those on its own fields besides UIDs. */
function levelFilters(tenantId: string, level: SearchLevel, scope: SearchScope, narrowing: SearchNarrowing) {
  const filters: Record<SearchLevel, Filter<Document>[]> = { study: [], series: [], instance: [] };
  const own: Record<SearchLevel, Filter<Document>[]> = { study: [], series: [], instance: [] };
  const uids: Filter<Document>[] = [];
  if (scope.studyInstanceUid !== undefined) uids.push({ studyInstanceUid: scope.studyInstanceUid });
  if (scope.seriesInstanceUid !== undefined) uids.push({ seriesInstanceUid: scope.seriesInstanceUid });
  if (scope.sopInstanceUid !== undefined) uids.push({ sopInstanceUid: scope.sopInstanceUid });
  for (const condition of narrowing.fields) {
    const clause = { [condition.field]: fieldFilter(condition) };
    if (UID_FIELDS.has(condition.field)) uids.push(clause);
    else own[LEVEL_OF_FIELD[condition.field]].push(clause);
  }
  for (const condition of narrowing.names) own.study.push(nameFilter(condition));
  for (const l of LEVELS) {
    if (!levelHolds(level, l)) continue;
    // A UID clause goes to every level that holds its field.
    const held = uids.filter((clause) =>
      levelHolds(l, LEVEL_OF_FIELD[Object.keys(clause)[0] as FieldCondition['field']]),
    );
    filters[l] = [{ tenantId }, ...held, ...own[l]];
  }
  return { ...filters, own };
}

/** The documents of the chain's last level, in order, going down from its first. */
async function* descend(
  collections: SearchCollections,
  chain: readonly SearchLevel[],
  filters: Readonly<Record<SearchLevel, Filter<Document>[]>>,
  parents: Filter<Document>,
): AsyncGenerator<AnyDocument> {
  const [level, ...below] = chain as [SearchLevel, ...SearchLevel[]];
  const collection = collectionOf(collections, level) as unknown as Collection<Document>;
  const filter = { $and: [...filters[level], parents] };
  const cursor = collection.find(
    filter,
    below.length === 0 ? {} : { projection: { studyInstanceUid: 1, seriesInstanceUid: 1 } },
  );
  cursor.sort(ORDER[level]).allowDiskUse(true);
  try {
    if (below.length === 0) {
      for await (const document of cursor) yield document as unknown as AnyDocument;
      return;
    }
    for await (const batch of batches(cursor, PARENT_BATCH[level])) {
      yield* descend(collections, below, filters, childrenOf(level, batch as unknown as AnyDocument[]));
    }
  } finally {
    await cursor.close();
  }
}

/**
 * Each series or instance document with its study record (and series), as its search record, the
 * extra attributes of each level added.
 */
async function* withParents(
  collections: SearchCollections,
  tenantId: string,
  level: SearchLevel,
  documents: AsyncIterable<SeriesDocument | CurrentDocument>,
  extras: RecordExtras | undefined,
): AsyncGenerator<DicomJsonDataset> {
  for await (const batch of batches(documents, 100)) {
    const studyUids = [...new Set(batch.map((d) => d.studyInstanceUid))];
    const studyDocuments = await collections.studies
      .find(
        { tenantId, studyInstanceUid: { $in: studyUids } },
        { projection: { studyInstanceUid: 1, record: 1, latestSop: 1, latestVersion: 1 } },
      )
      .toArray();
    const series = new Map<string, SeriesDocument>();
    if (level === 'instance') {
      const pairs = uniquePairs(batch);
      for await (const one of collections.series.find({ tenantId, $or: pairs })) series.set(keyOf(one), one);
    } else {
      for (const one of batch as SeriesDocument[]) series.set(keyOf(one), one);
    }
    const added = await extrasOfBatch(extras, studyDocuments, [...series.values()], level === 'instance' ? batch : []);
    const studies = new Map<string, DicomJsonDataset>();
    for (const study of studyDocuments) {
      const record = JSON.parse(study.record) as DicomJsonDataset;
      studies.set(study.studyInstanceUid, added(record, 'study', study));
    }
    for (const document of batch) {
      const study = studies.get(document.studyInstanceUid);
      const parent = series.get(keyOf(document));
      // A record whose parents an interrupted upsert left behind is left out until it heals.
      if (!study || !parent) continue;
      const attributes = added(JSON.parse(parent.attributes) as DicomJsonDataset, 'series', parent);
      const record = seriesRecord(study, attributes, parent.instanceCount);
      if (level === 'series') {
        yield record;
        continue;
      }
      const instance = document as CurrentDocument;
      yield instanceRecord(record, added(JSON.parse(instance.attributes) as DicomJsonDataset, 'instance', instance));
    }
  }
}

/**
 * How the records of a batch get their extra attributes: each study, series and instance document
 * from the copy it names (the instance, itself). Records as they are without extras.
 */
async function extrasOfBatch(
  extras: RecordExtras | undefined,
  studies: readonly StudyDocument[],
  series: readonly SeriesDocument[],
  instances: readonly (SeriesDocument | CurrentDocument)[],
): Promise<(record: DicomJsonDataset, level: SearchLevel, document: object) => DicomJsonDataset> {
  if (!extras) return (record) => record;
  const sources = new Map<object, CopyKey>([
    ...(await sourcesOf(studies, extras)),
    ...(await sourcesOf(series, extras)),
  ]);
  for (const instance of instances as CurrentDocument[]) sources.set(instance, instance);
  const found = await extras.of([...sources.values()]);
  return (record, level, document) => {
    const source = sources.get(document);
    return withExtraAttributes(record, level, source && found.get(copyKeyOf(source)), extras.attributes);
  };
}

/** The filter of the children of a batch of parents of `level`. */
function childrenOf(level: SearchLevel, parents: readonly AnyDocument[]): Filter<Document> {
  if (level === 'study') return { studyInstanceUid: { $in: parents.map((p) => p.studyInstanceUid) } };
  return { $or: uniquePairs(parents as SeriesDocument[]) };
}

function uniquePairs(documents: readonly { studyInstanceUid: string; seriesInstanceUid: string }[]) {
  const pairs = new Map<string, { studyInstanceUid: string; seriesInstanceUid: string }>();
  for (const { studyInstanceUid, seriesInstanceUid } of documents) {
    pairs.set(`${studyInstanceUid}/${seriesInstanceUid}`, { studyInstanceUid, seriesInstanceUid });
  }
  return [...pairs.values()];
}

const keyOf = (document: { studyInstanceUid: string; seriesInstanceUid: string }) =>
  `${document.studyInstanceUid}/${document.seriesInstanceUid}`;

function collectionOf(collections: SearchCollections, level: SearchLevel) {
  return level === 'study'
    ? collections.studies
    : level === 'series'
      ? collections.series
      : collections.currentInstances;
}

function fieldFilter(condition: FieldCondition): unknown {
  switch (condition.kind) {
    case 'equals':
      return condition.value;
    case 'in':
      return { $in: [...condition.values] };
    case 'prefix':
      return { $regex: `^${escapeRegExp(condition.prefix)}` };
    case 'range':
      return {
        ...(condition.from !== undefined ? { $gte: condition.from } : {}),
        ...(condition.to !== undefined ? { $lte: condition.to } : {}),
      };
  }
}

/** One of the alternatives holds: each of its tests is met by a token of nameTokens. */
function nameFilter(condition: NameCondition): Filter<Document> {
  return {
    $or: condition.anyOf.map((tests) => ({
      $and: tests.map((test) => ({
        nameTokens: test.kind === 'equals' ? test.token : { $regex: `^${escapeRegExp(test.token)}` },
      })),
    })),
  };
}

/** A literal in a regular expression (anchored prefixes are what MongoDB serves from an index). */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The items of an iterable in arrays of at most `size`. */
export async function* batches<T>(items: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
