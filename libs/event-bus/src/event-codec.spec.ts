import type { TopicDefinition } from '@pacs/contracts';
import { z } from 'zod';
import { decodeEvent, encodeEvent } from './event-codec';
import { EventBusError } from './event-bus.errors';

const schema = z.object({ studyInstanceUid: z.string().min(1), instances: z.number().int() });
type StudyEvent = z.infer<typeof schema>;
const topic: TopicDefinition<StudyEvent> = {
  name: 'pacs.test.study.v1',
  schema,
  key: (event) => `tenant-a/${event.studyInstanceUid}`,
};

describe('encodeEvent', () => {
  it('keys and serializes a valid event as JSON', () => {
    expect(encodeEvent(topic, { studyInstanceUid: '1.2.3', instances: 2 })).toEqual({
      key: 'tenant-a/1.2.3',
      value: '{"studyInstanceUid":"1.2.3","instances":2}',
    });
  });

  it('refuses an event that fails the schema with INVALID_EVENT, not retriable, naming the field', () => {
    let thrown: unknown;
    try {
      encodeEvent(topic, { studyInstanceUid: '', instances: 1.5 });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(EventBusError);
    expect(thrown).toMatchObject({ code: 'INVALID_EVENT', retriable: false });
    expect((thrown as Error).message).toContain('pacs.test.study.v1');
    expect((thrown as Error).message).toContain('studyInstanceUid');
  });

  it('refuses an event whose key function throws', () => {
    const broken: TopicDefinition<StudyEvent> = {
      ...topic,
      key: () => {
        throw new Error('no tenant');
      },
    };
    expect(() => encodeEvent(broken, { studyInstanceUid: '1', instances: 1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_EVENT' }),
    );
  });

  it('refuses a value without a JSON form', () => {
    const loose: TopicDefinition<unknown> = { name: 'pacs.test.loose.v1', schema: z.unknown(), key: () => 'k' };
    expect(() => encodeEvent(loose, { size: 1n })).toThrow(expect.objectContaining({ code: 'INVALID_EVENT' }));
    expect(() => encodeEvent(loose, undefined)).toThrow(expect.objectContaining({ code: 'INVALID_EVENT' }));
  });
});

describe('decodeEvent', () => {
  it('parses and validates a payload', () => {
    expect(decodeEvent(topic, '{"studyInstanceUid":"1.2.3","instances":2}')).toEqual({
      ok: true,
      value: { studyInstanceUid: '1.2.3', instances: 2 },
    });
  });

  it('reports text that is not JSON', () => {
    expect(decodeEvent(topic, '{oops')).toMatchObject({ ok: false, code: 'INVALID_EVENT' });
  });

  it('reports JSON that fails the schema', () => {
    const decoded = decodeEvent(topic, '{"studyInstanceUid":7}');
    expect(decoded).toMatchObject({ ok: false, code: 'INVALID_EVENT' });
    expect(decoded.ok ? '' : decoded.message).toContain('studyInstanceUid');
  });

  it('reports an empty message', () => {
    expect(decodeEvent(topic, null)).toMatchObject({ ok: false, code: 'INVALID_EVENT' });
  });
});
