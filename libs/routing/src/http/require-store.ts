import type { RoutingStore } from '@pacs/routing-store';

/** The routing store the platform binds; the routing API cannot run without it. */
export function requireStore(store: RoutingStore | null): RoutingStore {
  if (!store) throw new Error('the routing API needs the routing store (runApp routingStore: true)');
  return store;
}
