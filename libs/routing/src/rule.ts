import { z } from 'zod';
import { nameSchema, reportDuplicateIds, reportTo, slugSchema } from './common-fields';
import { describeValue, formatPath, zodProblems, type PathSegment } from './problems';
import { RoutingConfigError, type ParseResult } from './routing-config.error';
import { readCondition, type Condition } from './rule-condition';
import { readModification, type RuleModification } from './rule-modification';

/**
 * When a rule is evaluated: on each stored instance (the instance's attributes and source), or
 * once a study is stable, i.e. no instance arrived for the quiet time (the study's attributes).
 */
export type RuleTrigger = (typeof RULE_TRIGGERS)[number];

/** The triggers, in a stable order. */
export const RULE_TRIGGERS = ['instance', 'study-stable'] as const;

/** A tenant's routing rule: when `condition` holds at `trigger`, send to `destinations`. */
export interface RoutingRule {
  /** Unique within the tenant. */
  readonly id: string;
  readonly name?: string;
  /** A disabled rule never matches (default true). */
  readonly enabled: boolean;
  /** Higher first (default 0); equal priorities go by id. */
  readonly priority: number;
  readonly trigger: RuleTrigger;
  readonly condition: Condition;
  /** Destination ids, at least one, each once. */
  readonly destinations: readonly string[];
  /** Changes to the forwarded copy. */
  readonly modify?: RuleModification;
}

const PRIORITY_MESSAGE = 'expected an integer priority';

function ruleSchema(destinationIds: ReadonlySet<string>) {
  return z.strictObject({
    id: slugSchema,
    name: nameSchema.optional(),
    enabled: z.boolean({ error: 'expected true or false' }).default(true),
    priority: z.int({ error: PRIORITY_MESSAGE }).default(0),
    trigger: z.enum(RULE_TRIGGERS, { error: 'expected "instance" or "study-stable"' }),
    condition: z.unknown().transform((input, ctx) => readCondition(input, [], reportTo(ctx)) ?? z.NEVER),
    destinations: z
      .array(z.unknown(), { error: 'expected a non-empty array of destination ids' })
      .min(1, { error: 'expected a non-empty array of destination ids' })
      .transform((ids, ctx) => {
        const report = reportTo(ctx);
        ids.forEach((id, index) => {
          if (typeof id !== 'string') report([index], `expected a destination id (got ${describeValue(id)})`);
          else if (!destinationIds.has(id))
            report([index], `unknown destination ${describeValue(id)}${known(destinationIds)}`);
          else if (ids.indexOf(id) !== index) report([index], `destination ${describeValue(id)} is listed twice`);
        });
        return ids as string[];
      }),
    modify: z
      .unknown()
      .transform((input, ctx) => {
        const report = reportTo(ctx);
        let reported = false;
        const modification = readModification(input, [], (path, message) => {
          reported = true;
          report(path, message);
        });
        return reported ? z.NEVER : modification;
      })
      .optional(),
  });
}

function known(ids: ReadonlySet<string>): string {
  if (ids.size === 0) return ' (the tenant has no destinations)';
  const list = [...ids].slice(0, 10).map((id) => JSON.stringify(id));
  return ` (known: ${list.join(', ')}${ids.size > 10 ? ', …' : ''})`;
}

type ParsedRule = z.output<ReturnType<typeof ruleSchema>>;

function toRule(parsed: ParsedRule): RoutingRule {
  const { name, modify, ...rest } = parsed;
  // Frozen: the matcher caches what it compiles from a rule by the rule object.
  return deepFreeze({ ...rest, ...(name !== undefined ? { name } : {}), ...(modify !== undefined ? { modify } : {}) });
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** The rules read from a list, with the problems found at `root` (internal to the lib). */
export function readRules(
  input: unknown,
  destinationIds: ReadonlySet<string>,
  root: readonly PathSegment[],
): { readonly rules: RoutingRule[] | undefined; readonly problems: string[] } {
  const schema = z.array(ruleSchema(destinationIds), { error: 'expected an array of rules' });
  const result = schema.safeParse(input);
  const problems = result.success ? [] : zodProblems(result.error, input, root);
  reportDuplicateIds(
    input,
    (path, message) => problems.push(`${formatPath([...root, ...path])}: ${message}`),
    (index) => formatPath([...root, index, 'id']),
  );
  return { rules: result.success && problems.length === 0 ? result.data.map(toRule) : undefined, problems };
}

/**
 * Validates a tenant's rules against its destination ids. Every problem is named by its path:
 * an unknown keyword, an invalid or exponential regex (with the engine's message), an unknown
 * destination, a duplicate rule id, an empty all/any, a protected attribute in `modify` (with the
 * reason), ... The rules returned are frozen.
 */
export function parseRules(input: unknown, destinationIds: ReadonlySet<string>): ParseResult<RoutingRule[]> {
  const { rules, problems } = readRules(input, destinationIds, ['rules']);
  return rules ? { ok: true, value: rules } : { ok: false, error: new RoutingConfigError(problems) };
}

/** Validates one rule (e.g. the body of a REST request); problems named from `rule`. */
export function parseRule(input: unknown, destinationIds: ReadonlySet<string>): ParseResult<RoutingRule> {
  const result = ruleSchema(destinationIds).safeParse(input);
  if (result.success) return { ok: true, value: toRule(result.data) };
  return { ok: false, error: new RoutingConfigError(zodProblems(result.error, input, ['rule'])) };
}
