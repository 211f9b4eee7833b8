// The clients of the query suite: QIDO-RS and WADO-RS over Node's fetch, C-FIND over this
// project's DIMSE client (libs/dimse), each timed from the request to the last byte of the answer.
import { CommandField, DicomUid, DimseClient, isPending, type DimseAssociation } from '@pacs/dimse';
import { encodeDataset, type TestElement } from '@pacs/dicom/testing';

/**
 * No HTTP compression is asked for: on loopback it would only cost CPU (Orthanc compresses its
 * answers when asked, by default; Node's fetch asks unless told otherwise).
 */
const IDENTITY = { 'Accept-Encoding': 'identity' };

const now = () => performance.now();

/** Nearest-rank percentile (p in 0..1) of unsorted values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export interface QidoAnswer {
  readonly ms: number;
  readonly status: number;
  /** Studies in the answer. */
  readonly count: number;
  readonly bytes: number;
  /** Whether the server said more matched than it returned (PS3.18 8.3.4.4 Warning). */
  readonly truncated: boolean;
  readonly studies: readonly Record<string, { Value?: unknown[] }>[];
}

/** GET {base}/studies?{query}: timed to the last byte, then parsed. */
export async function qidoStudies(base: string, query: string): Promise<QidoAnswer> {
  const started = now();
  const response = await fetch(`${base}/studies?${query}`, {
    headers: { Accept: 'application/dicom+json', ...IDENTITY },
    signal: AbortSignal.timeout(120_000),
  });
  const body = Buffer.from(await response.arrayBuffer());
  const ms = now() - started;
  let studies: QidoAnswer['studies'] = [];
  if (response.status === 200 && body.length > 0) {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    if (!Array.isArray(parsed)) throw new Error(`QIDO-RS ${query}: the answer is not an array`);
    studies = parsed as QidoAnswer['studies'];
  }
  return {
    ms,
    status: response.status,
    count: studies.length,
    bytes: body.length,
    truncated: /^299\b/.test(response.headers.get('warning') ?? ''),
    studies,
  };
}

const NUMBER_OF_STUDY_RELATED_INSTANCES = '00201208';

/** NumberOfStudyRelatedInstances of one study, 0 while the study is not found. */
export async function studyInstanceCount(base: string, studyInstanceUid: string): Promise<number> {
  const answer = await qidoStudies(
    base,
    `StudyInstanceUID=${studyInstanceUid}&includefield=${NUMBER_OF_STUDY_RELATED_INSTANCES}`,
  );
  if (answer.status !== 200 && answer.status !== 204) throw new Error(`QIDO-RS answered ${answer.status}`);
  return Number(answer.studies[0]?.[NUMBER_OF_STUDY_RELATED_INSTANCES]?.Value?.[0] ?? 0);
}

/**
 * Studies and instances a server's QIDO-RS finds, paging through every study (1000 a page, in
 * the server's order): how the loading waits for this PACS's indexer to catch up.
 */
export async function indexedTotals(base: string): Promise<{ studies: number; instances: number }> {
  let studies = 0;
  let instances = 0;
  for (;;) {
    const answer = await qidoStudies(
      base,
      `includefield=${NUMBER_OF_STUDY_RELATED_INSTANCES}&limit=1000&offset=${studies}`,
    );
    if (answer.status !== 200 && answer.status !== 204) throw new Error(`QIDO-RS answered ${answer.status}`);
    studies += answer.count;
    for (const study of answer.studies) instances += Number(study[NUMBER_OF_STUDY_RELATED_INSTANCES]?.Value?.[0] ?? 0);
    // A server may return fewer than asked and say so (its own limit): then ask for the next page.
    if (answer.count === 0 || (answer.count < 1000 && !answer.truncated)) return { studies, instances };
  }
}

// --- C-FIND -------------------------------------------------------------------------------------

export interface FindAnswer {
  readonly ms: number;
  readonly status: number;
  readonly count: number;
}

/** One association for many C-FIND requests at study level, Study Root (PS3.4 C.6.2). */
export class StudyFinder {
  private constructor(private readonly association: DimseAssociation) {}

  static async connect(port: number, calledAeTitle: string): Promise<StudyFinder> {
    const association = await DimseClient.connect({
      host: '127.0.0.1',
      port,
      callingAeTitle: 'BENCH',
      calledAeTitle,
      presentationContexts: [
        {
          abstractSyntax: DicomUid.StudyRootQueryRetrieveFind,
          transferSyntaxes: [DicomUid.ExplicitVrLittleEndian, DicomUid.ImplicitVrLittleEndian],
        },
      ],
      timeouts: { dimseMs: 120_000 },
    });
    if (association.info.presentationContexts.size === 0) {
      await association.release().catch(() => association.abort());
      throw new Error('the Study Root FIND presentation context was rejected (no C-FIND SCP)');
    }
    return new StudyFinder(association);
  }

