// Test support: the search and listing of the metadata index port over a list of instances, with
// the port lib's own record builders and reference matching (collectPage), and the tenants' extra
// attributes given (the same list for every tenant, taken from each instance's metadata, else its
// index attributes), so that the Query/Retrieve SCP can be tested over DICOM without an index engine. The adapters' contract suite
// checks that they agree with the same reference semantics.
import { formatTag, tagOf, type DicomJsonDataset } from '@pacs/dicom';
import {
  collectPage,
  instanceRecord,
  modalityOf,
  pickExtraAttributes,
  seriesAttributesOf,
  seriesRecord,
  studyRecord,
  withExtraAttributes,
  type ExtraAttribute,
  type ExtraAttributes,
  type IndexedInstance,
  type MetadataIndex,
  type QueryKey,
  type SearchLevel,
  type SearchOptions,
  type SearchPage,
  type SearchResult,
  type SearchScope,
  type StoredInstance,
} from '@pacs/metadata-index';

const INSTANCE_NUMBER = formatTag(tagOf('InstanceNumber'));

function inScope(instance: IndexedInstance, scope: SearchScope): boolean {
  return (
    (scope.studyInstanceUid === undefined || instance.studyInstanceUid === scope.studyInstanceUid) &&
    (scope.seriesInstanceUid === undefined || instance.seriesInstanceUid === scope.seriesInstanceUid) &&
    (scope.sopInstanceUid === undefined || instance.sopInstanceUid === scope.sopInstanceUid)
  );
}

const byUid = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The port's search and listInstances over the current copies of the given instances. */
export class InMemoryMetadataIndex implements MetadataIndex {
  /** Calls to search, for tests that check the paging. */
  readonly searches: Array<{ level: SearchLevel; scope: SearchScope; keys: readonly QueryKey[]; page: SearchPage }> =
    [];
  private readonly current: IndexedInstance[];

  constructor(
    instances: readonly IndexedInstance[],
    private readonly extras: readonly ExtraAttribute[] = [],
  ) {
    const latest = new Map<string, IndexedInstance>();
    for (const instance of instances) {
      const id = `${instance.tenantId}/${instance.sopInstanceUid}`;
      if ((latest.get(id)?.version ?? 0) < instance.version) latest.set(id, instance);
    }
    this.current = [...latest.values()];
  }

  /** A record with the extra attributes of its level, from the instance its level is taken from. */
  private withExtras(record: DicomJsonDataset, level: SearchLevel, source: IndexedInstance): DicomJsonDataset {
    const picked = pickExtraAttributes(source.metadata ?? source.attributes, this.extras);
    return withExtraAttributes(record, level, picked, this.extras);
  }

  private studyRecords(tenantId: string): Map<string, DicomJsonDataset> {
    const records = new Map<string, DicomJsonDataset>();
    const ofTenant = this.current.filter((i) => i.tenantId === tenantId);
    for (const study of new Set(ofTenant.map((i) => i.studyInstanceUid))) {
      const instances = ofTenant.filter((i) => i.studyInstanceUid === study);
      const latest = instances[instances.length - 1]!;
      const record = studyRecord(latest.attributes, {
        seriesCount: new Set(instances.map((i) => i.seriesInstanceUid)).size,
        instanceCount: instances.length,
        modalities: instances.map((i) => modalityOf(i.attributes)).filter((m): m is string => m !== null),
        sopClassUids: instances.map((i) => i.sopClassUid),
      });
      records.set(study, this.withExtras(record, 'study', latest));
    }
    return records;
  }

