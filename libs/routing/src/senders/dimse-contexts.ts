import { EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN, transferSyntaxOf } from '@pacs/dicom';
import type { AcceptedPresentationContext, PresentationContextRequest } from '@pacs/dimse';
import type { InstanceKind } from './forward-sender.port';
import { isConvertible } from './outgoing-copy';

export const ELE = EXPLICIT_VR_LITTLE_ENDIAN.uid;
export const ILE = IMPLICIT_VR_LITTLE_ENDIAN.uid;

/** Most presentation contexts one association proposes (PS3.8 9.3.2.2: ids 1 to 255, odd). */
export const MAX_CONTEXTS = 128;

const key = (sopClassUid: string, transferSyntaxUid: string) => `${sopClassUid}|${transferSyntaxUid}`;

/** The presentation contexts of an association, and what they were proposed for. */
export interface ContextProposal {
  readonly contexts: readonly PresentationContextRequest[];
  /** "sopClass|transferSyntax" pairs proposed. */
  readonly proposed: ReadonlySet<string>;
}

/**
 * The contexts to propose for the instances to come: per SOP class one context per stored syntax
 * (so an instance goes as stored, byte for byte, whenever the peer takes it), then one for Explicit
 * and one for Implicit VR Little Endian (the fallbacks a copy is converted to). One transfer syntax
 * per context, so that the peer's choice never makes us convert what it would take as stored. Above
 * 128 contexts the first kind's three come first, then the stored syntaxes, then the fallbacks, in
 * the order of `kinds`.
 */
export function proposeContexts(kinds: readonly InstanceKind[]): ContextProposal {
  const stored: [string, string][] = [];
  const fallbacks: [string, string][] = [];
  const seen = new Set<string>();
  const add = (list: [string, string][], sopClassUid: string, transferSyntaxUid: string) => {
    if (seen.has(key(sopClassUid, transferSyntaxUid))) return;
    seen.add(key(sopClassUid, transferSyntaxUid));
    list.push([sopClassUid, transferSyntaxUid]);
  };
  // The first kind (the instance at hand when renegotiating) is always fully proposed.
  const [first] = kinds;
  if (first) for (const syntax of [first.transferSyntaxUid, ELE, ILE]) add(stored, first.sopClassUid, syntax);
  for (const kind of kinds) add(stored, kind.sopClassUid, kind.transferSyntaxUid);
  for (const kind of kinds) add(fallbacks, kind.sopClassUid, ELE);
  for (const kind of kinds) add(fallbacks, kind.sopClassUid, ILE);
  const chosen = [...stored, ...fallbacks].slice(0, MAX_CONTEXTS);
  return {
    contexts: chosen.map(([abstractSyntax, transferSyntax], index) => ({
      id: index * 2 + 1,
      abstractSyntax,
      transferSyntaxes: [transferSyntax],
    })),
    proposed: new Set(chosen.map(([sop, ts]) => key(sop, ts))),
  };
}

/**
 * Whether an association with this proposal was negotiated for the instance: its stored syntax and
 * a fallback were proposed for its SOP class (past 128 contexts, a kind can lack either).
 */
export function covers(proposal: ContextProposal, kind: InstanceKind): boolean {
  const { proposed } = proposal;
  const sop = kind.sopClassUid;
  return proposed.has(key(sop, kind.transferSyntaxUid)) && (proposed.has(key(sop, ELE)) || proposed.has(key(sop, ILE)));
}

/** How an instance goes on an association: the transfer syntax, and whether its copy is converted. */
export interface Route {
  readonly transferSyntaxUid: string;
  /** Whether the stored copy is converted to that syntax (it goes as stored otherwise). */
  readonly converted: boolean;
}

/**
 * The transfer syntax to send an instance in: as stored when the peer accepted that, else Explicit
 * then Implicit VR Little Endian when the copy can be converted (PS3.5 10.1: Implicit VR Little
 * Endian is the one every SCP takes). Undefined when no accepted context fits.
 */
export function chooseRoute(
  accepted: Iterable<AcceptedPresentationContext>,
  sopClassUid: string,
  storedSyntax: string,
): Route | undefined {
  const syntaxes = new Set<string>();
  for (const context of accepted) if (context.abstractSyntax === sopClassUid) syntaxes.add(context.transferSyntax);
  if (syntaxes.has(storedSyntax)) return { transferSyntaxUid: storedSyntax, converted: false };
  if (!isConvertible(storedSyntax)) return undefined;
  if (syntaxes.has(ELE)) return { transferSyntaxUid: ELE, converted: true };
  if (syntaxes.has(ILE)) return { transferSyntaxUid: ILE, converted: true };
  return undefined;
}

/** The transfer syntaxes the peer accepted for a SOP class, named for a message. */
export function acceptedSyntaxes(accepted: Iterable<AcceptedPresentationContext>, sopClassUid: string): string[] {
  const names: string[] = [];
  for (const context of accepted) {
    if (context.abstractSyntax !== sopClassUid) continue;
    names.push(transferSyntaxOf(context.transferSyntax)?.name ?? context.transferSyntax);
  }
  return names;
}
