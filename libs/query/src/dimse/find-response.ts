import { formatTag, SPECIFIC_CHARACTER_SET_TAG, type DicomJsonAttribute, type DicomJsonDataset } from '@pacs/dicom';
import { matchingItems } from '@pacs/metadata-index';
import {
  DEFAULT_ENCODING,
  LATIN1_ENCODING,
  textEncodingFor,
  UTF8_ENCODING,
  type TextEncoding,
} from './character-set-encoder';
import { QUERY_RETRIEVE_LEVEL, type FindQuery, type ReturnKey, type SequenceReturn } from './find-query';
import { encodeIdentifier, UnencodableTextError, type IdentifierElement } from './identifier-writer';
import { PATIENT_COUNTS } from './qr-information-model';

/** What a response identifier needs besides the query and the record. */
export interface FindResponseContext {
  /** Retrieve AE Title (0008,0054): the AE title the request was sent to, which serves C-MOVE/C-GET too. */
  readonly retrieveAeTitle: string;
  /** Transfer syntax of the request's presentation context. */
  readonly transferSyntaxUid: string;
}

/** Counts over a patient's studies, at PATIENT level (PS3.4 C.6.1.1.2). */
export interface PatientCounts {
  readonly studies: number;
  readonly series: number;
  readonly instances: number;
}

/**
 * The character sets to try, in order: the one of the request (PS3.4 C.4.1.1.3.2: responses use
 * the request's when the SCP supports it); with none asked for, ISO 8859-1, which old SCUs read;
 * UTF-8, which holds every character, last.
 */
function candidates(query: FindQuery): TextEncoding[] {
  const requested = query.characterSet.length > 0 ? textEncodingFor(query.characterSet) : DEFAULT_ENCODING;
  const list = [
    ...(requested ? [requested] : []),
    ...(query.characterSet.length === 0 ? [LATIN1_ENCODING] : []),
    UTF8_ENCODING,
  ];
  return [...new Set(list)];
}

function valueOf(
  key: ReturnKey,
  record: DicomJsonDataset,
  counts: PatientCounts | undefined,
  context: FindResponseContext,
): DicomJsonAttribute | undefined {
  switch (key.source) {
    case 'record': {
      const attribute = record[formatTag(key.tag)];
      return key.sequence && attribute ? returnedSequence(key.sequence, attribute, context) : attribute;
    }
    case 'retrieve-ae-title':
      return { vr: 'AE', Value: [context.retrieveAeTitle] };
    case 'availability':
      // Instance Availability (0008,0056): everything stored is on the hot tier for now.
      return { vr: 'CS', Value: ['ONLINE'] };
    case 'patient-count': {
      if (!counts) return undefined;
      const count =
        key.tag === PATIENT_COUNTS.studies
          ? counts.studies
          : key.tag === PATIENT_COUNTS.series
            ? counts.series
            : counts.instances;
      return { vr: 'IS', Value: [count] };
    }
    default:
      return undefined;
  }
}

/**
 * What a sequence key returns of the record's sequence (PS3.4 C.2.2.2.6): the items its item keys
 * match, each with those attributes only (zero length where the item has no value, a sequence in
 * it likewise cut down), or the entire sequence when the key's item was empty.
 */
function returnedSequence(
  sequence: SequenceReturn,
  attribute: DicomJsonAttribute,
  context: FindResponseContext,
): DicomJsonAttribute {
  const items = matchingItems(sequence.match, attribute);
  const { itemKeys } = sequence;
  if (itemKeys === 'all') return { vr: 'SQ', Value: items };
  return {
    vr: 'SQ',
    Value: items.map((item) =>
      Object.fromEntries(
        itemKeys.map((key) => [formatTag(key.tag), valueOf(key, item, undefined, context) ?? { vr: key.vr }]),
      ),
    ),
  };
}

/**
 * The response identifier of one match (PS3.4 C.4.1.1.3.2): exactly the keys the request gave,
 * valued from the record (zero length where the record has no value, or the key is not
 * supported; a sequence key's sequence as returnedSequence gives it), plus Query/Retrieve Level and Specific Character Set (when not the default), in the
 * request's character set when every value has a code in it, else in the next candidate.
 */
export function buildFindResponse(
  query: FindQuery,
  record: DicomJsonDataset,
  context: FindResponseContext,
  counts?: PatientCounts,
): Buffer {
  const elements: IdentifierElement[] = [
    { tag: QUERY_RETRIEVE_LEVEL, vr: 'CS', attribute: { vr: 'CS', Value: [query.level] } },
    ...query.returnKeys.map((key) => {
      const attribute = valueOf(key, record, counts, context);
      return { tag: key.tag, vr: key.vr, ...(attribute ? { attribute } : {}) };
    }),
  ];
  let last: unknown;
  for (const encoding of candidates(query)) {
    const charset: IdentifierElement[] =
      encoding.isDefault && query.characterSet.length === 0
        ? []
        : [{ tag: SPECIFIC_CHARACTER_SET_TAG, vr: 'CS', attribute: { vr: 'CS', Value: [...encoding.terms] } }];
    try {
      return encodeIdentifier([...charset, ...elements], context.transferSyntaxUid, encoding);
    } catch (error) {
      if (!(error instanceof UnencodableTextError)) throw error;
      last = error;
    }
  }
  throw last;
}
