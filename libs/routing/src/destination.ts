import { z } from 'zod';
import { idsOf, intInRange, nameSchema, reportDuplicateIds, slugSchema } from './common-fields';
import { describeValue, formatPath, zodProblems, type PathSegment } from './problems';
import { RoutingConfigError, type ParseResult } from './routing-config.error';

/** Fields every destination has. */
interface DestinationBase {
  /** Unique within the tenant: rules and jobs refer to the destination by it. */
  readonly id: string;
  readonly name?: string;
  /** Sends to this destination at once, at most (1 to 64, default 4). */
  readonly maxConcurrency: number;
}

/** A DICOM peer reached by C-STORE (PS3.4 B, PS3.7 9.1.1). */
export interface DimseDestination extends DestinationBase {
  readonly kind: 'dimse';
  /** The peer's AE title, the Called AE Title of the association; trimmed. */
  readonly aeTitle: string;
  readonly host: string;
  readonly port: number;
  /** TLS on the association (PS3.15 B.1); false when not given. */
  readonly tls: boolean;
  /** The Calling AE Title to present; absent: the archive's own AE title. */
  readonly callingAeTitle?: string;
}

/** A DICOMweb peer reached by STOW-RS (PS3.18 10.5). */
export interface DicomWebDestination extends DestinationBase {
  readonly kind: 'dicomweb';
  /** The URL the instances are POSTed to, e.g. `http://orthanc:8042/dicom-web/studies`. */
  readonly stowUrl: string;
  /** Extra request headers, e.g. Authorization; {} when not given. */
  readonly headers: Readonly<Record<string, string>>;
}

/** Where a rule's instances go. */
export type Destination = DimseDestination | DicomWebDestination;

/** The two kinds of destination. */
export type DestinationKind = Destination['kind'];

const DEFAULT_MAX_CONCURRENCY = 4;

/**
 * Why a string is no AE title, or undefined: 1 to 16 characters of the default repertoire without
 * backslash nor control characters, leading and trailing spaces not significant and not all
 * spaces (PS3.5 6.2, VR AE).
 */
export function aeTitleProblem(value: string): string | undefined {
  if (value.length > 16) return `an AE title has at most 16 characters (PS3.5 6.2)`;
  if (value.trim() === '') return 'an AE title must not be empty nor all spaces (PS3.5 6.2)';
  if (/[^\x20-\x5b\x5d-\x7e]/.test(value)) {
    return 'an AE title holds ASCII characters without backslash nor control characters (PS3.5 6.2)';
  }
  return undefined;
}

const aeTitleSchema = z
  .string({ error: 'expected an AE title (a string of 1 to 16 characters)' })
  .superRefine((value, ctx) => {
    const problem = aeTitleProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: `${problem} (got ${describeValue(value)})` });
  })
  .transform((value) => value.trim());

const HOST_LABEL = '[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?';
// Underscores are not in RFC 1123 names but are in container and service names that resolve.
const HOST_NAME = new RegExp(`^${HOST_LABEL}(?:\\.${HOST_LABEL})*\\.?$`);
const ipv6Schema = z.ipv6();

const HOST_MESSAGE = 'expected a host name or an IPv4 or IPv6 address';
const hostSchema = z.string({ error: HOST_MESSAGE }).superRefine((host, ctx) => {
  const valid = host.length <= 253 && (HOST_NAME.test(host) || ipv6Schema.safeParse(host).success);
  if (!valid) ctx.addIssue({ code: 'custom', message: `${HOST_MESSAGE} (got ${describeValue(host)})` });
});

