import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '@pacs/contracts';
import { canonicalJson, chainHash, GENESIS_HASH, type ChainedContent } from './chain';

const event: AuditEvent = {
  eventId: randomUUID(),
  tenantId: 'radiology',
  occurredAt: '2026-11-28T10:00:00.000Z',
  correlationId: 'c-1',
  causationId: null,
  event: { code: '110112', codingScheme: 'DCM', meaning: 'Query' },
  action: 'E',
  outcome: 0,
  source: 'gateway',
  participants: [{ userId: 'VIEWER', isRequestor: true }],
  objects: [],
};
const content: ChainedContent = {
  tenantId: 'radiology',
  seq: 1,
  eventId: event.eventId,
  recordedAt: '2026-11-28T10:00:01.000Z',
  event,
  prevHash: GENESIS_HASH,
};

describe('audit chain links', () => {
  it('do not depend on the order of fields, and change with any field or the previous link', () => {
    const reordered = JSON.parse(canonicalJson(content)) as ChainedContent;
    const reverse = <T extends object>(value: T): T => Object.fromEntries(Object.entries(value).reverse()) as T;
    const shuffled = reverse({ ...content, event: reverse(event) });
    expect(chainHash(shuffled)).toBe(chainHash(content));
    expect(chainHash(reordered)).toBe(chainHash(content));
    expect(chainHash(content)).toMatch(/^[0-9a-f]{64}$/);
    expect(chainHash({ ...content, seq: 2 })).not.toBe(chainHash(content));
    expect(chainHash({ ...content, prevHash: 'f'.repeat(64) })).not.toBe(chainHash(content));
    expect(chainHash({ ...content, event: { ...event, outcome: 4 } })).not.toBe(chainHash(content));
    expect(
      chainHash({ ...content, event: { ...event, participants: [{ userId: 'VIEWER2', isRequestor: true }] } }),
    ).not.toBe(chainHash(content));
  });

  it('canonical JSON sorts keys at every level and leaves undefined members out', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined, e: null }] })).toBe('{"a":[{"d":2,"e":null}],"b":1}');
  });
});
