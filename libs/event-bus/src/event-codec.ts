import type { TopicDefinition } from '@pacs/contracts';
import { z } from 'zod';
import { EventBusError } from './event-bus.errors';

/** An event as it travels: its partition key and its JSON text. */
export interface EncodedEvent {
  readonly key: string;
  readonly value: string;
}

/**
 * Validates `event` against its topic's schema and serializes it. Any failure (schema, key
 * function, JSON) is an INVALID_EVENT that no retry can fix, raised before anything is published.
 * The event itself is serialized, not the parse result, so that a schema transform cannot change
 * what the producer meant to send.
 */
export function encodeEvent<T>(topic: TopicDefinition<T>, event: T): EncodedEvent {
  const parsed = topic.schema.safeParse(event);
  if (!parsed.success) {
    throw new EventBusError(
      'INVALID_EVENT',
      `event does not match the schema of ${topic.name}: ${z.prettifyError(parsed.error)}`,
      false,
      { cause: parsed.error },
    );
  }
  let key: string;
  let value: string | undefined;
  try {
    key = topic.key(event);
    value = JSON.stringify(event);
  } catch (error) {
    throw new EventBusError('INVALID_EVENT', `event of ${topic.name} cannot be keyed or serialized`, false, {
      cause: error,
    });
  }
  if (typeof key !== 'string') {
    throw new EventBusError('INVALID_EVENT', `key of an event of ${topic.name} is not a string`, false);
  }
  if (value === undefined) {
    throw new EventBusError('INVALID_EVENT', `event of ${topic.name} has no JSON representation`, false);
  }
  return { key, value };
}

/** Result of decoding a received payload: the event, or why it cannot be handled. */
export type DecodedEvent<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly code: 'INVALID_EVENT'; readonly message: string };

/** Parses and validates a received payload; an invalid one is reported, never thrown. */
export function decodeEvent<T>(topic: TopicDefinition<T>, raw: string | null | undefined): DecodedEvent<T> {
  if (raw === null || raw === undefined) {
    return { ok: false, code: 'INVALID_EVENT', message: `message of ${topic.name} has no payload` };
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, code: 'INVALID_EVENT', message: `payload of ${topic.name} is not JSON: ${reason}` };
  }
  const parsed = topic.schema.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      code: 'INVALID_EVENT',
      message: `payload does not match the schema of ${topic.name}: ${z.prettifyError(parsed.error)}`,
    };
  }
  return { ok: true, value: parsed.data };
}
