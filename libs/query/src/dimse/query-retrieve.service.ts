import { randomUUID } from 'node:crypto';
import type { BlobStore } from '@pacs/blob-store';
import { formatTag, tagOf, type DicomJsonAttribute, type DicomJsonDataset } from '@pacs/dicom';
import {
  CommandField,
  DimseStatus,
  type CFindMatch,
  type RetrieveInstance,
  type RetrievePlan,
  type RetrieveReport,
} from '@pacs/dimse';
import type { QueryRetrieveRequest, QueryRetrieveScp } from '@pacs/ingest';
import {
  extraKeyLevels,
  type MetadataIndex,
  type QueryKey,
  type SearchLevel,
  type SearchScope,
  type StoredInstance,
} from '@pacs/metadata-index';
import type { Logger } from '@pacs/observability';
import { auditedIdentifier } from './audited-identifier';
import { convertedDataset, convertibleSyntaxes } from './converted-dataset';
import { parseFindQuery, type FindQuery } from './find-query';
import { buildFindResponse, type PatientCounts } from './find-response';
import { SEARCH_LEVELS, UNIQUE_KEYS } from './qr-information-model';
import type { InstanceTransfer, QueryRetrieveActivity, QueryRetrieveAudit } from './query-retrieve-audit.port';
import { parseRetrieveQuery, type RetrieveQuery } from './retrieve-query';
import { openStoredDataset } from './stored-dataset-stream';

/** What the Query/Retrieve SCP works with. */
export interface QueryRetrieveDependencies {
  /** The metadata index (null when the app runs without one: every request then fails C001). */
  readonly index: MetadataIndex | null;
  readonly blobStore: BlobStore;
  readonly logger: Logger;
  /** The audit hook, when one is bound. */
  readonly audit?: QueryRetrieveAudit | null;
  /** Records asked of the index at a time (default 500). */
  readonly pageSize?: number;
}

const key = (keyword: string): string => formatTag(tagOf(keyword));
const STUDY_INSTANCE_UID = key('StudyInstanceUID');
const PATIENT_ID = key('PatientID');
const PATIENT_NAME = key('PatientName');
const ISSUER_OF_PATIENT_ID = key('IssuerOfPatientID');
const STUDY_SERIES = key('NumberOfStudyRelatedSeries');
const STUDY_INSTANCES = key('NumberOfStudyRelatedInstances');

function first(attribute: DicomJsonAttribute | undefined): string | number | undefined {
  const value = attribute?.Value?.[0];
  return typeof value === 'string' || typeof value === 'number' ? value : undefined;
}

/** The Alphabetic group of the first Patient Name of a record (PS3.18 F.2.2). */
function patientNameOf(record: DicomJsonDataset): string | undefined {
  const value = record[PATIENT_NAME]?.Value?.[0];
  if (typeof value === 'object' && value !== null && 'Alphabetic' in value) {
    const alphabetic = (value as { Alphabetic?: unknown }).Alphabetic;
    return typeof alphabetic === 'string' && alphabetic !== '' ? alphabetic : undefined;
  }
  return undefined;
}

/**
 * The DIMSE Query/Retrieve SCP of the Patient Root and Study Root models (PS3.4 C.4, C.6) on the
 * metadata index and the blob store, per tenant:
 * - C-FIND: the identifier becomes index keys (parseFindQuery), the tenant's extra attributes
 *   (read once per request) among them; records are searched page by page
 *   and each match goes out as soon as it is read, as the requested keys (buildFindResponse). At
 *   PATIENT level the studies are searched and one response per patient (Patient ID + Issuer of
 *   Patient ID) is sent, with the patient counts when asked for.
 * - C-GET/C-MOVE: the identifier's studies, series or instances (parseRetrieveQuery) are listed
 *   from the index (references only); each data set is streamed from its blob when its
 *   sub-operation comes, as stored, or transcoded to Explicit VR Little Endian (held in memory,
 *   one at a time) when the peer did not accept the stored syntax (convertedDataset).
 * Each operation is logged and reported to the audit hook: a C-FIND when it ends, a C-GET or
 * C-MOVE once its sub-operations are over (or when it is refused), with what became of each instance.
 */
