import { MetadataIndexError } from './metadata-index.errors';
import { checkReindexProgress, MAX_REINDEX_ERRORS, reindexJobOf, type ReindexProgress } from './reindex-job';

const created = { id: 'job-1', tenantId: 'radiology', generation: 2, createdAt: '2024-05-01T10:00:00.000Z', total: 10 };
const progress = (more: Partial<ReindexProgress> = {}) => ({
  batch: 1,
  cursor: '1.2.3',
  done: 4,
  total: 10,
  errorCount: 0,
  errors: [],
  finished: false,
  recordedAt: '2024-05-01T10:00:05.000Z',
  ...more,
});

describe('reindexJobOf', () => {
  it('is pending before its first batch, as created', () => {
    expect(reindexJobOf(created, undefined, 2)).toEqual({
      id: 'job-1',
      tenantId: 'radiology',
      generation: 2,
      state: 'pending',
      createdAt: created.createdAt,
      updatedAt: created.createdAt,
      batches: 0,
      done: 0,
      total: 10,
      errorCount: 0,
      errors: [],
    });
  });

  it('is running as of its last batch, then done', () => {
    expect(reindexJobOf(created, progress(), 2)).toMatchObject({
      state: 'running',
      batches: 1,
      cursor: '1.2.3',
      done: 4,
      updatedAt: '2024-05-01T10:00:05.000Z',
    });
    expect(reindexJobOf(created, progress({ batch: 3, done: 10, finished: true }), 3).state).toBe('done');
  });

  it('is superseded by a newer generation unless done', () => {
    expect(reindexJobOf(created, undefined, 3).state).toBe('superseded');
    expect(reindexJobOf(created, progress(), 3).state).toBe('superseded');
  });
});

describe('checkReindexProgress', () => {
  it.each<[string, Partial<ReindexProgress>]>([
    ['a batch of 0', { batch: 0 }],
    ['a negative count', { done: -1 }],
    ['a count that is no integer', { total: 1.5 }],
    [
      'more errors than kept',
      {
        errors: Array.from({ length: MAX_REINDEX_ERRORS + 1 }, (_, i) => ({ sopInstanceUid: `1.${i}`, message: 'x' })),
      },
    ],
  ])('refuses %s', (_case, more) => {
    expect(() => checkReindexProgress(progress(more))).toThrow(MetadataIndexError);
  });

  it('takes a progress of whole counts', () => {
    expect(() => checkReindexProgress(progress())).not.toThrow();
  });
});
