import { formatStatus } from '@pacs/dimse';
import { ForwardError } from './forward.errors';
import type { SendOutcome } from './forward-sender.port';
import { storeStatusVerdict } from './store-status';

/** A STOW-RS answer, as received. */
export interface StowAnswer {
  readonly status: number;
  /** Content-Type of the body ('' when absent). */
  readonly contentType: string;
  readonly body: Buffer;
  /** Location (redirects). */
  readonly location?: string | null;
  /** Retry-After (429, 503). */
  readonly retryAfter?: string | null;
}

type JsonDataset = Readonly<Record<string, { readonly vr?: string; readonly Value?: readonly unknown[] } | undefined>>;

// Store Instances Response Module (PS3.18 10.5.3, Table 10.5.3-1; PS3.3 C.12 for the tags).
const FAILED_SOP_SEQUENCE = '00081198';
const REFERENCED_SOP_SEQUENCE = '00081199';
const REFERENCED_SOP_INSTANCE_UID = '00081155';
const FAILURE_REASON = '00081197';
const WARNING_REASON = '00081196';

function isObject(value: unknown): value is JsonDataset {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The Store Instances Response of a DICOM JSON body (an object, or an array of one), if there is one. */
function responseDataset(answer: StowAnswer): JsonDataset | undefined {
  // Some servers (Orthanc on 400) send DICOM JSON without a Content-Type: the body's first byte decides.
  const first = answer.body.toString('latin1', 0, Math.min(answer.body.length, 64)).trimStart()[0];
  const json = /json/i.test(answer.contentType) || (answer.contentType === '' && (first === '{' || first === '['));
  if (!json) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.body.toString('utf8'));
  } catch {
    return undefined;
  }
  const dataset = Array.isArray(parsed) ? parsed[0] : parsed;
  return isObject(dataset) ? dataset : undefined;
}

function items(dataset: JsonDataset, tag: string): JsonDataset[] {
  return (dataset[tag]?.Value ?? []).filter(isObject);
}

function firstNumber(dataset: JsonDataset, tag: string): number | undefined {
  const value = dataset[tag]?.Value?.[0];
  return typeof value === 'number' ? value : undefined;
}

/** The item of a sequence that names the instance. */
function entryFor(dataset: JsonDataset | undefined, tag: string, sopInstanceUid: string): JsonDataset | undefined {
  if (!dataset) return undefined;
  return items(dataset, tag).find((item) => item[REFERENCED_SOP_INSTANCE_UID]?.Value?.[0] === sopInstanceUid);
}

