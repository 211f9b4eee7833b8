import { ConfigError } from '@pacs/config';
import { moveDestinationOf } from './tenant';
import { loadTenantRegistry } from './tenant-registry';

const defaults = { aeTitle: 'PACS', defaultTenantId: 'default', defaultDuplicatePolicy: 'new-version' as const };
const fromFile = (content: string) =>
  loadTenantRegistry({ ...defaults, tenantsFile: '/etc/pacs/tenants.json' }, () => content);
const problemsOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.variable}: ${p.message}`);
  }
  throw new Error('expected a ConfigError');
};

describe('tenant registry', () => {
  it('has the default tenant owning PACS_AE_TITLE when no file is given', () => {
    const registry = loadTenantRegistry(defaults);
    expect(registry.byCalledAeTitle('PACS')?.id).toBe('default');
    expect(registry.byCalledAeTitle('PACS            ')?.id).toBe('default');
    expect(registry.byCalledAeTitle('OTHER')).toBeUndefined();
  });

  it('maps each called AE title of the file to its tenant, beside the default tenant', () => {
    const registry = fromFile(
      JSON.stringify({
        tenants: [
          { id: 'radiology', aeTitles: ['RAD_PACS', 'RAD2'], allowedCallingAeTitles: ['CT1'] },
          { id: 'cardiology', aeTitles: ['CARD_PACS'], duplicatePolicy: 'reject' },
        ],
      }),
    );
    expect(registry.byCalledAeTitle('RAD2')?.id).toBe('radiology');
    expect(registry.byCalledAeTitle('CARD_PACS')).toMatchObject({ id: 'cardiology', duplicatePolicy: 'reject' });
    expect(registry.get('radiology')).toMatchObject({
      duplicatePolicy: 'new-version',
      allowedCallingAeTitles: ['CT1'],
    });
    expect(registry.get('default')?.aeTitles).toEqual(['PACS']);
    expect(registry.all()).toHaveLength(3);
  });

  it('refuses a bad file, naming the variable and the field', () => {
    expect(problemsOf(() => fromFile('{ not json'))[0]).toMatch(
      /^PACS_TENANTS_FILE: cannot read \/etc\/pacs\/tenants.json/,
    );
    expect(problemsOf(() => fromFile(JSON.stringify({ tenants: [{ id: 'Radiology!', aeTitles: ['A'] }] })))[0]).toMatch(
      /^PACS_TENANTS_FILE: \/etc\/pacs\/tenants.json: tenants.0.id: a tenant id is/,
    );
    expect(
      problemsOf(() => fromFile(JSON.stringify({ tenants: [{ id: 'rad', aeTitles: ['MUCH_TOO_LONG_AE_TITLE'] }] })))[0],
    ).toMatch(/tenants.0.aeTitles.0: an AE title has at most 16 characters/);
    expect(
      problemsOf(() =>
        fromFile(JSON.stringify({ tenants: [{ id: 'rad', aeTitles: ['A'], duplicatePolicy: 'keep' }] })),
      )[0],
    ).toMatch(/tenants.0.duplicatePolicy/);
    expect(
      problemsOf(() =>
        fromFile(
          JSON.stringify({
            tenants: [
              { id: 'a', aeTitles: ['SAME'] },
              { id: 'b', aeTitles: ['SAME'] },
            ],
          }),
        ),
      ),
    ).toEqual(['PACS_TENANTS_FILE: AE title "SAME" belongs to both tenant "a" and tenant "b"']);
    expect(problemsOf(() => fromFile(JSON.stringify({ tenants: [{ id: 'a', aeTitles: ['PACS'] }] })))).toEqual([
      'PACS_TENANTS_FILE: AE title "PACS" belongs to both tenant "a" and tenant "default"',
    ]);
  });

  it('reads the C-MOVE destinations of a tenant, TLS off by default', () => {
    const registry = fromFile(
      JSON.stringify({
        tenants: [
          {
            id: 'radiology',
            aeTitles: ['RAD_PACS'],
            moveDestinations: [
              { aeTitle: 'VIEWER', host: '10.0.0.7', port: 104 },
              { aeTitle: 'ARCHIVE', host: 'archive.example.org', port: 2762, tls: true },
            ],
          },
        ],
      }),
    );
    const radiology = registry.get('radiology')!;
    expect(moveDestinationOf(radiology, 'VIEWER')).toEqual({
      aeTitle: 'VIEWER',
      host: '10.0.0.7',
      port: 104,
      tls: false,
    });
    expect(moveDestinationOf(radiology, 'ARCHIVE   ')).toMatchObject({ host: 'archive.example.org', tls: true });
    expect(moveDestinationOf(radiology, 'viewer')).toBeUndefined();
    expect(moveDestinationOf(registry.get('default')!, 'VIEWER')).toBeUndefined();
  });

  it('refuses a bad move destination, naming the tenant, the destination and the field', () => {
    const withDestinations = (moveDestinations: unknown[]) =>
      fromFile(JSON.stringify({ tenants: [{ id: 'rad', aeTitles: ['RAD'], moveDestinations }] }));
    expect(problemsOf(() => withDestinations([{ aeTitle: 'V', host: 'h', port: 0 }]))).toEqual([
      'PACS_TENANTS_FILE: /etc/pacs/tenants.json: tenants.0.moveDestinations.0.port: a port is 1-65535',
    ]);
    expect(problemsOf(() => withDestinations([{ aeTitle: 'V', host: 'not a host!', port: 104 }]))).toEqual([
      'PACS_TENANTS_FILE: /etc/pacs/tenants.json: tenants.0.moveDestinations.0.host: expected a host name or an IP address',
    ]);
    expect(problemsOf(() => withDestinations([{ aeTitle: 'V', host: 'h', port: 104, tsl: true }]))[0]).toMatch(
      /^PACS_TENANTS_FILE: \/etc\/pacs\/tenants.json: tenants.0.moveDestinations.0: .*tsl/,
    );
    expect(problemsOf(() => withDestinations([{ host: 'h', port: 104 }]))[0]).toMatch(
      /tenants.0.moveDestinations.0.aeTitle: /,
    );
    expect(
      problemsOf(() =>
        withDestinations([
          { aeTitle: 'V', host: 'h', port: 104 },
          { aeTitle: 'V', host: 'other', port: 105 },
        ]),
      ),
    ).toEqual([
      'PACS_TENANTS_FILE: /etc/pacs/tenants.json: tenants.0.moveDestinations.1.aeTitle: move destination "V" is listed twice',
    ]);
  });
});
