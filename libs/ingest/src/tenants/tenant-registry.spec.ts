import { ConfigError } from '@pacs/config';
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
});
