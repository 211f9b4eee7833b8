// Test support: running DCMTK's command line tools as DICOM peers.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

/** Result of a DCMTK tool run. */
export interface ToolRun {
  /** Exit code (null if killed). */
  readonly code: number | null;
  /** stdout and stderr together, in order. */
  readonly output: string;
}

// Without TCP_NODELAY, DCMTK's small writes (C-STORE-RQ command, then data) wait on the peer's
// delayed ACK: about 40 ms per instance.
const env = { ...process.env, TCP_NODELAY: '1' };

/** Whether a DCMTK tool is on the PATH. */
export function hasTool(tool: string): boolean {
  return spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Runs a DCMTK tool to completion. */
export function runTool(tool: string, args: readonly string[], timeoutMs = 60_000): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Starts a long-running DCMTK tool (storescp); output is collected. */
export function startTool(tool: string, args: readonly string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(tool, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
  return { child, output: () => output };
}

/** The SOP Instance UID (0008,0018) in a file's data set, read by dcmdump. */
export function datasetSopInstanceUid(path: string): string {
  const out = spawnSync('dcmdump', ['-s', '+P', '0008,0018', path], { encoding: 'utf8' }).stdout;
  const match = /\[([0-9.]+)\]/.exec(out);
  if (!match) throw new Error(`no SOP Instance UID in ${path}`);
  return match[1]!;
}
