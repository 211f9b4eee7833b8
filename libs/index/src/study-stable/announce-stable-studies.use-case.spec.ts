import { setImmediate as yieldToOthers } from 'node:timers/promises';
import { StudyStableV1, type StudyStableEvent, type TopicDefinition } from '@pacs/contracts';
import { EventBusError } from '@pacs/event-bus';
import type { MetadataIndex, QuietStudy } from '@pacs/metadata-index';
import { AnnounceStableStudiesUseCase, stableEventId } from './announce-stable-studies.use-case';

/**
 * The two index methods the sweep uses, with the port's semantics: a study is quiet when its last
 * activity is at or before `quietSince` and it was not marked stable as of that activity; marking
 * is a compare-and-set on the activity. Every call yields, so concurrent sweeps interleave.
 */
class FakeQuietIndex implements Pick<MetadataIndex, 'findQuietStudies' | 'markStudyStable'> {
  private readonly studies = new Map<string, QuietStudy & { stableAt?: string }>();

  activity(tenantId: string, studyInstanceUid: string, at: string, instanceCount = 1): void {
    this.studies.set(`${tenantId}/${studyInstanceUid}`, {
      tenantId,
      studyInstanceUid,
      seriesCount: 1,
      instanceCount,
      lastActivityAt: at,
    });
  }

  async findQuietStudies(quietSince: string, limit: number): Promise<readonly QuietStudy[]> {
    await yieldToOthers();
    return [...this.studies.values()]
      .filter((s) => s.lastActivityAt <= quietSince && s.stableAt !== s.lastActivityAt)
      .sort((a, b) => (a.lastActivityAt < b.lastActivityAt ? -1 : 1))
      .slice(0, limit)
      .map(({ stableAt: _, ...study }) => study);
  }

  async markStudyStable(tenantId: string, studyInstanceUid: string, lastActivityAt: string): Promise<boolean> {
    await yieldToOthers();
    const study = this.studies.get(`${tenantId}/${studyInstanceUid}`);
    if (!study || study.lastActivityAt !== lastActivityAt || study.stableAt === lastActivityAt) return false;
    study.stableAt = lastActivityAt;
    return true;
  }
}

/** Validates like the real buses (INVALID_EVENT), records what was published, fails on demand. */
class RecordingBus {
  readonly published: StudyStableEvent[] = [];
  failNext = 0;

  async publish<T>(topic: TopicDefinition<T>, event: T): Promise<void> {
    await yieldToOthers();
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new EventBusError('PUBLISH_FAILED', 'broker unavailable', true);
    }
    const parsed = topic.schema.safeParse(event);
    if (!parsed.success) throw new EventBusError('INVALID_EVENT', parsed.error.message, false);
    this.published.push(event as StudyStableEvent);
  }
}

