import type { ConditionFailure } from '../condition-evaluator';
import type { RoutingRule } from '../rule';
import { explainRules, type RuleExplanation } from '../rule-matcher';
import type { RoutingSubject } from '../routing-subject';

/** The dry-run verdict on one rule over the instances of a study. */
export interface InstanceRuleVerdict {
  readonly ruleId: string;
  /** Whether the rule matches at least one instance. */
  readonly matched: boolean;
  /** How many of the instances examined it matches. */
  readonly matchedInstances: number;
  readonly skipped?: RuleExplanation['skipped'];
  /** The first instance it does not match, and the first condition that failed on it. */
  readonly failed?: ConditionFailure & { readonly sopInstanceUid: string };
  readonly destinations: readonly string[];
}

interface Tally {
  readonly explanation: RuleExplanation;
  matchedInstances: number;
  failed?: ConditionFailure & { sopInstanceUid: string };
}

/**
 * The dry run of the `instance` rules over a study: each instance is explained as the planner
 * would match it when it is indexed (explainRules), and the verdicts are counted per rule, in
 * priority order. An instance's source is not stored, so a source test fails here.
 */
export class InstanceDryRun {
  private readonly tallies = new Map<string, Tally>();
  private instanceCount = 0;

  constructor(private readonly rules: readonly RoutingRule[]) {}

  /** How many instances were added. */
  get instances(): number {
    return this.instanceCount;
  }

  add(sopInstanceUid: string, subject: RoutingSubject): void {
    this.instanceCount++;
    for (const explanation of explainRules(this.rules, subject, 'instance')) {
      let tally = this.tallies.get(explanation.ruleId);
      if (!tally) {
        tally = { explanation, matchedInstances: 0 };
        this.tallies.set(explanation.ruleId, tally);
      }
      if (explanation.matched) tally.matchedInstances++;
      else if (explanation.failed && !tally.failed) tally.failed = { sopInstanceUid, ...explanation.failed };
    }
  }

  verdicts(): InstanceRuleVerdict[] {
    return [...this.tallies.values()].map(({ explanation, matchedInstances, failed }) => ({
      ruleId: explanation.ruleId,
      matched: matchedInstances > 0,
      matchedInstances,
      ...(explanation.skipped ? { skipped: explanation.skipped } : {}),
      ...(failed ? { failed } : {}),
      destinations: explanation.destinations,
    }));
  }
}
