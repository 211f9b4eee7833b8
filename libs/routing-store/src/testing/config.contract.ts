import type { JsonObject } from '../json-value';
import { contractContext, type OpenStore } from './contract-context';
import { at, expectStoreError, T0 } from './contract-fixtures';

const destinations: JsonObject[] = [
  { id: 'archive', kind: 'dimse', aeTitle: 'ARCHIVE', host: 'archive.local', port: 104, tls: false },
  { id: 'ai', kind: 'dicomweb', url: 'https://ai.local/dicomweb', headers: { Authorization: 'Bearer x' } },
];
const rules: JsonObject[] = [
  {
    id: 'ct-to-archive',
    priority: 10,
    enabled: true,
    when: { all: [{ attribute: 'Modality', equals: 'CT' }, { not: { attribute: 'StudyDescription', regex: '^$' } }] },
    destinations: ['archive'],
    modify: { set: { InstitutionName: 'General' }, remove: ['$weird.key'] },
    weights: [1, 2.5, -3, null, true],
  },
];

export function describeConfig(open: OpenStore): void {
  const context = contractContext(open);

  it('is revision 0 with empty lists before any save', async () => {
    expect(await context.store.getConfig('radiology')).toEqual({
      revision: 0,
      destinations: [],
      rules: [],
      updatedAt: null,
    });
    expect(await context.store.listTenantsWithConfig()).toEqual([]);
  });

  it('saves revisions one after the other, and reads back exactly what was saved', async () => {
    const { store } = context;
    const first = await store.saveConfig('radiology', { destinations, rules }, 0, '2024-05-01T12:00:00+02:00');
    expect(first).toEqual({ revision: 1, destinations, rules, updatedAt: T0 });
    expect(await store.getConfig('radiology')).toEqual(first);
    const second = await store.saveConfig('radiology', { destinations: destinations.slice(1), rules: [] }, 1, at(60));
    expect(second).toEqual({ revision: 2, destinations: destinations.slice(1), rules: [], updatedAt: at(60) });
    expect(await store.getConfig('radiology')).toEqual(second);
    // Another connection (another process) reads the same.
    expect(await (await context.another()).getConfig('radiology')).toEqual(second);
  });

  it('refuses a save on a revision that is not the latest with a CONFLICT, keeping the latest', async () => {
    const { store } = context;
    await store.saveConfig('radiology', { destinations, rules }, 0, T0);
    await expectStoreError(store.saveConfig('radiology', { destinations: [], rules: [] }, 0, at(1)), 'CONFLICT');
    await expectStoreError(store.saveConfig('radiology', { destinations: [], rules: [] }, 5, at(1)), 'CONFLICT');
    expect(await store.getConfig('radiology')).toEqual({ revision: 1, destinations, rules, updatedAt: T0 });
  });

  it('lets exactly one of concurrent saves on one revision win, from two connections', async () => {
    const stores = [context.store, await context.another()];
    for (const revision of [0, 1, 2]) {
      const saves = await Promise.allSettled(
        [0, 1, 2, 3].map((i) =>
          stores[i % 2]!.saveConfig('radiology', { destinations: [{ id: `d${i}` }], rules: [] }, revision, at(i)),
        ),
      );
      const won = saves.flatMap((save) => (save.status === 'fulfilled' ? [save.value] : []));
      expect(won).toHaveLength(1);
      for (const save of saves) {
        if (save.status === 'rejected') expect(save.reason).toMatchObject({ code: 'CONFLICT', retriable: false });
      }
      expect(won[0]!.revision).toBe(revision + 1);
      expect(await context.store.getConfig('radiology')).toEqual(won[0]);
    }
  });

  it("keeps each tenant's configuration apart, and lists the tenants that saved one", async () => {
    const { store } = context;
    await store.saveConfig('radiology', { destinations, rules }, 0, T0);
    expect((await store.getConfig('cardiology')).revision).toBe(0);
    await store.saveConfig('cardiology', { destinations: [], rules: [{ id: 'echo' }] }, 0, at(1));
    await store.saveConfig('cardiology', { destinations: [], rules: [{ id: 'echo-2' }] }, 1, at(2));
    expect(await store.getConfig('radiology')).toEqual({ revision: 1, destinations, rules, updatedAt: T0 });
    expect((await store.getConfig('cardiology')).rules).toEqual([{ id: 'echo-2' }]);
    expect(await store.listTenantsWithConfig()).toEqual(['cardiology', 'radiology']);
  });
}
