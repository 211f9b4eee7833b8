import type { DicomDataset } from '@pacs/dicom';
import type { CFindMatch, DimseCommand, DimseRequestContext, RetrievePlan } from '@pacs/dimse';
import type { Tenant } from '../tenants/tenant';

/**
 * Injection token of the Query/Retrieve SCP (a {@link QueryRetrieveScp}). The query module
 * provides it; the gateway's DIMSE service takes it when present and then accepts the Q/R SOP
 * classes. Ingest defines the port so that it never depends on the query module.
 */
export const QUERY_RETRIEVE_SCP = Symbol('QUERY_RETRIEVE_SCP');

/** The Query/Retrieve SOP classes served: Patient Root and Study Root, FIND, MOVE, GET (PS3.4 C.6.1, C.6.2). */
export const QueryRetrieveSopClass = {
  PatientRootFind: '1.2.840.10008.5.1.4.1.2.1.1',
  PatientRootMove: '1.2.840.10008.5.1.4.1.2.1.2',
  PatientRootGet: '1.2.840.10008.5.1.4.1.2.1.3',
  StudyRootFind: '1.2.840.10008.5.1.4.1.2.2.1',
  StudyRootMove: '1.2.840.10008.5.1.4.1.2.2.2',
  StudyRootGet: '1.2.840.10008.5.1.4.1.2.2.3',
} as const;

/** Every UID of {@link QueryRetrieveSopClass}. */
export const QUERY_RETRIEVE_SOP_CLASSES: ReadonlySet<string> = new Set(Object.values(QueryRetrieveSopClass));

/** One C-FIND, C-GET or C-MOVE request, with the tenant its called AE title belongs to. */
export interface QueryRetrieveRequest {
  /** The tenant addressed (by the called AE title of the association). */
  readonly tenant: Tenant;
  /** The request's context: association facts (AE titles), presentation context, cancel signal. */
  readonly ctx: DimseRequestContext;
  /** The request command (Affected SOP Class UID: the information model). */
  readonly command: DimseCommand;
  /** The request identifier, parsed. */
  readonly identifier: DicomDataset;
}

/**
 * The Query/Retrieve SCP behind the gateway's DIMSE listener (PS3.4 Annex C). Failures throw
 * DimseStatusError from @pacs/dimse with the status of PS3.4 C.4.1.1.4 / C.4.2.1.5 / C.4.3.1.4.
 */
export interface QueryRetrieveScp {
  /** C-FIND: the matches of the identifier, each encoded as a response identifier, as found. */
  find(request: QueryRetrieveRequest): AsyncIterable<CFindMatch>;
  /**
   * C-GET and C-MOVE: the instances the identifier selects, in the order to send them, and who
   * hears how their sub-operations went (RetrievePlan.onFinished).
   */
  retrieve(request: QueryRetrieveRequest): Promise<RetrievePlan>;
  /**
   * A C-GET or C-MOVE the gateway refused before asking `retrieve` (an unknown Move Destination,
   * A801): logged and audited like one the SCP refused.
   */
  refused(request: QueryRetrieveRequest, failure: string): void;
}
