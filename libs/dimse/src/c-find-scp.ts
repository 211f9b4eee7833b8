import type { Readable } from 'node:stream';
import type { DimseRequestContext, DimseRequestHandlers, DimseResult } from './association.types';
import type { DimseCommand } from './command-set';
import { DimseError, DimseStatusError } from './dimse.errors';
import type { DimseLogger } from './dimse-logger';
import { DimseStatus } from './dimse-status';
import { readIdentifier } from './identifier';

/** Whether the request's signal was aborted by a C-CANCEL-RQ (not by the association ending). */
export function cancelledByPeer(ctx: DimseRequestContext): boolean {
  const reason: unknown = ctx.signal.reason;
  return ctx.signal.aborted && reason instanceof DimseError && reason.code === 'CANCELLED';
}

/** The final response of a request whose handler failed: its own status, or C001 (details logged). */
export function failureResult(
  error: unknown,
  ctx: DimseRequestContext,
  logger: DimseLogger,
  what: string,
): DimseResult {
  if (error instanceof DimseStatusError) {
    return {
      status: error.status,
      errorComment: error.errorComment,
      ...(error.offendingElement ? { offendingElement: error.offendingElement } : {}),
    };
  }
  logger.warn(
    {
      association: ctx.association.info.id,
      messageId: ctx.messageId,
      error: error instanceof Error ? error.message : String(error),
    },
    `${what} handler failed`,
  );
  // The peer gets a generic comment: internal error messages stay in our logs.
  return { status: DimseStatus.UnableToProcessInternalError, errorComment: 'unable to process: internal error' };
}

/** Resolves when the signal aborts (never rejects). */
function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/**
 * Serves a C-FIND-RQ (PS3.7 9.1.2, PS3.4 C.4.1.1): reads the identifier, then sends each match
 * the handler yields as a pending response (FF00, FF01 when optional keys were not supported) as
 * soon as it comes, and answers with the final status: 0000 when the matches end, FE00 when a
 * C-CANCEL-RQ came first (PS3.7 9.3.2.3; the handler's iterator is returned), else the failure.
 */
export async function serveCFind(
  ctx: DimseRequestContext,
  command: DimseCommand,
  dataset: Readable | undefined,
  onCFind: NonNullable<DimseRequestHandlers['onCFind']>,
  logger: DimseLogger,
): Promise<DimseResult> {
  let iterator: AsyncIterator<{ identifier: Buffer; optionalKeysNotSupported?: boolean }> | undefined;
  let done = false;
  try {
    const identifier = await readIdentifier(dataset, ctx.presentationContext.transferSyntax);
    iterator = onCFind(ctx, command, identifier)[Symbol.asyncIterator]();
    const stop = aborted(ctx.signal);
    for (;;) {
      if (ctx.signal.aborted) break;
      // A cancel while the handler works on the next match is answered without waiting for it.
      const next = await Promise.race([iterator.next(), stop.then(() => undefined)]);
      if (next === undefined || ctx.signal.aborted) break;
      if (next.done) {
        done = true;
        return { status: DimseStatus.Success };
      }
      await ctx.sendPending({
        status: next.value.optionalKeysNotSupported ? DimseStatus.PendingWarning : DimseStatus.Pending,
        dataset: next.value.identifier,
      });
    }
    return { status: DimseStatus.Cancel };
  } catch (error) {
    done = true;
    // A handler that fails because the cancel stopped it still answers cancel.
    if (cancelledByPeer(ctx)) return { status: DimseStatus.Cancel };
    return failureResult(error, ctx, logger, 'C-FIND');
  } finally {
    // Stops the handler's generator (closing its cursors); not awaited: it may still be busy
    // with the match that the cancel overtook.
    if (iterator && !done) void Promise.resolve(iterator.return?.()).catch(() => undefined);
  }
}
