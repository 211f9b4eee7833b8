export {
  aeTitleProblem,
  destinationSchema,
  parseDestination,
  parseDestinations,
  type DicomWebDestination,
  type DimseDestination,
  type Destination,
  type DestinationKind,
} from './destination';
export { RoutingConfigError, type ParseResult, type RoutingConfigErrorCode } from './routing-config.error';
export {
  MAX_CONDITION_DEPTH,
  type AttributeCondition,
  type Condition,
  type SourceCondition,
  type SourceProtocol,
  type ValueMatcher,
} from './rule-condition';
export { mergeModifications, type RuleModification } from './rule-modification';
export { parseRule, parseRules, RULE_TRIGGERS, type RoutingRule, type RuleTrigger } from './rule';
export { MAX_REGEX_LENGTH } from './regex-safety';
export { attributeStrings, type RoutingSource, type RoutingSubject } from './routing-subject';
export type { ConditionFailure } from './condition-evaluator';
export { explainRules, matchRules, planForwards, type ForwardPlan, type RuleExplanation } from './rule-matcher';
export { parseRoutingFile, type RoutingFileConfig, type TenantRoutingConfig } from './routing-file';
export { applyModification } from './modify/apply-modification';
export { isModificationError, ModificationError, type ModificationErrorCode } from './modify/modification.errors';
export { textEncodingFor, type TextEncoding } from './modify/text-encoding';
export {
  FORWARD_SENDERS,
  type ForwardInstance,
  type ForwardSender,
  type ForwardSession,
  type InstanceKind,
  type RejectionCode,
  type SendOutcome,
  type SendWarning,
} from './senders/forward-sender.port';
export { ForwardError, isForwardError, type ForwardErrorCode } from './senders/forward.errors';
export { storeStatusVerdict, type StatusVerdict } from './senders/store-status';
export { DimseForwardSender, type DimseForwardSenderOptions } from './senders/dimse-forward-sender.adapter';
export { StowRsForwardSender, type StowRsForwardSenderOptions } from './senders/stow-rs-forward-sender.adapter';
export { RouterModule } from './router.module';
export { ROUTER_CONFIG } from './service/router.tokens';
export { RoutingConfigService, RoutingManagedByFileError } from './service/routing-config.service';
export { RoutingRuntime, ROUTER_GROUP } from './service/routing-runtime';
export type { TenantRouting } from './service/tenant-routing';
export { ManualForwardError, PlanForwardsUseCase, type ManualForward } from './service/plan-forwards.use-case';
