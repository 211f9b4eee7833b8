// Coded values of the audit messages of PS3.15 A.5 that the services record (PS3.16 CID 400-405,
// and the RFC 3881 codes PS3.15 A.5.2 keeps for participant objects).

/** A coded value as AuditEventV1 carries it. */
export interface CodedValue {
  readonly code: string;
  readonly codingScheme: string;
  readonly meaning: string;
}

/** EventID of a query (PS3.15 A.5.3.10). */
export const QUERY: CodedValue = { code: '110112', codingScheme: 'DCM', meaning: 'Query' };
/** EventID of a completed transfer, on either side (PS3.15 A.5.3.7). */
export const INSTANCES_TRANSFERRED: CodedValue = {
  code: '110104',
  codingScheme: 'DCM',
  meaning: 'DICOM Instances Transferred',
};
/** RoleIDCode of the process that sends the data, or issues the query. */
export const SOURCE_ROLE: CodedValue = { code: '110153', codingScheme: 'DCM', meaning: 'Source Role ID' };
/** RoleIDCode of the process that receives the data, or answers the query. */
export const DESTINATION_ROLE: CodedValue = { code: '110152', codingScheme: 'DCM', meaning: 'Destination Role ID' };
/** ParticipantObjectIDTypeCode of a study. */
export const STUDY_UID: CodedValue = { code: '110180', codingScheme: 'DCM', meaning: 'Study Instance UID' };
/** ParticipantObjectIDTypeCode of the SOP class a DIMSE query was made on. */
export const SOP_CLASS_UID: CodedValue = { code: '110181', codingScheme: 'DCM', meaning: 'SOP Class UID' };
/** ParticipantObjectIDTypeCode of a non-DICOM query, named by its URL (PS3.15 A.5.3.10 Note 2). */
export const URI: CodedValue = { code: '12', codingScheme: 'RFC-3881', meaning: 'URI' };
/** ParticipantObjectIDTypeCode of a patient. */
export const PATIENT_NUMBER: CodedValue = { code: '2', codingScheme: 'RFC-3881', meaning: 'Patient Number' };
/** ParticipantObjectTypeCodeRole of a patient. */
export const ROLE_PATIENT: CodedValue = { code: '1', codingScheme: 'RFC-3881', meaning: 'Patient' };
/** ParticipantObjectTypeCodeRole of a study, or of the SOP class queried. */
export const ROLE_REPORT: CodedValue = { code: '3', codingScheme: 'RFC-3881', meaning: 'Report' };
