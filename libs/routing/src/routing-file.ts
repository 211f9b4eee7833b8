import { tenantIdSchema } from '@pacs/contracts';
import { destinationIdsOf, readDestinations, type Destination } from './destination';
import { describeValue, formatPath, type PathSegment } from './problems';
import { RoutingConfigError, type ParseResult } from './routing-config.error';
import { readRules, type RoutingRule } from './rule';

/** One tenant's validated routing: its destinations and the rules that point at them. */
export interface TenantRoutingConfig {
  readonly destinations: readonly Destination[];
  readonly rules: readonly RoutingRule[];
}

/** A routing file's configuration, by tenant id. */
export type RoutingFileConfig = ReadonlyMap<string, TenantRoutingConfig>;

type Json = Readonly<Record<string, unknown>>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Reads the declarative routing file, JSON of the form
 * `{ "tenants": { "<tenantId>": { "destinations": [...], "rules": [...] } } }` (both lists
 * optional), each tenant's rules checked against its own destinations. Every problem names the
 * file, the tenant and the path: `routing.json: tenants.radiology.rules[0].destinations[0]: unknown
 * destination "archiv" (known: "archive")`.
 */
export function parseRoutingFile(text: string, fileName: string): ParseResult<RoutingFileConfig> {
  const problems: string[] = [];
  const report = (path: readonly PathSegment[], message: string) => problems.push(`${formatPath(path)}: ${message}`);
  const fail = (): ParseResult<RoutingFileConfig> => ({
    ok: false,
    error: new RoutingConfigError(problems.map((problem) => `${fileName}: ${problem}`)),
  });

  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    problems.push(`not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
    return fail();
  }
  if (!isObject(document)) {
    problems.push(`expected a JSON object with "tenants" (got ${describeValue(document)})`);
    return fail();
  }
  const tenantsExpected = 'expected an object of tenant ids to { destinations, rules }';
  if (document['tenants'] === undefined) report(['tenants'], `missing, ${tenantsExpected}`);
  else if (!isObject(document['tenants'])) {
    report(['tenants'], `${tenantsExpected} (got ${describeValue(document['tenants'])})`);
  }
  for (const key of Object.keys(document)) if (key !== 'tenants') report([key], 'unknown field');

  const tenants = new Map<string, TenantRoutingConfig>();
  const entries = isObject(document['tenants']) ? Object.entries(document['tenants']) : [];
  for (const [tenantId, tenant] of entries) {
    const root = ['tenants', tenantId];
    const id = tenantIdSchema.safeParse(tenantId);
    if (!id.success) report(root, `not a tenant id: ${id.error.issues[0]?.message ?? 'invalid'}`);
    if (!isObject(tenant)) {
      report(root, `expected an object with destinations and rules (got ${describeValue(tenant)})`);
      continue;
    }
    for (const key of Object.keys(tenant)) {
      if (key !== 'destinations' && key !== 'rules') report([...root, key], 'unknown field');
    }
    const rawDestinations = tenant['destinations'] ?? [];
    const destinations = readDestinations(rawDestinations, [...root, 'destinations']);
    problems.push(...destinations.problems);
    // Rules are checked even when a destination is wrong, against the ids that can be read.
    const ids = new Set(destinations.destinations?.map((d) => d.id) ?? destinationIdsOf(rawDestinations));
    const rules = readRules(tenant['rules'] ?? [], ids, [...root, 'rules']);
    problems.push(...rules.problems);
    if (destinations.destinations && rules.rules) {
      tenants.set(tenantId, { destinations: destinations.destinations, rules: rules.rules });
    }
  }
  return problems.length > 0 ? fail() : { ok: true, value: tenants };
}
