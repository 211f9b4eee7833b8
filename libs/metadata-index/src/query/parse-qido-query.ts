import { entryOf, entryOfKeyword, formatTag, parseTag, type Tag, type Vr } from '@pacs/dicom';
import type { AttributeMatch } from './attribute-match';
import { combineDateTimeKeys } from './combine-date-time';
import { parseAttributeMatch } from './parse-attribute-match';
import { QueryError } from './query.errors';

/** One Key Attribute of a query and how it matches. */
export interface QueryKey {
  readonly tag: Tag;
  readonly keyword: string | undefined;
  readonly vr: Vr;
  readonly match: AttributeMatch;
}

/** A QIDO-RS search (PS3.18 10.6.1): its keys and the query parameters that shape the answer. */
export interface QidoQuery {
  /**
   * One per attribute, in the order of their first parameter; universal ones are return keys
   * only. The parameters of one sequence (`Seq.A=1&Seq.B=2`) make one key, its one item's keys.
   */
  readonly keys: readonly QueryKey[];
  /** The parameter of each key as the client wrote it (its first one, for a sequence), by tag. */
  readonly parameters: ReadonlyMap<Tag, string>;
  /** `includefield`: more attributes to return, or every attribute the index holds. */
  readonly includeFields: 'all' | readonly Tag[];
  /** `fuzzymatching=true` (PS3.18 8.3.4.5). */
  readonly fuzzy: boolean;
  /** `limit`: at most this many results (undefined: the server's own limit applies). */
  readonly limit: number | undefined;
  /** `offset`: results skipped before the first returned. */
  readonly offset: number;
}

/** An attribute as a parameter names it: its tag, keyword and VR. */
interface NamedAttribute {
  readonly tag: Tag;
  readonly keyword: string | undefined;
  readonly vr: Vr;
}

const CONTROL_PARAMETERS = new Set(['includefield', 'fuzzymatching', 'limit', 'offset']);

/**
 * Reads the query parameters of a QIDO-RS search (PS3.18 8.3.4): `{attributeID}={value}` pairs,
 * where attributeID is a keyword or a tag in hex (`PatientID`, `00100020`), or an attribute of the
 * item of a sequence, the sequence first (`RequestAttributesSequence.RequestedProcedureID`,
 * PS3.18 8.3.4.1; one level: Sequence Matching, PS3.4 C.2.2.2.6), and `includefield`,
 * `fuzzymatching`, `limit`, `offset`. A DA and TM pair of ranges matches as one date-time
 * (combineDateTimeKeys). Parameters of the request that are not for the search (none are defined
 * by the standard for this resource besides these) are refused, each error a QueryError naming
 * the parameter, to be answered 400.
 */
export function parseQidoQuery(params: Iterable<readonly [string, string]>): QidoQuery {
  const keys: QueryKey[] = [];
  const parameters = new Map<Tag, string>();
  const items = new Map<Tag, QueryKey[]>();
  const includeFields: Tag[] = [];
  let includeAll = false;
  let fuzzy = false;
  let limit: number | undefined;
  let offset = 0;
  for (const [name, value] of params) {
    if (CONTROL_PARAMETERS.has(name)) {
      if (name === 'includefield') {
        for (const field of value.split(',').map((f) => f.trim())) {
          // A path returns its sequence, whole.
          if (field === 'all') includeAll = true;
          else includeFields.push(pathOf('includefield', field)[0].tag);
        }
      } else if (name === 'fuzzymatching') {
        if (value !== 'true' && value !== 'false') throw new QueryError(name, `"${value}" is neither true nor false`);
        fuzzy = value === 'true';
      } else if (name === 'limit') {
        limit = count(name, value);
      } else {
        offset = count(name, value);
      }
      continue;
    }
    const [attribute, item] = pathOf(name, name);
    const itemKeys = items.get(attribute.tag);
    if (item === undefined) {
      if (parameters.has(attribute.tag) && itemKeys === undefined) throw new QueryError(name, 'given more than once');
      if (itemKeys !== undefined && value.trim() !== '') {
        throw new QueryError(name, 'a sequence is matched by the attributes of its item, not by a value');
      }
      if (itemKeys === undefined)
        keys.push({ ...attribute, match: parseAttributeMatch(name, attribute.vr, value, 'qido') });
      if (!parameters.has(attribute.tag)) parameters.set(attribute.tag, name);
      continue;
    }
    if (itemKeys?.some((key) => key.tag === item.tag)) throw new QueryError(name, 'given more than once');
    const itemKey: QueryKey = { ...item, match: parseAttributeMatch(name, item.vr, value, 'qido') };
    if (itemKeys) {
      itemKeys.push(itemKey);
      continue;
    }
    const previous = keys.findIndex((key) => key.tag === attribute.tag);
    if (previous >= 0 && keys[previous]!.match.kind !== 'universal') {
      throw new QueryError(name, 'a sequence is matched by the attributes of its item, not by a value');
    }
    const sequenceItems = [itemKey];
    items.set(attribute.tag, sequenceItems);
    const sequence: QueryKey = { ...attribute, match: { kind: 'sequence', items: sequenceItems } };
    if (previous >= 0) keys[previous] = sequence;
    else keys.push(sequence);
    if (!parameters.has(attribute.tag)) parameters.set(attribute.tag, name);
  }
  return {
    keys: combineDateTimeKeys(keys),
    parameters,
    includeFields: includeAll ? 'all' : includeFields,
    fuzzy,
    limit,
    offset,
  };
}

/**
 * The attribute a parameter names, and the attribute of its sequence's item when it is a path
 * (`Seq.Attribute`): a sequence first, then an attribute that is not one.
 */
function pathOf(parameter: string, id: string): [NamedAttribute, NamedAttribute?] {
  const parts = id.split('.');
  if (parts.length > 2) {
    throw new QueryError(parameter, `"${id}": attributes of one level of sequence items are matched, not deeper`);
  }
  const attribute = attributeOf(parameter, parts[0]!);
  if (parts.length === 1) return [attribute];
  if (attribute.vr !== 'SQ') throw new QueryError(parameter, `"${parts[0]}" is not a sequence (VR SQ)`);
  const item = attributeOf(parameter, parts[1]!);
  if (item.vr === 'SQ') {
    throw new QueryError(parameter, `"${id}": attributes of one level of sequence items are matched, not deeper`);
  }
  return [attribute, item];
}

function attributeOf(parameter: string, id: string): NamedAttribute {
  const byKeyword = entryOfKeyword(id);
  const tag = byKeyword?.tag ?? (/^[0-9A-Fa-f]{8}$/.test(id) ? parseTag(id) : undefined);
  const entry = byKeyword ?? (tag === undefined ? undefined : entryOf(tag));
  if (tag === undefined || !entry) {
    throw new QueryError(parameter, `"${id}" is not a DICOM keyword or tag this server knows (PS3.6)`);
  }
  if (entry.vrs.length > 1) {
    throw new QueryError(
      parameter,
      `${formatTag(tag)} has more than one VR (${entry.vrs.join(' or ')}) and cannot be matched`,
    );
  }
  return { tag, keyword: entry.keyword || undefined, vr: entry.vr };
}

function count(parameter: string, value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw new QueryError(parameter, `"${value}" is not a whole number`);
  return Number(value);
}
