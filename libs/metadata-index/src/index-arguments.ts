import { isValidUid } from '@pacs/dicom';
import { MetadataIndexError } from './metadata-index.errors';
import type { IndexedInstance, SearchLevel, SearchScope } from './metadata-index.port';
import { QueryError } from './query/query.errors';

// Checks of what the callers of a MetadataIndex pass, shared by the adapters so that each refuses
// the same input with the same error.

const LEVELS: readonly SearchLevel[] = ['study', 'series', 'instance'];
const SCOPE_UIDS = [
  ['studyInstanceUid', 'study'],
  ['seriesInstanceUid', 'series'],
  ['sopInstanceUid', 'instance'],
] as const;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A search's level and scope: one of the three levels, each UID of the scope a UID (PS3.5 9.1)
 * given with the ones above it, none below the level searched (a series search is scoped by a
 * study at most). A QueryError naming the part otherwise (400 for QIDO-RS, whose path holds them).
 */
export function checkSearchScope(level: SearchLevel, scope: SearchScope): void {
  if (!LEVELS.includes(level)) throw new QueryError('level', `"${String(level)}" is not study, series or instance`);
  checkScope(scope);
  for (const [field, uidLevel] of SCOPE_UIDS) {
    if (scope[field] !== undefined && LEVELS.indexOf(uidLevel) > LEVELS.indexOf(level)) {
      throw new QueryError(field, `a ${level} search cannot be scoped to one ${uidLevel}`);
    }
  }
}

/** A listing's scope: a study at least, as checkSearchScope. */
export function checkListScope(scope: SearchScope): void {
  if (scope.studyInstanceUid === undefined) throw new QueryError('studyInstanceUid', 'a listing needs a study');
  checkScope(scope);
}

function checkScope(scope: SearchScope): void {
  let above: string | undefined;
  for (const [field] of SCOPE_UIDS) {
    const uid = scope[field];
    if (uid === undefined) {
      above = undefined;
      continue;
    }
    if (typeof uid !== 'string' || !isValidUid(uid)) {
      throw new QueryError(field, `"${String(uid)}" is not a UID (digits and dots, at most 64 characters)`);
    }
    if (field !== 'studyInstanceUid' && above === undefined) {
      throw new QueryError(field, 'needs the UIDs of the levels above it in the scope');
    }
    above = uid;
  }
}

/**
 * An instance to upsert: a tenant, valid UIDs, a positive integer version, an ISO 8601 indexedAt
 * when given. Returns the instant it was indexed (indexedAt, else `now`), normalized to
 * `toISOString()` so that instants compare as strings. A MetadataIndexError INVALID_INSTANCE
 * otherwise (not retriable).
 */
export function checkIndexedInstance(instance: IndexedInstance, now: () => Date = () => new Date()): string {
  const invalid = (message: string) =>
    new MetadataIndexError(
      'INVALID_INSTANCE',
      `instance ${String(instance.sopInstanceUid)} of tenant ${String(instance.tenantId)}: ${message}`,
      false,
    );
  if (typeof instance.tenantId !== 'string' || instance.tenantId === '') throw invalid('no tenant');
  for (const field of ['studyInstanceUid', 'seriesInstanceUid', 'sopInstanceUid', 'sopClassUid'] as const) {
    if (typeof instance[field] !== 'string' || !isValidUid(instance[field])) {
      throw invalid(`${field} "${String(instance[field])}" is not a UID`);
    }
  }
  if (!Number.isSafeInteger(instance.version) || instance.version < 1) {
    throw invalid(`version ${String(instance.version)} is not a positive integer`);
  }
  if (instance.indexedAt === undefined) return now().toISOString();
  try {
    return instantOf('indexedAt', instance.indexedAt);
  } catch (error) {
    throw invalid((error as Error).message);
  }
}

/**
 * A batch to upsert: every instance checked as checkIndexedInstance before any is written, so that
 * one invalid instance refuses the batch with the error it would get alone (the first one's).
 */
export function checkIndexedInstances(
  instances: readonly IndexedInstance[],
  now: () => Date = () => new Date(),
): Array<{ readonly instance: IndexedInstance; readonly indexedAt: string }> {
  return instances.map((instance) => ({ instance, indexedAt: checkIndexedInstance(instance, now) }));
}

/**
 * An ISO 8601 date and time with its zone (`2024-05-01T10:00:00Z`), normalized to `toISOString()`;
 * a MetadataIndexError INVALID_ARGUMENT naming `name` otherwise.
 */
export function instantOf(name: string, value: string): string {
  const time = typeof value === 'string' && ISO_INSTANT.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(time)) {
    throw new MetadataIndexError(
      'INVALID_ARGUMENT',
      `${name} "${String(value)}" is not an ISO 8601 date and time with a zone`,
      false,
    );
  }
  return new Date(time).toISOString();
}

/** A count of results wanted: a positive integer; a MetadataIndexError INVALID_ARGUMENT otherwise. */
export function checkLimit(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new MetadataIndexError('INVALID_ARGUMENT', `${name} ${String(value)} is not a positive integer`, false);
  }
}
