import { isValidUid } from '@pacs/dicom';
import type { ForwardScope } from '@pacs/routing-store';
import { RULE_TRIGGERS, type RuleTrigger } from '../rule';
import { invalid, quote } from './http-problem';

type Body = Readonly<Record<string, unknown>>;

function unknownFields(body: Body, allowed: readonly string[], problems: string[]): void {
  for (const name of Object.keys(body)) {
    if (!allowed.includes(name)) problems.push(`${name}: unknown field (expected ${allowed.join(', ')})`);
  }
}

function uid(body: Body, name: string, required: boolean, problems: string[]): string | undefined {
  const value = body[name];
  if (value === undefined) {
    if (required) problems.push(`${name}: missing, expected a UID`);
    return undefined;
  }
  if (typeof value !== 'string' || !isValidUid(value)) {
    problems.push(`${name}: expected a UID, digits and dots of at most 64 characters (got ${quote(value)})`);
    return undefined;
  }
  return value;
}

const FORWARD_FIELDS = ['destinationId', 'studyInstanceUid', 'seriesInstanceUid', 'sopInstanceUid'];

/** A manual forward: where to, and what (a study, a series of it, or an instance of that series). */
export interface ManualForwardRequest {
  readonly destinationId: string;
  readonly scope: ForwardScope;
}

/**
 * Reads `{ destinationId, studyInstanceUid, seriesInstanceUid?, sopInstanceUid? }`: UIDs valid
 * (PS3.5 9.1), an instance only within its series. Every problem named (400).
 */
export function parseManualForward(body: Body): ManualForwardRequest {
  const problems: string[] = [];
  unknownFields(body, FORWARD_FIELDS, problems);
  const destinationId = body['destinationId'];
  if (destinationId === undefined) problems.push('destinationId: missing, expected a destination id');
  else if (typeof destinationId !== 'string' || destinationId === '') {
    problems.push(`destinationId: expected a destination id (got ${quote(destinationId)})`);
  }
  const studyInstanceUid = uid(body, 'studyInstanceUid', true, problems);
  const seriesInstanceUid = uid(body, 'seriesInstanceUid', false, problems);
  const sopInstanceUid = uid(body, 'sopInstanceUid', false, problems);
  if (body['sopInstanceUid'] !== undefined && body['seriesInstanceUid'] === undefined) {
    problems.push('sopInstanceUid: needs the seriesInstanceUid of its series');
  }
  if (problems.length > 0) throw invalid('forward', problems);
  return {
    destinationId: destinationId as string,
    scope: {
      studyInstanceUid: studyInstanceUid!,
      ...(seriesInstanceUid ? { seriesInstanceUid } : {}),
      ...(sopInstanceUid ? { sopInstanceUid } : {}),
    },
  };
}

/** A dry run: the study, and which trigger's rules to evaluate. */
export interface DryRunRequest {
  readonly studyInstanceUid: string;
  readonly trigger: RuleTrigger;
}

/** Reads `{ studyInstanceUid, trigger? }`, the trigger `study-stable` when absent. */
export function parseDryRun(body: Body): DryRunRequest {
  const problems: string[] = [];
  unknownFields(body, ['studyInstanceUid', 'trigger'], problems);
  const studyInstanceUid = uid(body, 'studyInstanceUid', true, problems);
  const trigger = body['trigger'] ?? 'study-stable';
  if (!(RULE_TRIGGERS as readonly unknown[]).includes(trigger)) {
    problems.push(`trigger: expected ${RULE_TRIGGERS.map((t) => `"${t}"`).join(' or ')} (got ${quote(trigger)})`);
  }
  if (problems.length > 0) throw invalid('dry run', problems);
  return { studyInstanceUid: studyInstanceUid!, trigger: trigger as RuleTrigger };
}