export class QueryRetrieveService implements QueryRetrieveScp {
  private readonly pageSize: number;

  constructor(private readonly deps: QueryRetrieveDependencies) {
    this.pageSize = deps.pageSize ?? 500;
  }

  async *find(request: QueryRetrieveRequest): AsyncGenerator<CFindMatch> {
    const started = Date.now();
    let query: FindQuery | undefined;
    let count = 0;
    const studies = new Set<string>();
    let outcome: QueryRetrieveActivity['outcome'] = 'cancelled';
    let failure: string | undefined;
    try {
      const index = this.index();
      const { attributes } = await index.getExtraAttributes(request.tenant.id);
      query = parseFindQuery(request.command.affectedSopClassUid, request.identifier, extraKeyLevels(attributes));
      const { info } = request.ctx.association;
      const context = {
        retrieveAeTitle: info.calledAeTitle.trim(),
        transferSyntaxUid: request.ctx.presentationContext.transferSyntax,
      };
      const matches =
        query.level === 'PATIENT'
          ? this.patients(index, request.tenant.id, query)
          : this.records(index, request.tenant.id, SEARCH_LEVELS[query.level], query.scope, query.keys);
      for await (const { record, counts } of matches) {
        count++;
        const study = first(record[STUDY_INSTANCE_UID]);
        if (typeof study === 'string') studies.add(study);
        yield {
          identifier: buildFindResponse(query, record, context, counts),
          ...(query.optionalKeysNotSupported ? { optionalKeysNotSupported: true } : {}),
        };
      }
      outcome = 'success';
    } catch (error) {
      outcome = 'failure';
      failure = error instanceof Error ? error.message : String(error);
      throw error;
    } finally {
      this.report(request, 'C-FIND', started, {
        ...(query ? { level: query.level } : {}),
        count,
        studyInstanceUids: [...studies],
        outcome,
        ...(failure !== undefined ? { failure } : {}),
        identifier: auditedIdentifier(request.identifier, request.ctx.presentationContext.transferSyntax),
      });
    }
  }

  async retrieve(request: QueryRetrieveRequest): Promise<RetrievePlan> {
    const started = Date.now();
    const service = request.command.commandField === CommandField.CGetRq ? 'C-GET' : 'C-MOVE';
    let query: RetrieveQuery | undefined;
    try {
      query = parseRetrieveQuery(request.command.affectedSopClassUid, request.identifier);
      const index = this.index();
      const tenantId = request.tenant.id;
      const scopes = query.patient ? await this.patientStudies(index, tenantId, query.patient) : query.scopes;
      // References only (blob key, syntax) and what the audit record names each instance by.
      const instances: RetrieveInstance[] = [];
      const selected = new Map<string, SelectedInstance>();
      for (const scope of scopes) {
        for await (const stored of index.listInstances(tenantId, scope)) {
          if (selected.has(stored.sopInstanceUid)) continue;
          selected.set(stored.sopInstanceUid, selectedInstance(stored));
          instances.push(this.toRetrieve(stored));
        }
      }
      const level = query.level;
      const studies = [...new Set([...selected.values()].map((instance) => instance.studyInstanceUid))];
      return {
        instances,
        onFinished: (report) =>
          this.report(request, service, started, {
            level,
            count: selected.size,
            studyInstanceUids: studies,
            ...outcomeOf(report),
            transfers: transfersOf(report, selected),
          }),
      };
    } catch (error) {
      this.report(request, service, started, {
        ...(query ? { level: query.level } : {}),
        count: 0,
        studyInstanceUids: [],
        outcome: 'failure',
        failure: error instanceof Error ? error.message : String(error),
      });
      throw error;
    }
  }

  refused(request: QueryRetrieveRequest, failure: string): void {
    const service = request.command.commandField === CommandField.CGetRq ? 'C-GET' : 'C-MOVE';
    this.report(request, service, Date.now(), { count: 0, studyInstanceUids: [], outcome: 'failure', failure });
  }

