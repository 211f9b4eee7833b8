import { randomUUID } from 'node:crypto';

/** PS3.5 9.1: dot-separated components of digits, no leading zero in a multi-digit component. */
const UID_SYNTAX = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;

/** Whether the text is a valid UID: PS3.5 9.1 syntax and at most 64 characters. */
export function isValidUid(text: string): boolean {
  return text.length > 0 && text.length <= 64 && UID_SYNTAX.test(text);
}

/**
 * Implementation Class UID of this PACS (PS3.7 D.3.3.2, written in file meta (0002,0012)). A
 * 2.25 UID (PS3.5 B.2: a UUID as a decimal integer) generated once, from UUID
 * eb48393c-af36-486b-a48d-0ad063649172; it must not change between releases of the same
 * implementation, the version name says the release.
 */
export const IMPLEMENTATION_CLASS_UID = '2.25.312743585288532397431763380295266767218';

/** Implementation Version Name (0002,0013): SH, at most 16 characters. */
export const IMPLEMENTATION_VERSION_NAME = 'PACS_0_1';

/**
 * A new globally unique UID under the 2.25 root (PS3.5 B.2): "2.25." and a random UUID as an
 * unsigned decimal integer, at most 44 characters. No registered root is needed.
 */
export function generateUid(): string {
  return `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`).toString()}`;
}
