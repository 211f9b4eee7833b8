const LOOPBACK_HOST = /^(localhost|127(\.[0-9]{1,3}){3}|::1|\[::1\])$/;

/** Whether a host name or address is this machine's loopback (`localhost`, 127.x.x.x, ::1). */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOST.test(host);
}

/**
 * Whether a URL may be trusted for what it serves (an identity provider's signing keys): https,
 * or plain http on loopback only, where nothing on the way could replace the answer.
 */
export function isSecureOrLoopbackUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname));
  } catch {
    return false;
  }
}
