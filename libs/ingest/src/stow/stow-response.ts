/** One instance of a STOW-RS request, as the response reports it (PS3.18 10.5.3). */
export type StowOutcome =
  | {
      readonly stored: true;
      readonly sopClassUid: string;
      readonly sopInstanceUid: string;
      readonly retrieveUrl: string;
    }
  | {
      readonly stored: false;
      readonly sopClassUid?: string;
      readonly sopInstanceUid?: string;
      /** Failure Reason (0008,1197), PS3.18 Table 10.5.3-1 / PS3.4 B.2.3. */
      readonly failureReason: number;
      /** Why, for the log and the Warning header; DICOM JSON has no per-item text. */
      readonly message: string;
    };

const uid = (value: string | undefined) => (value ? { vr: 'UI', Value: [value] } : { vr: 'UI' });

/**
 * The Store Instances Response Module (PS3.18 Table 10.5.3-2) in DICOM JSON (PS3.18 F.2) and its
 * HTTP status: 200 all stored, 202 some failed, 409 none stored (PS3.18 10.5.3.1).
 */
export function stowResponse(
  outcomes: readonly StowOutcome[],
  studyRetrieveUrl: string | undefined,
): { status: 200 | 202 | 409; body: Record<string, unknown> } {
  const stored = outcomes.filter((o) => o.stored);
  const failed = outcomes.filter((o) => !o.stored);
  const body: Record<string, unknown> = {};
  if (studyRetrieveUrl) body['00081190'] = { vr: 'UR', Value: [studyRetrieveUrl] };
  if (failed.length > 0) {
    body['00081198'] = {
      vr: 'SQ',
      Value: failed.map((o) => ({
        '00081150': uid(o.sopClassUid),
        '00081155': uid(o.sopInstanceUid),
        '00081197': { vr: 'US', Value: [o.stored ? 0 : o.failureReason] },
      })),
    };
  }
  body['00081199'] = {
    vr: 'SQ',
    ...(stored.length > 0
      ? {
          Value: stored.map((o) => ({
            '00081150': uid(o.sopClassUid),
            '00081155': uid(o.sopInstanceUid),
            '00081190': { vr: 'UR', Value: [o.stored ? o.retrieveUrl : ''] },
          })),
        }
      : {}),
  };
  const status = failed.length === 0 ? 200 : stored.length === 0 ? 409 : 202;
  return { status, body };
}
