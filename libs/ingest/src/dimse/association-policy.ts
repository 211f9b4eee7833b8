import { transferSyntaxOf } from '@pacs/dicom';
import {
  DicomUid,
  PresentationContextResultCode,
  RejectReason,
  RejectResult,
  RejectSource,
  type AssociationDecision,
  type AssociationRequest,
  type PresentationContextDecision,
} from '@pacs/dimse';
import type { TenantRegistry } from '../tenants/tenant-registry';
import { OTHER_STANDARD_SOP_CLASSES, STORAGE_SOP_CLASSES } from './storage-sop-classes';

export interface AssociationPolicyOptions {
  /** Accept storage of SOP classes absent from the standard's dictionary (private or newer). */
  readonly acceptUnknownSopClasses: boolean;
}

const VERIFICATION = DicomUid.Verification;

/**
 * Decides an A-ASSOCIATE-RQ (PS3.8 7.1.1, PS3.7 D.3.3): the called AE title selects the tenant
 * (unknown → rejected permanently, reason 7 "called AE title not recognized"); the tenant's calling
 * AE allow-list, when set, must hold the calling AE (else reason 3). Each presentation context is
 * accepted for Verification and for storage SOP classes, with the first proposed transfer syntax
 * this PACS can parse: an instance is stored in the syntax the modality chose, never transcoded.
 */
export function decideAssociation(
  request: AssociationRequest,
  tenants: TenantRegistry,
  options: AssociationPolicyOptions,
): { decision: AssociationDecision; tenantId?: string } {
  const tenant = tenants.byCalledAeTitle(request.calledAeTitle);
  if (!tenant) {
    return { decision: reject(RejectReason.CalledAeTitleNotRecognized) };
  }
  const calling = request.callingAeTitle.trim();
  if (tenant.allowedCallingAeTitles && !tenant.allowedCallingAeTitles.includes(calling)) {
    return { decision: reject(RejectReason.CallingAeTitleNotRecognized) };
  }
  const contexts = new Map<number, PresentationContextDecision>();
  for (const context of request.presentationContexts) {
    contexts.set(context.id, decideContext(context.abstractSyntax, context.transferSyntaxes, options));
  }
  return { decision: { accept: { contexts } }, tenantId: tenant.id };
}

function decideContext(
  abstractSyntax: string,
  transferSyntaxes: readonly string[],
  options: AssociationPolicyOptions,
): PresentationContextDecision {
  const storage =
    STORAGE_SOP_CLASSES.has(abstractSyntax) ||
    (options.acceptUnknownSopClasses &&
      !OTHER_STANDARD_SOP_CLASSES.has(abstractSyntax) &&
      abstractSyntax !== VERIFICATION);
  if (abstractSyntax !== VERIFICATION && !storage)
    return { reject: PresentationContextResultCode.AbstractSyntaxNotSupported };
  const chosen = transferSyntaxes.find((uid) => {
    const syntax = transferSyntaxOf(uid);
    return syntax !== undefined && !syntax.unparseable;
  });
  return chosen ? { transferSyntax: chosen } : { reject: PresentationContextResultCode.TransferSyntaxesNotSupported };
}

function reject(reason: number): AssociationDecision {
  return { reject: { result: RejectResult.Permanent, source: RejectSource.ServiceUser, reason } };
}
