import { tagOf, type DicomDataset } from '@pacs/dicom';
import { DimseStatus, DimseStatusError } from '@pacs/dimse';
import type { SearchScope } from '@pacs/metadata-index';
import { keyOf, levelOf, nameOf, requestModel, upperUniqueKey } from './find-query';
import { MODEL_LEVELS, UNIQUE_KEYS, type QrLevel, type QrModel } from './qr-information-model';

/** What a C-MOVE or C-GET identifier selects (PS3.4 C.4.2.2.1, C.4.3.2.1). */
export interface RetrieveQuery {
  readonly model: QrModel;
  readonly level: QrLevel;
  /** At PATIENT level: the patient, by Patient ID and, when given, its issuer. */
  readonly patient?: { readonly patientId: string; readonly issuerOfPatientId?: string };
  /** Otherwise: one scope per UID listed at the retrieve level. */
  readonly scopes: readonly (SearchScope & { readonly studyInstanceUid: string })[];
}

const ISSUER_OF_PATIENT_ID = tagOf('IssuerOfPatientID');

/** The UIDs of the unique key of the retrieve level: one or a list (C.2.2.2.2), never universal. */
function uidsOf(identifier: DicomDataset, level: QrLevel): string[] {
  const tag = UNIQUE_KEYS[level];
  const element = identifier.get(tag);
  const match = element ? keyOf(identifier, element).match : { kind: 'universal' as const };
  if (match.kind === 'single') return [match.value];
  if (match.kind === 'any-of') return [...match.values];
  throw new DimseStatusError(DimseStatus.IdentifierDoesNotMatchSopClass, `${nameOf(tag)} needs a value to retrieve`, {
    offendingElement: [tag],
  });
}

/**
 * Reads a C-MOVE or C-GET identifier (PS3.4 C.4.2.2.1, C.4.3.2.1, baseline hierarchical retrieve):
 * Query/Retrieve Level, the unique key of that level (a list of UIDs allowed; at PATIENT level one
 * Patient ID), and the unique keys of the study and series levels above it, one value each.
 * Other keys are ignored; Patient ID is not needed below PATIENT level (the UIDs are unique).
 * Missing keys answer A900, malformed values C000, each naming the attribute.
 */
export function parseRetrieveQuery(sopClassUid: string | undefined, identifier: DicomDataset): RetrieveQuery {
  const model = requestModel(sopClassUid);
  const level = levelOf(model, identifier);
  if (level === 'PATIENT') {
    const patientId = upperUniqueKey(identifier, 'PATIENT', 'PATIENT');
    const issuer = identifier.string(ISSUER_OF_PATIENT_ID);
    return { model, level, patient: { patientId, ...(issuer ? { issuerOfPatientId: issuer } : {}) }, scopes: [] };
  }
  const levels = MODEL_LEVELS[model];
  const above = levels.slice(levels.indexOf('STUDY'), levels.indexOf(level));
  const fixed: { studyInstanceUid?: string; seriesInstanceUid?: string } = {};
  for (const upper of above) {
    const uid = upperUniqueKey(identifier, upper, level);
    if (upper === 'STUDY') fixed.studyInstanceUid = uid;
    else fixed.seriesInstanceUid = uid;
  }
  const uids = uidsOf(identifier, level);
  const scopes = uids.map((uid) => {
    if (level === 'STUDY') return { studyInstanceUid: uid };
    if (level === 'SERIES') return { studyInstanceUid: fixed.studyInstanceUid!, seriesInstanceUid: uid };
    return {
      studyInstanceUid: fixed.studyInstanceUid!,
      seriesInstanceUid: fixed.seriesInstanceUid!,
      sopInstanceUid: uid,
    };
  });
  return { model, level, scopes };
}
