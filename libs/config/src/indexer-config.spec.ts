import { ConfigError, loadIndexerConfig, stableSweepIntervalMs } from './index';

const problems = (env: Record<string, string>): string[] => {
  try {
    loadIndexerConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.variable}: ${p.message}`);
    throw error;
  }
  return [];
};

describe('indexer configuration', () => {
  it('announces a study stable after 60 s without a new instance by default, sweeping every 15 s', () => {
    expect(loadIndexerConfig({})).toMatchObject({ studyStableMs: 60_000, stableSweepIntervalMs: 15_000 });
    expect(loadIndexerConfig({ PACS_STUDY_STABLE_SECONDS: '2' })).toMatchObject({
      studyStableMs: 2000,
      stableSweepIntervalMs: 500,
    });
  });

  it('runs reindex jobs by 200 copies, looking for them every 2 s, by default', () => {
    expect(loadIndexerConfig({})).toMatchObject({ reindexBatchSize: 200, reindexIntervalMs: 2000 });
    expect(loadIndexerConfig({ PACS_REINDEX_BATCH_SIZE: '10000', PACS_REINDEX_INTERVAL_MS: '50' })).toMatchObject({
      reindexBatchSize: 10_000,
      reindexIntervalMs: 50,
    });
  });

  it('names each reindex variable that is wrong', () => {
    expect(problems({ PACS_REINDEX_BATCH_SIZE: '0', PACS_REINDEX_INTERVAL_MS: 'soon' })).toEqual([
      'PACS_REINDEX_BATCH_SIZE: expected a positive integer (got "0")',
      'PACS_REINDEX_INTERVAL_MS: expected a positive integer (got "soon")',
    ]);
    expect(problems({ PACS_REINDEX_BATCH_SIZE: '10001' })).toEqual([
      'PACS_REINDEX_BATCH_SIZE: expected at most 10000 copies (got "10001")',
    ]);
    expect(problems({ PACS_REINDEX_INTERVAL_MS: '3600001' })).toEqual([
      'PACS_REINDEX_INTERVAL_MS: expected at most 3600000 ms (an hour) (got "3600001")',
    ]);
  });

  it('indexes up to 100 events of a partition together by default, up to 1000 when told', () => {
    expect(loadIndexerConfig({})).toMatchObject({ indexBatchSize: 100 });
    expect(loadIndexerConfig({ PACS_INDEX_BATCH_SIZE: '1000' })).toMatchObject({ indexBatchSize: 1000 });
    expect(problems({ PACS_INDEX_BATCH_SIZE: '1001' })).toEqual([
      'PACS_INDEX_BATCH_SIZE: expected at most 1000 events (got "1001")',
    ]);
    expect(problems({ PACS_INDEX_BATCH_SIZE: 'many' })).toEqual([
      'PACS_INDEX_BATCH_SIZE: expected a positive integer (got "many")',
    ]);
  });

  it('keeps the sweep interval between 250 ms and 30 s', () => {
    expect(stableSweepIntervalMs(1000)).toBe(250);
    expect(stableSweepIntervalMs(600_000)).toBe(30_000);
  });

  it('names the variable when the quiet time is not a positive number of seconds up to a week', () => {
    expect(problems({ PACS_STUDY_STABLE_SECONDS: '0' })).toEqual([
      'PACS_STUDY_STABLE_SECONDS: expected a positive integer (got "0")',
    ]);
    expect(problems({ PACS_STUDY_STABLE_SECONDS: '1.5' })[0]).toMatch(
      /^PACS_STUDY_STABLE_SECONDS: expected a positive/,
    );
    expect(problems({ PACS_STUDY_STABLE_SECONDS: '604801' })).toEqual([
      'PACS_STUDY_STABLE_SECONDS: expected at most 604800 seconds (a week) (got "604801")',
    ]);
    expect(problems({ PACS_STUDY_STABLE_SECONDS: '604800' })).toEqual([]);
  });
});
