import { ConfigError, loadRoutingStoreConfig } from './index';

describe('loadRoutingStoreConfig', () => {
  const embedded: { mode: 'embedded' | 'distributed'; dataDir: string } = {
    mode: 'embedded',
    dataDir: '/var/lib/pacs',
  };
  const distributed = { mode: 'distributed' as const, dataDir: '/var/lib/pacs' };

  it('keeps the routing store in the data folder when embedded, in MongoDB when distributed', () => {
    expect(loadRoutingStoreConfig({}, embedded)).toEqual({ adapter: 'sqlite', file: '/var/lib/pacs/routing.sqlite' });
    expect(
      loadRoutingStoreConfig(
        { PACS_MONGODB_URL: 'mongodb://db:27017/', PACS_MONGODB_DATABASE: 'hospital' },
        distributed,
      ),
    ).toEqual({ adapter: 'mongodb', url: 'mongodb://db:27017/', database: 'hospital', collectionPrefix: 'routing_' });
  });

  it('names PACS_MONGODB_URL when the routing store is MongoDB without it, and a wrong adapter', () => {
    const problems = (env: Record<string, string>, platform = embedded) => {
      try {
        loadRoutingStoreConfig(env, platform);
      } catch (error) {
        if (error instanceof ConfigError) return error.problems.map((p) => p.variable);
        throw error;
      }
      return [];
    };
    expect(problems({ PACS_ROUTING_STORE: 'mongodb' })).toEqual(['PACS_MONGODB_URL']);
    expect(problems({}, distributed)).toEqual(['PACS_MONGODB_URL']);
    expect(problems({ PACS_ROUTING_STORE: 'postgres' })).toEqual(['PACS_ROUTING_STORE']);
  });
});
