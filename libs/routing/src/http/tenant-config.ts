import type { JsonObject, RoutingConfigDocuments } from '@pacs/routing-store';
import { parseDestination } from '../destination';
import { parseRule } from '../rule';
import type { RoutingConfigService } from '../service/routing-config.service';
import { redactDestination } from './destination-secrets';
import { invalid } from './http-problem';

/**
 * Applies a change to the tenant's stored documents (RoutingConfigService.update: compare-and-set,
 * redone on a fresh read when another writer saved first) and answers what the change said. The
 * change throws HttpProblem to refuse; a result that does not validate as a whole is a 400 listing
 * the problems; a tenant of the routing file is refused with RoutingManagedByFileError.
 */
export async function changeTenantConfig<T>(
  configs: Pick<RoutingConfigService, 'update'>,
  tenantId: string,
  change: (current: RoutingConfigDocuments) => { readonly documents: RoutingConfigDocuments; readonly result: T },
): Promise<T> {
  let result: { value: T } | undefined;
  const saved = await configs.update(tenantId, (current) => {
    const changed = change(current);
    result = { value: changed.result };
    return changed.documents;
  });
  if (!saved.ok) throw invalid('routing configuration', saved.error.problems);
  return result!.value;
}

/**
 * A stored destination as the API shows it: in its validated form (defaults filled in) when it
 * validates (a routing file's may be written without them), and with its header values redacted.
 */
export function destinationView(document: JsonObject): Readonly<Record<string, unknown>> {
  const parsed = parseDestination(document);
  return redactDestination(parsed.ok ? { ...parsed.value } : document);
}

/** A stored rule as the API shows it: in its validated form when it validates. */
export function ruleView(document: JsonObject, destinationIds: ReadonlySet<string>): Readonly<Record<string, unknown>> {
  const parsed = parseRule(document, destinationIds);
  return parsed.ok ? { ...parsed.value } : document;
}
