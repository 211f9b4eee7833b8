import { WadoProblem } from './wado-problem';

/**
 * Parses the {frames} path segment of PS3.18 10.4.1.1.3: one or more frame numbers, 1-based,
 * separated by commas (%2C when encoded), in the order the parts are to be sent. Anything else is
 * a 400 naming the bad item; frames beyond the instance's are checked against it later (404).
 */
export function parseFrameList(segment: string): number[] {
  const text = segment.replace(/%2C/gi, ',');
  if (text.trim() === '') throw new WadoProblem(400, 'the frame list is empty; expected frame numbers such as 1,3');
  return text.split(',').map((item) => {
    if (!/^[1-9][0-9]{0,9}$/.test(item) || Number(item) > 0x7fffffff) {
      throw new WadoProblem(
        400,
        `frame list "${segment}": "${item}" is not a frame number (frames are numbered from 1, PS3.18 10.4.1.1.3)`,
      );
    }
    return Number(item);
  });
}
