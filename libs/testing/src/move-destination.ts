import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTool } from '@pacs/dimse/testing';
import { freePort } from './app-process';

/** A tenant of the tenants file (PACS_TENANTS_FILE), as the specs write it. */
export interface TenantEntry {
  readonly id: string;
  readonly aeTitles: readonly string[];
  readonly [setting: string]: unknown;
}

/** DCMTK's storescp as a Move Destination, and the tenants file that names it. */
export interface MoveDestinationPeer {
  /** The storescp process (kill it after the tests). */
  readonly storescp: ReturnType<typeof startTool>;
  /** Where storescp writes what it receives. */
  readonly storeDir: string;
  readonly port: number;
  /** PACS_TENANTS_FILE: tenant `radiology` (AE title RAD_PACS) with STORESCP as its Move Destination, then `others`. */
  readonly tenantsFile: string;
}

/**
 * Starts storescp (AE title STORESCP, on a free port, writing into `<work>/storescp`) and writes
 * `<work>/tenants.json` with the tenant `radiology` (RAD_PACS) that may move studies to it, followed
 * by `others`. `storescpOptions` come before storescp's own (e.g. `+B`, `+xa`).
 */
export async function startMoveDestination(
  work: string,
  options: { storescpOptions?: readonly string[]; others?: readonly TenantEntry[] } = {},
): Promise<MoveDestinationPeer> {
  const storeDir = join(work, 'storescp');
  mkdirSync(storeDir);
  const port = await freePort();
  const storescp = startTool('storescp', [
    ...(options.storescpOptions ?? []),
    '-od',
    storeDir,
    '-aet',
    'STORESCP',
    String(port),
  ]);
  const tenantsFile = join(work, 'tenants.json');
  writeFileSync(
    tenantsFile,
    JSON.stringify({
      tenants: [
        {
          id: 'radiology',
          aeTitles: ['RAD_PACS'],
          moveDestinations: [{ aeTitle: 'STORESCP', host: '127.0.0.1', port }],
        },
        ...(options.others ?? []),
      ],
    }),
  );
  return { storescp, storeDir, port, tenantsFile };
}
