import { isValidUid } from '@pacs/dicom';
import { checkJsonObject, checkJsonObjects } from './json-value';
import { invalidArgument } from './routing-store.errors';
import {
  FORWARD_JOB_STATES,
  FORWARD_TRIGGERS,
  type ClaimRequest,
  type ForwardError,
  type ForwardJobSpec,
  type ForwardScope,
  type InstanceRejection,
  type JobClaim,
  type JobFilter,
  type JobOutcome,
  type JobPage,
  type RoutingConfigDocuments,
} from './routing-store.port';

// Checks of what the callers of a RoutingStore pass, shared by the adapters so that each refuses
// the same input with the same error (INVALID_ARGUMENT naming the field, never retriable), before
// anything is written. They return the values normalized: times as toISOString(), objects copied
// with only the fields the port knows.

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const MAX_ID_LENGTH = 256;
const MAX_LIMIT = 1000;
const MAX_LEASE_MS = 24 * 60 * 60 * 1000;
/** Instances one confirmInstances call records at most. */
export const MAX_CONFIRMED_PER_CALL = 10_000;
const MAX_TEXT_LENGTH = 4096;

/** An id (tenant, job, destination, owner...): a non-empty string of 256 characters at most. */
export function checkId(field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw invalidArgument(field, 'must be a non-empty string');
  if (value.length > MAX_ID_LENGTH) throw invalidArgument(field, `is longer than ${MAX_ID_LENGTH} characters`);
  return value;
}

/** An ISO 8601 date and time with its zone, normalized to toISOString() so that instants compare as strings. */
export function instantOf(field: string, value: unknown): string {
  const time = typeof value === 'string' && ISO_INSTANT.test(value) && isCalendarDay(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(time)) {
    throw invalidArgument(field, `"${String(value)}" is not an ISO 8601 date and time with a zone`);
  }
  const instant = new Date(time).toISOString();
  // Instants compare as strings: only those of four-digit years do.
  if (instant.length !== 24) throw invalidArgument(field, `"${String(value)}" is out of range`);
  return instant;
}

/** Whether the date of `YYYY-MM-DD...` is a day of the calendar (Date.parse takes 2024-02-30 for March 1st). */
function isCalendarDay(value: string): boolean {
  const [year, month, day] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  return month >= 1 && month <= 12 && day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** An integer in min..max. */
export function checkInteger(field: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalidArgument(field, `${String(value)} is not an integer in ${min}..${max}`);
  }
  return value;
}

/** A DICOM UID (PS3.5 9.1). */
export function checkUid(field: string, value: unknown): string {
  if (typeof value !== 'string' || !isValidUid(value)) {
    throw invalidArgument(field, `"${String(value)}" is not a UID (digits and dots, at most 64 characters)`);
  }
  return value;
}

function checkObject(field: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidArgument(field, 'must be an object');
  }
  return value as Record<string, unknown>;
}

function checkText(field: string, value: unknown): string {
  if (typeof value !== 'string') throw invalidArgument(field, 'must be a string');
  if (value.length > MAX_TEXT_LENGTH) throw invalidArgument(field, `is longer than ${MAX_TEXT_LENGTH} characters`);
  return value;
}

/** A configuration to save: lists of JSON objects, an expected revision of 0 or more, a time. */
export function checkConfigSave(
  tenantId: string,
  documents: RoutingConfigDocuments,
  expectedRevision: number,
  now: string,
): { tenantId: string; documents: RoutingConfigDocuments; expectedRevision: number; now: string } {
  const checkedTenant = checkId('tenantId', tenantId);
  const object = checkObject('documents', documents);
  return {
    tenantId: checkedTenant,
    documents: {
      destinations: checkJsonObjects('documents.destinations', object['destinations']),
      rules: checkJsonObjects('documents.rules', object['rules']),
    },
    expectedRevision: checkInteger('expectedRevision', expectedRevision, 0),
    now: instantOf('now', now),
  };
}

