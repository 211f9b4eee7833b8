import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// Validation of audit messages against the schema of PS3.15 A.5.1.1 with Debian's jing, a RELAX NG
// validator independent of the code that writes the messages.

const JING = '/usr/bin/jing';
/** The standard's schema, as transcribed (libs/audit/schema). */
export const AUDIT_MESSAGE_SCHEMA = resolve(__dirname, '../../schema/audit-message.rnc');

/** jing's verdict: `errors` are its messages, with `message[i]` for the i-th XML given. */
export interface AuditXmlValidation {
  readonly valid: boolean;
  readonly errors: string[];
}

/**
 * Validates one or more audit messages with `jing -c` (RELAX NG compact syntax). Throws when jing
 * is missing (tests must fail, not skip) or when jing cannot read the schema.
 *
 * The schema as published places some `##` documentation comments before a closing brace (after
 * the last value of a choice), which the compact syntax does not allow (RELAX NG Compact Syntax,
 * OASIS 2002: a documentation comment is an annotation of what follows it, a pattern or a
 * definition); jing stops with a syntax error there (the first after `"E"` of EventActionCode). Documentation comments carry no validation semantics, so jing reads a copy
 * in which `##` comments are made plain `#` comments; the file in the repository stays the
 * standard's text.
 */
export async function validateAuditXml(xml: string | readonly string[]): Promise<AuditXmlValidation> {
  if (!existsSync(JING)) {
    throw new Error(
      `jing not installed (${JING} is missing): run \`bash deploy/local/engines.sh tools\` ` +
        '(or `apt-get install jing`) to validate audit messages against the PS3.15 A.5.1.1 schema',
    );
  }
  const messages = typeof xml === 'string' ? [xml] : [...xml];
  const folder = await mkdtemp(join(tmpdir(), 'audit-xml-'));
  try {
    const schema = join(folder, 'audit-message.rnc');
    const text = await readFile(AUDIT_MESSAGE_SCHEMA, 'utf8');
    await writeFile(schema, text.replace(/(^|\s)##/gm, '$1#'));
    const files = messages.map((_, i) => join(folder, `message-${i}.xml`));
    await Promise.all(messages.map((message, i) => writeFile(files[i]!, message, 'utf8')));
    const run = await runJing([schema, ...files]);
    const lines = `${run.stdout}\n${run.stderr}`
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '');
    if (lines.some((line) => line.startsWith(schema))) {
      throw new Error(`jing cannot use the schema ${AUDIT_MESSAGE_SCHEMA}: ${lines.join('\n')}`);
    }
    if (run.code !== 0 && lines.length === 0) throw new Error(`jing failed (exit ${run.code}) without a message`);
    const errors = lines.map((line) => files.reduce((named, file, i) => named.split(file).join(`message[${i}]`), line));
    return { valid: run.code === 0, errors };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

function runJing(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    execFile(JING, ['-c', ...args], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(new Error(`cannot run ${JING}: ${error.message}`, { cause: error }));
        return;
      }
      resolveRun({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}
