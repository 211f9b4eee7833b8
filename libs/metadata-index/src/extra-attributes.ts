import {
  entryOf,
  entryOfKeyword,
  formatTag,
  INDEX_KEYWORDS,
  parseTag,
  tagGroup,
  tagOf,
  type DicomJsonDataset,
  type Tag,
  type Vr,
} from '@pacs/dicom';
import { MetadataIndexError } from './metadata-index.errors';
import type { SearchLevel } from './metadata-index.port';

/**
 * An attribute a tenant has the index hold beyond INDEX_KEYWORDS, at one level: its records
 * carry it (taken from each instance's metadata) and searches match on it with matchKey over the
 * records, without narrowing in the engine (SQL, MongoDB filter) first. There is no cap on how
 * many: each costs its bytes in the records and a search on it reads every record in scope.
 */
export interface ExtraAttribute {
  /** Its tag as DICOM JSON keys it: 8 hex digits ("00181030"). */
  readonly tag: string;
  /** Its PS3.6 keyword. */
  readonly keyword: string;
  readonly vr: Vr;
  readonly level: SearchLevel;
}

/** An extra attribute as a client asks for it: a keyword or a tag in hex, and a level. */
export interface ExtraAttributeRequest {
  readonly attribute: string;
  readonly level: string;
}

/**
 * A tenant's extra attributes. The list is replaced whole; each replacement is a new generation
 * (1, 2, ...; 0, with no attributes, before the first) with its reindex job.
 */
export interface ExtraAttributes {
  readonly generation: number;
  readonly attributes: readonly ExtraAttribute[];
  /** The job that gives the copies indexed before this generation its attributes (not for 0). */
  readonly reindexJobId?: string;
}

const LEVELS: readonly SearchLevel[] = ['study', 'series', 'instance'];

/** The tenant-independent index keys (INDEX_KEYWORDS) and the computed ones, by level. */
const BUILT_IN: ReadonlyMap<Tag, SearchLevel | 'dataset'> = new Map([
  ...[...INDEX_KEYWORDS.patient, ...INDEX_KEYWORDS.study].map((k) => [tagOf(k), 'study'] as const),
  ...INDEX_KEYWORDS.series.map((k) => [tagOf(k), 'series'] as const),
  ...INDEX_KEYWORDS.instance.map((k) => [tagOf(k), 'instance'] as const),
  ...INDEX_KEYWORDS.dataset.map((k) => [tagOf(k), 'dataset'] as const),
  ...['ModalitiesInStudy', 'SOPClassesInStudy', 'NumberOfStudyRelatedSeries', 'NumberOfStudyRelatedInstances'].map(
    (k) => [tagOf(k), 'study'] as const,
  ),
  [tagOf('NumberOfSeriesRelatedInstances'), 'series'],
]);

/**
 * The sequences an extra attribute may be, each at its levels: the references queried on
 * (Sequence Matching, PS3.4 C.2.2.2.6). Other sequences are refused: an item of any size would
 * weigh on every record of the level.
 */
const EXTRA_SEQUENCES: ReadonlyMap<Tag, readonly SearchLevel[]> = new Map([
  [tagOf('ReferencedStudySequence'), ['study']],
  [tagOf('ReferencedSeriesSequence'), ['series', 'instance']],
]);

// Values of these VRs are bytes, not matched (PS3.4 C.2.2.2).
const BINARY_VRS: ReadonlySet<Vr> = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);

/**
 * A tenant's list of extra attributes as asked (each a keyword or a tag in hex with its level),
 * checked against the dictionary (PS3.6) and normalized. A MetadataIndexError INVALID_ARGUMENT
 * (not retriable) names the first bad entry, `attributes[i] "..."`: not an object with a string
 * `attribute` and `level`, a level that is not study, series or instance, an attribute the
 * dictionary does not know, one of several VRs, of a binary VR, outside the data set (groups
 * 0000-0007), indexed already for every tenant, a sequence not in the supported ones (or at
 * another level), or given twice.
 */
export function checkExtraAttributes(requested: readonly unknown[]): ExtraAttribute[] {
  if (!Array.isArray(requested)) throw invalid('attributes', 'expected a list of {attribute, level}');
  const checked: ExtraAttribute[] = [];
  requested.forEach((entry: unknown, index) => {
    const at = `attributes[${index}]`;
    if (typeof entry !== 'object' || entry === null) throw invalid(at, 'expected {"attribute": ..., "level": ...}');
    const { attribute, level } = entry as Record<string, unknown>;
    if (typeof attribute !== 'string' || attribute === '') throw invalid(at, '"attribute" is not a keyword or tag');
    const name = `${at} "${attribute}"`;
    if (typeof level !== 'string' || !LEVELS.includes(level as SearchLevel)) {
      throw invalid(name, `level ${JSON.stringify(level)} is not study, series or instance`);
    }
    const one = extraAttributeOf(name, attribute, level as SearchLevel);
    if (checked.some((other) => other.tag === one.tag)) throw invalid(name, `${one.keyword} is listed twice`);
    checked.push(one);
  });
  return checked;
}