  async search(
    tenantId: string,
    level: SearchLevel,
    scope: SearchScope,
    keys: readonly QueryKey[],
    page: SearchPage = {},
    options: SearchOptions = {},
  ): Promise<SearchResult> {
    this.searches.push({ level, scope, keys, page });
    const studies = this.studyRecords(tenantId);
    const instances = this.current
      .filter((i) => i.tenantId === tenantId && inScope(i, scope))
      .sort(
        (a, b) =>
          byUid(a.studyInstanceUid, b.studyInstanceUid) ||
          byUid(a.seriesInstanceUid, b.seriesInstanceUid) ||
          byUid(a.sopInstanceUid, b.sopInstanceUid),
      );
    const seriesRecords = new Map<string, DicomJsonDataset>();
    for (const instance of instances) {
      const members = instances.filter((i) => i.seriesInstanceUid === instance.seriesInstanceUid);
      const latest = members[members.length - 1]!;
      const record = seriesRecord(
        studies.get(instance.studyInstanceUid)!,
        seriesAttributesOf(latest.attributes),
        members.length,
      );
      seriesRecords.set(instance.seriesInstanceUid, this.withExtras(record, 'series', latest));
    }
    let candidates: DicomJsonDataset[];
    if (level === 'study') {
      candidates = [...new Set(instances.map((i) => i.studyInstanceUid))].map((uid) => studies.get(uid)!);
    } else if (level === 'series') {
      candidates = [...seriesRecords.values()];
    } else {
      candidates = instances.map((i) =>
        this.withExtras(instanceRecord(seriesRecords.get(i.seriesInstanceUid)!, i.attributes), 'instance', i),
      );
    }
    return collectPage(candidates, keys, page, options, 1000);
  }

  async *listInstances(
    tenantId: string,
    scope: SearchScope & { readonly studyInstanceUid: string },
  ): AsyncGenerator<StoredInstance> {
    const instanceNumber = (i: IndexedInstance): number =>
      Number(i.attributes[INSTANCE_NUMBER]?.Value?.[0] ?? Infinity);
    const listed = this.current
      .filter((i) => i.tenantId === tenantId && inScope(i, scope))
      .sort(
        (a, b) =>
          byUid(a.seriesInstanceUid, b.seriesInstanceUid) ||
          instanceNumber(a) - instanceNumber(b) ||
          byUid(a.sopInstanceUid, b.sopInstanceUid),
      );
    for (const i of listed) {
      yield {
        studyInstanceUid: i.studyInstanceUid,
        seriesInstanceUid: i.seriesInstanceUid,
        sopInstanceUid: i.sopInstanceUid,
        sopClassUid: i.sopClassUid,
        transferSyntaxUid: i.transferSyntaxUid,
        version: i.version,
        blob: i.blob,
        attributes: i.attributes,
      };
    }
  }

  upsertInstance(): never {
    throw new Error('not used by the Query/Retrieve SCP');
  }
  upsertInstances(): never {
    throw new Error('not used by the Query/Retrieve SCP');
  }
  searchStudies(): never {
    throw new Error('not used by the Query/Retrieve SCP');
  }
  listMetadata(): never {
    throw new Error('not used by the Query/Retrieve SCP');
  }
  findQuietStudies(): never {
    throw new Error('not used by the Query/Retrieve SCP');
  }
  markStudyStable(): never {
    throw new Error('not used by the Query/Retrieve SCP');
  }
  /** The list given, as generation 1; none (generation 0) without one. */
  async getExtraAttributes(): Promise<ExtraAttributes> {
    return { generation: this.extras.length > 0 ? 1 : 0, attributes: this.extras };
  }
  // Setting extra attributes and their reindex jobs (indexer side) are not used by the Q/R SCP.
  setExtraAttributes(): never {
    throw new Error('not used by the Query/Retrieve SCP');
  }
  getReindexJob(): never {
    throw new Error('not used by the Query/Retrieve SCP');
  }
  findUnfinishedReindexJobs(): never {
    throw new Error('not used by the Query/Retrieve SCP');
  }
  listReindexCopies(): never {
    throw new Error('not used by the Query/Retrieve SCP');
  }
  applyExtraAttributes(): never {
    throw new Error('not used by the Query/Retrieve SCP');
  }
  recordReindexProgress(): never {
    throw new Error('not used by the Query/Retrieve SCP');
  }
  async start(): Promise<void> {}
  async isHealthy(): Promise<boolean> {
    return true;
  }
  async close(): Promise<void> {}
}
