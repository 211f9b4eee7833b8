import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AuditEventV1, InstanceStoredV1, TOPICS_V1, deadLetterTopic, defineTopic } from './index';

const envelope = {
  eventId: randomUUID(),
  tenantId: 'radiology',
  occurredAt: '2026-11-28T10:00:00.000Z',
  correlationId: 'assoc-1',
  causationId: null,
};

const stored = {
  ...envelope,
  studyInstanceUid: '1.2.840.113619.2.55.3',
  seriesInstanceUid: '1.2.840.113619.2.55.3.1',
  sopInstanceUid: '1.2.840.113619.2.55.3.1.1',
  sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
  transferSyntaxUid: '1.2.840.10008.1.2.1',
  version: 1,
  blob: { key: 'radiology/1.2/1.2.3/1.2.3.4', tier: 'hot', size: 10, sha256: 'a'.repeat(64) },
  source: { protocol: 'DIMSE', callingAeTitle: 'CT1', calledAeTitle: 'PACS' },
  attributes: { '00100020': { vr: 'LO', Value: ['P1'] } },
};

describe('v1 topics', () => {
  it.each(TOPICS_V1.map((t) => [t.name, t] as const))('%s keeps its JSON Schema (review any change)', (_n, topic) => {
    expect(z.toJSONSchema(topic.schema as z.ZodType)).toMatchSnapshot();
  });

  it('names follow pacs.<domain>.<event>.v<N> and are unique', () => {
    const names = TOPICS_V1.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    expect(() => defineTopic('instance-stored', z.object({}), () => '')).toThrow(/pacs\.<domain>/);
    expect(deadLetterTopic(InstanceStoredV1).name).toBe('pacs.instance.stored.v1.dlq');
  });

  it('keys study events by tenant and study, audit by tenant', () => {
    const event = InstanceStoredV1.schema.parse(stored);
    expect(InstanceStoredV1.key(event)).toBe('radiology/1.2.840.113619.2.55.3');
    expect(AuditEventV1.key({ tenantId: 'cardiology' } as never)).toBe('cardiology');
  });

  it('refuses an event with a bad UID, tenant or hash, naming the field', () => {
    const result = InstanceStoredV1.schema.safeParse({
      ...stored,
      tenantId: 'Radiology!',
      sopInstanceUid: '1.2.03',
      blob: { ...stored.blob, sha256: 'xyz' },
    });
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['tenantId', 'sopInstanceUid', 'blob.sha256']));
  });
});
