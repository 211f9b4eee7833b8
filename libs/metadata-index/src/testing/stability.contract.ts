import { MetadataIndexError } from '../metadata-index.errors';
import type { MetadataIndex } from '../metadata-index.port';
import { contractContext } from './contract-context';
import { indexedInstance, type InstanceSpec } from './contract-fixtures';

const at = (minute: number) => `2024-05-01T10:${String(minute).padStart(2, '0')}:00.000Z`;

/** findQuietStudies and markStudyStable, for `study.stable`. */
export function describeStability(open: () => Promise<MetadataIndex>): void {
  const context = contractContext(open);
  const copy = (sop: string, minute: number, more: Partial<InstanceSpec> = {}) =>
    indexedInstance({ study: '7.1', series: '7.1.1', sop, indexedAt: at(minute), ...more });

  it('finds a study quiet once its latest instance was indexed at or before the time given', async () => {
    await context.load([copy('7.1.1.1', 0), copy('7.1.1.3', 5, { series: '7.1.2' }), copy('7.1.1.2', 3)]);
    expect(await context.index.findQuietStudies(at(4), 10)).toEqual([]);
    expect(await context.index.findQuietStudies(at(5), 10)).toEqual([
      { tenantId: 'radiology', studyInstanceUid: '7.1', seriesCount: 2, instanceCount: 3, lastActivityAt: at(5) },
    ]);
  });

  it('marks a study stable once: the first compare-and-set wins, and it is no longer quiet', async () => {
    await context.load([copy('7.1.1.1', 0)]);
    expect(await context.index.markStudyStable('radiology', '7.1', at(1))).toBe(false);
    // As replicas would, at the same time.
    const results = await Promise.all(
      Array.from({ length: 8 }, () => context.index.markStudyStable('radiology', '7.1', at(0))),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await context.index.markStudyStable('radiology', '7.1', at(0))).toBe(false);
    expect(await context.index.findQuietStudies(at(59), 10)).toEqual([]);
  });

  it('makes a study stable again only after a new instance, and not for a redelivered one', async () => {
    await context.load([copy('7.1.1.1', 0)]);
    expect(await context.index.markStudyStable('radiology', '7.1', at(0))).toBe(true);
    // Redelivered: nothing changed.
    expect(await context.index.upsertInstance(copy('7.1.1.1', 0))).toBe('unchanged');
    expect(await context.index.upsertInstance({ ...copy('7.1.1.1', 0), indexedAt: at(30) })).toBe('unchanged');
    expect(await context.index.findQuietStudies(at(59), 10)).toEqual([]);
    await context.index.upsertInstance(copy('7.1.1.2', 10));
    expect(await context.index.findQuietStudies(at(9), 10)).toEqual([]);
    const [quiet] = await context.index.findQuietStudies(at(10), 10);
    expect(quiet).toMatchObject({ studyInstanceUid: '7.1', instanceCount: 2, lastActivityAt: at(10) });
    // The activity that was announced before is not the study's any more.
    expect(await context.index.markStudyStable('radiology', '7.1', at(0))).toBe(false);
    expect(await context.index.markStudyStable('radiology', '7.1', quiet!.lastActivityAt)).toBe(true);
  });

  it('refuses to mark a study whose activity moved on since it was found quiet', async () => {
    await context.load([copy('7.1.1.1', 0)]);
    const [quiet] = await context.index.findQuietStudies(at(5), 10);
    await context.index.upsertInstance(copy('7.1.1.2', 6));
    expect(await context.index.markStudyStable('radiology', '7.1', quiet!.lastActivityAt)).toBe(false);
    expect(await context.index.findQuietStudies(at(6), 10)).toMatchObject([{ lastActivityAt: at(6) }]);
  });

  it('lists quiet studies of every tenant, oldest activity first, at most the limit, apart per tenant', async () => {
    await context.load([
      copy('7.1.1.1', 3),
      copy('7.2.1.1', 1, { study: '7.2', series: '7.2.1' }),
      copy('7.1.1.1', 2, { tenantId: 'cardiology' }),
      copy('7.3.1.1', 50, { study: '7.3', series: '7.3.1' }),
    ]);
    const quiet = await context.index.findQuietStudies(at(10), 10);
    expect(quiet.map((s) => [s.tenantId, s.studyInstanceUid, s.lastActivityAt])).toEqual([
      ['radiology', '7.2', at(1)],
      ['cardiology', '7.1', at(2)],
      ['radiology', '7.1', at(3)],
    ]);
    expect((await context.index.findQuietStudies(at(10), 2)).map((s) => s.studyInstanceUid)).toEqual(['7.2', '7.1']);
    // The same study UID in another tenant is another study.
    expect(await context.index.markStudyStable('cardiology', '7.1', at(3))).toBe(false);
    expect(await context.index.markStudyStable('oncology', '7.1', at(2))).toBe(false);
    expect(await context.index.markStudyStable('cardiology', '7.1', at(2))).toBe(true);
    expect(
      (await context.index.findQuietStudies(at(10), 10)).map((s) => `${s.tenantId}/${s.studyInstanceUid}`),
    ).toEqual(['radiology/7.2', 'radiology/7.1']);
  });

  it('takes instants in any zone, as the same instants', async () => {
    await context.load([copy('7.1.1.1', 0, { indexedAt: '2024-05-01T12:00:00+02:00' })]);
    expect(await context.index.findQuietStudies('2024-05-01T09:59:59Z', 10)).toEqual([]);
    const [quiet] = await context.index.findQuietStudies('2024-05-01T12:00:00.000+02:00', 10);
    expect(quiet!.lastActivityAt).toBe(at(0));
    expect(await context.index.markStudyStable('radiology', '7.1', '2024-05-01T06:00:00-04:00')).toBe(true);
  });

  it('dates an instance indexed without indexedAt now', async () => {
    const before = new Date().toISOString();
    await context.load([indexedInstance({ study: '7.1', series: '7.1.1', sop: '7.1.1.1' })]);
    const after = new Date().toISOString();
    const [quiet] = await context.index.findQuietStudies(after, 10);
    expect(quiet!.lastActivityAt >= before && quiet!.lastActivityAt <= after).toBe(true);
  });

  it.each([
    ['a time that is none', () => context.index.findQuietStudies('yesterday', 10)],
    ['a time without its zone', () => context.index.findQuietStudies('2024-05-01T10:00:00', 10)],
    ['a limit of 0', () => context.index.findQuietStudies(at(0), 0)],
    ['a limit that is no integer', () => context.index.findQuietStudies(at(0), 1.5)],
    ['an activity that is no time', () => context.index.markStudyStable('radiology', '7.1', '')],
  ])('refuses %s with a MetadataIndexError', async (_what, call) => {
    await expect(call()).rejects.toThrow(MetadataIndexError);
  });
}
