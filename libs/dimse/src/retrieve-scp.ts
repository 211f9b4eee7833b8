import type { Readable } from 'node:stream';
import type { PresentationContextRequest } from './association-negotiation';
import type {
  AcceptedPresentationContext,
  DimseAssociation,
  DimseRequestContext,
  DimseRequestHandlers,
  DimseResult,
  RetrieveInstance,
  RetrievePlan,
} from './association.types';
import type { DimseCommand } from './command-set';
import { failureResult } from './c-find-scp';
import type { DimseClientOptions } from './dimse-client';
import type { DimseLogger } from './dimse-logger';
import { DimseStatus } from './dimse-status';
import { encodeFailedSopInstanceUidList, readIdentifier } from './identifier';
import {
  reportFinished,
  runSubOperations,
  type SubOperationRoute,
  type SubOperationTarget,
} from './retrieve-sub-operations';

/** Opens the association of C-MOVE sub-operations (DimseClient.connect; injected to keep the modules acyclic). */
export type SubAssociationOpener = (options: DimseClientOptions) => Promise<DimseAssociation>;

/** Most presentation contexts one association may propose (PS3.8 9.3.2.2: odd ids 1-255). */
const MAX_CONTEXTS = 128;

/**
 * The syntax an instance goes in on these contexts: its stored one when a context of its SOP class
 * accepted it (sent as stored, streamed), else the first it converts to that one accepted.
 */
function routeOf(
  instance: RetrieveInstance,
  contexts: ReadonlyMap<number, AcceptedPresentationContext>,
): SubOperationRoute {
  const ofClass = [...contexts.values()].filter((pc) => pc.abstractSyntax === instance.sopClassUid);
  if (ofClass.length === 0) return { refusal: 'no accepted presentation context for its SOP class' };
  const accepted = new Set(ofClass.map((pc) => pc.transferSyntax));
  if (accepted.has(instance.transferSyntaxUid)) return { transferSyntaxUid: instance.transferSyntaxUid };
  const convertible = instance.convertibleTo ?? [];
  const converted = convertible.find((syntax) => accepted.has(syntax));
  if (converted) return { transferSyntaxUid: converted };
  const conversions =
    convertible.length > 0 ? `it converts only to ${convertible.join(', ')}` : 'it cannot be converted';
  return {
    refusal: `stored in ${instance.transferSyntaxUid}, the peer accepted ${[...accepted].join(', ')} (${conversions})`,
  };
}

/**
 * Serves a C-GET-RQ (PS3.7 9.1.3, PS3.4 C.4.3): the handler says which instances; each goes as a
 * C-STORE sub-operation over this association. The requestor must have proposed the SOP class
 * with the SCP role (SCP/SCU Role Selection, PS3.7 D.3.3.4; PS3.4 C.4.3.1) and a context in the
 * instance's stored transfer syntax, or one it converts to (RetrieveInstance.convertibleTo);
 * otherwise that sub-operation fails.
 */
export async function serveCGet(
  ctx: DimseRequestContext,
  command: DimseCommand,
  dataset: Readable | undefined,
  onCGet: NonNullable<DimseRequestHandlers['onCGet']>,
  logger: DimseLogger,
): Promise<DimseResult> {
  let plan: RetrievePlan;
  try {
    const identifier = await readIdentifier(dataset, ctx.presentationContext.transferSyntax);
    plan = await onCGet(ctx, command, identifier);
  } catch (error) {
    return failureResult(error, ctx, logger, 'C-GET');
  }
  const association = ctx.association;
  const scpRoles = new Set(association.info.roleSelections.filter((r) => r.scpRole).map((r) => r.sopClassUid));
  const target: SubOperationTarget = {
    route: (instance) =>
      scpRoles.has(instance.sopClassUid)
        ? routeOf(instance, association.info.presentationContexts)
        : { refusal: 'the requestor did not take the SCP role for its SOP class (role selection)' },
    store: (instance, transferSyntaxUid, data) =>
      association.store({
        sopClassUid: instance.sopClassUid,
        sopInstanceUid: instance.sopInstanceUid,
        transferSyntaxUid,
        dataset: data,
      }),
  };
  return runSubOperations(ctx, plan.instances, target, logger, 'C-GET', plan.onFinished);
}

/**
 * The presentation contexts of a C-MOVE sub-association, one transfer syntax each so that the
 * destination answers for each: each SOP class in each transfer syntax it is stored in, then,
 * while there is room, each SOP class in each syntax its instances convert to and that is not
 * stored (e.g. Explicit VR Little Endian, which every SCP may be asked for, PS3.5 10.1), as a
 * fallback for a destination that refuses the stored one.
 */
