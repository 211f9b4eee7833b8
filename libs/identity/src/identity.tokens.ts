/** The app's IdentityConfig (who may call the HTTP routes). */
export const IDENTITY_CONFIG = Symbol('IDENTITY_CONFIG');
/** The service name that authenticates: the source of its security audit records. */
export const IDENTITY_SERVICE = Symbol('IDENTITY_SERVICE');
