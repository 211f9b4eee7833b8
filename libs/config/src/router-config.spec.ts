import { ConfigError, loadRouterConfig } from './index';

describe('loadRouterConfig', () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadRouterConfig(env);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems.map((p) => `${p.variable}: ${p.message}`);
      throw error;
    }
    return [];
  };

  it('keeps trying a job for hours by default, without a routing file', () => {
    expect(loadRouterConfig({})).toEqual({
      maxAttempts: 30,
      retryBaseMs: 5000,
      retryMaxMs: 600_000,
      pollMs: 1000,
      leaseMs: 60_000,
      workers: 16,
      aeTitle: 'PACS',
    });
  });

  it('takes a routing file as an absolute path, and a retry ceiling never below the first delay', () => {
    const config = loadRouterConfig({
      PACS_ROUTING_FILE: 'conf/routing.json',
      PACS_FORWARD_RETRY_BASE_MS: '2000',
      PACS_FORWARD_RETRY_MAX_MS: '500',
    });
    expect(config.routingFile).toMatch(/^\/.*conf\/routing\.json$/);
    expect(config.retryMaxMs).toBe(2000);
  });

  it('names each wrong variable', () => {
    expect(
      problems({ PACS_FORWARD_MAX_ATTEMPTS: '0', PACS_FORWARD_LEASE_MS: '10', PACS_FORWARD_WORKERS: 'many' }),
    ).toEqual([
      'PACS_FORWARD_MAX_ATTEMPTS: expected a positive integer (got "0")',
      'PACS_FORWARD_LEASE_MS: expected from 1000 to 3600000 ms (got "10")',
      'PACS_FORWARD_WORKERS: expected a positive integer (got "many")',
    ]);
  });
});
