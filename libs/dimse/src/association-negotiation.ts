import type {
  AcceptedPresentationContext,
  AssociationDecision,
  AssociationRejection,
  AssociationRequest,
} from './association.types';
import { DicomUid } from './dicom-uids';
import {
  type AssociateAcPdu,
  type AssociateRqPdu,
  type PresentationContextAnswer,
  type PresentationContextProposal,
  PresentationContextResultCode,
  RejectReason,
  RejectResult,
  RejectSource,
  type RoleSelection,
  type UserIdentity,
} from './pdu.types';

/** What we announce about ourselves in A-ASSOCIATE-RQ/AC. */
export interface LocalImplementation {
  /** Largest P-DATA-TF PDU we accept. */
  readonly maxPduLength: number;
  /** Implementation Class UID. */
  readonly implementationClassUid: string;
  /** Implementation Version Name. */
  readonly implementationVersionName: string;
}

/**
 * Checks of an A-ASSOCIATE-RQ that need no application decision: protocol version 1 (bit 0,
 * PS3.8 9.3.2) and the DICOM application context name (PS3.7 A.2.1).
 */
export function checkAssociateRq(rq: AssociateRqPdu): AssociationRejection | undefined {
  if ((rq.protocolVersion & 0x0001) === 0) {
    return {
      result: RejectResult.Permanent,
      source: RejectSource.ServiceProviderAcse,
      reason: RejectReason.ProtocolVersionNotSupported,
    };
  }
  if (rq.applicationContext !== DicomUid.ApplicationContext) {
    return {
      result: RejectResult.Permanent,
      source: RejectSource.ServiceUser,
      reason: RejectReason.ApplicationContextNameNotSupported,
    };
  }
  return undefined;
}

/** The accept hook's view of an A-ASSOCIATE-RQ. */
export function toAssociationRequest(
  rq: AssociateRqPdu,
  peer: Pick<AssociationRequest, 'remoteAddress' | 'remotePort' | 'tlsPeerCertificate' | 'tlsAuthorized'>,
): AssociationRequest {
  const info = rq.userInformation;
  return {
    callingAeTitle: rq.callingAeTitle,
    calledAeTitle: rq.calledAeTitle,
    ...peer,
    presentationContexts: rq.presentationContexts,
    maxPduLength: info.maxLength,
    ...(info.userIdentity ? { userIdentity: info.userIdentity } : {}),
    implementationClassUid: info.implementationClassUid,
    ...(info.implementationVersionName !== undefined
      ? { implementationVersionName: info.implementationVersionName }
      : {}),
    roleSelections: info.roleSelections,
    extendedNegotiations: info.extendedNegotiations,
  };
}

/** The negotiated result of an accepted association. */
export interface NegotiatedAssociation {
  /** Accepted contexts by id. */
  readonly contexts: Map<number, AcceptedPresentationContext>;
  /** Roles agreed. */
  readonly roleSelections: RoleSelection[];
}

/**
 * Builds the A-ASSOCIATE-AC for an accept decision. A context the hook left out is rejected as
 * abstract syntax not supported; a transfer syntax that was not proposed for the context is
 * rejected as transfer syntaxes not supported (the acceptor may only pick a proposed one,
 * PS3.8 9.3.3.2). Role selections are answered for the SOP classes proposed (PS3.7 D.3.3.4);
 * the asynchronous operations window is answered 1/1: we perform one operation at a time
 * (PS3.7 D.3.3.3). SOP class extended negotiation is not answered, which declines it (PS3.7 D.3.3.5).
 */
