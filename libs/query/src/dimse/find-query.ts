import {
  binaryValueSize,
  entryOf,
  formatTag,
  isGroupLengthTag,
  keywordOf,
  SPECIFIC_CHARACTER_SET_TAG,
  tagOf,
  type DicomDataset,
  type DicomElement,
  type Tag,
  type Vr,
} from '@pacs/dicom';
import { DimseStatus, DimseStatusError } from '@pacs/dimse';
import {
  parseAttributeMatch,
  QueryError,
  type AttributeMatch,
  type QueryKey,
  type SearchLevel,
  type SearchScope,
} from '@pacs/metadata-index';
import {
  isAtOrAbove,
  levelOfAttribute,
  MODEL_LEVELS,
  MODEL_NAMES,
  modelOf,
  PATIENT_COUNTS,
  UNIQUE_KEYS,
  type QrLevel,
  type QrModel,
} from './qr-information-model';

export const QUERY_RETRIEVE_LEVEL = tagOf('QueryRetrieveLevel');
export const RETRIEVE_AE_TITLE = tagOf('RetrieveAETitle');
export const INSTANCE_AVAILABILITY = tagOf('InstanceAvailability');

/** Sequence Matching (PS3.4 C.2.2.2.6). */
export type SequenceMatch = Extract<AttributeMatch, { kind: 'sequence' }>;

/** What a sequence key returns of the record's sequence. */
export interface SequenceReturn {
  /** The key's match: the items of the record's sequence that are returned (matchingItems). */
  readonly match: SequenceMatch;
  /** The attributes each returned item is cut down to; 'all' (the key's item is empty): whole items. */
  readonly itemKeys: readonly ReturnKey[] | 'all';
}

/** One attribute a response identifier holds, in the order the request gave it. */
export interface ReturnKey {
  readonly tag: Tag;
  readonly vr: Vr;
  /** Where its value comes from: the index record, a value we compute, or nowhere (zero length). */
  readonly source: 'record' | 'patient-count' | 'retrieve-ae-title' | 'availability' | 'unsupported';
  /** A sequence key (VR SQ) the index matches: which items it returns, and of them what. */
  readonly sequence?: SequenceReturn;
}

/** A C-FIND request identifier, read (PS3.4 C.4.1.1.3.1). */
export interface FindQuery {
  readonly model: QrModel;
  /** Query/Retrieve Level (0008,0052). */
  readonly level: QrLevel;
  /** The unique keys of the levels above (PS3.4 C.4.1.3.1: hierarchical search). */
  readonly scope: SearchScope;
  /**
   * The keys the index matches: those of the query level and, as given, of the levels above; a
   * sequence key holds the keys of its item (Sequence Matching).
   */
  readonly keys: readonly QueryKey[];
  /** What each response holds, besides Query/Retrieve Level and Specific Character Set. */
  readonly returnKeys: readonly ReturnKey[];
  /** One or more keys are optional keys this PACS does not support: responses say FF01. */
  readonly optionalKeysNotSupported: boolean;
  /** Specific Character Set (0008,0005) of the request, as given (the first value may be empty). */
  readonly characterSet: readonly string[];
}

/** A tag and keyword as error comments name them: "PatientID (0010,0020)". */
export function nameOf(tag: Tag): string {
  const hex = formatTag(tag);
  const keyword = keywordOf(tag);
  return `${keyword ?? 'attribute'} (${hex.slice(0, 4)},${hex.slice(4)})`;
}

function identifierError(message: string, tag: Tag): DimseStatusError {
  return new DimseStatusError(DimseStatus.IdentifierDoesNotMatchSopClass, message, { offendingElement: [tag] });
}

/** The value of a key as the matching of PS3.4 C.2.2.2 reads it: the values joined by "\". */
export function rawValue(identifier: DicomDataset, element: DicomElement): string {
  if (binaryValueSize(element.vr) > 0) return identifier.numbers(element.tag).join('\\');
  return identifier.strings(element.tag).join('\\');
}

/** The VR to match a key with: the dictionary's, else the one the identifier gave it. */
export function vrOf(element: DicomElement): Vr {
  const entry = entryOf(element.tag);
  return entry && entry.vrs.length === 1 ? entry.vr : element.vr;
}

/**
 * A key's match, or C000 (unable to process) naming the key when its value cannot be used; the
 * Offending Element lists the sequences (`path`) the key is an item key of, then the key.
 */