const stowUrlSchema = z.string({ error: 'expected an absolute http or https URL' }).superRefine((value, ctx) => {
  const problem = stowUrlProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

function stowUrlProblem(value: string): string | undefined {
  if (value.length > 2048) return `expected a URL of at most 2048 characters (got ${value.length})`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `expected an absolute http or https URL (got ${describeValue(value)})`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `expected an http or https URL (got scheme "${url.protocol.slice(0, -1)}")`;
  }
  // The URL is logged with every failed job; a secret in it would be too.
  if (url.username !== '' || url.password !== '') return 'credentials do not belong in the URL: put them in headers';
  return undefined;
}

// RFC 9110 5.6.2: a field name is a token.
const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// RFC 9110 5.5: visible characters, spaces and tabs (and obs-text), no CR, LF or NUL.
const HTTP_FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
// The STOW-RS sender and the HTTP client write these; a configured one would break the request.
const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'content-length',
  'content-type',
  'expect',
  'host',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

// Header values are never echoed in messages: they are often secrets.
const headersSchema = z
  .record(z.string(), z.unknown(), { error: 'expected an object of header names to string values' })
  .superRefine((headers, ctx) => {
    const seen = new Map<string, string>();
    for (const [name, value] of Object.entries(headers)) {
      const lower = name.toLowerCase();
      if (!HTTP_TOKEN.test(name)) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'a header name is an HTTP token (RFC 9110 5.6.2)' });
      } else if (RESERVED_HEADERS.has(lower)) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'this header is set by the STOW-RS sender' });
      } else if (seen.has(lower)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `same header as "${seen.get(lower)}" (names ignore case)`,
        });
      }
      seen.set(lower, name);
      if (typeof value !== 'string') {
        ctx.addIssue({ code: 'custom', path: [name], message: 'expected a string value' });
      } else if (!HTTP_FIELD_VALUE.test(value)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: 'a header value holds no line breaks nor control characters (RFC 9110 5.5)',
        });
      }
    }
  })
  .transform((headers) => headers as Record<string, string>);

const maxConcurrencySchema = intInRange(1, 64).default(DEFAULT_MAX_CONCURRENCY);

const dimseDestinationSchema = z.strictObject({
  id: slugSchema,
  name: nameSchema.optional(),
  kind: z.literal('dimse'),
  aeTitle: aeTitleSchema,
  host: hostSchema,
  port: intInRange(1, 65535),
  tls: z.boolean({ error: 'expected true or false' }).default(false),
  callingAeTitle: aeTitleSchema.optional(),
  maxConcurrency: maxConcurrencySchema,
});

const dicomWebDestinationSchema = z.strictObject({
  id: slugSchema,
  name: nameSchema.optional(),
  kind: z.literal('dicomweb'),
  stowUrl: stowUrlSchema,
  headers: headersSchema.default({}),
  maxConcurrency: maxConcurrencySchema,
});

/** The schema of one destination (either kind); parseDestinations adds the checks across the list. */
export const destinationSchema: z.ZodType<Destination, unknown> = z.discriminatedUnion(
  'kind',
  [dimseDestinationSchema, dicomWebDestinationSchema],
  {
    error: (issue) =>
      issue.code === 'invalid_union' ? 'expected kind "dimse" or "dicomweb"' : 'expected a destination object',
  },
);

const destinationListSchema = z.array(destinationSchema, { error: 'expected an array of destinations' });

/** The destinations read from a list, with the problems found at `root` (internal to the lib). */
export function readDestinations(
  input: unknown,
  root: readonly PathSegment[],
): { readonly destinations: Destination[] | undefined; readonly problems: string[] } {
  const problems: string[] = [];
  const result = destinationListSchema.safeParse(input);
  if (!result.success) problems.push(...zodProblems(result.error, input, root));
  reportDuplicateIds(
    input,
    (path, message) => problems.push(`${formatPath([...root, ...path])}: ${message}`),
    (index) => formatPath([...root, index, 'id']),
  );
  return { destinations: problems.length === 0 ? result.data : undefined, problems };
}

/** The destination ids that can be read from a raw list, valid or not (internal to the lib). */
export function destinationIdsOf(input: unknown): Set<string> {
  return idsOf(input);
}

/**
 * Validates a tenant's list of destinations: each entry against `destinationSchema`, ids unique.
 * Every problem is named by its path, e.g. `destinations[1].port: expected an integer from 1 to
 * 65535 (got 70000)`.
 */
export function parseDestinations(input: unknown): ParseResult<Destination[]> {
  const { destinations, problems } = readDestinations(input, ['destinations']);
  return destinations ? { ok: true, value: destinations } : { ok: false, error: new RoutingConfigError(problems) };
}

/** Validates one destination (e.g. the body of a REST request); problems named from `destination`. */
export function parseDestination(input: unknown): ParseResult<Destination> {
  const result = destinationSchema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, error: new RoutingConfigError(zodProblems(result.error, input, ['destination'])) };
}
