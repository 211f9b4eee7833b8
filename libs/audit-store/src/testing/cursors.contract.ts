import { auditContractContext, type OpenAuditStore } from './contract-context';
import { auditRecords } from './contract-fixtures';

export function describeTenantsAndCursors(open: OpenAuditStore): void {
  const context = auditContractContext(open);

  it('answers healthy while started, and not once closed', async () => {
    const { store } = context;
    expect(await store.isHealthy()).toBe(true);
    const other = await context.another();
    await other.close();
    expect(await other.isHealthy()).toBe(false);
  });

  it('lists the tenants that have records, sorted', async () => {
    const { store } = context;
    expect(await store.tenants()).toEqual([]);
    await store.append(auditRecords('radiology', 1, 2));
    await store.append(auditRecords('cardiology', 1, 1));
    await store.append(auditRecords('Zeta', 1, 1));
    await store.append(auditRecords('radiology', 3, 1));
    // A failed first append leaves no tenant behind.
    await expect(store.append(auditRecords('dermatology', 2, 1))).rejects.toThrow();
    // Nor does a cursor.
    await store.setExportCursor('syslog:collector-1', 'oncology', 1);
    expect(await store.tenants()).toEqual(['Zeta', 'cardiology', 'radiology']);
  });

  it('starts an export cursor at 0 and moves it forward only', async () => {
    const { store } = context;
    expect(await store.exportCursor('syslog:collector-1', 'radiology')).toBe(0);
    await store.setExportCursor('syslog:collector-1', 'radiology', 5);
    expect(await store.exportCursor('syslog:collector-1', 'radiology')).toBe(5);
    await store.setExportCursor('syslog:collector-1', 'radiology', 3);
    expect(await store.exportCursor('syslog:collector-1', 'radiology')).toBe(5);
    await store.setExportCursor('syslog:collector-1', 'radiology', 5);
    expect(await store.exportCursor('syslog:collector-1', 'radiology')).toBe(5);
    await store.setExportCursor('syslog:collector-1', 'radiology', 12);
    expect(await store.exportCursor('syslog:collector-1', 'radiology')).toBe(12);
  });

  it('keeps a cursor per exporter and per tenant', async () => {
    const { store } = context;
    await store.setExportCursor('syslog:collector-1', 'radiology', 7);
    await store.setExportCursor('syslog:collector-2', 'radiology', 2);
    await store.setExportCursor('syslog:collector-1', 'cardiology', 4);
    expect(await store.exportCursor('syslog:collector-1', 'radiology')).toBe(7);
    expect(await store.exportCursor('syslog:collector-2', 'radiology')).toBe(2);
    expect(await store.exportCursor('syslog:collector-1', 'cardiology')).toBe(4);
    expect(await store.exportCursor('syslog:collector-2', 'cardiology')).toBe(0);
    expect(await store.exportCursor('syslog:collector-3', 'radiology')).toBe(0);
    expect(await store.tenants()).toEqual([]);
  });

  it('never moves a cursor backward when two stores set it at once', async () => {
    const stores = [context.store, await context.another()];
    // Each store sets every seq of 1..40, in an order of its own.
    const seqs = Array.from({ length: 40 }, (_, i) => i + 1);
    const orders = [seqs, [...seqs].reverse()];
    await Promise.all(
      stores.map(async (store, i) => {
        for (const seq of orders[i]!) {
          await store.setExportCursor('syslog:collector-1', 'radiology', seq);
          expect(await store.exportCursor('syslog:collector-1', 'radiology')).toBeGreaterThanOrEqual(seq);
        }
      }),
    );
    for (const store of stores) expect(await store.exportCursor('syslog:collector-1', 'radiology')).toBe(40);
  });
}
