import { isValidUid } from '@pacs/dicom';
import type { TenantRegistry } from '@pacs/ingest';
import type { FastifyRequest } from 'fastify';
import { WadoProblem } from './wado-problem';

/** The resource a WADO-RS request names: a study, a series of it, or an instance of that series. */
export interface WadoTarget {
  readonly tenantId: string;
  /** `<scheme>://<host>[/tenants/{t}]/dicomweb`: what URLs in the answer start with. */
  readonly baseUrl: string;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid?: string;
  readonly sopInstanceUid?: string;
}

/** The UIDs in a WADO-RS path, as the router hands them over. */
export interface WadoPathParams {
  readonly tenant?: string;
  readonly study: string;
  readonly series?: string;
  readonly instance?: string;
}

function checkUid(value: string, keyword: string): string {
  if (isValidUid(value)) return value;
  throw new WadoProblem(400, `"${value}" in the URL is not a valid ${keyword} (PS3.5 9.1)`);
}

/** The tenant of a URL: `/tenants/{t}/...`, else the default one; an unknown tenant is a 404. */
export function resolveTenant(tenants: TenantRegistry, tenant: string | undefined): string {
  const tenantId = tenant ?? tenants.defaultTenantId;
  if (!tenants.get(tenantId)) throw new WadoProblem(404, `no tenant "${tenantId}"`);
  return tenantId;
}

/** The origin and prefix of the request's service: `/dicomweb` (default tenant) or `/tenants/{t}/dicomweb`. */
export function serviceBaseUrl(req: FastifyRequest, tenant: string | undefined, service = 'dicomweb'): string {
  const prefix = tenant === undefined ? '' : `/tenants/${encodeURIComponent(tenant)}`;
  return `${req.protocol}://${req.headers.host ?? 'localhost'}${prefix}/${service}`;
}

/** Checks the tenant (404) and each UID of the path (400), and says where answers point. */
export function resolveTarget(req: FastifyRequest, tenants: TenantRegistry, params: WadoPathParams): WadoTarget {
  const tenantId = resolveTenant(tenants, params.tenant);
  return {
    tenantId,
    baseUrl: serviceBaseUrl(req, params.tenant),
    studyInstanceUid: checkUid(params.study, 'StudyInstanceUID'),
    ...(params.series !== undefined ? { seriesInstanceUid: checkUid(params.series, 'SeriesInstanceUID') } : {}),
    ...(params.instance !== undefined ? { sopInstanceUid: checkUid(params.instance, 'SOPInstanceUID') } : {}),
  };
}

/** The Retrieve URL of an instance (PS3.18 10.4.1.1.2). */
export function instanceUrl(
  baseUrl: string,
  instance: { readonly studyInstanceUid: string; readonly seriesInstanceUid: string; readonly sopInstanceUid: string },
): string {
  return `${baseUrl}/studies/${instance.studyInstanceUid}/series/${instance.seriesInstanceUid}/instances/${instance.sopInstanceUid}`;
}

/** What the target names, for the detail of a 404. */
export function describeTarget(target: WadoTarget): string {
  if (target.sopInstanceUid !== undefined) {
    return `instance ${target.sopInstanceUid} of series ${target.seriesInstanceUid} of study ${target.studyInstanceUid}`;
  }
  if (target.seriesInstanceUid !== undefined) {
    return `series ${target.seriesInstanceUid} of study ${target.studyInstanceUid}`;
  }
  return `study ${target.studyInstanceUid}`;
}
