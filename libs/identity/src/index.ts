export { ROLES, type Role, type IdentityConfig, type ApiKeyGrant } from '@pacs/config';
export * from './principal';
export * from './authenticator';
export { Access, PublicRoute, accessRuleOf, principalOf, CurrentPrincipal, type AccessRule } from './access.decorators';
export * from './recent-logins';
export * from './identity.tokens';
export * from './access.guard';
export * from './identity-providers';
