import { instanceNumberOf, modalityOf, type IndexedInstance, type UpsertOutcome } from '@pacs/metadata-index';
import { applyNewCurrent, type Statements } from './sqlite-derived-rows';
import type { SqliteExtraAttributes } from './sqlite-extra-attributes';

/**
 * Writes one copy that checkIndexedInstance accepted (`indexedAt` is what it returned), within the
 * transaction the caller opened, so that a batch commits or rolls back as a whole: the copy, its
 * metadata and extras, and, when it is the highest version, the current flags and the rows derived
 * from them. 'unchanged', writing nothing, when the copy is there already, committed before or
 * written earlier in the same batch.
 */
export function writeCopy(
  statements: Statements,
  extras: SqliteExtraAttributes,
  instance: IndexedInstance,
  indexedAt: string,
): UpsertOutcome {
  const { tenantId: tenant, sopInstanceUid: sop, version } = instance;
  const inserted = statements.insertCopy.run(
    tenant,
    instance.studyInstanceUid,
    instance.seriesInstanceUid,
    sop,
    version,
    instance.sopClassUid,
    instance.transferSyntaxUid,
    modalityOf(instance.attributes),
    instance.blob.key,
    instance.blob.size,
    instance.blob.sha256,
    instance.blob.tier,
    JSON.stringify(instance.attributes),
    instanceNumberOf(instance.attributes),
    indexedAt,
  );
  if (Number(inserted.changes) === 0) return 'unchanged';
  if (instance.metadata) statements.insertMetadata.run(tenant, sop, version, JSON.stringify(instance.metadata));
  extras.storeExtrasOfNewCopy(instance);
  const previous = statements.currentCopy.get(tenant, sop);
  // A copy older than the current one (a late event) is kept, but changes no search.
  if (!previous || Number(previous['version']) < version) {
    if (previous) statements.setCurrent.run(0, tenant, sop, Number(previous['version']));
    statements.setCurrent.run(1, tenant, sop, version);
    applyNewCurrent(statements, instance, indexedAt, previous);
  }
  return 'created';
}
