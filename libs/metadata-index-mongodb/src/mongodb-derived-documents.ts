import { MongoServerError, type Filter, type UpdateFilter } from 'mongodb';
import type { DicomJsonDataset } from '@pacs/dicom';
import {
  instanceNumberOf,
  modalityOf,
  seriesAttributesOf,
  studyRecord,
  studySearchFields,
  type IndexedInstance,
} from '@pacs/metadata-index';
import type { CurrentDocument, IndexCollections, StudyDocument } from './mongodb-documents';

// The documents derived from the copies (current copies, series, studies, pending studies), each
// recomputed from the copies by an upsert, so that one interrupted heals when the event comes again.

/** A series, by its UIDs. */
export interface SeriesKey {
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
}

/** The copy a series or study takes its attributes from: its index attributes, and which it is. */
export interface LatestCopy {
  readonly attributes: DicomJsonDataset;
  readonly sopInstanceUid: string;
  readonly version: number;
}

/** A series' UIDs as one string. */
export const keyOf = (key: SeriesKey) => `${key.studyInstanceUid}/${key.seriesInstanceUid}`;

/** E11000: a unique index refused the write. */
export const isDuplicateKey = (error: unknown) => error instanceof MongoServerError && error.code === 11000;

/**
 * Makes the copy the current one of its SOP Instance UID unless a higher version is: an upsert
 * conditional on a lower version, which the unique index turns into a duplicate key error when
 * the current one is as high. Whether the copy is (now) the current one, and where the copy it
 * replaced was.
 */
export async function makeCurrent(
  collections: IndexCollections,
  instance: IndexedInstance,
  indexedAt: string,
): Promise<{ readonly isCurrent: boolean; readonly previous?: SeriesKey }> {
  const { currentInstances } = collections;
  const { tenantId, sopInstanceUid, version } = instance;
  const instanceNumber = instanceNumberOf(instance.attributes);
  try {
    const previous = await currentInstances.findOneAndUpdate(
      { tenantId, sopInstanceUid, version: { $lt: version } },
      {
        $set: {
          studyInstanceUid: instance.studyInstanceUid,
          seriesInstanceUid: instance.seriesInstanceUid,
          version,
          sopClassUid: instance.sopClassUid,
          transferSyntaxUid: instance.transferSyntaxUid,
          modality: modalityOf(instance.attributes),
          numberless: instanceNumber === null,
          instanceNumber: instanceNumber ?? 0,
          blob: { ...instance.blob },
          attributes: JSON.stringify(instance.attributes),
          indexedAt,
        },
      },
      // No projection: FerretDB's findAndModify has none.
      { upsert: true, returnDocument: 'before' },
    );
    return {
      isCurrent: true,
      ...(previous
        ? { previous: { studyInstanceUid: previous.studyInstanceUid, seriesInstanceUid: previous.seriesInstanceUid } }
        : {}),
    };
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    const current = await currentInstances.findOne({ tenantId, sopInstanceUid }, { projection: { version: 1 } });
    return { isCurrent: current?.version === version };
  }
}

/**
 * Recounts a series from its current copies; its attributes are those of the copy given (the new
 * one), else those of its latest current copy, which it names. Gone when it has none.
 */
export async function refreshSeries(
  collections: IndexCollections,
  tenantId: string,
  key: SeriesKey,
  given?: LatestCopy,
): Promise<void> {
  const { currentInstances, series } = collections;
  const filter = { tenantId, studyInstanceUid: key.studyInstanceUid, seriesInstanceUid: key.seriesInstanceUid };
  const [instanceCount, classes, modalities] = await Promise.all([
    currentInstances.countDocuments(filter),
    currentInstances.distinct('sopClassUid', filter),
    currentInstances.distinct('modality', filter),
  ]);
  const latest = given ?? (await latestCopy(collections, filter));
  if (instanceCount === 0 || !latest) {
    await series.deleteOne(filter);
    return;
  }
  await series.updateOne(
    filter,
    {
      $set: {
        modality: modalityOf(latest.attributes),
        instanceCount,
        sopClassUids: strings(classes),
        modalities: strings(modalities),
        attributes: JSON.stringify(seriesAttributesOf(latest.attributes)),
        latestSop: latest.sopInstanceUid,
        latestVersion: latest.version,
      },
    },
    { upsert: true },
  );
}

