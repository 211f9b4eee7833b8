import { invalidArgument } from './routing-store.errors';

/** A value JSON can carry as it is. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | JsonObject;

/** A JSON object: configuration documents and attribute changes, opaque to the store. */
export interface JsonObject {
  readonly [key: string]: JsonValue;
}

/** How deep a document may nest: deeper is a mistake, or an attack on the parser. */
const MAX_DEPTH = 32;

/**
 * Checks that `value` is a plain JSON object (no undefined, function, NaN, Date, class
 * instance...), so that what is stored reads back equal; an INVALID_ARGUMENT naming the path
 * of the first value that is not JSON otherwise.
 */
export function checkJsonObject(field: string, value: unknown): JsonObject {
  if (!isPlainObject(value)) throw invalidArgument(field, `${describe(value)} is not a JSON object`);
  checkJson(field, value, 0);
  return value as JsonObject;
}

/** A list of JSON objects, each checked as checkJsonObject. */
export function checkJsonObjects(field: string, value: unknown): readonly JsonObject[] {
  if (!Array.isArray(value)) throw invalidArgument(field, `${describe(value)} is not a list`);
  return value.map((item, i) => checkJsonObject(`${field}[${i}]`, item));
}

function checkJson(path: string, value: unknown, depth: number): void {
  if (depth > MAX_DEPTH) throw invalidArgument(path, `nests deeper than ${MAX_DEPTH} levels`);
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalidArgument(path, `${String(value)} is not a JSON number`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => checkJson(`${path}[${i}]`, item, depth + 1));
    return;
  }
  if (!isPlainObject(value)) throw invalidArgument(path, `${describe(value)} is not a JSON value`);
  for (const [key, item] of Object.entries(value)) checkJson(`${path}.${key}`, item, depth + 1);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return `an object of class ${value.constructor?.name ?? 'none'}`;
  if (typeof value === 'string') return `"${value}"`;
  return `${typeof value} ${String(value)}`;
}