/** A scope: a study, a series of it, or an instance of that series, each by a valid UID. */
export function checkScope(field: string, value: unknown): ForwardScope {
  const scope = checkObject(field, value);
  const studyInstanceUid = checkUid(`${field}.studyInstanceUid`, scope['studyInstanceUid']);
  const series = scope['seriesInstanceUid'];
  const sop = scope['sopInstanceUid'];
  if (series === undefined) {
    if (sop !== undefined) throw invalidArgument(`${field}.sopInstanceUid`, 'needs the seriesInstanceUid');
    return { studyInstanceUid };
  }
  const seriesInstanceUid = checkUid(`${field}.seriesInstanceUid`, series);
  if (sop === undefined) return { studyInstanceUid, seriesInstanceUid };
  return { studyInstanceUid, seriesInstanceUid, sopInstanceUid: checkUid(`${field}.sopInstanceUid`, sop) };
}

/** A job to create, copied with only the fields of ForwardJobSpec. */
export function checkJobSpec(value: ForwardJobSpec): ForwardJobSpec {
  const spec = checkObject('spec', value);
  const trigger = spec['trigger'];
  if (!FORWARD_TRIGGERS.includes(trigger as ForwardJobSpec['trigger'])) {
    throw invalidArgument('spec.trigger', `"${String(trigger)}" is not one of ${FORWARD_TRIGGERS.join(', ')}`);
  }
  const ruleIds = spec['ruleIds'];
  if (!Array.isArray(ruleIds)) throw invalidArgument('spec.ruleIds', 'must be a list');
  const checked: ForwardJobSpec = {
    jobId: checkId('spec.jobId', spec['jobId']),
    tenantId: checkId('spec.tenantId', spec['tenantId']),
    destinationId: checkId('spec.destinationId', spec['destinationId']),
    scope: checkScope('spec.scope', spec['scope']),
    trigger: trigger as ForwardJobSpec['trigger'],
    ruleIds: ruleIds.map((id, i) => checkId(`spec.ruleIds[${i}]`, id)),
    correlationId: checkId('spec.correlationId', spec['correlationId']),
    maxAttempts: checkInteger('spec.maxAttempts', spec['maxAttempts'], 1, 1000),
  };
  const modify = spec['modify'];
  const causationId = spec['causationId'];
  return {
    ...checked,
    ...(modify !== undefined ? { modify: checkJsonObject('spec.modify', modify) } : {}),
    ...(causationId !== undefined ? { causationId: checkId('spec.causationId', causationId) } : {}),
  };
}

/** What claimDueJobs asks for. */
export function checkClaimRequest(value: ClaimRequest): ClaimRequest {
  const request = checkObject('request', value);
  const destination = request['destination'];
  const checked: ClaimRequest = {
    now: instantOf('request.now', request['now']),
    owner: checkId('request.owner', request['owner']),
    leaseMs: checkInteger('request.leaseMs', request['leaseMs'], 1, MAX_LEASE_MS),
    limit: checkInteger('request.limit', request['limit'], 1, MAX_LIMIT),
  };
  if (destination === undefined) return checked;
  const { tenantId, destinationId } = checkObject('request.destination', destination);
  return {
    ...checked,
    destination: {
      tenantId: checkId('request.destination.tenantId', tenantId),
      destinationId: checkId('request.destination.destinationId', destinationId),
    },
  };
}

/** The claim a worker writes under. */
export function checkJobClaim(value: JobClaim): JobClaim {
  const claim = checkObject('claim', value);
  return {
    tenantId: checkId('claim.tenantId', claim['tenantId']),
    jobId: checkId('claim.jobId', claim['jobId']),
    claim: checkInteger('claim.claim', claim['claim'], 1),
  };
}

