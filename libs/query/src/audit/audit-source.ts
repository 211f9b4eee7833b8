/** The service that observes the read path's events (AuditSourceIdentification). */
export const AUDIT_SOURCE = 'gateway';