  /** One C-FIND: `keys` are the matching keys (keyword to value); the usual return keys are added. */
  async find(keys: Readonly<Record<string, string>>): Promise<FindAnswer> {
    const context = [...this.association.info.presentationContexts.values()][0]!;
    const elements: TestElement[] = [
      // Latin-1: the names of the corpus are (PS3.3 C.12.1.1.2).
      { tag: 'SpecificCharacterSet', value: 'ISO_IR 100' },
      { tag: 'QueryRetrieveLevel', value: 'STUDY' },
      ...RETURN_KEYS.filter((k) => keys[k] === undefined).map((k) => ({ tag: k, value: '' })),
      ...Object.entries(keys).map(([tag, value]) => ({ tag, value })),
    ];
    const dataset = encodeDataset(elements, context.transferSyntax);
    let count = 0;
    const started = now();
    const response = await this.association.request({
      abstractSyntax: DicomUid.StudyRootQueryRetrieveFind,
      command: { commandField: CommandField.CFindRq, priority: 0 },
      dataset,
      onPending: (pending) => {
        if (isPending(pending.status)) count++;
      },
    });
    return { ms: now() - started, status: response.status, count };
  }

  async close(): Promise<void> {
    await this.association.release().catch(() => this.association.abort());
  }
}

/** Asked back by every C-FIND, as a worklist viewer does. */
const RETURN_KEYS = [
  'StudyInstanceUID',
  'PatientName',
  'PatientID',
  'PatientBirthDate',
  'StudyDate',
  'StudyTime',
  'AccessionNumber',
  'StudyDescription',
  'ModalitiesInStudy',
  'NumberOfStudyRelatedInstances',
];

// --- WADO-RS ------------------------------------------------------------------------------------

export interface RetrieveAnswer {
  readonly seconds: number;
  readonly status: number;
  /** Bytes of the HTTP body. */
  readonly bodyBytes: number;
  /** Parts of the multipart answer and the bytes of their bodies (the instances). */
  readonly parts: number;
  readonly partBytes: number;
  readonly error?: string;
}

/** GET a series as multipart/related application/dicom in any transfer syntax; timed to the last byte. */
export async function retrieveSeries(base: string, study: string, series: string): Promise<RetrieveAnswer> {
  const started = now();
  const response = await fetch(`${base}/studies/${study}/series/${series}`, {
    headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*', ...IDENTITY },
    signal: AbortSignal.timeout(600_000),
  });
  const chunks: Buffer[] = [];
  let bodyBytes = 0;
  if (response.body) {
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      bodyBytes += chunk.byteLength;
    }
  }
  const seconds = (now() - started) / 1000;
  if (response.status !== 200) {
    const text = Buffer.concat(chunks).toString('utf8').slice(0, 300);
    return { seconds, status: response.status, bodyBytes, parts: 0, partBytes: 0, error: `${response.status} ${text}` };
  }
  const boundary = /boundary="?([^";]+)"?/i.exec(response.headers.get('content-type') ?? '')?.[1];
  if (!boundary) {
    return { seconds, status: 200, bodyBytes, parts: 0, partBytes: 0, error: 'no multipart boundary in Content-Type' };
  }
  const { parts, partBytes } = multipartParts(Buffer.concat(chunks), boundary);
  return { seconds, status: 200, bodyBytes, parts, partBytes };
}

/** Counts the parts of a multipart body and the bytes of their bodies (RFC 2046 5.1.1). */
export function multipartParts(body: Buffer, boundary: string): { parts: number; partBytes: number } {
  const delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
  // The first delimiter may come without the CRLF before it.
  let at = body.indexOf(delimiter.subarray(2));
  if (at < 0) return { parts: 0, partBytes: 0 };
  at += delimiter.length - 2;
  let parts = 0;
  let partBytes = 0;
  for (;;) {
    if (body[at] === 0x2d && body[at + 1] === 0x2d) break; // "--": the close delimiter
    const headersEnd = body.indexOf('\r\n\r\n', at, 'latin1');
    if (headersEnd < 0) break;
    const start = headersEnd + 4;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    parts++;
    partBytes += next - start;
    at = next + delimiter.length;
  }
  return { parts, partBytes };
}
