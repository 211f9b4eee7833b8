import { BadRequestException } from '@nestjs/common';
import type { AuditPage, AuditQuery } from '@pacs/audit-store';

const MAX_LIMIT = 1000;
const DEFAULT_LIMIT = 100;
const PARAMETERS = ['patientId', 'studyUid', 'user', 'eventType', 'outcome', 'from', 'to', 'limit', 'after'] as const;

/** A search of the audit trail as the query string gives it. */
export interface AuditSearch {
  readonly query: AuditQuery;
  readonly page: AuditPage;
}

/**
 * Reads the search parameters of `GET .../audit/records`: patientId, studyUid, user (a user name,
 * an AE title or an address), eventType (an EventID code such as 110112), outcome (0, 4, 8, 12),
 * from and to (ISO 8601 instants; to is exclusive), limit (1-1000, default 100) and after (the seq
 * of the last record of the previous page). A wrong or unknown parameter is a 400 naming it.
 */
export function parseAuditSearch(raw: Record<string, unknown>): AuditSearch {
  for (const name of Object.keys(raw)) {
    if (!(PARAMETERS as readonly string[]).includes(name))
      throw new BadRequestException(`unknown parameter "${name}"; the search takes ${PARAMETERS.join(', ')}`);
  }
  const text = (name: (typeof PARAMETERS)[number]): string | undefined => {
    const value = raw[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.length === 0 || value.length > 256)
      throw new BadRequestException(`parameter ${name}: expected one value of 1-256 characters`);
    return value;
  };
  const instant = (name: 'from' | 'to'): string | undefined => {
    const value = text(name);
    if (value === undefined) return undefined;
    const time = Date.parse(value);
    if (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) || Number.isNaN(time))
      throw new BadRequestException(`parameter ${name}: expected an ISO 8601 date or instant, got "${value}"`);
    return new Date(time).toISOString();
  };
  const integer = (name: 'limit' | 'after', min: number, max: number): number | undefined => {
    const value = text(name);
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!/^[0-9]+$/.test(value) || n < min || n > max)
      throw new BadRequestException(`parameter ${name}: expected an integer from ${min} to ${max}, got "${value}"`);
    return n;
  };
  const eventType = text('eventType');
  if (eventType !== undefined && !/^[A-Za-z0-9.-]{1,16}$/.test(eventType))
    throw new BadRequestException(`parameter eventType: expected an EventID code such as 110112, got "${eventType}"`);
  const outcomeText = text('outcome');
  if (outcomeText !== undefined && !['0', '4', '8', '12'].includes(outcomeText))
    throw new BadRequestException(`parameter outcome: expected 0, 4, 8 or 12, got "${outcomeText}"`);
  const patientId = text('patientId');
  const studyUid = text('studyUid');
  const user = text('user');
  const from = instant('from');
  const to = instant('to');
  const limit = integer('limit', 1, MAX_LIMIT) ?? DEFAULT_LIMIT;
  const after = integer('after', 0, Number.MAX_SAFE_INTEGER);
  return {
    query: {
      ...(patientId !== undefined ? { patientId } : {}),
      ...(studyUid !== undefined ? { studyUid } : {}),
      ...(user !== undefined ? { user } : {}),
      ...(eventType !== undefined ? { eventCode: eventType } : {}),
      ...(outcomeText !== undefined ? { outcome: Number(outcomeText) as 0 | 4 | 8 | 12 } : {}),
      ...(from !== undefined ? { from } : {}),
      ...(to !== undefined ? { to } : {}),
    },
    page: { limit, ...(after !== undefined ? { afterSeq: after } : {}) },
  };
}
