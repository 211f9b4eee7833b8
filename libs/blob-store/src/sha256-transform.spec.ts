import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobStoreError } from './blob-store.errors';
import { bodySource, isBodyError, normalizeSha256, Sha256Transform } from './sha256-transform';

const sink = (): Writable => new Writable({ write: (_chunk, _encoding, callback) => callback() });
const hex = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('Sha256Transform', () => {
  it('passes the bytes through and hashes them', async () => {
    const hasher = new Sha256Transform();
    const out: Buffer[] = [];
    await pipeline(
      Readable.from([Buffer.from('ab'), Buffer.from('c')]),
      hasher,
      new Writable({
        write: (chunk: Buffer, _encoding, callback) => {
          out.push(chunk);
          callback();
        },
      }),
    );
    expect(Buffer.concat(out).toString()).toBe('abc');
    expect(hasher.size).toBe(3);
    expect(hasher.sha256).toBe(hex('abc'));
  });

  it('has no digest before the end', () => {
    expect(() => new Sha256Transform().sha256).toThrow();
  });

  it('fails the stream at its end when the digest differs from the expected one', async () => {
    await expect(
      pipeline(Readable.from([Buffer.from('abc')]), new Sha256Transform(hex('abd')), sink()),
    ).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });
    await expect(
      pipeline(Readable.from([Buffer.from('abc')]), new Sha256Transform(hex('abc')), sink()),
    ).resolves.toBeUndefined();
  });

  it('normalizes expected digests and refuses malformed ones', () => {
    expect(normalizeSha256(hex('x').toUpperCase())).toBe(hex('x'));
    expect(() => normalizeSha256('xyz')).toThrow(BlobStoreError);
    expect(() => normalizeSha256(`${hex('x')}0`)).toThrow(BlobStoreError);
  });
});

describe('bodySource', () => {
  it("marks the body's own errors, and only them", async () => {
    const failure = new Error('client gone');
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('a');
      throw failure;
    }
    const error = await pipeline(bodySource(failing()), sink()).catch((e: unknown) => e);
    expect(error).toBe(failure);
    expect(isBodyError(failure)).toBe(true);
    expect(isBodyError(new Error('other'))).toBe(false);
    expect(isBodyError('text')).toBe(false);
  });
});
