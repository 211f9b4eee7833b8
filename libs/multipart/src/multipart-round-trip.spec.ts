// Writer -> reader round trips over many chunkings: every body must come back byte for byte,
// wherever the chunk boundaries fall (in a delimiter, its CRLF, the padding, the headers).
import { MultipartWriter } from './multipart-writer';
import { chunksOf, collect, cutAt, prng, readAll, trickyBody } from './testing/multipart-test-streams';

interface Case {
  readonly boundary: string;
  readonly bodies: Buffer[];
  readonly encoded: Buffer;
}

async function encode(boundary: string, bodies: Buffer[]): Promise<Buffer> {
  const writer = new MultipartWriter({ type: 'application/dicom', boundary });
  const encoded = readAll(writer);
  for (const [i, body] of bodies.entries()) {
    await writer.addPart({ 'Content-Type': 'application/dicom', 'Content-Location': `/parts/${i}` }, body);
  }
  await writer.end();
  return encoded;
}

async function makeCase(seed: number, boundary: string, sizes: number[]): Promise<Case> {
  const random = prng(seed);
  const bodies = sizes.map((size) => trickyBody(random, boundary, size));
  return { boundary, bodies, encoded: await encode(boundary, bodies) };
}

async function expectRoundTrip(
  c: Case,
  source: ReturnType<typeof chunksOf>,
  partHighWaterMark?: number,
): Promise<void> {
  const { parts, error } = await collect(source, c.boundary, { partHighWaterMark });
  expect(error).toBeUndefined();
  expect(parts).toHaveLength(c.bodies.length);
  parts.forEach((part, i) => {
    if (!part.body!.equals(c.bodies[i]!)) {
      throw new Error(`part ${i} differs: ${part.body!.length} bytes read, ${c.bodies[i]!.length} sent`);
    }
    expect(part.headers.get('content-location')).toBe(`/parts/${i}`);
  });
}

// Offsets where a delimiter starts (its CRLF) in an encoded body.
function delimiterOffsets(c: Case): number[] {
  const needle = Buffer.from(`--${c.boundary}`, 'latin1');
  const offsets: number[] = [];
  for (let at = c.encoded.indexOf(needle); at !== -1; at = c.encoded.indexOf(needle, at + 1))
    offsets.push(Math.max(0, at - 2));
  return offsets;
}

describe('MultipartWriter -> MultipartReader round trip', () => {
  const boundaries = ['pacs-round-trip', "a'()+_,-./:=? z", 'x'];
  let cases: Case[];

  beforeAll(async () => {
    cases = await Promise.all(
      boundaries.map((boundary, i) => makeCase(1000 + i, boundary, [0, 1, 2, 97, 300, 1500, 40])),
    );
  });

  it('bodies hold the traps the search must not fall into', () => {
    const joined = Buffer.concat(cases[0]!.bodies);
    for (const trap of ['\r\n--', `\r\n--${cases[0]!.boundary.slice(0, -1)}`, '\r\r\n--']) {
      expect(joined.includes(Buffer.from(trap, 'latin1'))).toBe(true);
    }
  });

  it('reads back every body with chunks of every size from 1 to 70 bytes', async () => {
    for (const c of cases) {
      for (let size = 1; size <= 70; size++) await expectRoundTrip(c, chunksOf(c.encoded, size));
    }
  });

  it('reads back every body when the body is cut once or twice anywhere near each delimiter', async () => {
    const c = cases[0]!;
    for (const start of delimiterOffsets(c)) {
      for (let a = Math.max(1, start - 70); a <= Math.min(c.encoded.length - 1, start + 70); a++) {
        await expectRoundTrip(c, cutAt(c.encoded, [a]));
        // A second cut 1 to 70 bytes further: a delimiter spread over three chunks.
        const b = a + 1 + ((a * 7919) % 70);
        await expectRoundTrip(c, cutAt(c.encoded, [a, b]));
      }
    }
  });

  it('reads back every body over random chunkings, with small part buffers', async () => {
    const random = prng(42);
    for (let run = 0; run < 300; run++) {
      const c = cases[run % cases.length]!;
      const cuts: number[] = [];
      const mean = 1 + Math.floor(random() * (run % 2 === 0 ? 16 : 2048));
      for (let at = 0; at < c.encoded.length;) {
        at += 1 + Math.floor(random() * 2 * mean);
        cuts.push(at);
      }
      await expectRoundTrip(c, cutAt(c.encoded, cuts), 1 + Math.floor(random() * 256));
    }
  });

  it('reads back large random bodies in 64 KiB chunks', async () => {
    const c = await makeCase(7, 'pacs-large', [3 * 1024 * 1024 + 17, 65_536, 65_535, 1]);
    await expectRoundTrip(c, chunksOf(c.encoded, 65_536));
    await expectRoundTrip(c, chunksOf(c.encoded, 65_537), 4096);
  });
});
