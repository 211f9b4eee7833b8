import { Readable } from 'node:stream';

/**
 * The data set of an incoming request, streamed to its handler as P-DATA-TF fragments arrive.
 * `onDemand` runs whenever the consumer wants more: the association then resumes the socket it
 * paused when this stream's buffer went over its high-water mark, so a slow consumer slows the
 * peer down through TCP instead of growing our memory.
 */
export class DatasetStream extends Readable {
  constructor(
    highWaterMark: number,
    private readonly onDemand: () => void,
  ) {
    super({ highWaterMark });
  }

  override _read(): void {
    this.onDemand();
  }
}
