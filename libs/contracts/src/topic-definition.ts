import { z } from 'zod';

/** A Kafka topic of the platform: its versioned name, the schema of its payload and its key. */
export interface TopicDefinition<T = unknown> {
  /** `pacs.<domain>.<event>.v<N>`; a breaking change is a new version. */
  readonly name: string;
  /** Producers validate before publishing, consumers on receipt. */
  readonly schema: z.ZodType<T>;
  /** Partition key: tenant-scoped StudyInstanceUID for per-study order, the tenant for audit. */
  key(event: T): string;
}

const TOPIC_NAME = /^pacs\.[a-z][a-z-]*\.[a-z][a-z-]*(\.[a-z][a-z-]*)*\.v[1-9][0-9]*$/;

export function defineTopic<S extends z.ZodType>(
  name: string,
  schema: S,
  key: (event: z.infer<S>) => string,
): TopicDefinition<z.infer<S>> {
  if (!TOPIC_NAME.test(name)) {
    throw new Error(`topic name "${name}" does not follow pacs.<domain>.<event>.v<N>`);
  }
  return Object.freeze({ name, schema: schema as z.ZodType<z.infer<S>>, key });
}

/** Where a message goes after its bounded retries: `<topic>.dlq`, payload unchanged. */
export function deadLetterTopic(topic: TopicDefinition<unknown>): TopicDefinition<unknown> {
  return Object.freeze({ name: `${topic.name}.dlq`, schema: z.unknown(), key: () => '' });
}
