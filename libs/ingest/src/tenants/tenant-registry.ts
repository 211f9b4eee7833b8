import { readFileSync } from 'node:fs';
import { ConfigError } from '@pacs/config';
import { tenantsFileSchema, type DuplicatePolicy, type Tenant } from './tenant';

/** The tenants of this PACS, found by id (URLs) or by called AE title (DIMSE). */
export class TenantRegistry {
  private readonly byId = new Map<string, Tenant>();
  private readonly byAeTitle = new Map<string, Tenant>();

  constructor(
    tenants: readonly Tenant[],
    /** The tenant of `/dicomweb` and of the PACS_AE_TITLE. */
    readonly defaultTenantId: string,
  ) {
    for (const tenant of tenants) {
      if (this.byId.has(tenant.id)) throw new Error(`tenant "${tenant.id}" is defined twice`);
      this.byId.set(tenant.id, tenant);
      for (const ae of tenant.aeTitles) {
        const owner = this.byAeTitle.get(ae);
        if (owner) throw new Error(`AE title "${ae}" belongs to both tenant "${owner.id}" and tenant "${tenant.id}"`);
        this.byAeTitle.set(ae, tenant);
      }
    }
    if (!this.byId.has(defaultTenantId)) throw new Error(`the default tenant "${defaultTenantId}" is not defined`);
  }

  /** The tenant with this id, or undefined (answered 404, never 403). */
  get(id: string): Tenant | undefined {
    return this.byId.get(id);
  }

  /** The tenant that owns a called AE title (trailing spaces ignored, PS3.8 9.3.2 pads to 16). */
  byCalledAeTitle(aeTitle: string): Tenant | undefined {
    return this.byAeTitle.get(aeTitle.trim());
  }

  /** Every tenant. */
  all(): readonly Tenant[] {
    return [...this.byId.values()];
  }
}

export interface TenantSettings {
  /** PACS_AE_TITLE: the default tenant's AE title. */
  readonly aeTitle: string;
  /** PACS_DEFAULT_TENANT (default `default`). */
  readonly defaultTenantId: string;
  /** PACS_DUPLICATE_POLICY of the default tenant (default `new-version`). */
  readonly defaultDuplicatePolicy: DuplicatePolicy;
  /** PACS_TENANTS_FILE: a JSON file `{ "tenants": [...] }` (see docs/conformance.md). */
  readonly tenantsFile?: string;
}

/**
 * Builds the registry: the tenants of PACS_TENANTS_FILE, plus the default tenant owning
 * PACS_AE_TITLE when the file does not define it. A file that does not validate is refused at
 * boot, naming the variable and the field.
 */
export function loadTenantRegistry(
  settings: TenantSettings,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): TenantRegistry {
  let tenants: Tenant[] = [];
  if (settings.tenantsFile) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFile(settings.tenantsFile));
    } catch (error) {
      throw new ConfigError([
        { variable: 'PACS_TENANTS_FILE', message: `cannot read ${settings.tenantsFile}: ${(error as Error).message}` },
      ]);
    }
    const parsed = tenantsFileSchema.safeParse(raw);
    if (!parsed.success) {
      throw new ConfigError(
        parsed.error.issues.map((issue) => ({
          variable: 'PACS_TENANTS_FILE',
          message: `${settings.tenantsFile}: ${issue.path.join('.') || '(file)'}: ${issue.message}`,
        })),
      );
    }
    tenants = parsed.data.tenants;
  }
  if (!tenants.some((t) => t.id === settings.defaultTenantId)) {
    tenants.push({
      id: settings.defaultTenantId,
      aeTitles: [settings.aeTitle],
      duplicatePolicy: settings.defaultDuplicatePolicy,
    });
  }
  try {
    return new TenantRegistry(tenants, settings.defaultTenantId);
  } catch (error) {
    throw new ConfigError([{ variable: 'PACS_TENANTS_FILE', message: (error as Error).message }]);
  }
}
