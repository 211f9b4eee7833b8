// Memory stays bounded when the part consumer is slower than the source: 1 GiB goes through the
// reader while resident memory grows by less than ~100 MB. The source makes a fresh buffer for every
// chunk, so a reader that read ahead of its consumer would show up as growth. No timing assertion.
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MultipartReader } from './multipart-reader';
import { seededBytes } from './testing/multipart-test-streams';

const GiB = 1024 ** 3;
const MB = 1024 * 1024;
const BOUNDARY = 'pacs-memory-test';
const CHUNK = 64 * 1024;

// A multipart body of `parts` parts of `partSize` bytes each, generated as it is read.
function generatedBody(parts: number, partSize: number): Readable {
  const template = seededBytes(1, CHUNK);
  // No CR in the payload: the delimiter search then never has a near match to carry over.
  for (let i = 0; i < template.length; i++) if (template[i] === 0x0d) template[i] = 0x0e;
  let part = 0;
  let sent = 0;
  return new Readable({
    read() {
      if (part === parts) {
        this.push(null);
        return;
      }
      if (sent === 0) {
        this.push(Buffer.from(`${part === 0 ? '' : '\r\n'}--${BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n`));
      }
      const size = Math.min(CHUNK, partSize - sent);
      this.push(Buffer.from(template.subarray(0, size)));
      sent += size;
      if (sent === partSize) {
        part += 1;
        sent = 0;
        if (part === parts) this.push(Buffer.from(`\r\n--${BOUNDARY}--\r\n`));
      }
    },
  });
}

describe('MultipartReader memory', () => {
  it('streams 1 GiB through a slow consumer with bounded memory', async () => {
    const parts = 4;
    const partSize = GiB / parts;
    const reader = new MultipartReader(generatedBody(parts, partSize), BOUNDARY);
    const baseline = process.memoryUsage.rss();
    let peak = baseline;
    let consumed = 0;
    let maxAhead = 0;
    let writes = 0;
    for (let part = await reader.next(); part !== undefined; part = await reader.next()) {
      const slow = new Writable({
        highWaterMark: 16 * 1024,
        write(chunk: Buffer, _encoding, callback) {
          consumed += chunk.length;
          maxAhead = Math.max(maxAhead, reader.bytesReceived - consumed);
          writes += 1;
          if (writes % 256 === 0) peak = Math.max(peak, process.memoryUsage.rss());
          // Slower than the source: every write yields to the event loop, every 64th waits a timer.
          if (writes % 64 === 0) setTimeout(callback, 1);
          else setImmediate(callback);
        },
      });
      await pipeline(part.body, slow);
    }
    expect(consumed).toBe(GiB);
    // What the reader has taken from the source but the consumer has not had: a few chunks.
    expect(maxAhead).toBeLessThan(4 * MB);
    expect(peak - baseline).toBeLessThan(100 * MB);
  }, 300_000);
});
