import { parseFrameList } from './frame-list';
import { WadoProblem } from './wado-problem';

describe('parseFrameList (PS3.18 10.4.1.1.3)', () => {
  it('reads one or more 1-based frame numbers in the order given', () => {
    expect(parseFrameList('1')).toEqual([1]);
    expect(parseFrameList('3,1,2')).toEqual([3, 1, 2]);
    expect(parseFrameList('2%2C4')).toEqual([2, 4]);
  });

  it.each(['', '0', '-1', '1,,2', 'a', '1.5', '1,', ' 1', '99999999999'])('answers 400 for "%s"', (list) => {
    expect(() => parseFrameList(list)).toThrow(WadoProblem);
    try {
      parseFrameList(list);
    } catch (error) {
      expect((error as WadoProblem).status).toBe(400);
      expect((error as WadoProblem).detail).toMatch(/frame/);
    }
  });
});
