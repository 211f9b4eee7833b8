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
import { QUERY_RETRIEVE_SOP_CLASSES } from './query-retrieve-scp.port';
import { OTHER_STANDARD_SOP_CLASSES, STORAGE_SOP_CLASSES } from './storage-sop-classes';

export interface AssociationPolicyOptions {
  /** Accept storage of SOP classes absent from the standard's dictionary (private or newer). */
  readonly acceptUnknownSopClasses: boolean;
  /** A Query/Retrieve SCP serves C-FIND, C-MOVE and C-GET: accept its SOP classes, and the SCP role for C-GET. */
  readonly queryRetrieve?: boolean;
}

const VERIFICATION = DicomUid.Verification;

// Identifiers of C-FIND/C-MOVE/C-GET are built and read here: the uncompressed, non-deflated
// syntaxes (PS3.5 A.1-A.3), Implicit VR Little Endian being the one every SCU proposes (PS3.5 10.1).
const IDENTIFIER_SYNTAXES: ReadonlySet<string> = new Set([
  DicomUid.ImplicitVrLittleEndian,
  DicomUid.ExplicitVrLittleEndian,
  DicomUid.ExplicitVrBigEndian,
]);

type RoleGrant = { readonly scuRole: boolean; readonly scpRole: boolean };

/**
 * Decides an A-ASSOCIATE-RQ (PS3.8 7.1.1, PS3.7 D.3.3): the called AE title selects the tenant
 * (unknown → rejected permanently, reason 7 "called AE title not recognized"); the tenant's calling
 * AE allow-list, when set, must hold the calling AE (else reason 3). Each presentation context is
 * accepted for Verification and for storage SOP classes, with the first proposed transfer syntax
 * this PACS can parse: an instance is stored in the syntax the modality chose, never transcoded.
 * When a SOP class comes in several contexts, each takes a syntax the others did not, so that a
 * C-GET requestor offers us as many syntaxes to send in as it can receive.
 * With `queryRetrieve`, the Patient Root and Study Root FIND/MOVE/GET classes are accepted too
 * (PS3.4 C.6.1, C.6.2), in an uncompressed syntax, and a requestor proposing the SCP role for a
 * storage class is granted it (SCP/SCU Role Selection, PS3.7 D.3.3.4): C-GET sends it instances
 * over the same association (PS3.4 C.4.3.1). Any other SOP class is refused (abstract syntax not
 * supported, PS3.8 Table 9-18).
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
  const accepted = new Map<string, Set<string>>();
  for (const context of request.presentationContexts) {
    const taken = accepted.get(context.abstractSyntax) ?? new Set<string>();
    const decision = decideContext(context.abstractSyntax, context.transferSyntaxes, taken, options);
    contexts.set(context.id, decision);
    if ('transferSyntax' in decision) accepted.set(context.abstractSyntax, taken.add(decision.transferSyntax));
  }
  const roleSelections = new Map<string, RoleGrant>();
  for (const proposed of request.roleSelections) {
    roleSelections.set(proposed.sopClassUid, decideRoles(proposed.sopClassUid, options));
  }
  return { decision: { accept: { contexts, roleSelections } }, tenantId: tenant.id };
}

function isStorage(abstractSyntax: string, options: AssociationPolicyOptions): boolean {
  return (
    STORAGE_SOP_CLASSES.has(abstractSyntax) ||
    (options.acceptUnknownSopClasses &&
      !OTHER_STANDARD_SOP_CLASSES.has(abstractSyntax) &&
      abstractSyntax !== VERIFICATION)
  );
}

function decideContext(
  abstractSyntax: string,
  transferSyntaxes: readonly string[],
  taken: ReadonlySet<string>,
  options: AssociationPolicyOptions,
): PresentationContextDecision {
  const queryRetrieve = options.queryRetrieve === true && QUERY_RETRIEVE_SOP_CLASSES.has(abstractSyntax);
  if (abstractSyntax !== VERIFICATION && !queryRetrieve && !isStorage(abstractSyntax, options))
    return { reject: PresentationContextResultCode.AbstractSyntaxNotSupported };
  const usable = transferSyntaxes.filter((uid) => {
    if (queryRetrieve) return IDENTIFIER_SYNTAXES.has(uid);
    const syntax = transferSyntaxOf(uid);
    return syntax !== undefined && !syntax.unparseable;
  });
  const chosen = usable.find((uid) => !taken.has(uid)) ?? usable[0];
  return chosen ? { transferSyntax: chosen } : { reject: PresentationContextResultCode.TransferSyntaxesNotSupported };
}

/**
 * Roles granted for a proposed SCP/SCU Role Selection item (PS3.7 D.3.3.4; a role not proposed is
 * never granted, see buildAssociateAc): the SCU role as proposed for what we serve; the SCP role
 * only for storage classes, for C-GET; nothing for other SOP classes.
 */
function decideRoles(sopClassUid: string, options: AssociationPolicyOptions): RoleGrant {
  if (isStorage(sopClassUid, options)) return { scuRole: true, scpRole: options.queryRetrieve === true };
  const served =
    sopClassUid === VERIFICATION || (options.queryRetrieve === true && QUERY_RETRIEVE_SOP_CLASSES.has(sopClassUid));
  return { scuRole: served, scpRole: false };
}

function reject(reason: number): AssociationDecision {
  return { reject: { result: RejectResult.Permanent, source: RejectSource.ServiceUser, reason } };
}