export function subAssociationContexts(instances: readonly RetrieveInstance[]): PresentationContextRequest[] {
  const stored = new Map<string, Set<string>>();
  const convertible = new Map<string, Set<string>>();
  const add = (map: Map<string, Set<string>>, sopClassUid: string, syntax: string): void => {
    const syntaxes = map.get(sopClassUid) ?? new Set<string>();
    map.set(sopClassUid, syntaxes.add(syntax));
  };
  for (const instance of instances) {
    add(stored, instance.sopClassUid, instance.transferSyntaxUid);
    for (const syntax of instance.convertibleTo ?? []) add(convertible, instance.sopClassUid, syntax);
  }
  const contexts: PresentationContextRequest[] = [];
  for (const [abstractSyntax, syntaxes] of stored) {
    for (const syntax of syntaxes) contexts.push({ abstractSyntax, transferSyntaxes: [syntax] });
  }
  for (const [abstractSyntax, syntaxes] of convertible) {
    for (const syntax of syntaxes) {
      if (!stored.get(abstractSyntax)?.has(syntax)) contexts.push({ abstractSyntax, transferSyntaxes: [syntax] });
    }
  }
  return contexts.slice(0, MAX_CONTEXTS);
}

/**
 * Serves a C-MOVE-RQ (PS3.7 9.1.4, PS3.4 C.4.2): the handler resolves the Move Destination and the
 * instances; a new association to the destination carries the C-STORE sub-operations, each with
 * the Move Originator AE Title and Message ID (PS3.7 9.3.1.1). No association when nothing
 * matches; one that cannot be established fails every sub-operation (A702).
 */
export async function serveCMove(
  ctx: DimseRequestContext,
  command: DimseCommand,
  dataset: Readable | undefined,
  onCMove: NonNullable<DimseRequestHandlers['onCMove']>,
  open: SubAssociationOpener,
  logger: DimseLogger,
): Promise<DimseResult> {
  let plan: Awaited<ReturnType<typeof onCMove>>;
  try {
    const identifier = await readIdentifier(dataset, ctx.presentationContext.transferSyntax);
    plan = await onCMove(ctx, command, identifier);
  } catch (error) {
    return failureResult(error, ctx, logger, 'C-MOVE');
  }
  const { destination, instances } = plan;
  const info = ctx.association.info;
  const log = { association: info.id, messageId: ctx.messageId };
  if (instances.length === 0) {
    const none = { numberOfCompletedSuboperations: 0, numberOfFailedSuboperations: 0, numberOfWarningSuboperations: 0 };
    reportFinished(plan.onFinished, { status: DimseStatus.Success, results: [], remaining: 0 }, logger, log);
    return { status: DimseStatus.Success, command: none };
  }
  let sub: DimseAssociation;
  try {
    sub = await open({
      host: destination.host,
      port: destination.port,
      callingAeTitle: info.calledAeTitle,
      calledAeTitle: destination.aeTitle,
      presentationContexts: subAssociationContexts(instances),
      ...(destination.tls ? { tls: destination.tls } : {}),
      logger,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    logger.warn(
      { association: info.id, moveDestination: destination.aeTitle, host: destination.host, error: message },
      'C-MOVE destination cannot be associated with',
    );
    const reason = `cannot associate with ${destination.aeTitle}: ${message}`;
    const results = instances.map((instance) => ({ instance, outcome: 'failed' as const, reason }));
    reportFinished(
      plan.onFinished,
      { status: DimseStatus.OutOfResourcesSubOperations, results, remaining: 0 },
      logger,
      log,
    );
    return {
      status: DimseStatus.OutOfResourcesSubOperations,
      errorComment: `cannot associate with ${destination.aeTitle}`,
      command: {
        numberOfCompletedSuboperations: 0,
        numberOfFailedSuboperations: Math.min(instances.length, 0xffff),
        numberOfWarningSuboperations: 0,
      },
      dataset: encodeFailedSopInstanceUidList(
        instances.map((i) => i.sopInstanceUid),
        ctx.presentationContext.transferSyntax,
      ),
    };
  }
  let closed = false;
  void sub.closed.then(() => (closed = true));
  const target: SubOperationTarget = {
    route: (instance) =>
      closed
        ? { refusal: 'the association to the move destination ended' }
        : routeOf(instance, sub.info.presentationContexts),
    store: (instance, transferSyntaxUid, data) =>
      sub.store({
        sopClassUid: instance.sopClassUid,
        sopInstanceUid: instance.sopInstanceUid,
        transferSyntaxUid,
        dataset: data,
        moveOriginator: { aeTitle: info.callingAeTitle, messageId: ctx.messageId },
      }),
  };
  try {
    return await runSubOperations(ctx, instances, target, logger, 'C-MOVE', plan.onFinished);
  } finally {
    await sub.release().catch(() => sub.abort());
  }
}
