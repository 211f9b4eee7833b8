import type { AuditRecord, AuditStore } from '@pacs/audit-store';
import { chainHash, GENESIS_HASH } from './chain';

/** The first record where a tenant's chain does not hold. */
export interface BrokenLink {
  readonly seq: number;
  readonly eventId: string;
  /** What is wrong with it, in words. */
  readonly problem: string;
}

/** The outcome of a verification of a tenant's chain. */
export interface ChainVerification {
  readonly tenantId: string;
  readonly intact: boolean;
  /** Records read (up to and including the first broken one). */
  readonly recordsChecked: number;
  readonly lastSeq: number;
  readonly firstBroken?: BrokenLink;
}

const PAGE = 1000;

/**
 * Walks a tenant's chain from its first record and recomputes every link: a record whose content
 * was edited no longer matches its hash; a record removed leaves a gap in seq; a record whose hash
 * was recomputed after an edit no longer matches the next record's prevHash. Names the first
 * record where the chain breaks.
 */
export async function verifyChain(store: AuditStore, tenantId: string): Promise<ChainVerification> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let checked = 0;
  for (;;) {
    const page = await store.range(tenantId, expectedSeq, PAGE);
    for (const record of page) {
      checked++;
      const problem = problemOf(record, tenantId, expectedSeq, prevHash);
      if (problem) {
        return {
          tenantId,
          intact: false,
          recordsChecked: checked,
          lastSeq: expectedSeq - 1,
          firstBroken: { seq: record.seq, eventId: record.eventId, problem },
        };
      }
      prevHash = record.hash;
      expectedSeq++;
    }
    if (page.length < PAGE) return { tenantId, intact: true, recordsChecked: checked, lastSeq: expectedSeq - 1 };
  }
}

function problemOf(record: AuditRecord, tenantId: string, expectedSeq: number, prevHash: string): string | undefined {
  if (record.seq !== expectedSeq) return `record ${expectedSeq} is missing (the next one is ${record.seq})`;
  if (record.tenantId !== tenantId) return `record is filed under tenant "${record.tenantId}"`;
  if (record.prevHash !== prevHash) return 'its link to the previous record does not match that record';
  if (record.event.eventId !== record.eventId || record.event.tenantId !== tenantId)
    return 'its event id or tenant differs from the event it holds';
  if (chainHash(record) !== record.hash) return 'its content does not match its hash (the record was altered)';
  return undefined;
}
