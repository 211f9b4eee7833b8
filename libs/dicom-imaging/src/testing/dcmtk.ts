import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Debian's dcmtk: an independent DICOM implementation that checks what this library writes and
// makes compressed test files from native ones.

/** Throws, naming the package, when the tool is not installed. */
function toolPath(tool: string): string {
  const path = `/usr/bin/${tool}`;
  if (!existsSync(path)) throw new Error(`${path} is missing: install Debian's dcmtk`);
  return path;
}

/** Runs a DCMTK tool; its exit status and what it printed. */
export function runDcmtk(tool: string, args: readonly string[]): { status: number; stdout: string; stderr: string } {
  const done = spawnSync(toolPath(tool), args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: done.status ?? -1, stdout: done.stdout, stderr: done.stderr };
}

/**
 * Converts a file with a DCMTK tool that reads one file and writes another (dcmcjpeg, dcmcjpls,
 * dcmcrle, dcmdjpeg, dcmconv, ...): `tool [args] in out`. Throws with the tool's message on failure.
 */
export function convertWithDcmtk(tool: string, input: Buffer, args: readonly string[] = []): Buffer {
  const folder = mkdtempSync(join(tmpdir(), 'dicom-imaging-dcmtk-'));
  try {
    const source = join(folder, 'in.dcm');
    const target = join(folder, 'out.dcm');
    writeFileSync(source, input);
    const done = runDcmtk(tool, [...args, source, target]);
    if (done.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${done.stderr || done.stdout}`);
    return readFileSync(target);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** dcmdump's verdict on a file: exit status and its warnings and errors (stderr). */
export function dcmdump(file: Buffer): { status: number; stderr: string; stdout: string } {
  const folder = mkdtempSync(join(tmpdir(), 'dicom-imaging-dump-'));
  try {
    const path = join(folder, 'file.dcm');
    writeFileSync(path, file);
    return runDcmtk('dcmdump', ['+fo', path]);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** An 8-bit image as DCMTK renders it. */
export interface PnmImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  readonly pixels: Buffer;
}

/** Reads a binary PGM (P5) or PPM (P6) of 8-bit samples (Netpbm formats). */
function readPnm(pnm: Buffer): PnmImage {
  const fields: string[] = [];
  let p = 0;
  while (fields.length < 4) {
    while (/\s/.test(String.fromCharCode(pnm[p]!))) p++;
    if (pnm[p] === 0x23) {
      while (pnm[p] !== 0x0a) p++; // comment line
      continue;
    }
    const start = p;
    while (!/\s/.test(String.fromCharCode(pnm[p]!))) p++;
    fields.push(pnm.toString('latin1', start, p));
  }
  const [magic, width, height, max] = fields as [string, string, string, string];
  if ((magic !== 'P5' && magic !== 'P6') || max !== '255') throw new Error(`not an 8-bit PGM/PPM: ${fields.join(' ')}`);
  const channels = magic === 'P6' ? 3 : 1;
  const size = Number(width) * Number(height) * channels;
  return { width: Number(width), height: Number(height), channels, pixels: pnm.subarray(p + 1, p + 1 + size) };
}

/**
 * A frame rendered by DCMTK's dcmj2pnm (an independent implementation of the PS3.4 N.2 pipeline)
 * as 8-bit PGM or PPM, with the given options (+Wi 1, +Wm, +Ww c w, +F n, ...).
 */
export function renderWithDcmtk(file: Buffer, args: readonly string[]): PnmImage {
  const folder = mkdtempSync(join(tmpdir(), 'dicom-imaging-pnm-'));
  try {
    const source = join(folder, 'in.dcm');
    const target = join(folder, 'out.pnm');
    writeFileSync(source, file);
    const done = runDcmtk('dcmj2pnm', ['--write-raw-pnm', '-O', ...args, source, target]);
    if (done.status !== 0) throw new Error(`dcmj2pnm ${args.join(' ')} failed: ${done.stderr || done.stdout}`);
    return readPnm(readFileSync(target));
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