/**
 * Rewrites a study's document from its series: its record with the attributes of the copy given
 * (the new one), else those of its latest current copy, which it names; gone when it has no
 * series. The study is pending as of the activity, or later. Without one (a redelivery healing),
 * the document is written only when it was not as computed, as of the activity of its latest copy.
 */
export async function refreshStudy(
  collections: IndexCollections,
  tenantId: string,
  studyInstanceUid: string,
  change: { readonly latest?: LatestCopy; readonly activityAt?: string },
): Promise<void> {
  const { series, studies, pendingStudies } = collections;
  const filter = { tenantId, studyInstanceUid };
  const aggregates = { seriesCount: 0, instanceCount: 0, modalities: [] as string[], sopClassUids: [] as string[] };
  for await (const one of series.find(filter, { projection: { instanceCount: 1, sopClassUids: 1, modalities: 1 } })) {
    aggregates.seriesCount += 1;
    aggregates.instanceCount += one.instanceCount;
    aggregates.modalities.push(...one.modalities);
    aggregates.sopClassUids.push(...one.sopClassUids);
  }
  const found = change.latest && change.activityAt ? undefined : await latestCopy(collections, filter);
  const latest = change.latest ?? found;
  const activityAt = change.activityAt ?? found?.indexedAt;
  if (aggregates.seriesCount === 0 || !latest || !activityAt) {
    await studies.deleteOne(filter);
    await pendingStudies.deleteMany(filter);
    return;
  }
  const record = JSON.stringify(studyRecord(latest.attributes, aggregates));
  if (!change.activityAt) {
    const existing = await studies.findOne(filter, { projection: { record: 1, latestSop: 1, latestVersion: 1 } });
    const same =
      existing?.record === record &&
      existing.latestSop === latest.sopInstanceUid &&
      existing.latestVersion === latest.version;
    if (same) return;
  }
  const fields = studySearchFields(studyInstanceUid, JSON.parse(record) as DicomJsonDataset);
  const update: UpdateFilter<StudyDocument> = {
    $set: {
      patientId: fields.patientId,
      accessionNumber: fields.accessionNumber,
      studyDate: fields.studyDate,
      nameTokens: [...fields.nameTokens],
      record,
      seriesCount: aggregates.seriesCount,
      instanceCount: aggregates.instanceCount,
      latestSop: latest.sopInstanceUid,
      latestVersion: latest.version,
    },
  };
  await studies.updateOne(filter, update, { upsert: true });
  // Pending again (after marked stable), as of its latest change: the new pending document
  // first, then the ones it replaces, so that the study is never not pending meanwhile.
  const previous = await pendingStudies.find(filter, { projection: { pendingSince: 1 } }).toArray();
  const pendingSince = [activityAt, ...previous.map((p) => p.pendingSince)].sort().at(-1)!;
  const { insertedId } = await pendingStudies.insertOne({
    tenantId,
    studyInstanceUid,
    pendingSince,
    seriesCount: aggregates.seriesCount,
    instanceCount: aggregates.instanceCount,
  });
  await pendingStudies.deleteMany({ ...filter, _id: { $ne: insertedId } });
}

/** The latest indexed current copy matching the filter: which it is, its index attributes and indexedAt. */
async function latestCopy(
  collections: IndexCollections,
  filter: Filter<CurrentDocument>,
): Promise<(LatestCopy & { readonly indexedAt: string }) | undefined> {
  const latest = await collections.currentInstances
    .find(filter, { projection: { attributes: 1, indexedAt: 1, sopInstanceUid: 1, version: 1 } })
    .sort({ indexedAt: -1, sopInstanceUid: -1 })
    .limit(1)
    .next();
  return latest
    ? {
        attributes: JSON.parse(latest.attributes) as DicomJsonDataset,
        sopInstanceUid: latest.sopInstanceUid,
        version: latest.version,
        indexedAt: latest.indexedAt,
      }
    : undefined;
}

function strings(values: readonly unknown[]): string[] {
  return values.filter((v): v is string => typeof v === 'string' && v !== '').sort();
}
