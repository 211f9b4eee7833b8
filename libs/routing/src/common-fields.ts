import { z } from 'zod';
import { describeValue, type PathSegment, type ReportProblem } from './problems';

const SLUG = /^[a-z0-9-]{1,64}$/;
const SLUG_MESSAGE = 'expected an id of 1 to 64 characters a-z, 0-9 or "-"';

/** Ids of destinations and rules: they appear in URLs, job keys and logs. */
export const slugSchema = z.string({ error: SLUG_MESSAGE }).regex(SLUG, { error: SLUG_MESSAGE });

const NAME_MESSAGE = 'expected a name of 1 to 200 characters';

/** The optional human-readable name of a destination or rule. */
export const nameSchema = z
  .string({ error: NAME_MESSAGE })
  .min(1, { error: NAME_MESSAGE })
  .max(200, { error: NAME_MESSAGE });

/** An integer in [min, max], with one message for every way of missing it. */
export function intInRange(min: number, max: number) {
  const message = `expected an integer from ${min} to ${max}`;
  return z.int({ error: message }).min(min, { error: message }).max(max, { error: message });
}

/** A zod `ctx` turned into a ReportProblem, for hand-written checks inside a schema. */
export function reportTo(ctx: {
  addIssue(issue: { code: 'custom'; message: string; path: PathSegment[] }): void;
}): ReportProblem {
  return (path, message) => ctx.addIssue({ code: 'custom', message, path: [...path] });
}

/**
 * Reports repeated ids among the entries of a list (read from the raw input, so that a duplicate
 * is reported along with the other problems of the list), e.g. `[2].id: duplicate id "pacs" (also [0])`.
 */
export function reportDuplicateIds(entries: unknown, report: ReportProblem, formatAt: (index: number) => string): void {
  if (!Array.isArray(entries)) return;
  const firstAt = new Map<string, number>();
  entries.forEach((entry: unknown, index) => {
    const id = entry !== null && typeof entry === 'object' ? (entry as { id?: unknown }).id : undefined;
    if (typeof id !== 'string') return;
    const first = firstAt.get(id);
    if (first === undefined) firstAt.set(id, index);
    else report([index, 'id'], `duplicate id ${describeValue(id)} (also at ${formatAt(first)})`);
  });
}

/** The string ids that can be read from a raw list of entries, valid or not. */
export function idsOf(entries: unknown): Set<string> {
  const ids = new Set<string>();
  if (!Array.isArray(entries)) return ids;
  for (const entry of entries as unknown[]) {
    const id = entry !== null && typeof entry === 'object' ? (entry as { id?: unknown }).id : undefined;
    if (typeof id === 'string') ids.add(id);
  }
  return ids;
}
