import type { JsonObject, RoutingConfigDocuments } from '@pacs/routing-store';
import { parseDestination } from '../destination';
import { parseRule } from '../rule';
import { restoreSecrets } from './destination-secrets';
import { HttpProblem, invalid, quote } from './http-problem';

// The changes the REST API makes to a tenant's stored documents, as pure functions from the
// current documents to the next (RoutingConfigService.update validates the whole and saves it
// with a compare-and-set). Each stores the validated, normalized form (defaults filled in,
// attributes named by keyword), so that what is read back is what is used.

/** A document put: the documents to save, whether it is new, and the document as stored. */
export interface PutResult {
  readonly documents: RoutingConfigDocuments;
  readonly created: boolean;
  readonly stored: JsonObject;
}

const idOf = (document: JsonObject): unknown => document['id'];

function toJson(value: unknown): JsonObject {
  return JSON.parse(JSON.stringify(value)) as JsonObject;
}

/** The body with the path's id: absent in the body, or the same. */
function withPathId(what: 'destination' | 'rule', body: Readonly<Record<string, unknown>>, id: string) {
  if (body['id'] !== undefined && body['id'] !== id) {
    throw invalid(what, [`${what}.id: ${quote(body['id'])} is not the id of the path, ${quote(id)}`]);
  }
  return { ...body, id };
}

function replaceOrAppend(list: readonly JsonObject[], id: string, document: JsonObject): JsonObject[] {
  return list.some((d) => idOf(d) === id) ? list.map((d) => (idOf(d) === id ? document : d)) : [...list, document];
}

/** PUT of a destination: validated with parseDestination, a header value `***` keeping the stored one. */
export function putDestination(
  current: RoutingConfigDocuments,
  id: string,
  body: Readonly<Record<string, unknown>>,
): PutResult {
  const previous = current.destinations.find((d) => idOf(d) === id);
  const restored = restoreSecrets(withPathId('destination', body, id), previous);
  if (restored.problems.length > 0) throw invalid('destination', restored.problems);
  const parsed = parseDestination(restored.value);
  if (!parsed.ok) throw invalid('destination', parsed.error.problems);
  const stored = toJson(parsed.value);
  return {
    documents: { destinations: replaceOrAppend(current.destinations, id, stored), rules: current.rules },
    created: previous === undefined,
    stored,
  };
}

/** The destination ids of the stored documents. */
export function destinationIdsOf(documents: RoutingConfigDocuments): Set<string> {
  return new Set(documents.destinations.map(idOf).filter((id): id is string => typeof id === 'string'));
}

/** The ids of the rules that send to the destination. */
export function rulesUsing(current: RoutingConfigDocuments, destinationId: string): string[] {
  return current.rules
    .filter((rule) => Array.isArray(rule['destinations']) && rule['destinations'].includes(destinationId))
    .map((rule) => String(idOf(rule)));
}

/** DELETE of a destination: 404 when unknown, 409 naming the rules that still send to it. */
export function deleteDestination(current: RoutingConfigDocuments, id: string): RoutingConfigDocuments {
  if (!current.destinations.some((d) => idOf(d) === id)) throw new HttpProblem(404, `no destination ${quote(id)}`);
  const rules = rulesUsing(current, id);
  if (rules.length > 0) {
    const names = rules.map((rule) => quote(rule)).join(', ');
    throw new HttpProblem(
      409,
      `destination ${quote(id)} is used by rule${rules.length === 1 ? '' : 's'} ${names}: change or delete ${rules.length === 1 ? 'it' : 'them'} first`,
      { rules },
    );
  }
  return { destinations: current.destinations.filter((d) => idOf(d) !== id), rules: current.rules };
}

/** PUT of a rule: validated with parseRule against the tenant's destination ids. */
export function putRule(
  current: RoutingConfigDocuments,
  id: string,
  body: Readonly<Record<string, unknown>>,
): PutResult {
  const parsed = parseRule(withPathId('rule', body, id), destinationIdsOf(current));
  if (!parsed.ok) throw invalid('rule', parsed.error.problems);
  const stored = toJson(parsed.value);
  return {
    documents: { destinations: current.destinations, rules: replaceOrAppend(current.rules, id, stored) },
    created: !current.rules.some((rule) => idOf(rule) === id),
    stored,
  };
}

/** DELETE of a rule: 404 when unknown. */
export function deleteRule(current: RoutingConfigDocuments, id: string): RoutingConfigDocuments {
  if (!current.rules.some((rule) => idOf(rule) === id)) throw new HttpProblem(404, `no rule ${quote(id)}`);
  return { destinations: current.destinations, rules: current.rules.filter((rule) => idOf(rule) !== id) };
}
