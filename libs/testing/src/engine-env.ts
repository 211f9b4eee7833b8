/**
 * Environment of the real-engine suites. `npm run engines -- up` starts the engines on loopback and
 * `eval "$(npm run -s engines -- env)"` exports these variables. A suite whose engine is missing
 * fails, saying so: it never passes by skipping.
 */
export function engineEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: this suite needs a real engine. Start them with \`npm run engines -- up\`, ` +
        'then `eval "$(npm run -s engines -- env)"` (or run `.ci/run`).',
    );
  }
  return value;
}

/** A name unique to this run, for topics, groups, buckets, databases and key prefixes. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
