import type { Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { IdentityConfig } from '@pacs/config';
import { AccessGuard } from './access.guard';
import { IDENTITY_CONFIG, IDENTITY_SERVICE } from './identity.tokens';

/**
 * What the platform module provides for access control: the IdentityConfig, the service name its
 * audit records name as their source, and AccessGuard on every route (APP_GUARD). The guard needs
 * AuditTrail and LOGGER from the same module.
 */
export function identityProviders(config: IdentityConfig, service: string): Provider[] {
  return [
    { provide: IDENTITY_CONFIG, useValue: config },
    { provide: IDENTITY_SERVICE, useValue: service },
    { provide: APP_GUARD, useClass: AccessGuard },
  ];
}
