/** Error of the event bus, with a stable code and whether a retry can help. */
export class EventBusError extends Error {
  constructor(
    readonly code: 'START_FAILED' | 'PUBLISH_FAILED' | 'INVALID_EVENT' | 'NOT_STARTED' | 'CLOSED' | 'SUBSCRIBE_FAILED',
    message: string,
    readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EventBusError';
  }
}

/** A handler throws this to send the message to the dead-letter topic without retrying. */
export class NonRetriableError extends Error {
  readonly retriable = false;
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'NonRetriableError';
  }
}