  private index(): MetadataIndex {
    if (!this.deps.index)
      throw new Error('the DIMSE Query/Retrieve SCP needs the metadata index (runApp metadataIndex: true)');
    return this.deps.index;
  }

  private toRetrieve(stored: StoredInstance): RetrieveInstance {
    const { blobStore } = this.deps;
    const storedSyntax = stored.transferSyntaxUid;
    return {
      sopClassUid: stored.sopClassUid,
      sopInstanceUid: stored.sopInstanceUid,
      transferSyntaxUid: storedSyntax,
      convertibleTo: convertibleSyntaxes(storedSyntax),
      open: (syntax) =>
        syntax === undefined || syntax === storedSyntax
          ? openStoredDataset(blobStore, stored.blob.key, storedSyntax)
          : convertedDataset(blobStore, stored.blob.key, syntax),
    };
  }

  /** Every record of a search, page after page, as read. */
  private async *records(
    index: MetadataIndex,
    tenantId: string,
    level: SearchLevel,
    scope: SearchScope,
    keys: readonly QueryKey[],
  ): AsyncGenerator<{ record: DicomJsonDataset; counts?: PatientCounts }> {
    let offset = 0;
    for (;;) {
      const page = await index.search(tenantId, level, scope, keys, { offset, limit: this.pageSize });
      for (const record of page.results) yield { record };
      offset += page.results.length;
      if (!page.more || page.results.length === 0) return;
    }
  }

  /**
   * PATIENT level (Patient Root, PS3.4 C.6.1.1.2): the matching studies, one response per patient
   * (Patient ID + Issuer of Patient ID), with its first study's patient attributes. When the patient
   * counts are asked for, every study is counted before the patients go out.
   */
  private async *patients(
    index: MetadataIndex,
    tenantId: string,
    query: FindQuery,
  ): AsyncGenerator<{ record: DicomJsonDataset; counts?: PatientCounts }> {
    const withCounts = query.returnKeys.some((returned) => returned.source === 'patient-count');
    const patients = new Map<
      string,
      { record: DicomJsonDataset; counts: { studies: number; series: number; instances: number } }
    >();
    for await (const { record } of this.records(index, tenantId, 'study', {}, query.keys)) {
      const id = JSON.stringify([first(record[PATIENT_ID]) ?? '', first(record[ISSUER_OF_PATIENT_ID]) ?? '']);
      let patient = patients.get(id);
      if (!patient) {
        patient = { record, counts: { studies: 0, series: 0, instances: 0 } };
        patients.set(id, patient);
        if (!withCounts) yield { record };
      }
      patient.counts.studies += 1;
      patient.counts.series += Number(first(record[STUDY_SERIES]) ?? 0);
      patient.counts.instances += Number(first(record[STUDY_INSTANCES]) ?? 0);
    }
    if (withCounts) for (const patient of patients.values()) yield patient;
  }

  /** The studies of a patient, for a PATIENT level retrieve. */
  private async patientStudies(
    index: MetadataIndex,
    tenantId: string,
    patient: NonNullable<RetrieveQuery['patient']>,
  ): Promise<Array<{ studyInstanceUid: string }>> {
    const keys: QueryKey[] = [
      { tag: UNIQUE_KEYS.PATIENT, keyword: 'PatientID', vr: 'LO', match: { kind: 'single', value: patient.patientId } },
      ...(patient.issuerOfPatientId !== undefined
        ? [
            {
              tag: tagOf('IssuerOfPatientID'),
              keyword: 'IssuerOfPatientID',
              vr: 'LO' as const,
              match: { kind: 'single' as const, value: patient.issuerOfPatientId },
            },
          ]
        : []),
    ];
    const studies: Array<{ studyInstanceUid: string }> = [];
    for await (const { record } of this.records(index, tenantId, 'study', {}, keys)) {
      const uid = first(record[STUDY_INSTANCE_UID]);
      if (typeof uid === 'string') studies.push({ studyInstanceUid: uid });
    }
    return studies;
  }

