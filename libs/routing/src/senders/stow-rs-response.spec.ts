import { isForwardError } from './forward.errors';
import type { SendOutcome } from './forward-sender.port';
import { retryAfterMs, stowOutcome, type StowAnswer } from './stow-rs-response';

const UID = '1.2.826.0.1.3680043.2.1143.7';
const ELE = '1.2.840.10008.1.2.1';
const WHERE = 'STOW-RS http://peer/studies';

function sopItem(uid: string, extra: Record<string, unknown> = {}) {
  return {
    '00081150': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] },
    '00081155': { vr: 'UI', Value: [uid] },
    ...extra,
  };
}

function answer(status: number, body?: unknown, headers: Partial<StowAnswer> = {}): StowAnswer {
  return {
    status,
    contentType: body === undefined ? '' : 'application/dicom+json',
    body: Buffer.from(body === undefined ? '' : JSON.stringify(body)),
    ...headers,
  };
}

function outcome(a: StowAnswer): SendOutcome {
  return stowOutcome(a, UID, ELE, WHERE);
}

function thrown(a: StowAnswer) {
  try {
    outcome(a);
  } catch (error) {
    if (isForwardError(error)) return error;
    throw error;
  }
  throw new Error('expected a ForwardError');
}

describe('stowOutcome (PS3.18 10.5.3)', () => {
  it('200 confirms, with or without a body', () => {
    expect(outcome(answer(200))).toEqual({ kind: 'confirmed', transferSyntaxUid: ELE });
    expect(outcome(answer(200, { '00081199': { vr: 'SQ', Value: [sopItem(UID)] } }))).toEqual({
      kind: 'confirmed',
      transferSyntaxUid: ELE,
    });
  });

  it('202 with a Warning Reason for the instance confirms with the warning', () => {
    const body = { '00081199': { vr: 'SQ', Value: [sopItem(UID, { '00081196': { vr: 'US', Value: [0xb000] } })] } };
    expect(outcome(answer(202, body))).toEqual({
      kind: 'confirmed',
      transferSyntaxUid: ELE,
      warning: { code: 'COERCION_OF_DATA_ELEMENTS', message: expect.stringContaining('B000'), remoteStatus: 0xb000 },
    });
  });

  it.each([
    [202, 0xa900, 'DATA_SET_DOES_NOT_MATCH_SOP_CLASS'],
    [409, 0xc122, 'CANNOT_UNDERSTAND'],
    [409, 0x0122, 'SOP_CLASS_NOT_SUPPORTED'],
    [400, 0xc000, 'CANNOT_UNDERSTAND'],
    [200, 0xd000, 'REFUSED'],
  ])('%s with a Failed SOP Sequence item of Failure Reason %s: rejected %s', (status, reason, code) => {
    const body = [
      {
        '00081198': {
          vr: 'SQ',
          Value: [
            sopItem('1.2.3.4', { '00081197': { vr: 'US', Value: [0] } }),
            sopItem(UID, { '00081197': { vr: 'US', Value: [reason] } }),
          ],
        },
      },
    ];
    expect(outcome(answer(status, body))).toMatchObject({
      kind: 'rejected',
      code,
      remoteStatus: reason,
      httpStatus: status,
    });
  });

  it('a Failure Reason of out of resources or processing failure is retriable', () => {
    for (const reason of [0xa700, 0x0110]) {
      const body = { '00081198': { vr: 'SQ', Value: [sopItem(UID, { '00081197': { vr: 'US', Value: [reason] } })] } };
      expect(thrown(answer(202, body))).toMatchObject({ retriable: true, remoteStatus: reason, httpStatus: 202 });
    }
  });

  it('reads the DICOM JSON of an answer without Content-Type (Orthanc on 400)', () => {
    const body = { '00081198': { vr: 'SQ', Value: [sopItem(UID, { '00081197': { vr: 'US', Value: [0xc000] } })] } };
    expect(outcome({ ...answer(400, body), contentType: '' })).toMatchObject({
      kind: 'rejected',
      remoteStatus: 0xc000,
    });
  });

  it.each([
    [409, 'CONFLICT'],
    [400, 'BAD_REQUEST'],
    [410, 'BAD_REQUEST'],
    [413, 'PAYLOAD_TOO_LARGE'],
    [415, 'UNSUPPORTED_MEDIA_TYPE'],
  ])('%s without an entry for the instance: rejected %s, the body as reason', (status, code) => {
    const rejected = outcome({ status, contentType: 'text/plain', body: Buffer.from('the reason\nof the server') });
    expect(rejected).toMatchObject({ kind: 'rejected', code, httpStatus: status });
    expect(rejected.kind === 'rejected' && rejected.message).toContain('the reason of the server');
  });

  it.each([
    [401, 'NOT_AUTHORIZED'],
    [403, 'NOT_AUTHORIZED'],
    [404, 'WRONG_ADDRESS'],
    [405, 'WRONG_ADDRESS'],
    [307, 'WRONG_ADDRESS'],
    [406, 'PROTOCOL_ERROR'],
    [408, 'TIMEOUT'],
    [429, 'BUSY'],
    [503, 'BUSY'],
    [507, 'OUT_OF_RESOURCES'],
    [500, 'PROCESSING_FAILURE'],
    [502, 'PROCESSING_FAILURE'],
  ])('%s: a retriable %s', (status, code) => {
    expect(thrown(answer(status))).toMatchObject({ code, retriable: true, httpStatus: status });
  });

  it('passes Retry-After on and names the redirect target', () => {
    expect(thrown(answer(503, undefined, { retryAfter: '30' })).details.retryAfterMs).toBe(30_000);
    expect(thrown(answer(308, undefined, { location: 'https://peer/dicomweb/studies' })).message).toContain(
      'https://peer/dicomweb/studies',
    );
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(retryAfterMs('soon')).toBeUndefined();
  });
});
