import type { RoutingConfigDocuments } from '@pacs/routing-store';
import type { Destination } from '../destination';
import { parseDestinations } from '../destination';
import type { ParseResult } from '../routing-config.error';
import type { RoutingRule } from '../rule';
import { parseRules } from '../rule';

/** A tenant's routing, validated: what the planner and the workers use. */
export interface TenantRouting {
  readonly tenantId: string;
  /** The store's revision it was read at (0: never configured). */
  readonly revision: number;
  readonly destinations: readonly Destination[];
  readonly rules: readonly RoutingRule[];
  /** The routing file that manages the tenant, when one does: the REST API then changes nothing. */
  readonly managedBy?: string;
}

/** Validates stored or submitted documents: the destinations, then the rules against their ids. */
export function readTenantRouting(
  tenantId: string,
  revision: number,
  documents: RoutingConfigDocuments,
  managedBy?: string,
): ParseResult<TenantRouting> {
  const destinations = parseDestinations(documents.destinations);
  if (!destinations.ok) return destinations;
  const rules = parseRules(documents.rules, new Set(destinations.value.map((d) => d.id)));
  if (!rules.ok) return rules;
  return {
    ok: true,
    value: {
      tenantId,
      revision,
      destinations: destinations.value,
      rules: rules.value,
      ...(managedBy ? { managedBy } : {}),
    },
  };
}
