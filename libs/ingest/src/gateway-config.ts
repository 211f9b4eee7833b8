import { loadDicomConfig, type DicomConfig, type Env } from '@pacs/config';
import { loadTenantRegistry, type TenantRegistry } from './tenants/tenant-registry';

/** The gateway's settings beyond the platform's, validated at boot with them. */
export interface GatewayConfig {
  readonly dicom: DicomConfig;
  readonly tenants: TenantRegistry;
}

/** Reads the DIMSE/ingest variables and the tenants file; a ConfigError names what is wrong. */
export function loadGatewayConfig(env: Env): GatewayConfig {
  const dicom = loadDicomConfig(env);
  return { dicom, tenants: loadTenantRegistry(dicom) };
}
