import { DimseStatus, formatStatus, isPending, statusCategory } from './dimse-status';

describe('statusCategory', () => {
  it.each([
    [0x0000, 'success'],
    [0x0001, 'warning'],
    [0x0107, 'warning'],
    [0x0116, 'warning'],
    [0xb000, 'warning'],
    [0xb007, 'warning'],
    [0xb006, 'warning'],
    [0x0110, 'failure'],
    [0x0111, 'failure'],
    [0x0122, 'failure'],
    [0x0211, 'failure'],
    [0xa700, 'failure'],
    [0xa7ff, 'failure'],
    [0xa900, 'failure'],
    [0xc000, 'failure'],
    [0xcfff, 'failure'],
    [0xfe00, 'cancel'],
    [0xff00, 'pending'],
    [0xff01, 'pending'],
  ])('%s is %s', (status, category) => {
    expect(statusCategory(status)).toBe(category);
  });

  it('isPending and formatStatus', () => {
    expect(isPending(DimseStatus.Pending)).toBe(true);
    expect(isPending(DimseStatus.Success)).toBe(false);
    expect(formatStatus(DimseStatus.OutOfResources)).toBe('A700');
    expect(formatStatus(DimseStatus.Success)).toBe('0000');
  });
});