export function keyOf(identifier: DicomDataset, element: DicomElement, path: readonly Tag[] = []): QueryKey {
  const vr = vrOf(element);
  const keyword = keywordOf(element.tag);
  try {
    return {
      tag: element.tag,
      keyword,
      vr,
      match: parseAttributeMatch(nameOf(element.tag), vr, rawValue(identifier, element), 'dimse'),
    };
  } catch (error) {
    if (!(error instanceof QueryError)) throw error;
    throw new DimseStatusError(DimseStatus.UnableToProcess, error.message, {
      offendingElement: [...path, element.tag],
      cause: error,
    });
  }
}

/** Query/Retrieve Level (0008,0052), checked against the model (A900 when absent or not one of its levels). */
export function levelOf(model: QrModel, identifier: DicomDataset): QrLevel {
  const value = identifier.string(QUERY_RETRIEVE_LEVEL);
  if (value === undefined) throw identifierError('Query/Retrieve Level (0008,0052) is missing', QUERY_RETRIEVE_LEVEL);
  const level = MODEL_LEVELS[model].find((candidate) => candidate === value);
  if (!level) {
    throw identifierError(
      `Query/Retrieve Level "${value.slice(0, 16)}" not in ${MODEL_NAMES[model]}`,
      QUERY_RETRIEVE_LEVEL,
    );
  }
  return level;
}

/** The information model of the request's SOP class (the association only accepts Q/R classes). */
export function requestModel(sopClassUid: string | undefined): QrModel {
  const model = modelOf(sopClassUid);
  if (!model) {
    throw new DimseStatusError(DimseStatus.SopClassNotSupported, `SOP class ${sopClassUid ?? '(none)'} not served`);
  }
  return model;
}

/**
 * The unique key of an upper level: required, with one value (PS3.4 C.4.1.2.2.1, C.4.1.3.1: the
 * hierarchical search descends from one entity of each level above). A900 otherwise, naming it.
 */
export function upperUniqueKey(identifier: DicomDataset, level: QrLevel, below: QrLevel): string {
  const tag = UNIQUE_KEYS[level];
  const values = identifier.strings(tag).filter((value) => value !== '');
  if (values.length !== 1 || /[*?]/.test(values[0]!)) {
    throw identifierError(`${nameOf(tag)} needs one value at ${below} level`, tag);
  }
  return values[0]!;
}

// Values of these VRs are bytes: an item key of them is not matched (the index's items keep them
// as InlineBinary, which responses do not carry).
const BINARY_VRS: ReadonlySet<Vr> = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);

/** A sequence key, read: its match, what it returns, and whether an item key is not supported. */
interface SequenceKey {
  readonly key: QueryKey;
  readonly returnKey: ReturnKey;
  readonly unsupported: boolean;
}

/**
 * A key of VR SQ that the index holds (PS3.4 C.2.2.2.6): a sequence of one item (C000 naming it
 * otherwise), each element of the item an Item Key Attribute matched against the items of the
 * record's sequence by the same rules as the keys of the identifier (a sequence in it
 * recursively); Item Key Attributes of a binary VR are not matched (FF01, returned zero length).
 * No item, or an empty one, matches every record and returns the entire sequence.
 */
function sequenceKeyOf(dataset: DicomDataset, element: DicomElement, path: readonly Tag[]): SequenceKey {
  const at = [...path, element.tag];
  const items = element.items ?? [];
  if (items.length > 1) {
    throw new DimseStatusError(
      DimseStatus.UnableToProcess,
      `${nameOf(element.tag)} holds ${items.length} items, not one`,
      { offendingElement: at },
    );
  }
  const item = items[0];
  const itemKeys: QueryKey[] = [];
  const returned: ReturnKey[] = [];
  let unsupported = false;
  for (const inner of item ?? []) {
    // Group lengths and Specific Character Set (the item's encoding) are not keys.
    if (isGroupLengthTag(inner.tag) || inner.tag === SPECIFIC_CHARACTER_SET_TAG) continue;
    const vr = vrOf(inner);
    if (vr === 'SQ') {
      const nested = sequenceKeyOf(item!, inner, at);
      itemKeys.push(nested.key);
      returned.push(nested.returnKey);
      unsupported ||= nested.unsupported;
    } else if (BINARY_VRS.has(vr)) {
      returned.push({ tag: inner.tag, vr, source: 'unsupported' });
      unsupported = true;
    } else {
      itemKeys.push(keyOf(item!, inner, at));
      returned.push({ tag: inner.tag, vr, source: 'record' });
    }
  }
  const match: SequenceMatch = { kind: 'sequence', items: itemKeys };
  return {
    key: { tag: element.tag, keyword: keywordOf(element.tag), vr: 'SQ', match },
    returnKey: {
      tag: element.tag,
      vr: 'SQ',
      source: 'record',
      sequence: { match, itemKeys: returned.length === 0 ? 'all' : returned },
    },
    unsupported,
  };
}