export function buildAssociateAc(
  rq: AssociateRqPdu,
  accept: Extract<AssociationDecision, { accept: unknown }>['accept'],
  local: LocalImplementation,
): { pdu: Omit<AssociateAcPdu, 'type'>; negotiated: NegotiatedAssociation } {
  const answers: PresentationContextAnswer[] = [];
  const contexts = new Map<number, AcceptedPresentationContext>();
  for (const proposal of rq.presentationContexts) {
    const decision = accept.contexts.get(proposal.id);
    const fallbackTs = proposal.transferSyntaxes[0] ?? DicomUid.ImplicitVrLittleEndian;
    let result: number = PresentationContextResultCode.AbstractSyntaxNotSupported;
    let transferSyntax = fallbackTs;
    if (decision && 'transferSyntax' in decision) {
      if (proposal.transferSyntaxes.includes(decision.transferSyntax) && !contexts.has(proposal.id)) {
        result = PresentationContextResultCode.Acceptance;
        transferSyntax = decision.transferSyntax;
        contexts.set(proposal.id, { id: proposal.id, abstractSyntax: proposal.abstractSyntax, transferSyntax });
      } else {
        result = PresentationContextResultCode.TransferSyntaxesNotSupported;
      }
    } else if (decision && 'reject' in decision) {
      result = decision.reject;
    }
    answers.push({ id: proposal.id, result, transferSyntax });
  }
  const roleSelections: RoleSelection[] = rq.userInformation.roleSelections.map((proposed) => {
    const granted = accept.roleSelections?.get(proposed.sopClassUid);
    // A role can only be granted if it was proposed (PS3.7 Table D.3-10).
    return {
      sopClassUid: proposed.sopClassUid,
      scuRole: proposed.scuRole && (granted?.scuRole ?? true),
      scpRole: proposed.scpRole && (granted?.scpRole ?? true),
    };
  });
  const identity = rq.userInformation.userIdentity;
  const pdu: Omit<AssociateAcPdu, 'type'> = {
    protocolVersion: 1,
    calledAeTitle: rq.calledAeTitle,
    callingAeTitle: rq.callingAeTitle,
    applicationContext: DicomUid.ApplicationContext,
    presentationContexts: answers,
    userInformation: {
      maxLength: local.maxPduLength,
      implementationClassUid: local.implementationClassUid,
      implementationVersionName: local.implementationVersionName,
      ...(rq.userInformation.asyncOperationsWindow
        ? { asyncOperationsWindow: { maxInvoked: 1, maxPerformed: 1 } }
        : {}),
      roleSelections,
      extendedNegotiations: [],
      // The server response is sent only when asked for (PS3.7 D.3.3.7.2).
      ...(identity?.positiveResponseRequested
        ? { userIdentityServerResponse: accept.userIdentityServerResponse ?? Buffer.alloc(0) }
        : {}),
    },
  };
  return { pdu, negotiated: { contexts, roleSelections } };
}

/** A presentation context as a requestor proposes it; the id is assigned when absent. */
export interface PresentationContextRequest {
  /** Odd id 1-255; assigned 1, 3, 5... in order when absent. */
  readonly id?: number;
  /** SOP class UID. */
  readonly abstractSyntax: string;
  /** Transfer syntaxes, preferred first. */
  readonly transferSyntaxes: readonly string[];
}

/** Builds an A-ASSOCIATE-RQ (PS3.8 9.3.2). */
export function buildAssociateRq(options: {
  callingAeTitle: string;
  calledAeTitle: string;
  presentationContexts: readonly PresentationContextRequest[];
  local: LocalImplementation;
  roleSelections?: readonly RoleSelection[];
  userIdentity?: UserIdentity;
}): Omit<AssociateRqPdu, 'type'> {
  if (options.presentationContexts.length === 0 || options.presentationContexts.length > 128) {
    throw new RangeError('an association proposes 1 to 128 presentation contexts (PS3.8 9.3.2.2)');
  }
  const proposals: PresentationContextProposal[] = options.presentationContexts.map((pc, index) => ({
    id: pc.id ?? index * 2 + 1,
    abstractSyntax: pc.abstractSyntax,
    transferSyntaxes: pc.transferSyntaxes,
  }));
  return {
    protocolVersion: 1,
    calledAeTitle: options.calledAeTitle,
    callingAeTitle: options.callingAeTitle,
    applicationContext: DicomUid.ApplicationContext,
    presentationContexts: proposals,
    userInformation: {
      maxLength: options.local.maxPduLength,
      implementationClassUid: options.local.implementationClassUid,
      implementationVersionName: options.local.implementationVersionName,
      roleSelections: options.roleSelections ?? [],
      extendedNegotiations: [],
      ...(options.userIdentity ? { userIdentity: options.userIdentity } : {}),
    },
  };
}

/**
 * Reads the accepted contexts out of an A-ASSOCIATE-AC for the contexts we proposed. An answer
 * for a context we did not propose, or accepting a transfer syntax we did not propose, is
 * ignored: that context is then unusable rather than mis-encoded.
 */
export function readAssociateAc(
  proposed: readonly PresentationContextProposal[],
  ac: AssociateAcPdu,
): NegotiatedAssociation {
  const byId = new Map(proposed.map((pc) => [pc.id, pc]));
  const contexts = new Map<number, AcceptedPresentationContext>();
  for (const answer of ac.presentationContexts) {
    const proposal = byId.get(answer.id);
    if (!proposal || answer.result !== PresentationContextResultCode.Acceptance) continue;
    if (!proposal.transferSyntaxes.includes(answer.transferSyntax)) continue;
    contexts.set(answer.id, {
      id: answer.id,
      abstractSyntax: proposal.abstractSyntax,
      transferSyntax: answer.transferSyntax,
    });
  }
  return { contexts, roleSelections: [...ac.userInformation.roleSelections] };
}
