import { resolveRangeHeader } from './range-header';
import { WadoProblem } from './wado-problem';

function fault(header: string, size: number): WadoProblem {
  try {
    resolveRangeHeader(header, size);
  } catch (error) {
    return error as WadoProblem;
  }
  throw new Error(`${header} was satisfiable`);
}

describe('resolveRangeHeader (RFC 9110 14)', () => {
  it('resolves first-last, first- and -suffix, clamping to the size', () => {
    expect(resolveRangeHeader('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(resolveRangeHeader('bytes=90-', 100)).toEqual({ start: 90, end: 99 });
    expect(resolveRangeHeader('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(resolveRangeHeader('bytes=-500', 100)).toEqual({ start: 0, end: 99 });
    expect(resolveRangeHeader('bytes=50-500', 100)).toEqual({ start: 50, end: 99 });
  });

  it('ignores no header, another unit, and several ranges', () => {
    expect(resolveRangeHeader(undefined, 100)).toBeUndefined();
    expect(resolveRangeHeader('items=0-1', 100)).toBeUndefined();
    expect(resolveRangeHeader('bytes=0-1,5-6', 100)).toBeUndefined();
  });

  it('answers 416 with Content-Range bytes */size for unsatisfiable or malformed ranges', () => {
    for (const header of ['bytes=100-', 'bytes=5-2', 'bytes=-0', 'bytes=a-b', 'bytes=-', 'nonsense']) {
      const problem = fault(header, 100);
      expect(problem.status).toBe(416);
      expect(problem.headers).toEqual({ 'Content-Range': 'bytes */100' });
      expect(problem.detail).toContain(header);
    }
  });
});