/**
 * Reads a C-FIND identifier of the Patient Root or Study Root model (PS3.4 C.4.1.1.3.1, C.6):
 * - Query/Retrieve Level is required and must be a level of the model (else A900);
 * - the unique keys of the levels above it are required with a single value: they are the scope
 *   of the search (hierarchical search, PS3.4 C.4.1.3.1);
 * - the other keys of the query level and of the levels above match as PS3.4 C.2.2.2 says
 *   (parseAttributeMatch); a value that cannot be matched answers C000 naming the key;
 * - the keys are the attributes the index holds: the built-in ones, and the tenant's extra
 *   attributes (`extras`, extraKeyLevels) at the level of their records (study: STUDY, series:
 *   SERIES, instance: IMAGE; PATIENT level has the patient attributes only);
 * - a sequence the index holds (RequestAttributesSequence, an extra attribute that is one) is
 *   matched by the keys of its item (sequenceKeyOf, PS3.4 C.2.2.2.6);
 * - keys this PACS does not hold (other sequences included) and keys of lower levels are optional
 *   keys it does not support: ignored for matching, returned empty, and the responses say FF01
 *   (PS3.4 C.4.1.1.4);
 * - each key matches on its own: combined date-time matching of a DA and a TM range is an extended
 *   negotiation option (PS3.4 C.4.1.2.3.1) that this PACS does not accept;
 * - the unique key of the query level is returned even when not asked for.
 */
export function parseFindQuery(
  sopClassUid: string | undefined,
  identifier: DicomDataset,
  extras: ReadonlyMap<Tag, SearchLevel> = new Map(),
): FindQuery {
  const model = requestModel(sopClassUid);
  const level = levelOf(model, identifier);
  const levels = MODEL_LEVELS[model];
  const above = levels.slice(0, levels.indexOf(level));
  const scope: { studyInstanceUid?: string; seriesInstanceUid?: string } = {};
  const keys: QueryKey[] = [];
  for (const upper of above) {
    const value = upperUniqueKey(identifier, upper, level);
    if (upper === 'STUDY') scope.studyInstanceUid = value;
    else if (upper === 'SERIES') scope.seriesInstanceUid = value;
    else keys.push({ tag: UNIQUE_KEYS.PATIENT, keyword: 'PatientID', vr: 'LO', match: { kind: 'single', value } });
  }
  const scopeTags = new Set(above.map((upper) => UNIQUE_KEYS[upper]));
  const returnKeys: ReturnKey[] = [];
  let unsupported = false;
  for (const element of identifier) {
    const tag = element.tag;
    // Group lengths, Specific Character Set and Query/Retrieve Level are not keys.
    if ((tag & 0xffff) === 0 || tag === SPECIFIC_CHARACTER_SET_TAG || tag === QUERY_RETRIEVE_LEVEL) continue;
    const vr = vrOf(element);
    if (tag === RETRIEVE_AE_TITLE || tag === INSTANCE_AVAILABILITY) {
      returnKeys.push({ tag, vr, source: tag === RETRIEVE_AE_TITLE ? 'retrieve-ae-title' : 'availability' });
      continue;
    }
    const patientCount = Object.values(PATIENT_COUNTS).includes(tag as never);
    if (patientCount && level === 'PATIENT') {
      // Computed per patient: a return key only; matching on it is not supported.
      returnKeys.push({ tag, vr, source: 'patient-count' });
      if (rawValue(identifier, element) !== '') unsupported = true;
      continue;
    }
    const attributeLevel = levelOfAttribute(model, tag, extras);
    if (attributeLevel === undefined || !isAtOrAbove(model, attributeLevel, level)) {
      returnKeys.push({ tag, vr, source: 'unsupported' });
      unsupported = true;
      continue;
    }
    if (vr === 'SQ') {
      const sequence = sequenceKeyOf(identifier, element, []);
      returnKeys.push(sequence.returnKey);
      keys.push(sequence.key);
      unsupported ||= sequence.unsupported;
      continue;
    }
    returnKeys.push({ tag, vr, source: 'record' });
    if (!scopeTags.has(tag)) keys.push(keyOf(identifier, element));
  }
  const unique = UNIQUE_KEYS[level];
  if (!returnKeys.some((key) => key.tag === unique)) {
    returnKeys.push({ tag: unique, vr: entryOf(unique)!.vr, source: 'record' });
  }
  return {
    model,
    level,
    scope,
    keys,
    returnKeys,
    optionalKeysNotSupported: unsupported,
    characterSet: identifier.strings(SPECIFIC_CHARACTER_SET_TAG),
  };
}
