import { createHash } from 'node:crypto';

/** What identifies the content of one stored copy: a new version or other bytes change it. */
export interface InstanceVersion {
  readonly sopInstanceUid: string;
  readonly version: number;
  readonly blob: { readonly sha256: string };
}

// Bumped when the JSON written for the same copies changes (e.g. how BulkDataURIs are formed).
const REPRESENTATION = 'dicom+json/1';

/**
 * A strong entity tag (RFC 9110 8.8.3) of a metadata response: a hash over each instance in scope,
 * its version and the SHA-256 of its bytes, in listing order. Hashed as the listing streams, so a
 * study of thousands of instances costs no memory. Undefined when the scope is empty.
 */
export async function metadataEntityTag(instances: AsyncIterable<InstanceVersion>): Promise<string | undefined> {
  const hash = createHash('sha256').update(REPRESENTATION);
  let count = 0;
  for await (const instance of instances) {
    hash.update(`\n${instance.sopInstanceUid}\t${instance.version}\t${instance.blob.sha256}`);
    count += 1;
  }
  return count === 0 ? undefined : `"${hash.digest('base64url').slice(0, 32)}"`;
}

/**
 * Whether If-None-Match (RFC 9110 13.1.2) matches the current entity tag, by weak comparison: "*",
 * or any listed tag with the same opaque value, W/ or not. Then the answer is 304.
 */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => opaque(tag) === opaque(etag));
}
