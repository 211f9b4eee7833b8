import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Role } from '@pacs/config';
import type { Principal } from './principal';

/** Who may call a route: anybody, unauthenticated (health, metrics), or any of some roles. */
export type AccessRule = { readonly kind: 'public' } | { readonly kind: 'roles'; readonly roles: readonly Role[] };

const ACCESS_RULE = 'pacs:access-rule';

/**
 * The roles that may call the routes of a controller or one handler (the handler's rule wins):
 * any one of them suffices, on the tenant of the request (`/tenants/{tenant}/...`, or the default
 * tenant's routes).
 */
export function Access(...roles: [Role, ...Role[]]): ClassDecorator & MethodDecorator {
  if (roles.length === 0) throw new Error('@Access() needs at least one role');
  return SetMetadata<string, AccessRule>(ACCESS_RULE, { kind: 'roles', roles: [...new Set(roles)] });
}

/** A route anybody may call without credentials: health probes and metrics only. */
export function PublicRoute(): ClassDecorator & MethodDecorator {
  return SetMetadata<string, AccessRule>(ACCESS_RULE, { kind: 'public' });
}

/** The access rule of a route: its handler's, else its controller's; undefined when undeclared. */
export function accessRuleOf(handler: object, controllerClass: object): AccessRule | undefined {
  return (
    (Reflect.getMetadata(ACCESS_RULE, handler) as AccessRule | undefined) ??
    (Reflect.getMetadata(ACCESS_RULE, controllerClass) as AccessRule | undefined)
  );
}

interface WithPrincipal {
  principal?: Principal;
}

/** The principal AccessGuard let in; undefined on a public route. */
export function principalOf(request: object): Principal | undefined {
  return (request as WithPrincipal).principal;
}

/** Records the principal on the request, for principalOf. */
export function setPrincipal(request: object, principal: Principal): void {
  (request as WithPrincipal).principal = principal;
}

/** The handler parameter of the request's principal (undefined on a public route). */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext) =>
  principalOf(context.switchToHttp().getRequest<object>()),
);
