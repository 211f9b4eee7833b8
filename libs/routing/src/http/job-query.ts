import { isValidUid } from '@pacs/dicom';
import { FORWARD_JOB_STATES, type ForwardJobState, type JobFilter, type JobPage } from '@pacs/routing-store';
import { invalid, quote } from './http-problem';

/** Jobs a page holds when `limit` is not given. */
export const DEFAULT_JOB_PAGE = 100;
const MAX_JOB_PAGE = 1000;
const ID = /^[a-z0-9-]{1,64}$/;
const PARAMETERS = ['state', 'destination', 'study', 'limit', 'after'] as const;

/** What `GET /jobs` asks for. */
export interface JobQuery {
  readonly filter: JobFilter;
  readonly page: JobPage;
}

/**
 * Reads the query of `GET /jobs?state=&destination=&study=&limit=&after=`: a state of
 * FORWARD_JOB_STATES, a destination id, a Study Instance UID, a limit from 1 to 1000 (100 when
 * absent) and the `next` of the previous page. Every problem is named (400), an unknown or
 * repeated parameter included.
 */
export function parseJobQuery(query: Readonly<Record<string, unknown>>): JobQuery {
  const problems: string[] = [];
  const one = (name: string): string | undefined => {
    const value = query[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') {
      problems.push(`${name}: given more than once`);
      return undefined;
    }
    return value;
  };
  for (const name of Object.keys(query)) {
    if (!(PARAMETERS as readonly string[]).includes(name)) {
      problems.push(`${name}: unknown parameter (expected ${PARAMETERS.join(', ')})`);
    }
  }
  const filter: { -readonly [K in keyof JobFilter]: JobFilter[K] } = {};
  const state = one('state');
  if (state !== undefined) {
    if ((FORWARD_JOB_STATES as readonly string[]).includes(state)) filter.state = state as ForwardJobState;
    else problems.push(`state: expected one of ${FORWARD_JOB_STATES.join(', ')} (got ${quote(state)})`);
  }
  const destination = one('destination');
  if (destination !== undefined) {
    if (ID.test(destination)) filter.destinationId = destination;
    else problems.push(`destination: expected a destination id (got ${quote(destination)})`);
  }
  const study = one('study');
  if (study !== undefined) {
    if (isValidUid(study)) filter.studyInstanceUid = study;
    else problems.push(`study: expected a Study Instance UID (got ${quote(study)})`);
  }
  let limit = DEFAULT_JOB_PAGE;
  const limitText = one('limit');
  if (limitText !== undefined) {
    limit = /^\d{1,4}$/.test(limitText) ? Number(limitText) : NaN;
    if (!(limit >= 1 && limit <= MAX_JOB_PAGE)) {
      problems.push(`limit: expected an integer from 1 to ${MAX_JOB_PAGE} (got ${quote(limitText)})`);
    }
  }
  const after = one('after');
  if (after === '') problems.push('after: expected the "next" of the previous page (got "")');
  if (problems.length > 0) throw invalid('query', problems);
  return { filter, page: { limit, ...(after ? { after } : {}) } };
}
