import { entryOf, entryOfKeyword, formatTag, parseTag, type Tag, type Vr } from '@pacs/dicom';
import type { AttributeMatch } from './attribute-match';
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
  /** One per attribute, in the order given; universal ones are return keys only. */
  readonly keys: readonly QueryKey[];
  /** `includefield`: more attributes to return, or every attribute the index holds. */
  readonly includeFields: 'all' | readonly Tag[];
  /** `fuzzymatching=true` (PS3.18 8.3.4.5). */
  readonly fuzzy: boolean;
  /** `limit`: at most this many results (undefined: the server's own limit applies). */
  readonly limit: number | undefined;
  /** `offset`: results skipped before the first returned. */
  readonly offset: number;
}

const CONTROL_PARAMETERS = new Set(['includefield', 'fuzzymatching', 'limit', 'offset']);

/**
 * Reads the query parameters of a QIDO-RS search (PS3.18 8.3.4): `{attributeID}={value}` pairs,
 * where attributeID is a keyword or a tag in hex (`PatientID`, `00100020`), and `includefield`,
 * `fuzzymatching`, `limit`, `offset`. Parameters of the request that are not for the search
 * (none are defined by the standard for this resource besides these) are refused, each error a
 * QueryError naming the parameter, to be answered 400.
 */
export function parseQidoQuery(params: Iterable<readonly [string, string]>): QidoQuery {
  const keys: QueryKey[] = [];
  const seen = new Set<Tag>();
  const includeFields: Tag[] = [];
  let includeAll = false;
  let fuzzy = false;
  let limit: number | undefined;
  let offset = 0;
  for (const [name, value] of params) {
    if (CONTROL_PARAMETERS.has(name)) {
      if (name === 'includefield') {
        for (const field of value.split(',').map((f) => f.trim())) {
          if (field === 'all') includeAll = true;
          else includeFields.push(attributeOf('includefield', field).tag);
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
    const attribute = attributeOf(name, name);
    if (seen.has(attribute.tag)) throw new QueryError(name, 'given more than once');
    seen.add(attribute.tag);
    keys.push({ ...attribute, match: parseAttributeMatch(name, attribute.vr, value, 'qido') });
  }
  return { keys, includeFields: includeAll ? 'all' : includeFields, fuzzy, limit, offset };
}

function attributeOf(parameter: string, id: string): { tag: Tag; keyword: string | undefined; vr: Vr } {
  if (id.includes('.')) {
    throw new QueryError(parameter, `"${id}": matching on attributes inside sequences is not supported`);
  }
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
