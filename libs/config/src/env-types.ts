import { accessSync, constants } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';

// Reusable variable types: each error message says what a valid value looks like.

export const portVar = (fallback: number) =>
  z
    .string()
    .regex(/^[0-9]{1,5}$/, { message: 'expected a TCP port number 1-65535' })
    .transform(Number)
    .refine((n) => n >= 1 && n <= 65535, { message: 'expected a TCP port number 1-65535' })
    .default(fallback);

export const positiveIntVar = (fallback: number) =>
  z
    .string()
    .regex(/^[1-9][0-9]*$/, { message: 'expected a positive integer' })
    .transform(Number)
    .default(fallback);

export const booleanVar = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'], { message: 'expected true or false' })
    .transform((v) => v === 'true' || v === '1')
    .default(fallback);

/** A tenant id (the URL prefix `/tenants/{tenant}/` and the key of every tenant's data). */
export const tenantIdVar = () =>
  z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { message: 'a tenant id is 1-63 lowercase letters, digits or dashes' });

export const enumVar = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { message: `expected one of ${values.join(', ')}` });

/** AE title (PS3.5 6.2, VR AE): 1-16 characters, no backslash or control characters, not only spaces. */
export const aeTitleVar = (fallback: string) =>
  z
    .string()
    .max(16, { message: 'an AE title has at most 16 characters (PS3.5 6.2)' })
    .regex(/^[\x20-\x5b\x5d-\x7e]*[\x21-\x5b\x5d-\x7e][\x20-\x5b\x5d-\x7e]*$/, {
      message: 'an AE title is printable ASCII without backslash, not only spaces (PS3.5 6.2)',
    })
    .transform((v) => v.trim())
    .default(fallback);

export const urlVar = (protocols: readonly string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    },
    { message: `expected a URL (${protocols.join(', ')})` },
  );

export const hostPortListVar = () =>
  z
    .string()
    .regex(/^[^\s,:]+:[0-9]{1,5}(,[^\s,:]+:[0-9]{1,5})*$/, { message: 'expected host:port[,host:port...]' })
    .transform((v) => v.split(','));

/** A path to a file this process can read (certificates, keys), resolved to an absolute path. */
export const readableFileVar = () =>
  z
    .string()
    .transform((v) => resolve(v))
    .refine(
      (path) => {
        try {
          accessSync(path, constants.R_OK);
          return true;
        } catch {
          return false;
        }
      },
      { message: 'expected a readable file' },
    );
