import type { z } from 'zod';

/** One step into a JSON value: an object key or an array index. */
export type PathSegment = string | number;

/** Reports one problem at a path relative to the value being validated. */
export type ReportProblem = (path: readonly PathSegment[], message: string) => void;

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** A path as a reader writes it: `destinations[1].port`, `headers["X-Api-Key"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (!IDENTIFIER.test(segment)) text += `[${JSON.stringify(segment)}]`;
    else text += text === '' ? segment : `.${segment}`;
  }
  return text === '' ? '(root)' : text;
}

const SHOWN_CHARACTERS = 80;

/** A short rendering of a configuration value for a message: `70000`, `"dimze"`, `an object`. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > SHOWN_CHARACTERS ? `${value.slice(0, SHOWN_CHARACTERS)}…` : value);
  }
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

/**
 * The problems of a failed zod parse, each `path: message`. zod's own issues get the offending
 * value appended (`(got 70000)`); custom issues (the hand-written checks) carry what they need in
 * their message, so that e.g. header values, which may be secrets, are never echoed.
 */
export function zodProblems(error: z.ZodError, input: unknown, root: readonly PathSegment[]): string[] {
  const problems: string[] = [];
  for (const issue of error.issues) {
    const path = issue.path.filter((s): s is PathSegment => typeof s !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push(`${formatPath([...root, ...path, key])}: unknown field`);
      continue;
    }
    const where = formatPath([...root, ...path]);
    if (issue.code === 'custom') {
      problems.push(`${where}: ${issue.message}`);
      continue;
    }
    const value = valueAt(input, issue.path);
    problems.push(
      value === undefined
        ? `${where}: missing, ${issue.message}`
        : `${where}: ${issue.message} (got ${describeValue(value)})`,
    );
  }
  return unique(problems);
}

/** The list without repeats, in first-seen order (a value may break several checks of one rule). */
export function unique(problems: readonly string[]): string[] {
  return [...new Set(problems)];
}
