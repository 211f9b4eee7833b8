// What the benchmark ran on, for the report: CPU, memory, kernel, Node.js, Orthanc and DCMTK.
import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import { ORTHANC } from './targets';

export type Machine = Record<'cpu' | 'memory' | 'kernel' | 'node' | 'orthanc' | 'dcmtk' | 'disk', string>;

/** The first line of a command's output, or why it could not be run. */
export function firstLine(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
      .split('\n')[0]!
      .trim();
  } catch (error) {
    return `unknown (${(error as Error).message.split('\n')[0]})`;
  }
}

export function machine(): Machine {
  return {
    cpu: `${availableParallelism()} × ${cpus()[0]?.model ?? 'unknown'}`,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    kernel: release(),
    node: process.version,
    orthanc: firstLine(ORTHANC, ['--version']),
    dcmtk: firstLine('storescu', ['--version']),
    disk: firstLine('sh', ['-c', 'df -hT "${TMPDIR:-/tmp}" | tail -1']),
  };
}
