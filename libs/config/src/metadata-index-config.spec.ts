import { ConfigError, loadMetadataIndexConfig } from './index';

const problems = (load: () => unknown): string[] => {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.variable}: ${p.message}`);
    throw error;
  }
  return [];
};

describe('metadata index configuration', () => {
  it('is SQLite in the data folder when embedded, MongoDB when distributed', () => {
    expect(loadMetadataIndexConfig({}, { mode: 'embedded', dataDir: '/data' })).toEqual({
      adapter: 'sqlite',
      file: '/data/index.sqlite',
    });
    expect(
      loadMetadataIndexConfig({ PACS_MONGODB_URL: 'mongodb://db:27017/' }, { mode: 'distributed', dataDir: '/data' }),
    ).toEqual({ adapter: 'mongodb', url: 'mongodb://db:27017/', database: 'pacs' });
  });

  it('names what is wrong', () => {
    expect(problems(() => loadMetadataIndexConfig({}, { mode: 'distributed', dataDir: '/d' }))).toEqual([
      'PACS_MONGODB_URL: required when the metadata index is MongoDB',
    ]);
    expect(
      problems(() => loadMetadataIndexConfig({ PACS_METADATA_INDEX: 'mysql' }, { mode: 'embedded', dataDir: '/d' }))[0],
    ).toMatch(/^PACS_METADATA_INDEX: /);
    expect(
      problems(() =>
        loadMetadataIndexConfig(
          { PACS_METADATA_INDEX: 'mongodb', PACS_MONGODB_URL: 'http://x' },
          { mode: 'embedded', dataDir: '/d' },
        ),
      )[0],
    ).toMatch(/^PACS_MONGODB_URL: expected a URL \(mongodb, mongodb\+srv\)/);
  });
});
