import type { CodedValue } from './audit-codes';

// Coded values of the application, association and audit-log messages (PS3.16 CID 400-405, DCM).

/** EventID of an application start or stop (PS3.15 A.5.3.1). */
export const APPLICATION_ACTIVITY: CodedValue = {
  code: '110100',
  codingScheme: 'DCM',
  meaning: 'Application Activity',
};
/** EventTypeCode of Application Activity. */
export const APPLICATION_START: CodedValue = { code: '110120', codingScheme: 'DCM', meaning: 'Application Start' };
/** EventTypeCode of Application Activity. */
export const APPLICATION_STOP: CodedValue = { code: '110121', codingScheme: 'DCM', meaning: 'Application Stop' };
/** RoleIDCode of the application in Application Activity. */
export const APPLICATION_ROLE: CodedValue = { code: '110150', codingScheme: 'DCM', meaning: 'Application' };
/** RoleIDCode of who started or stopped the application. */
export const APPLICATION_LAUNCHER_ROLE: CodedValue = {
  code: '110151',
  codingScheme: 'DCM',
  meaning: 'Application Launcher',
};
/** EventID of a transfer the system was asked to start (PS3.15 A.5.3.3): a forward requested. */
export const BEGIN_TRANSFERRING: CodedValue = {
  code: '110102',
  codingScheme: 'DCM',
  meaning: 'Begin Transferring DICOM Instances',
};
/** EventID of a log-on or log-off, successful or not (PS3.15 A.5.3.12). */
export const USER_AUTHENTICATED: CodedValue = { code: '110114', codingScheme: 'DCM', meaning: 'User Authenticated' };
/** EventTypeCode of User Authenticated. */
export const LOGIN: CodedValue = { code: '110122', codingScheme: 'DCM', meaning: 'Login' };
/** EventTypeCode of User Authenticated. */
export const LOGOUT: CodedValue = { code: '110123', codingScheme: 'DCM', meaning: 'Logout' };
/** EventID of a read of the audit trail (PS3.15 A.5.3.2). */
export const AUDIT_LOG_USED: CodedValue = { code: '110101', codingScheme: 'DCM', meaning: 'Audit Log Used' };
/** EventID of a security-relevant change or refusal (PS3.15 A.5.3.11). */
export const SECURITY_ALERT: CodedValue = { code: '110113', codingScheme: 'DCM', meaning: 'Security Alert' };
/** EventTypeCode of Security Alert: network configuration changed (routing destinations). */
export const NETWORK_CONFIGURATION: CodedValue = {
  code: '110128',
  codingScheme: 'DCM',
  meaning: 'Network Configuration',
};
/** EventTypeCode of Security Alert: software configuration changed (routing rules). */
export const SOFTWARE_CONFIGURATION: CodedValue = {
  code: '110131',
  codingScheme: 'DCM',
  meaning: 'Software Configuration',
};
/** ParticipantObjectTypeCodeRole 13 "Security Resource" (PS3.15 A.5.1.2.2): the audit log, a configuration. */
export const ROLE_SECURITY_RESOURCE: CodedValue = {
  code: '13',
  codingScheme: 'RFC-3881',
  meaning: 'Security Resource',
};
