import { z } from 'zod';
import { ConfigError } from './config.error';

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Parses environment variables with a zod object schema whose keys are the variable names.
 * Empty strings count as unset, so `PACS_X=` falls back to the default.
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: Env): z.infer<S> {
  const present: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') present[name] = value;
  }
  const result = schema.safeParse(present);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? '(configuration)');
      const given = present[variable];
      const shown = given === undefined ? '' : ` (got "${given}")`;
      return { variable, message: `${issue.message}${shown}` };
    }),
  );
}
