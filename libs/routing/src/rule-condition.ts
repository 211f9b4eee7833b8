import { resolveAttribute, valueMatchProblem } from './attribute-ref';
import { describeValue, type PathSegment, type ReportProblem } from './problems';
import { regexProblem } from './regex-safety';

/**
 * A test of one string. `equals`: the whole value, exactly (PS3.4 C.2.2.2.1 Single Value
 * Matching). `wildcard`: `*` any run of characters, `?` one character, everything else literal
 * (PS3.4 C.2.2.2.4). `regex`: a JavaScript regular expression in Unicode mode that must match the
 * whole value (it is anchored), case-sensitive unless `ignoreCase`. On a person name (PN)
 * `equals` and `wildcard` ignore case, as PS3.4 C.2.2.2.1 and C.2.2.2.4 allow for PN; on every
 * other VR they are case-sensitive.
 */
export type ValueMatcher =
  | { readonly equals: string }
  | { readonly wildcard: string }
  | { readonly regex: string; readonly ignoreCase?: boolean };

/**
 * A test of one attribute of the instance or study, named by PS3.6 keyword (`Modality`,
 * `SOPClassUID`) or by 8 hex digits (`00091001`, e.g. a private tag). A value test matches when
 * any value of a multi-valued attribute does and never matches an absent attribute; `present`
 * says whether the attribute is in the data set at all (empty or not).
 */
export type AttributeCondition =
  | { readonly attribute: string; readonly equals: string }
  | { readonly attribute: string; readonly wildcard: string }
  | { readonly attribute: string; readonly regex: string; readonly ignoreCase?: boolean }
  | { readonly attribute: string; readonly present: boolean };

/** The protocols instances arrive by. */
export type SourceProtocol = 'DIMSE' | 'STOW-RS';

/**
 * A test of where the instance came from; every field given must match. AE titles compare
 * case-sensitively with their padding spaces ignored (PS3.5 6.2, VR AE). A subject without a
 * source, or without the field, does not match.
 */
export interface SourceCondition {
  readonly protocol?: SourceProtocol;
  /** The sender's AE title (DIMSE). */
  readonly callingAeTitle?: ValueMatcher;
  /** The AE title the sender called, i.e. which of the archive's AEs received it (DIMSE). */
  readonly calledAeTitle?: ValueMatcher;
  /** The authenticated DICOMweb client (user or API key). */
  readonly clientId?: ValueMatcher;
  /** The sender's network address. */
  readonly remoteAddress?: ValueMatcher;
}

/** A rule's condition: a tree of all / any / not over attribute and source tests. */
export type Condition =
  | { readonly all: readonly Condition[] }
  | { readonly any: readonly Condition[] }
  | { readonly not: Condition }
  | AttributeCondition
  | { readonly source: SourceCondition };

/** How deep conditions may nest: deeper is a mistake, or an attempt to exhaust the stack. */
export const MAX_CONDITION_DEPTH = 32;
const MAX_PATTERN_LENGTH = 1024;

const KINDS = ['all', 'any', 'not', 'attribute', 'source'] as const;
const OPERATORS = ['equals', 'wildcard', 'regex'] as const;
const SOURCE_MATCHERS = ['callingAeTitle', 'calledAeTitle', 'clientId', 'remoteAddress'] as const;
const PROTOCOLS: readonly SourceProtocol[] = ['DIMSE', 'STOW-RS'];

type Json = Readonly<Record<string, unknown>>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function reportUnknownFields(
  object: Json,
  allowed: readonly string[],
  path: readonly PathSegment[],
  report: ReportProblem,
) {
  for (const key of Object.keys(object)) if (!allowed.includes(key)) report([...path, key], 'unknown field');
}

/**
 * Reads a condition tree, reporting every problem at its path below `path` (unknown keyword,
 * invalid or exponential regex, empty all/any, ...). Returns the condition with attributes named
 * canonically (keyword when PS3.6 has one), or undefined when anything was reported.
 */
export function readCondition(
  input: unknown,
  path: readonly PathSegment[],
  report: ReportProblem,
  depth = 1,
): Condition | undefined {
  if (input === undefined) {
    report(path, 'missing, expected a condition');
    return undefined;
  }
  if (!isObject(input)) {
    report(
      path,
      `expected a condition: an object with all, any, not, attribute or source (got ${describeValue(input)})`,
    );
    return undefined;
  }
  if (depth > MAX_CONDITION_DEPTH) {
    report(path, `conditions nest at most ${MAX_CONDITION_DEPTH} levels deep`);
    return undefined;
  }
  const kinds = KINDS.filter((kind) => Object.hasOwn(input, kind));
  const kind = kinds[0];
  if (kind === undefined || kinds.length > 1) {
    const got = kinds.length > 1 ? kinds.join(' and ') : `fields ${Object.keys(input).join(', ') || 'none'}`;
    report(path, `expected exactly one of all, any, not, attribute or source (got ${got})`);
    return undefined;
  }
  switch (kind) {
    case 'all':
    case 'any':
      return readList(kind, input, path, report, depth);
    case 'not': {
      reportUnknownFields(input, ['not'], path, report);
      const inner = readCondition(input['not'], [...path, 'not'], report, depth + 1);
      return inner && { not: inner };
    }
    case 'attribute':
      return readAttributeCondition(input, path, report);
    case 'source':
      reportUnknownFields(input, ['source'], path, report);
      return readSourceCondition(input['source'], [...path, 'source'], report);
  }
}

