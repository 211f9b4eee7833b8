/** Injection token of the router's settings (RouterConfig of @pacs/config). */
export const ROUTER_CONFIG = Symbol('ROUTER_CONFIG');
