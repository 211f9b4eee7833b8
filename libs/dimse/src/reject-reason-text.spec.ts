import { RejectReason, RejectSource } from './pdu.types';
import { rejectReasonText } from './reject-reason-text';

describe('rejectReasonText', () => {
  it('says what an A-ASSOCIATE-RJ reason means for its source (PS3.8 Table 9-21)', () => {
    expect(
      rejectReasonText({ source: RejectSource.ServiceUser, reason: RejectReason.CalledAeTitleNotRecognized }),
    ).toBe('called AE title not recognized');
    expect(
      rejectReasonText({ source: RejectSource.ServiceUser, reason: RejectReason.CallingAeTitleNotRecognized }),
    ).toBe('calling AE title not recognized');
    expect(rejectReasonText({ source: RejectSource.ServiceProviderAcse, reason: 2 })).toBe(
      'protocol version not supported',
    );
    expect(rejectReasonText({ source: RejectSource.ServiceProviderPresentation, reason: 1 })).toBe(
      'temporary congestion',
    );
    expect(rejectReasonText({ source: RejectSource.ServiceUser, reason: 5 })).toBe('reason 5 (source 1)');
  });
});
