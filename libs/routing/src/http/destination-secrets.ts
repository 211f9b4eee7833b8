import type { JsonObject } from '@pacs/routing-store';
import { formatPath } from '../problems';

/** What the API shows instead of a header value, and what a PUT sends back to keep the stored one. */
export const REDACTED = '***';

type Json = Readonly<Record<string, unknown>>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The destination as the API shows it: every header value of a DICOMweb destination replaced by
 * `***` (they are mostly credentials: Authorization, API keys), whatever the destination's kind
 * or validity, so that a secret never leaves through the API.
 */
export function redactDestination<T extends Json>(destination: T): T {
  const headers = destination['headers'];
  if (!isObject(headers)) return destination;
  return { ...destination, headers: Object.fromEntries(Object.keys(headers).map((name) => [name, REDACTED])) };
}

/**
 * The body of a PUT with each header value `***` replaced by the value the stored destination has
 * for that header (names compare ignoring case, as HTTP's do), so that a destination read, edited
 * and put back keeps its secrets. A `***` for a header the stored destination does not have is a
 * problem, named by its path: the value is unknown.
 */
export function restoreSecrets(
  body: Json,
  stored: JsonObject | undefined,
): { readonly value: Json; readonly problems: string[] } {
  const headers = body['headers'];
  if (!isObject(headers) || !Object.values(headers).includes(REDACTED)) return { value: body, problems: [] };
  const storedHeaders = isObject(stored?.['headers']) ? (stored['headers'] as Json) : {};
  const byLowerName = new Map(Object.entries(storedHeaders).map(([name, value]) => [name.toLowerCase(), value]));
  const problems: string[] = [];
  const restored: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== REDACTED) {
      restored[name] = value;
      continue;
    }
    const kept = byLowerName.get(name.toLowerCase());
    if (typeof kept === 'string') restored[name] = kept;
    else {
      problems.push(
        `${formatPath(['destination', 'headers', name])}: "${REDACTED}" keeps the stored value, but the stored destination has no such header: send the value`,
      );
    }
  }
  return { value: { ...body, headers: restored }, problems };
}