/** The instances confirmed by one call: UIDs, none repeated in the result. */
export function checkConfirmedUids(value: readonly string[]): string[] {
  if (!Array.isArray(value)) throw invalidArgument('sopInstanceUids', 'must be a list');
  if (value.length > MAX_CONFIRMED_PER_CALL) {
    throw invalidArgument('sopInstanceUids', `holds more than ${MAX_CONFIRMED_PER_CALL} UIDs`);
  }
  return [...new Set(value.map((uid, i) => checkUid(`sopInstanceUids[${i}]`, uid)))];
}

/** A failure: a non-empty code, a message, the destination's status when given (0..65535). */
export function checkForwardError(field: string, value: unknown): ForwardError {
  const error = checkObject(field, value);
  const checked = {
    code: checkId(`${field}.code`, error['code']),
    message: checkText(`${field}.message`, error['message']),
  };
  const status = error['remoteStatus'];
  if (status === undefined) return checked;
  return { ...checked, remoteStatus: checkInteger(`${field}.remoteStatus`, status, 0, 65535) };
}

/** An instance refused for good. */
export function checkRejection(value: InstanceRejection): InstanceRejection {
  const rejection = checkObject('rejection', value);
  return {
    sopInstanceUid: checkUid('rejection.sopInstanceUid', rejection['sopInstanceUid']),
    ...checkForwardError('rejection', rejection),
  };
}

/** How an attempt ended. */
export function checkOutcome(value: JobOutcome): JobOutcome {
  const outcome = checkObject('outcome', value);
  switch (outcome['state']) {
    case 'completed':
      return { state: 'completed' };
    case 'failed':
      return { state: 'failed', error: checkForwardError('outcome.error', outcome['error']) };
    case 'pending':
      return {
        state: 'pending',
        nextAttemptAt: instantOf('outcome.nextAttemptAt', outcome['nextAttemptAt']),
        error: checkForwardError('outcome.error', outcome['error']),
      };
    default:
      throw invalidArgument('outcome.state', `"${String(outcome['state'])}" is not completed, failed or pending`);
  }
}

/** Which jobs to list. */
export function checkJobFilter(value: JobFilter): JobFilter {
  const filter = checkObject('filter', value);
  const { destinationId, state, studyInstanceUid } = filter;
  if (state !== undefined && !FORWARD_JOB_STATES.includes(state as JobFilter['state'] & string)) {
    throw invalidArgument('filter.state', `"${String(state)}" is not one of ${FORWARD_JOB_STATES.join(', ')}`);
  }
  return {
    ...(destinationId !== undefined ? { destinationId: checkId('filter.destinationId', destinationId) } : {}),
    ...(state !== undefined ? { state: state as JobFilter['state'] } : {}),
    ...(studyInstanceUid !== undefined
      ? { studyInstanceUid: checkUid('filter.studyInstanceUid', studyInstanceUid) }
      : {}),
  };
}

/** A page: a limit in 1..1000 and the position after which it starts. */
export function checkJobPage(value: JobPage): { limit: number; after?: JobCursor } {
  const page = checkObject('page', value);
  const limit = checkInteger('page.limit', page['limit'], 1, MAX_LIMIT);
  if (page['after'] === undefined) return { limit };
  return { limit, after: decodeJobCursor(page['after']) };
}

/** The position of a job in listJobs' order. */
export interface JobCursor {
  readonly createdAt: string;
  readonly jobId: string;
}

/** The `next` of a page that ends with this job. */
export function encodeJobCursor(cursor: JobCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.jobId]), 'utf8').toString('base64url');
}

function decodeJobCursor(value: unknown): JobCursor {
  const bad = () => invalidArgument('page.after', 'is not the next of a page of listJobs');
  if (typeof value !== 'string' || value === '') throw bad();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(decoded) || decoded.length !== 2) throw bad();
  const [createdAt, jobId] = decoded as unknown[];
  if (typeof jobId !== 'string' || jobId === '') throw bad();
  try {
    return { createdAt: instantOf('page.after', createdAt), jobId };
  } catch {
    throw bad();
  }
}
