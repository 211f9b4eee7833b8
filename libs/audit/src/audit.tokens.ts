/** Nest token of the audit service's settings (AuditConfig of @pacs/config). */
export const AUDIT_CONFIG = Symbol('AUDIT_CONFIG');
