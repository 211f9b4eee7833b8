import { Registry, collectDefaultMetrics } from 'prom-client';

/** One Prometheus registry per process, with the Node.js process metrics and a service label. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: 'pacs_' });
  return registry;
}
