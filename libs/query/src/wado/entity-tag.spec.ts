import { ifNoneMatchHits, metadataEntityTag } from './entity-tag';

async function* listing(...items: [string, number, string][]) {
  for (const [sopInstanceUid, version, sha256] of items) yield { sopInstanceUid, version, blob: { sha256 } };
}

describe('metadataEntityTag', () => {
  it('is a strong tag that changes with a version, a checksum or an instance, and is undefined when empty', async () => {
    const base = await metadataEntityTag(listing(['1.1', 1, 'aa'], ['1.2', 1, 'bb']));
    expect(base).toMatch(/^"[A-Za-z0-9_-]{32}"$/);
    expect(await metadataEntityTag(listing(['1.1', 1, 'aa'], ['1.2', 1, 'bb']))).toBe(base);
    expect(await metadataEntityTag(listing(['1.1', 1, 'aa'], ['1.2', 2, 'bb']))).not.toBe(base);
    expect(await metadataEntityTag(listing(['1.1', 1, 'aa'], ['1.2', 1, 'bc']))).not.toBe(base);
    expect(await metadataEntityTag(listing(['1.1', 1, 'aa']))).not.toBe(base);
    expect(await metadataEntityTag(listing())).toBeUndefined();
  });
});

describe('ifNoneMatchHits (RFC 9110 13.1.2)', () => {
  it('matches *, the tag in a list, and its weak form', () => {
    expect(ifNoneMatchHits('"abc"', '"abc"')).toBe(true);
    expect(ifNoneMatchHits('"x", "abc"', '"abc"')).toBe(true);
    expect(ifNoneMatchHits('W/"abc"', '"abc"')).toBe(true);
    expect(ifNoneMatchHits('*', '"abc"')).toBe(true);
    expect(ifNoneMatchHits('"abd"', '"abc"')).toBe(false);
    expect(ifNoneMatchHits(undefined, '"abc"')).toBe(false);
  });
});