  /** Logs the operation and hands it to the audit hook (the hook point of the audit trail). */
  private report(
    request: QueryRetrieveRequest,
    service: QueryRetrieveActivity['service'],
    started: number,
    result: Pick<
      QueryRetrieveActivity,
      'level' | 'count' | 'studyInstanceUids' | 'outcome' | 'failure' | 'identifier' | 'transfers'
    >,
  ): void {
    const { info } = request.ctx.association;
    const activity: QueryRetrieveActivity = {
      service,
      tenantId: request.tenant.id,
      correlationId: `dimse-${randomUUID()}`,
      callingAeTitle: info.callingAeTitle.trim(),
      calledAeTitle: info.calledAeTitle.trim(),
      remoteAddress: info.remoteAddress,
      sopClassUid: request.command.affectedSopClassUid ?? '',
      ...(request.command.moveDestination !== undefined ? { moveDestination: request.command.moveDestination } : {}),
      ...result,
    };
    const log = {
      tenantId: activity.tenantId,
      callingAeTitle: activity.callingAeTitle,
      service,
      level: activity.level,
      count: activity.count,
      outcome: activity.outcome,
      ...(activity.moveDestination !== undefined ? { moveDestination: activity.moveDestination } : {}),
      ...(activity.failure !== undefined ? { failure: activity.failure } : {}),
      ...(activity.transfers ? { sent: activity.transfers.filter((t) => t.transferSyntaxUid).length } : {}),
      durationMs: Date.now() - started,
    };
    if (activity.outcome === 'failure') this.deps.logger.warn(log, 'DIMSE query/retrieve request failed');
    else this.deps.logger.info(log, 'DIMSE query/retrieve request');
    try {
      this.deps.audit?.record(activity);
    } catch (error) {
      this.deps.logger.error({ err: error, tenantId: activity.tenantId }, 'query/retrieve audit hook failed');
    }
  }
}

/** A selected instance as its audit record names it. */
type SelectedInstance = Pick<
  InstanceTransfer,
  'studyInstanceUid' | 'sopClassUid' | 'sopInstanceUid' | 'patientId' | 'patientName'
>;

function selectedInstance(stored: StoredInstance): SelectedInstance {
  const patientId = first(stored.attributes[PATIENT_ID]);
  const patientName = patientNameOf(stored.attributes);
  return {
    studyInstanceUid: stored.studyInstanceUid,
    sopClassUid: stored.sopClassUid,
    sopInstanceUid: stored.sopInstanceUid,
    ...(typeof patientId === 'string' && patientId !== '' ? { patientId } : {}),
    ...(patientName !== undefined ? { patientName } : {}),
  };
}

/** How the sub-operations ended, as the activity says it. */
function outcomeOf(report: RetrieveReport): Pick<QueryRetrieveActivity, 'outcome' | 'failure'> {
  if (report.status === DimseStatus.Cancel) return { outcome: 'cancelled' };
  const failed = report.results.filter((result) => result.outcome === 'failed').length;
  if (failed === 0 && report.remaining === 0) return { outcome: 'success' };
  const total = report.results.length + report.remaining;
  const reasons = [...new Set(report.results.flatMap((result) => (result.reason ? [result.reason] : [])))];
  const problems = [
    ...(failed > 0 ? [`${failed} of ${total} sub-operations failed: ${reasons.slice(0, 3).join('; ')}`] : []),
    ...(report.remaining > 0 ? [`${report.remaining} of ${total} never attempted (the association ended)`] : []),
  ];
  return { outcome: 'failure', failure: problems.join('; ') };
}

/** What became of each selected instance, with what the audit record names it by. */
function transfersOf(report: RetrieveReport, selected: ReadonlyMap<string, SelectedInstance>): InstanceTransfer[] {
  const done = new Map(report.results.map((result) => [result.instance.sopInstanceUid, result]));
  return [...selected.values()].map((instance) => {
    const result = done.get(instance.sopInstanceUid);
    return {
      ...instance,
      outcome: result?.outcome ?? 'not-attempted',
      ...(result?.transferSyntaxUid !== undefined && result.outcome !== 'failed'
        ? { transferSyntaxUid: result.transferSyntaxUid }
        : {}),
      ...(result?.reason !== undefined ? { reason: result.reason } : {}),
    };
  });
}
