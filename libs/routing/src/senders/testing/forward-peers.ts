// Test support: the real peers the senders are tested against (DCMTK storescp, Orthanc with its
// DICOMweb plugin), started on free ports in temporary folders. Test code only.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPart10, readPart10Header } from '@pacs/dicom';
import { hasTool, startTool } from '@pacs/dimse/testing';
import { filesUnder, freePort, stopChild, waitForChild } from '@pacs/testing';
import type { ForwardInstance } from '../forward-sender.port';

/** A stored instance to forward, from the bytes of a Part 10 file. */
export function instanceOf(file: Buffer): ForwardInstance {
  const read = readPart10(file);
  if (read.status !== 'complete') throw new Error('incomplete test file');
  const sopClassUid = read.dataset.string('SOPClassUID') ?? read.header.meta?.mediaStorageSopClassUid;
  const sopInstanceUid = read.dataset.string('SOPInstanceUID') ?? read.header.meta?.mediaStorageSopInstanceUid;
  if (!sopClassUid || !sopInstanceUid) throw new Error('test file without SOP Class or Instance UID');
  return {
    sopClassUid,
    sopInstanceUid,
    transferSyntaxUid: read.header.transferSyntax.uid,
    open: async () => file,
  };
}

/** The data set bytes of a Part 10 file (after its File Meta Information). */
export function datasetBytes(file: Buffer): Buffer {
  const read = readPart10Header(file);
  if (read.status !== 'complete') throw new Error('incomplete file');
  return file.subarray(read.header.dataSetOffset);
}

/** Runs `check` until it stops throwing (a peer's log or files can lag its answer), at most `timeoutMs`. */
export async function eventually(check: () => void, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A running DCMTK storescp. */
export interface Storescp {
  readonly port: number;
  readonly aeTitle: string;
  /** Where it writes what it receives. */
  readonly dir: string;
  output(): string;
  /** The files received so far, by SOP Instance UID. */
  received(): Map<string, Buffer>;
  /** How many associations it has accepted so far (from its verbose log; a bare TCP probe is not one). */
  associations(): number;
  stop(): Promise<void>;
}

/** Fails, naming the package, when DCMTK is not installed. */
export function requireDcmtk(): void {
  if (!hasTool('storescp')) throw new Error('storescp is missing: install DCMTK (apt-get install dcmtk)');
}

/**
 * storescp on a free port, verbose, writing each data set exactly as received (+B; otherwise it
 * re-encodes), with `options` (e.g. +xa to accept every syntax, +xi for Implicit VR only).
 */
export async function startStorescp(options: readonly string[] = []): Promise<Storescp> {
  requireDcmtk();
  const dir = mkdtempSync(join(tmpdir(), 'routing-storescp-'));
  const port = await freePort();
  const aeTitle = 'STORESCP';
  const tool = startTool('storescp', ['-v', '+B', '-od', dir, '-aet', aeTitle, ...options, String(port)]);
  await waitForChild('storescp', () => listening(port), tool.output, tool.child);
  return {
    port,
    aeTitle,
    dir,
    output: tool.output,
    received: () => {
      const out = new Map<string, Buffer>();
      for (const path of filesUnder(dir)) {
        const file = readFileSync(path);
        const read = readPart10(file);
        if (read.status === 'complete') out.set(read.dataset.string('SOPInstanceUID') ?? path, file);
      }
      return out;
    },
    associations: () => tool.output().match(/Association Acknowledged/g)?.length ?? 0,
    stop: async () => {
      await stopChild(tool.child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export { basicAuthorization, ORTHANC, startOrthanc, type Orthanc } from '@pacs/testing';
