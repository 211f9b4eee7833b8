import { BadRequestException } from '@nestjs/common';
import { parseAuditSearch } from './audit-query-params';

describe('parseAuditSearch', () => {
  it('reads every filter and the page', () => {
    expect(
      parseAuditSearch({
        patientId: 'P1',
        studyUid: '1.2.3',
        user: 'CT01',
        eventType: '110112',
        outcome: '4',
        from: '2026-11-01',
        to: '2026-11-28T12:00:00+01:00',
        limit: '50',
        after: '120',
      }),
    ).toEqual({
      query: {
        patientId: 'P1',
        studyUid: '1.2.3',
        user: 'CT01',
        eventCode: '110112',
        outcome: 4,
        from: '2026-11-01T00:00:00.000Z',
        to: '2026-11-28T11:00:00.000Z',
      },
      page: { limit: 50, afterSeq: 120 },
    });
    expect(parseAuditSearch({})).toEqual({ query: {}, page: { limit: 100 } });
  });

  it.each([
    [{ outcome: '3' }, 'parameter outcome: expected 0, 4, 8 or 12'],
    [{ limit: '0' }, 'parameter limit: expected an integer from 1 to 1000'],
    [{ limit: '1001' }, 'parameter limit'],
    [{ from: 'yesterday' }, 'parameter from: expected an ISO 8601'],
    [{ eventType: '110112; drop' }, 'parameter eventType'],
    [{ patient: 'P1' }, 'unknown parameter "patient"'],
    [{ user: ['a', 'b'] }, 'parameter user: expected one value'],
  ])('refuses %j with a message naming the parameter', (raw, message) => {
    let error: unknown;
    try {
      parseAuditSearch(raw);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BadRequestException);
    expect((error as Error).message).toContain(message);
  });
});