/** The start of a body, on one line, for a message. */
export function bodyExcerpt(answer: StowAnswer): string {
  const text = answer.body.toString('utf8', 0, Math.min(answer.body.length, 600)).replace(/\s+/g, ' ').trim();
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** Milliseconds of a Retry-After value (seconds or an HTTP date, RFC 9110 10.2.3). */
export function retryAfterMs(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The outcome of a STOW-RS answer for the one instance it carried (PS3.18 10.5.3); throws the
 * ForwardError of a transient or configuration failure.
 *
 * | answer                                   | outcome                                             |
 * |------------------------------------------|-----------------------------------------------------|
 * | 2xx, the instance not in Failed SOP Seq. | confirmed (warning: its Warning Reason (0008,1196)) |
 * | 2xx, 400, 409 with a Failed SOP Sequence (0008,1198) item for it | by its Failure Reason (0008,1197), as a C-STORE status (storeStatusVerdict): A7xx, 0110 retriable; others rejected with remoteStatus |
 * | 409 without such an item                 | rejected CONFLICT, the body as reason               |
 * | 400, 410, 411, 422 and other 4xx         | rejected BAD_REQUEST                                |
 * | 413                                      | rejected PAYLOAD_TOO_LARGE                          |
 * | 415                                      | rejected UNSUPPORTED_MEDIA_TYPE                     |
 * | 401, 403                                 | retriable NOT_AUTHORIZED (fix the headers)          |
 * | 404, 405, 3xx                            | retriable WRONG_ADDRESS (fix the stowUrl)           |
 * | 406                                      | retriable PROTOCOL_ERROR (no DICOM JSON answer)     |
 * | 408                                      | retriable TIMEOUT                                   |
 * | 429, 503                                 | retriable BUSY, with Retry-After                    |
 * | 507                                      | retriable OUT_OF_RESOURCES                          |
 * | other 5xx                                | retriable PROCESSING_FAILURE                        |
 */
export function stowOutcome(
  answer: StowAnswer,
  sopInstanceUid: string,
  transferSyntaxUid: string,
  where: string,
): SendOutcome {
  const httpStatus = answer.status;
  const dataset = responseDataset(answer);
  const failed = entryFor(dataset, FAILED_SOP_SEQUENCE, sopInstanceUid);
  const said = bodyExcerpt(answer);
  const body = said ? `: ${said}` : '';

  // An answer that names the instance among the failed ones says why (PS3.18 10.5.3): 200 and 202
  // (some failed), 409 (all failed), and 400, which Orthanc answers with the same module.
  if (failed && (httpStatus < 300 || httpStatus === 400 || httpStatus === 409)) {
    const reason = firstNumber(failed, FAILURE_REASON);
    const verdict = reason === undefined ? undefined : storeStatusVerdict(reason);
    if (reason !== undefined && (verdict?.kind === 'transient' || verdict?.kind === 'refused')) {
      const text = `${where} failed ${sopInstanceUid} (HTTP ${httpStatus}) with Failure Reason ${formatStatus(reason)}, ${verdict.meaning}`;
      if (verdict.kind === 'transient') {
        throw new ForwardError(verdict.code, text, true, { remoteStatus: reason, httpStatus });
      }
      return { kind: 'rejected', code: verdict.code, message: text, remoteStatus: reason, httpStatus };
    }
    // Listed as failed without a failure status: refused all the same.
    return {
      kind: 'rejected',
      code: 'REFUSED',
      message: `${where} listed ${sopInstanceUid} as failed (HTTP ${httpStatus}) with Failure Reason ${reason === undefined ? 'absent' : formatStatus(reason)}`,
      ...(reason !== undefined ? { remoteStatus: reason } : {}),
      httpStatus,
    };
  }
  if (httpStatus >= 200 && httpStatus < 300) {
    const referenced = entryFor(dataset, REFERENCED_SOP_SEQUENCE, sopInstanceUid);
    const warning =
      (referenced && firstNumber(referenced, WARNING_REASON)) ?? (dataset && firstNumber(dataset, WARNING_REASON));
    const verdict = warning === undefined ? undefined : storeStatusVerdict(warning);
    if (warning === undefined || verdict === undefined || verdict.kind === 'success') {
      return { kind: 'confirmed', transferSyntaxUid };
    }
    return {
      kind: 'confirmed',
      transferSyntaxUid,
      warning: {
        code: verdict.kind === 'warning' ? verdict.code : 'WARNING',
        message: `${where} stored ${sopInstanceUid} with Warning Reason ${formatStatus(warning)}, ${verdict.meaning}`,
        remoteStatus: warning,
      },
    };
  }

  const retriable = (code: ConstructorParameters<typeof ForwardError>[0], advice: string, retryAfter?: number) =>
    new ForwardError(code, `${where} answered HTTP ${httpStatus}${body}${advice}`, true, {
      httpStatus,
      ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}),
    });
  const rejected = (code: Extract<SendOutcome, { kind: 'rejected' }>['code'], advice = ''): SendOutcome => ({
    kind: 'rejected',
    code,
    message: `${where} refused ${sopInstanceUid} with HTTP ${httpStatus}${body}${advice}`,
    httpStatus,
  });

  if (httpStatus >= 300 && httpStatus < 400) {
    throw retriable(
      'WRONG_ADDRESS',
      ` (redirect to ${answer.location ?? 'nowhere'}): set the destination's stowUrl to the final address`,
    );
  }
  switch (httpStatus) {
    case 409:
      return rejected('CONFLICT');
    case 401:
    case 403:
      throw retriable('NOT_AUTHORIZED', ' (check the Authorization and other headers of the destination)');
    case 404:
    case 405:
      throw retriable('WRONG_ADDRESS', " (check the destination's stowUrl)");
    case 406:
      throw retriable('PROTOCOL_ERROR', ' (it cannot answer in application/dicom+json)');
    case 408:
      throw retriable('TIMEOUT', '');
    case 413:
      return rejected('PAYLOAD_TOO_LARGE', ' (the instance is larger than it takes)');
    case 415:
      return rejected('UNSUPPORTED_MEDIA_TYPE');
    case 429:
    case 503:
      throw retriable('BUSY', '', retryAfterMs(answer.retryAfter));
    case 507:
      throw retriable('OUT_OF_RESOURCES', '');
  }
  if (httpStatus >= 500) throw retriable('PROCESSING_FAILURE', '', retryAfterMs(answer.retryAfter));
  if (httpStatus >= 400) return rejected('BAD_REQUEST');
  throw retriable('PROTOCOL_ERROR', ' (no final answer)');
}
