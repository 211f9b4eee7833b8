import { DicomParseError } from '@pacs/dicom';

/**
 * Follows encapsulated Pixel Data (PS3.5 A.4) as its bytes stream past, without keeping them: an
 * item tag (FFFE,E000) and 32-bit length per fragment, until the sequence delimiter (FFFE,E0DD).
 * Only the 8-byte item headers are read, so a multi-GB video costs nothing; a stream that ends
 * before the delimiter was cut inside its pixel data. Little endian: every encapsulated transfer
 * syntax is explicit VR little endian.
 */
export class EncapsulatedPixelDataTracker {
  /** Stream position of the next item header. */
  private next: number;
  private readonly header = Buffer.alloc(8);
  private headerFill = 0;
  private done = false;

  /** `firstItemAt`: stream position of the first item, just after the Pixel Data element header. */
  constructor(firstItemAt: number) {
    this.next = firstItemAt;
  }

  /** Whether the sequence delimiter has been seen. */
  get complete(): boolean {
    return this.done;
  }

  /** Feeds the chunk found at stream position `at`. Chunks come in order, without gaps. */
  feed(chunk: Buffer, at: number): void {
    let offset = Math.max(this.next - at, 0);
    while (!this.done && offset < chunk.length) {
      const take = Math.min(8 - this.headerFill, chunk.length - offset);
      chunk.copy(this.header, this.headerFill, offset, offset + take);
      this.headerFill += take;
      offset += take;
      if (this.headerFill < 8) return;
      this.headerFill = 0;
      const group = this.header.readUInt16LE(0);
      const element = this.header.readUInt16LE(2);
      const length = this.header.readUInt32LE(4);
      if (group === 0xfffe && element === 0xe0dd) {
        this.done = true;
      } else if (group === 0xfffe && element === 0xe000 && length !== 0xffffffff) {
        this.next = at + offset + length;
        offset += length;
      } else {
        throw new DicomParseError(
          'INVALID_SEQUENCE',
          'encapsulated Pixel Data holds something other than fragments and a sequence delimiter',
          at + offset - 8,
          0x7fe00010,
        );
      }
    }
  }
}
