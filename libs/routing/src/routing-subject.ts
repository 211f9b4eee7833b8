import type { InstanceStoredEvent } from '@pacs/contracts';
import type { DicomJsonAttribute, DicomJsonDataset } from '@pacs/dicom';

/** Where an instance came from: the `source` of `pacs.instance.stored.v1`, passed through as is. */
export type RoutingSource = InstanceStoredEvent['source'];

/**
 * What rules are evaluated against: for the `instance` trigger the instance's attributes and
 * source; for `study-stable` the study's attributes, where an attribute that differs between
 * series (Modality) is best given with every distinct value, since a value test matches when any
 * value does, and a source only when the study has a single one.
 */
export interface RoutingSubject {
  /** DICOM JSON (PS3.18 F.2), keyed by 8 uppercase hex digits: `{ "00080060": { vr: 'CS', Value: ['CT'] } }`. */
  readonly attributes: Readonly<DicomJsonDataset>;
  readonly source?: RoutingSource;
}

/**
 * The values of an attribute as the strings rules compare, or undefined when it is absent:
 * - each value of a multi-valued attribute, trailing padding (spaces, NUL) removed (PS3.5 6.2);
 * - a person name (PN) as its Alphabetic component group (PS3.18 F.2.2), '' when it has none;
 * - a number in its JavaScript string form (DS 1.5 is "1.5", IS 7 is "7");
 * - an empty attribute, or an empty value among several, as '';
 * - binary (InlineBinary, BulkDataURI) and sequence attributes as no value at all.
 */
export function attributeStrings(subject: RoutingSubject, key: string): readonly string[] | undefined {
  const attribute: DicomJsonAttribute | undefined = subject.attributes[key];
  if (attribute === undefined) return undefined;
  if (attribute.vr === 'SQ') return [];
  const values = attribute.Value;
  if (values === undefined || values.length === 0) {
    return attribute.InlineBinary !== undefined || attribute.BulkDataURI !== undefined ? [] : [''];
  }
  const strings: string[] = [];
  for (const value of values) {
    if (value === null) strings.push('');
    else if (typeof value === 'string') strings.push(value.replace(/[ \0]+$/, ''));
    else if (typeof value === 'number') strings.push(String(value));
    else if (attribute.vr === 'PN') strings.push(typeof value.Alphabetic === 'string' ? value.Alphabetic : '');
  }
  return strings;
}
