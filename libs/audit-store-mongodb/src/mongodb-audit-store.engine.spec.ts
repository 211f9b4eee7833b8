import { MongoClient } from 'mongodb';
import { AuditStoreUnavailableError } from '@pacs/audit-store';
import { auditRecords, runAuditStoreContract } from '@pacs/audit-store/testing';
import { engineEnv, uniqueName } from '@pacs/testing';
import { MongoAuditStore, type MongoAuditStoreOptions } from './mongodb-audit-store.adapter';

// Against the MongoDB wire-compatible server of the engines (FerretDB in .ci/run). Every test has
// its own collections (a unique prefix) in one database, dropped at the end.
const database = uniqueName('pacs-audit').replace(/[^a-z0-9]/gi, '_');
let used = false;
afterAll(async () => {
  if (!used) return;
  const client = new MongoClient(engineEnv('PACS_MONGODB_URL'));
  try {
    await client.db(database).dropDatabase();
  } finally {
    await client.close();
  }
});

function newOptions(): MongoAuditStoreOptions {
  used = true;
  const collectionPrefix = `${uniqueName('a').replace(/[^a-z0-9]/gi, '_')}_`;
  return { url: engineEnv('PACS_MONGODB_URL'), database, collectionPrefix, serverSelectionTimeoutMs: 5_000 };
}

async function started(options: MongoAuditStoreOptions): Promise<MongoAuditStore> {
  const store = new MongoAuditStore(options);
  await store.start();
  return store;
}

runAuditStoreContract(
  'MongoDB (wire-compatible server)',
  async () => {
    const options = newOptions();
    return { store: await started(options), openAnother: () => started(options) };
  },
  { append: 'in-order' },
);

describe('MongoAuditStore', () => {
  it('answers a retriable AuditStoreUnavailableError when the server does not answer', async () => {
    const store = new MongoAuditStore({ url: 'mongodb://127.0.0.1:1/', database, serverSelectionTimeoutMs: 200 });
    await expect(store.start()).rejects.toBeInstanceOf(AuditStoreUnavailableError);
  });

  it('answers AuditStoreUnavailableError once the connection is gone', async () => {
    const store = await started(newOptions());
    await store.append(auditRecords('radiology', 1, 1));
    // The client closed under the store, as a lost server.
    await (store as unknown as { client: MongoClient }).client.close();
    await expect(store.head('radiology')).rejects.toBeInstanceOf(AuditStoreUnavailableError);
    await store.close();
  });

  it('returns a record edited in its collection as edited: the store hides no tampering', async () => {
    const options = newOptions();
    const store = await started(options);
    const client = new MongoClient(options.url);
    try {
      const chain = auditRecords('radiology', 1, 2);
      await store.append(chain);
      const records = client.db(database).collection(`${options.collectionPrefix}records`);
      const tampered = { ...chain[0]!, event: { ...chain[0]!.event, outcome: 12 as const } };
      expect(
        await records.updateOne({ tenantId: 'radiology', seq: 1 }, { $set: { event: JSON.stringify(tampered.event) } }),
      ).toMatchObject({ modifiedCount: 1 });
      expect(await store.get('radiology', 1)).toStrictEqual(tampered);
      expect(await store.range('radiology', 1, 10)).toStrictEqual([tampered, chain[1]]);
    } finally {
      await client.close();
      await store.close();
    }
  });

  it('leaves out of tenants() a tenant whose first record a failure kept from being inserted', async () => {
    const options = newOptions();
    const store = await started(options);
    const client = new MongoClient(options.url);
    try {
      await store.append(auditRecords('radiology', 1, 1));
      // As if an append had stopped between the tenant's insert and its records'.
      await client
        .db(database)
        .collection<{ _id: string }>(`${options.collectionPrefix}tenants`)
        .insertOne({ _id: 'cardiology' });
      expect(await store.tenants()).toEqual(['radiology']);
      await store.append(auditRecords('cardiology', 1, 1));
      expect(await store.tenants()).toEqual(['cardiology', 'radiology']);
    } finally {
      await client.close();
      await store.close();
    }
  });

  it('keeps one position per cursor after it moved', async () => {
    const options = newOptions();
    const store = await started(options);
    const client = new MongoClient(options.url);
    try {
      for (const seq of [1, 2, 5, 3, 9]) await store.setExportCursor('syslog:collector-1', 'radiology', seq);
      const positions = await client
        .db(database)
        .collection(`${options.collectionPrefix}cursors`)
        .find({}, { projection: { _id: 0 } })
        .toArray();
      expect(positions).toEqual([{ exporter: 'syslog:collector-1', tenantId: 'radiology', seq: 9 }]);
    } finally {
      await client.close();
      await store.close();
    }
  });
});
