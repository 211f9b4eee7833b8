import { z } from 'zod';
import { urlVar } from './env-types';

/** The MongoDB variables shared by the stores kept in MongoDB (metadata index, routing store). */
export const mongoDbVars = {
  PACS_MONGODB_URL: urlVar(['mongodb', 'mongodb+srv']).optional(),
  PACS_MONGODB_DATABASE: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,63}$/, { message: 'a database name is 1-63 letters, digits, _ or -' })
    .default('pacs'),
};

/** Refuses a store set to MongoDB without PACS_MONGODB_URL, naming what needs it. */
export function requireMongoUrl(adapter: string, url: string | undefined, what: string, ctx: z.RefinementCtx): void {
  if (adapter === 'mongodb' && !url) {
    ctx.addIssue({ code: 'custom', path: ['PACS_MONGODB_URL'], message: `required when ${what} is MongoDB` });
  }
}