const T0 = Date.parse('2026-03-15T10:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

describe('AnnounceStableStudiesUseCase', () => {
  let index: FakeQuietIndex;
  let bus: RecordingBus;
  let now: number;
  const errors: string[] = [];
  const logger = { error: (_context: Record<string, unknown>, message: string) => void errors.push(message) };
  const sweep = (batchSize?: number) =>
    new AnnounceStableStudiesUseCase(index, bus, logger, {
      quietMs: 60_000,
      now: () => new Date(now),
      ...(batchSize !== undefined ? { batchSize } : {}),
    });

  beforeEach(() => {
    index = new FakeQuietIndex();
    bus = new RecordingBus();
    now = T0;
    errors.length = 0;
  });

  it('announces each study once, when it has been quiet for the quiet time', async () => {
    index.activity('radiology', '1.2.1', at(0), 3);
    index.activity('oncology', '1.2.2', at(30));
    const announce = sweep();
    now = T0 + 59_999;
    expect(await announce.execute()).toBe(0);
    now = T0 + 60_000;
    expect(await announce.execute()).toBe(1);
    expect(await announce.execute()).toBe(0);
    now = T0 + 90_000;
    expect(await announce.execute()).toBe(1);
    expect(bus.published.map((e) => `${e.tenantId}/${e.studyInstanceUid}`)).toEqual([
      'radiology/1.2.1',
      'oncology/1.2.2',
    ]);
    expect(StudyStableV1.schema.parse(bus.published[0])).toEqual(bus.published[0]);
    expect(bus.published[0]).toMatchObject({
      seriesCount: 1,
      instanceCount: 3,
      lastInstanceAt: at(0),
      occurredAt: at(60),
      causationId: null,
    });
  });

  it('announces a study again only after a new instance made it active, then quiet again', async () => {
    index.activity('radiology', '1.2.1', at(0));
    const announce = sweep();
    now = T0 + 60_000;
    await announce.execute();
    index.activity('radiology', '1.2.1', at(100), 2);
    now = T0 + 159_000;
    expect(await announce.execute()).toBe(0);
    now = T0 + 160_000;
    expect(await announce.execute()).toBe(1);
    expect(bus.published.map((e) => e.instanceCount)).toEqual([1, 2]);
  });

  it('lets one of two replicas sweeping at once mark each study; both announcements of a study share its id', async () => {
    for (let i = 0; i < 25; i++) index.activity('radiology', `1.2.${i}`, at(i));
    now = T0 + 120_000;
    const [a, b] = await Promise.all([sweep(4).execute(), sweep(4).execute()]);
    expect(a + b).toBe(25);
    const idsByStudy = new Map<string, Set<string>>();
    for (const e of bus.published) {
      idsByStudy.set(e.studyInstanceUid, (idsByStudy.get(e.studyInstanceUid) ?? new Set()).add(e.eventId));
    }
    expect([...idsByStudy.keys()].sort()).toEqual(Array.from({ length: 25 }, (_, i) => `1.2.${i}`).sort());
    expect([...idsByStudy.values()].every((ids) => ids.size === 1)).toBe(true);
  });

  it('a study that changed between the search and the mark: announced, left unmarked, announced anew once quiet again', async () => {
    index.activity('radiology', '1.2.1', at(0));
    let racing = true;
    const changing = {
      findQuietStudies: (since: string, limit: number) => index.findQuietStudies(since, limit),
      markStudyStable: async (tenantId: string, study: string, lastActivityAt: string) => {
        if (racing) index.activity(tenantId, study, at(70), 2); // an instance arrives meanwhile
        racing = false;
        return index.markStudyStable(tenantId, study, lastActivityAt);
      },
    };
    const announce = new AnnounceStableStudiesUseCase(changing, bus, logger, {
      quietMs: 60_000,
      now: () => new Date(now),
    });
    now = T0 + 80_000;
    expect(await announce.execute()).toBe(0);
    now = T0 + 130_000;
    expect(await announce.execute()).toBe(1);
    expect(await announce.execute()).toBe(0);
    expect(bus.published.map((e) => e.instanceCount)).toEqual([1, 2]);
    expect(bus.published[0]!.eventId).not.toBe(bus.published[1]!.eventId);
  });

  it('announces again, with the same event id, a study whose publish failed or whose mark never came (a crash)', async () => {
    index.activity('radiology', '1.2.1', at(0));
    index.activity('radiology', '1.2.2', at(1));
    now = T0 + 61_000;
    bus.failNext = 1;
    await expect(sweep().execute()).rejects.toMatchObject({ code: 'PUBLISH_FAILED' });
    expect(bus.published).toEqual([]);

    const crashing = {
      findQuietStudies: (since: string, limit: number) => index.findQuietStudies(since, limit),
      markStudyStable: async () => {
        throw new Error('process killed');
      },
    };
    const beforeCrash = new AnnounceStableStudiesUseCase(crashing, bus, logger, {
      quietMs: 60_000,
      now: () => new Date(now),
    });
    await expect(beforeCrash.execute()).rejects.toThrow('process killed');
    expect(bus.published.map((e) => e.studyInstanceUid)).toEqual(['1.2.1']);

    expect(await sweep().execute()).toBe(2);
    expect(await sweep().execute()).toBe(0);
    expect(bus.published.map((e) => e.studyInstanceUid)).toEqual(['1.2.1', '1.2.1', '1.2.2']);
    expect(bus.published[0]!.eventId).toBe(bus.published[1]!.eventId);
    expect(bus.published[0]!.eventId).toBe(
      stableEventId({ tenantId: 'radiology', studyInstanceUid: '1.2.1', lastActivityAt: at(0) }),
    );
    expect(StudyStableV1.schema.parse(bus.published[2])).toEqual(bus.published[2]);
  });

  it('drops and logs an announcement that can never validate, and goes on with the others', async () => {
    index.activity('radiology', '1.2.1', '2026-03-15 09:00'); // not ISO 8601 with an offset: INVALID_EVENT
    index.activity('radiology', '1.2.2', at(0));
    now = T0 + 61_000;
    const announce = sweep();
    expect(await announce.execute()).toBe(1);
    expect(await announce.execute()).toBe(0);
    expect(bus.published.map((e) => e.studyInstanceUid)).toEqual(['1.2.2']);
    expect(errors).toEqual(['study.stable announcement invalid: dropped']);
  });

  it('goes through every quiet study in one sweep, batch after batch', async () => {
    for (let i = 0; i < 10; i++) index.activity('radiology', `1.3.${i}`, at(i));
    now = T0 + 120_000;
    expect(await sweep(3).execute()).toBe(10);
  });
});