function readList(
  kind: 'all' | 'any',
  input: Json,
  path: readonly PathSegment[],
  report: ReportProblem,
  depth: number,
): Condition | undefined {
  reportUnknownFields(input, [kind], path, report);
  const list = input[kind];
  if (!Array.isArray(list) || list.length === 0) {
    // An empty list would match everything (all) or nothing (any): never what a rule means.
    report([...path, kind], `expected a non-empty array of conditions (got ${describeValue(list)})`);
    return undefined;
  }
  const children = (list as unknown[]).map((child, index) =>
    readCondition(child, [...path, kind, index], report, depth + 1),
  );
  if (!children.every((child): child is Condition => child !== undefined)) return undefined;
  return kind === 'all' ? { all: children } : { any: children };
}

function readAttributeCondition(
  input: Json,
  path: readonly PathSegment[],
  report: ReportProblem,
): Condition | undefined {
  reportUnknownFields(input, ['attribute', ...OPERATORS, 'present', 'ignoreCase'], path, report);
  const attribute = input['attribute'];
  let name: string | undefined;
  const operator = [...OPERATORS, 'present' as const].filter((op) => Object.hasOwn(input, op));
  if (typeof attribute !== 'string') {
    report([...path, 'attribute'], `expected a DICOM keyword or 8 hex digits (got ${describeValue(attribute)})`);
  } else {
    const ref = resolveAttribute(attribute);
    if (typeof ref === 'string') {
      report([...path, 'attribute'], ref);
    } else {
      const problem = operator[0] === 'present' ? undefined : valueMatchProblem(ref);
      if (problem) report([...path, 'attribute'], problem);
      else name = ref.name;
    }
  }
  if (operator[0] === 'present' && operator.length === 1) {
    const present = input['present'];
    if (Object.hasOwn(input, 'ignoreCase')) report([...path, 'ignoreCase'], 'ignoreCase applies to regex only');
    if (typeof present !== 'boolean') {
      report([...path, 'present'], `expected true or false (got ${describeValue(present)})`);
      return undefined;
    }
    return name === undefined ? undefined : { attribute: name, present };
  }
  const matcher = readMatcher(input, path, report, true);
  return name === undefined || matcher === undefined ? undefined : { attribute: name, ...matcher };
}

/**
 * Reads the operator of a value test (`equals`, `wildcard`, or `regex` with `ignoreCase`);
 * `orPresent` when `present` is the other choice (attribute tests), for the count and the message.
 */
function readMatcher(
  input: Json,
  path: readonly PathSegment[],
  report: ReportProblem,
  orPresent: boolean,
): ValueMatcher | undefined {
  const expected = orPresent ? 'equals, wildcard, regex or present' : 'equals, wildcard or regex';
  const operators = [...OPERATORS, ...(orPresent ? ['present' as const] : [])].filter((op) => Object.hasOwn(input, op));
  const operator = operators[0];
  if (operator === undefined || operators.length > 1) {
    report(
      path,
      `expected exactly one of ${expected} (got ${operators.length > 1 ? operators.join(' and ') : 'none'})`,
    );
    return undefined;
  }
  if (operator !== 'regex' && Object.hasOwn(input, 'ignoreCase'))
    report([...path, 'ignoreCase'], 'ignoreCase applies to regex only');
  const pattern = input[operator];
  if (typeof pattern !== 'string') {
    const hint = typeof pattern === 'number' ? ` (numbers compare in their string form: write "${pattern}")` : '';
    report([...path, operator], `expected a string (got ${describeValue(pattern)})${hint}`);
    return undefined;
  }
  if (operator !== 'regex' && pattern.length > MAX_PATTERN_LENGTH) {
    report([...path, operator], `expected at most ${MAX_PATTERN_LENGTH} characters (got ${pattern.length})`);
    return undefined;
  }
  if (operator === 'equals') return { equals: pattern };
  if (operator === 'wildcard') return { wildcard: pattern };
  const ignoreCase = input['ignoreCase'];
  if (ignoreCase !== undefined && typeof ignoreCase !== 'boolean') {
    report([...path, 'ignoreCase'], `expected true or false (got ${describeValue(ignoreCase)})`);
    return undefined;
  }
  const problem = regexProblem(pattern, ignoreCase === true);
  if (problem) {
    report([...path, 'regex'], problem);
    return undefined;
  }
  return ignoreCase === undefined ? { regex: pattern } : { regex: pattern, ignoreCase };
}

function readSourceCondition(
  input: unknown,
  path: readonly PathSegment[],
  report: ReportProblem,
): Condition | undefined {
  const fields = ['protocol', ...SOURCE_MATCHERS];
  if (!isObject(input) || !fields.some((field) => Object.hasOwn(input, field))) {
    report(path, `expected an object with at least one of ${fields.join(', ')} (got ${describeValue(input)})`);
    return undefined;
  }
  reportUnknownFields(input, fields, path, report);
  const source: { -readonly [K in keyof SourceCondition]: SourceCondition[K] } = {};
  let valid = true;
  if (Object.hasOwn(input, 'protocol')) {
    const protocol = input['protocol'];
    if (PROTOCOLS.includes(protocol as SourceProtocol)) source.protocol = protocol as SourceProtocol;
    else {
      report([...path, 'protocol'], `expected "DIMSE" or "STOW-RS" (got ${describeValue(protocol)})`);
      valid = false;
    }
  }
  for (const field of SOURCE_MATCHERS) {
    if (!Object.hasOwn(input, field)) continue;
    const value = input[field];
    if (!isObject(value)) {
      report(
        [...path, field],
        `expected an object with one of equals, wildcard or regex (got ${describeValue(value)})`,
      );
      valid = false;
      continue;
    }
    reportUnknownFields(value, [...OPERATORS, 'ignoreCase'], [...path, field], report);
    const matcher = readMatcher(value, [...path, field], report, false);
    if (matcher) source[field] = matcher;
    else valid = false;
  }
  return valid ? { source } : undefined;
}
