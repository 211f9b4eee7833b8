import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import type { AuditEvent } from '@pacs/contracts';
import {
  APPLICATION_ACTIVITY,
  APPLICATION_LAUNCHER_ROLE,
  APPLICATION_ROLE,
  APPLICATION_START,
  APPLICATION_STOP,
} from './system-codes';

/** One start or stop of a service process. */
export interface ApplicationActivity {
  readonly tenantId: string;
  /** The service: `pacs`, `gateway`, `audit`, ... */
  readonly service: string;
  readonly activity: 'start' | 'stop';
  /** Set when the stop was not orderly (a failed shutdown). */
  readonly failure?: string;
  /** The operating system user that runs the process (defaults to the current one). */
  readonly launcher?: string;
}

/**
 * The audit record of an application start or stop (PS3.15 A.5.3.1, EventID 110100 "Application
 * Activity", EventTypeCode 110120 / 110121, action E): the application (RoleIDCode 110150, with its
 * process id) and the user who launched it (110151).
 */
export function applicationActivityEvent(activity: ApplicationActivity, now: Date): AuditEvent {
  const launcher = activity.launcher ?? currentUser();
  return {
    eventId: randomUUID(),
    tenantId: activity.tenantId,
    occurredAt: now.toISOString(),
    correlationId: `app-${activity.service}-${process.pid}`,
    causationId: null,
    event: APPLICATION_ACTIVITY,
    eventTypes: [activity.activity === 'start' ? APPLICATION_START : APPLICATION_STOP],
    action: 'E',
    outcome: activity.failure ? 4 : 0,
    ...(activity.failure ? { outcomeDescription: activity.failure } : {}),
    source: activity.service,
    participants: [
      {
        userId: `pacs-${activity.service}`,
        userName: `pid ${process.pid}`,
        isRequestor: false,
        roles: [APPLICATION_ROLE],
      },
      { userId: launcher, isRequestor: true, roles: [APPLICATION_LAUNCHER_ROLE] },
    ],
    objects: [],
  };
}

function currentUser(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}