function extraAttributeOf(name: string, attribute: string, level: SearchLevel): ExtraAttribute {
  const byKeyword = entryOfKeyword(attribute);
  const hex = /^[0-9A-Fa-f]{8}$/.test(attribute) ? parseTag(attribute) : undefined;
  const entry = byKeyword ?? (hex === undefined ? undefined : entryOf(hex));
  if (!entry || entry.keyword === '') {
    throw invalid(name, 'not a DICOM keyword or tag of the dictionary (PS3.6)');
  }
  const { tag, keyword, vr } = entry;
  if (tagGroup(tag) < 0x0008) throw invalid(name, `${keyword} is not an attribute of a data set (group below 0008)`);
  if (entry.vrs.length > 1) throw invalid(name, `${keyword} has more than one VR (${entry.vrs.join(' or ')})`);
  if (BINARY_VRS.has(vr)) throw invalid(name, `${keyword} is of VR ${vr}: bytes are not matched`);
  const builtIn = BUILT_IN.get(tag);
  if (builtIn === 'dataset') throw invalid(name, `${keyword} describes the data set; it is not a key`);
  if (builtIn) throw invalid(name, `${keyword} is indexed already, at ${builtIn} level`);
  if (vr === 'SQ') {
    const levels = EXTRA_SEQUENCES.get(tag);
    if (!levels) {
      const supported = [...EXTRA_SEQUENCES.keys()].map((t) => entryOf(t)!.keyword).join(', ');
      throw invalid(name, `${keyword} is a sequence not indexed; the sequences that may be are ${supported}`);
    }
    if (!levels.includes(level)) throw invalid(name, `${keyword} is indexed at ${levels.join(' or ')} level`);
  }
  return { tag: formatTag(tag), keyword, vr, level };
}

function invalid(name: string, message: string): MetadataIndexError {
  return new MetadataIndexError('INVALID_ARGUMENT', `${name}: ${message}`, false);
}

/** The extra attributes of a data set (an instance's metadata), as its DICOM JSON holds them. */
export function pickExtraAttributes(
  dataset: DicomJsonDataset,
  attributes: readonly ExtraAttribute[],
): DicomJsonDataset {
  const picked: DicomJsonDataset = {};
  for (const { tag } of attributes) {
    const attribute = dataset[tag];
    if (attribute) picked[tag] = attribute;
  }
  return picked;
}

/**
 * A record with the extra attributes of its level added from `source` (the extras picked from
 * the copy the record's level is taken from), keys sorted as the records are. Only the attributes
 * of the current list are added: a source picked with an older list may hold others.
 */
export function withExtraAttributes(
  record: DicomJsonDataset,
  level: SearchLevel,
  source: DicomJsonDataset | undefined,
  attributes: readonly ExtraAttribute[],
): DicomJsonDataset {
  if (!source) return record;
  const added = attributes.filter((extra) => extra.level === level && source[extra.tag] !== undefined);
  if (added.length === 0) return record;
  const merged: DicomJsonDataset = { ...record };
  for (const { tag } of added) merged[tag] = source[tag]!;
  return Object.fromEntries(Object.entries(merged).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/**
 * The level of each extra attribute, by tag: what QIDO-RS and C-FIND match on and return for
 * the tenant besides the built-in keys.
 */
export function extraKeyLevels(attributes: readonly ExtraAttribute[]): ReadonlyMap<Tag, SearchLevel> {
  return new Map(attributes.map((extra) => [parseTag(extra.tag)!, extra.level]));
}

/** A tenant's list of extra attributes as an adapter stores it: a generation, and its job. */
export interface StoredExtraList {
  readonly generation: number;
  readonly attributes: readonly ExtraAttribute[];
  readonly jobId?: string;
}

/** The list of a tenant that has set none: generation 0, no attributes, no job. */
export const NO_EXTRA_LIST: StoredExtraList = { generation: 0, attributes: [] };

/** A stored list as the port hands it out. */
export function extraAttributesOf({ generation, attributes, jobId }: StoredExtraList): ExtraAttributes {
  return { generation, attributes, ...(jobId !== undefined ? { reindexJobId: jobId } : {}) };
}

/**
 * The extras of a copy just indexed, picked with the tenant's current list from its metadata (else
 * its index attributes); undefined when the list is empty, as there is nothing to store.
 */
export function extrasOfNewCopy(
  instance: { readonly attributes: DicomJsonDataset; readonly metadata?: DicomJsonDataset },
  list: StoredExtraList,
): DicomJsonDataset | undefined {
  if (list.attributes.length === 0) return undefined;
  return pickExtraAttributes(instance.metadata ?? instance.attributes, list.attributes);
}

/** A reindex batch applied with a generation of the list the tenant never had. */
export function noExtraListGeneration(tenantId: string, generation: number): MetadataIndexError {
  return new MetadataIndexError(
    'INVALID_ARGUMENT',
    `tenant ${tenantId} has no generation ${String(generation)} of extra attributes`,
    false,
  );
}

/** Progress recorded for a job that is not the tenant's. */
export function noReindexJob(tenantId: string, jobId: string): MetadataIndexError {
  return new MetadataIndexError('INVALID_ARGUMENT', `tenant ${tenantId} has no reindex job ${jobId}`, false);
}
