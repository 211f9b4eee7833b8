import { compileCondition, failureOf, type ConditionFailure, type Node } from './condition-evaluator';
import type { RoutingRule, RuleTrigger } from './rule';
import { mergeModifications, type RuleModification } from './rule-modification';
import type { RoutingSubject } from './routing-subject';

/** What to send to one destination: the rules that chose it, and the merged modification. */
export interface ForwardPlan {
  readonly destinationId: string;
  /** The matching rules that name the destination, in priority order. */
  readonly ruleIds: readonly string[];
  /** The rules' changes merged (see mergeModifications); absent when none changes anything. */
  readonly modify?: RuleModification;
}

/** The dry-run verdict on one rule. */
export interface RuleExplanation {
  readonly ruleId: string;
  readonly matched: boolean;
  /** Why the rule was not evaluated: disabled, or for the other trigger. */
  readonly skipped?: 'disabled' | 'other-trigger';
  /** For an evaluated rule that did not match: the first condition that failed. */
  readonly failed?: ConditionFailure;
  readonly destinations: readonly string[];
}

// Rules are frozen by parseRules, so a rule object always compiles to the same node.
const compiled = new WeakMap<RoutingRule, Node>();

function nodeOf(rule: RoutingRule): Node {
  let node = compiled.get(rule);
  if (!node) {
    node = compileCondition(rule.condition);
    compiled.set(rule, node);
  }
  return node;
}

function byPriority(rules: readonly RoutingRule[]): RoutingRule[] {
  return [...rules].sort((a, b) => b.priority - a.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * The enabled rules for `trigger` whose condition the subject satisfies, highest priority first,
 * then by id. Rules must come from parseRules (a rule that is not valid may throw here).
 */
export function matchRules(
  rules: readonly RoutingRule[],
  subject: RoutingSubject,
  trigger: RuleTrigger,
): RoutingRule[] {
  return byPriority(rules).filter(
    (rule) => rule.enabled && rule.trigger === trigger && failureOf(nodeOf(rule), subject) === undefined,
  );
}

/**
 * Where to send the subject: one plan per destination that a matching rule names, however many
 * rules name it, in the order the destinations first appear in the matching rules (priority
 * order). The modifications of the rules that name a destination merge in priority order, each
 * attribute decided by the highest-priority rule that sets or removes it.
 */
export function planForwards(
  rules: readonly RoutingRule[],
  subject: RoutingSubject,
  trigger: RuleTrigger,
): ForwardPlan[] {
  const byDestination = new Map<string, RoutingRule[]>();
  for (const rule of matchRules(rules, subject, trigger)) {
    for (const destinationId of rule.destinations) {
      const list = byDestination.get(destinationId);
      if (list) list.push(rule);
      else byDestination.set(destinationId, [rule]);
    }
  }
  return [...byDestination].map(([destinationId, chosenBy]) => {
    const modify = mergeModifications(chosenBy.map((rule) => rule.modify));
    return { destinationId, ruleIds: chosenBy.map((rule) => rule.id), ...(modify ? { modify } : {}) };
  });
}

/**
 * The dry run: every rule in priority order, whether it matches the subject at `trigger`, and for
 * one that does not, why: skipped (disabled, other trigger) or the first condition that failed,
 * e.g. `{ path: 'condition.all[1]', reason: 'Modality equals "CT" (got "MR")' }`. Says exactly
 * what matchRules decides.
 */
export function explainRules(
  rules: readonly RoutingRule[],
  subject: RoutingSubject,
  trigger: RuleTrigger,
): RuleExplanation[] {
  return byPriority(rules).map((rule) => {
    const base = { ruleId: rule.id, destinations: rule.destinations };
    if (!rule.enabled) return { ...base, matched: false, skipped: 'disabled' };
    if (rule.trigger !== trigger) return { ...base, matched: false, skipped: 'other-trigger' };
    const failed = failureOf(nodeOf(rule), subject, 'condition');
    return failed ? { ...base, matched: false, failed } : { ...base, matched: true };
  });
}
