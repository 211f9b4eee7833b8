import { RecentLogins } from './recent-logins';

describe('RecentLogins', () => {
  it('records a login once per principal and tenant per window, and forgets the oldest past its capacity', () => {
    let now = 0;
    const logins = new RecentLogins(3_600_000, 2, () => now);
    expect(logins.shouldRecord('ris-1', 'radiology')).toBe(true);
    expect(logins.shouldRecord('ris-1', 'radiology')).toBe(false);
    expect(logins.shouldRecord('ris-1', 'cardiology')).toBe(true);
    now = 3_599_999;
    expect(logins.shouldRecord('ris-1', 'radiology')).toBe(false);
    now = 3_600_000;
    expect(logins.shouldRecord('ris-1', 'radiology')).toBe(true);
    // Capacity 2: a third pair makes the oldest (ris-1 on cardiology) forgotten.
    expect(logins.shouldRecord('viewer', 'radiology')).toBe(true);
    expect(logins.shouldRecord('ris-1', 'cardiology')).toBe(true);
    expect(logins.shouldRecord('ris-1', 'radiology')).toBe(true);
  });
});
