import { formatTag, tagOf } from '@pacs/dicom';
import { compileRuleRegex } from './regex-safety';
import type { AttributeCondition, Condition, SourceCondition, ValueMatcher } from './rule-condition';
import { attributeStrings, type RoutingSubject } from './routing-subject';
import { compileWildcard } from './wildcard';

/** Where a condition failed: a path such as `condition.all[1]`, and a short reason. */
export interface ConditionFailure {
  readonly path: string;
  readonly reason: string;
}

interface Leaf {
  readonly kind: 'leaf';
  readonly summary: string;
  test(subject: RoutingSubject): boolean;
  /** What the subject holds instead, for a failure: `got "MR"`, `absent`. */
  found(subject: RoutingSubject): string;
}

interface Branch {
  readonly kind: 'all' | 'any';
  readonly summary: string;
  /** Each child with the path step that leads to it: `.all[0]`, `.source.callingAeTitle`. */
  readonly children: readonly { readonly node: Node; readonly step: string }[];
}

interface Negation {
  readonly kind: 'not';
  readonly summary: string;
  readonly child: Node;
}

/** A condition compiled once: tags resolved, patterns and regular expressions built. */
export type Node = Leaf | Branch | Negation;

const MAX_SHOWN_VALUES = 5;

function showValues(values: readonly string[] | undefined): string {
  if (values === undefined) return 'absent';
  if (values.length === 0) return 'present, no text value';
  const shown = values.slice(0, MAX_SHOWN_VALUES).map((value) => JSON.stringify(value));
  return `got ${shown.join(', ')}${values.length > MAX_SHOWN_VALUES ? ', …' : ''}`;
}

type StringTest = (value: string, personName: boolean) => boolean;

function operatorSummary(matcher: ValueMatcher): string {
  if ('equals' in matcher) return `equals ${JSON.stringify(matcher.equals)}`;
  if ('wildcard' in matcher) return `wildcard ${JSON.stringify(matcher.wildcard)}`;
  return `regex ${JSON.stringify(matcher.regex)}${matcher.ignoreCase ? ' ignoring case' : ''}`;
}

// PS3.4 C.2.2.2.1 and C.2.2.2.4: matching is case-sensitive, except that it may ignore case for
// person names (PN); this PACS does for `equals` and `wildcard`, as its queries do.
function stringTest(matcher: ValueMatcher): StringTest {
  if ('equals' in matcher) {
    const wanted = matcher.equals;
    const folded = wanted.toLowerCase();
    return (value, personName) => (personName ? value.toLowerCase() === folded : value === wanted);
  }
  if ('wildcard' in matcher) {
    const exact = compileWildcard(matcher.wildcard, false);
    const folded = compileWildcard(matcher.wildcard, true);
    return (value, personName) => (personName ? folded(value) : exact(value));
  }
  const regex = compileRuleRegex(matcher.regex, matcher.ignoreCase === true);
  return (value) => regex.test(value);
}

function attributeLeaf(condition: AttributeCondition): Leaf {
  const key = formatTag(tagOf(condition.attribute));
  const has = (subject: RoutingSubject) => Object.hasOwn(subject.attributes, key);
  const found = (subject: RoutingSubject) => showValues(attributeStrings(subject, key));
  if ('present' in condition) {
    const wanted = condition.present;
    return {
      kind: 'leaf',
      summary: `${condition.attribute} ${wanted ? 'present' : 'absent'}`,
      test: (subject) => has(subject) === wanted,
      found,
    };
  }
  const test = stringTest(condition);
  return {
    kind: 'leaf',
    summary: `${condition.attribute} ${operatorSummary(condition)}`,
    test: (subject) => {
      const values = attributeStrings(subject, key);
      if (values === undefined) return false;
      const personName = subject.attributes[key]?.vr === 'PN';
      return values.some((value) => test(value, personName));
    },
    found,
  };
}

type SourceField = Exclude<keyof SourceCondition, 'protocol'>;

function sourceValue(subject: RoutingSubject, field: SourceField | 'protocol'): string | undefined {
  const value = subject.source?.[field];
  // AE titles: leading and trailing spaces are not significant (PS3.5 6.2, VR AE).
  return field === 'callingAeTitle' || field === 'calledAeTitle' ? value?.trim() : value;
}

function sourceLeaf(field: SourceField | 'protocol', summary: string, test: (value: string) => boolean): Leaf {
  return {
    kind: 'leaf',
    summary: `source ${field} ${summary}`,
    test: (subject) => {
      const value = sourceValue(subject, field);
      return value !== undefined && test(value);
    },
    found: (subject) => {
      if (subject.source === undefined) return 'no source given';
      const value = sourceValue(subject, field);
      return value === undefined ? 'absent' : `got ${JSON.stringify(value)}`;
    },
  };
}

function sourceNode(source: SourceCondition): Branch {
  const children: { node: Node; step: string }[] = [];
  if (source.protocol !== undefined) {
    const protocol = source.protocol;
    children.push({
      node: sourceLeaf('protocol', `is ${JSON.stringify(protocol)}`, (value) => value === protocol),
      step: '.source.protocol',
    });
  }
  for (const field of ['callingAeTitle', 'calledAeTitle', 'clientId', 'remoteAddress'] as const) {
    const matcher = source[field];
    if (matcher === undefined) continue;
    const test = stringTest(matcher);
    children.push({
      node: sourceLeaf(field, operatorSummary(matcher), (value) => test(value, false)),
      step: `.source.${field}`,
    });
  }
  return { kind: 'all', summary: children.map((child) => child.node.summary).join(' and '), children };
}

/** Compiles a validated condition (from parseRules); throws on one that is not. */
export function compileCondition(condition: Condition): Node {
  if ('all' in condition || 'any' in condition) {
    const kind = 'all' in condition ? 'all' : 'any';
    const list = 'all' in condition ? condition.all : condition.any;
    return {
      kind,
      summary: `${kind} of ${list.length} condition${list.length === 1 ? '' : 's'}`,
      children: list.map((child, index) => ({ node: compileCondition(child), step: `.${kind}[${index}]` })),
    };
  }
  if ('not' in condition) {
    const child = compileCondition(condition.not);
    return { kind: 'not', summary: `not (${child.summary})`, child };
  }
  if ('source' in condition) return sourceNode(condition.source);
  return attributeLeaf(condition);
}

const FAILED: ConditionFailure = { path: '', reason: 'failed' };

/**
 * Undefined when the subject satisfies the node; else the first failure in document order (its
 * path and reason when `path` is given, a shared placeholder otherwise, so that plain matching
 * builds no strings). One function for both, so that a dry run says what matching does.
 */
export function failureOf(node: Node, subject: RoutingSubject, path?: string): ConditionFailure | undefined {
  switch (node.kind) {
    case 'leaf':
      if (node.test(subject)) return undefined;
      return path === undefined ? FAILED : { path, reason: `${node.summary} (${node.found(subject)})` };
    case 'all':
      for (const { node: child, step } of node.children) {
        const failure = failureOf(child, subject, path === undefined ? undefined : path + step);
        if (failure) return failure;
      }
      return undefined;
    case 'any':
      if (node.children.some(({ node: child }) => failureOf(child, subject) === undefined)) return undefined;
      return path === undefined
        ? FAILED
        : { path, reason: `none of the ${node.children.length} conditions of "any" matched` };
    case 'not':
      if (failureOf(node.child, subject) !== undefined) return undefined;
      return path === undefined ? FAILED : { path, reason: `the negated condition matched: ${node.child.summary}` };
  }
}
