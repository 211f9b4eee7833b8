import { Readable } from 'node:stream';
import type {
  DimseRequestContext,
  DimseResponse,
  DimseResult,
  RetrieveInstance,
  RetrieveReport,
  SubOperationResult,
} from './association.types';
import type { DimseCommand } from './command-set';
import type { DimseLogger } from './dimse-logger';
import { DimseStatus, formatStatus, statusCategory } from './dimse-status';
import { encodeFailedSopInstanceUidList } from './identifier';

/** The transfer syntax an instance goes in, or why it cannot go at all. */
export type SubOperationRoute = { readonly transferSyntaxUid: string } | { readonly refusal: string };

/** Where the C-STORE sub-operations of a C-GET or C-MOVE go. */
export interface SubOperationTarget {
  /** The syntax to send the instance in (a context accepted it), or why it cannot be sent there. */
  route(instance: RetrieveInstance): SubOperationRoute;
  /** Sends it: a C-STORE-RQ with the data set in that syntax, resolving with the C-STORE-RSP. */
  store(instance: RetrieveInstance, transferSyntaxUid: string, dataset: Readable | Buffer): Promise<DimseResponse>;
}

// Sub-operation counts are US (PS3.7 E.1): a retrieve of more instances than that reports 65535.
const count = (n: number): number => Math.min(n, 0xffff);

/**
 * Performs the C-STORE sub-operations of a C-GET or C-MOVE one after the other (PS3.4 C.4.2.3,
 * C.4.3.3): a pending response with the Number of Remaining, Completed, Failed and Warning
 * Sub-operations (PS3.7 9.3.3.2, 9.3.4.2) after each but the last, then the final result:
 * - 0000 when every one succeeded (or there were none);
 * - B000 when some failed or had a warning, A702 when none succeeded (PS3.4 C.4.2.1.5), with the
 *   Failed SOP Instance UID List (0008,0058) in the identifier;
 * - FE00 after a C-CANCEL-RQ, checked between sub-operations (the one under way completes).
 * A sub-operation that cannot be sent, or whose instance cannot be opened, counts as failed (logged).
 * One instance is opened at a time: a converted data set is the only one held in memory.
 * `onFinished` hears what became of each instance before the final result is returned.
 */
export async function runSubOperations(
  ctx: DimseRequestContext,
  instances: readonly RetrieveInstance[],
  target: SubOperationTarget,
  logger: DimseLogger,
  what: 'C-GET' | 'C-MOVE',
  onFinished?: (report: RetrieveReport) => void,
): Promise<DimseResult> {
  const total = instances.length;
  const results: SubOperationResult[] = [];
  const failedUids: string[] = [];
  let completed = 0;
  let warning = 0;
  const counts = (remaining?: number): Partial<DimseCommand> => ({
    ...(remaining !== undefined ? { numberOfRemainingSuboperations: count(remaining) } : {}),
    numberOfCompletedSuboperations: count(completed),
    numberOfFailedSuboperations: count(failedUids.length),
    numberOfWarningSuboperations: count(warning),
  });
  const failedList = (): Pick<DimseResult, 'dataset'> =>
    failedUids.length > 0
      ? { dataset: encodeFailedSopInstanceUidList(failedUids, ctx.presentationContext.transferSyntax) }
      : {};
  const log = { association: ctx.association.info.id, messageId: ctx.messageId };
  const finish = (result: DimseResult): DimseResult => {
    reportFinished(onFinished, { status: result.status, results, remaining: total - results.length }, logger, log);
    return result;
  };

  for (let index = 0; index < total; index++) {
    if (ctx.signal.aborted) {
      // After a C-CANCEL-RQ; if the association ended instead, this answer goes nowhere.
      return finish({ status: DimseStatus.Cancel, command: counts(total - index), ...failedList() });
    }
    const instance = instances[index]!;
    const result = await subOperation(instance, target, logger, { ...log, what });
    results.push(result);
    if (result.outcome === 'completed') completed++;
    else if (result.outcome === 'warning') warning++;
    else failedUids.push(instance.sopInstanceUid);
    if (index < total - 1 && !ctx.signal.aborted) {
      await ctx.sendPending({ status: DimseStatus.Pending, command: counts(total - index - 1) });
    }
  }
  if (failedUids.length === 0 && warning === 0) return finish({ status: DimseStatus.Success, command: counts() });
  if (completed === 0 && warning === 0) {
    return finish({
      status: DimseStatus.OutOfResourcesSubOperations,
      errorComment: `none of the ${total} sub-operations succeeded`,
      command: counts(),
      ...failedList(),
    });
  }
  return finish({ status: DimseStatus.SubOperationsCompleteWithFailures, command: counts(), ...failedList() });
}

/** Hands the report over; a failing listener is logged, never the retrieve's failure. */
export function reportFinished(
  onFinished: ((report: RetrieveReport) => void) | undefined,
  report: RetrieveReport,
  logger: DimseLogger,
  log: Record<string, unknown>,
): void {
  if (!onFinished) return;
  try {
    onFinished(report);
  } catch (error) {
    logger.warn({ ...log, error: errorMessage(error) }, 'retrieve report listener failed');
  }
}

async function subOperation(
  instance: RetrieveInstance,
  target: SubOperationTarget,
  logger: DimseLogger,
  log: Record<string, unknown>,
): Promise<SubOperationResult> {
  const context = { ...log, sopInstanceUid: instance.sopInstanceUid, sopClassUid: instance.sopClassUid };
  const route = target.route(instance);
  if ('refusal' in route) {
    logger.warn(
      { ...context, transferSyntaxUid: instance.transferSyntaxUid, reason: route.refusal },
      'sub-operation not sent',
    );
    return { instance, outcome: 'failed', reason: route.refusal };
  }
  const syntax = route.transferSyntaxUid;
  const converted = syntax !== instance.transferSyntaxUid;
  let dataset: Readable | Buffer;
  try {
    dataset = await (converted ? instance.open(syntax) : instance.open());
  } catch (error) {
    const reason = converted ? `cannot be converted to ${syntax}: ${errorMessage(error)}` : errorMessage(error);
    logger.warn({ ...context, transferSyntaxUid: syntax, error: reason }, 'sub-operation instance cannot be read');
    return { instance, outcome: 'failed', reason };
  }
  if (converted) {
    logger.debug(
      { ...context, storedTransferSyntaxUid: instance.transferSyntaxUid, transferSyntaxUid: syntax },
      'sub-operation sends a converted data set',
    );
  }
  try {
    const response = await target.store(instance, syntax, dataset);
    const category = statusCategory(response.status);
    if (category === 'success') return { instance, outcome: 'completed', transferSyntaxUid: syntax };
    if (category === 'warning') return { instance, outcome: 'warning', transferSyntaxUid: syntax };
    logger.warn(
      { ...context, status: formatStatus(response.status), errorComment: response.command.errorComment },
      'sub-operation failed at the peer',
    );
    const comment = response.command.errorComment ? `: ${response.command.errorComment}` : '';
    return {
      instance,
      outcome: 'failed',
      transferSyntaxUid: syntax,
      reason: `the peer answered ${formatStatus(response.status)}${comment}`,
    };
  } catch (error) {
    if (dataset instanceof Readable) dataset.destroy();
    logger.warn({ ...context, error: errorMessage(error) }, 'sub-operation failed');
    return { instance, outcome: 'failed', reason: errorMessage(error) };
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
