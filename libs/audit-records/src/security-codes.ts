// Coded values of the security audit messages (PS3.15 A.5.3.11-12) that system-codes.ts does not
// hold already (there: USER_AUTHENTICATED, LOGIN, SECURITY_ALERT, APPLICATION_ROLE).
import type { CodedValue } from './audit-codes';

/** EventTypeCode of Security Alert: a function was used without the permission (PS3.16 CID 403). */
export const USE_OF_RESTRICTED_FUNCTION: CodedValue = {
  code: '110132',
  codingScheme: 'DCM',
  meaning: 'Use of Restricted Function',
};
