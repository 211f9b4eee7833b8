import { coversMediaType, type MediaRange } from './accept-header';
import { EXPLICIT_VR_LE, isLossy, usableOnTheWeb } from './transfer-syntax-media';

/** One acceptable application/dicom representation: its Acceptable Transfer Syntax (PS3.18 8.7.3.7). */
export interface AcceptableDicom {
  /** A UID, "*" (any), or undefined for the default of PS3.18 8.7.3.4 (Explicit VR Little Endian). */
  readonly transferSyntax: string | undefined;
  readonly q: number;
}

/** What the client accepts for instances: the payload form and its acceptable syntaxes, best first. */
export interface InstanceAcceptance {
  /** A single application/dicom body rather than multipart/related (Instance resources only). */
  readonly singlePart: boolean;
  readonly acceptable: readonly AcceptableDicom[];
}

/** How one instance is sent: in which syntax, and whether it must be transcoded to reach it. */
export interface InstanceDelivery {
  readonly transferSyntaxUid: string;
  readonly transcode: boolean;
}

/**
 * The application/dicom media ranges of the Accept header (PS3.18 8.7.3.2, Table 8.7.3-2):
 * `multipart/related; type="application/dicom"` (its type parameter may be left out, and `*\/*` or
 * `multipart/*` stand for it), and for a single instance `application/dicom` itself. The form of
 * the preferred range decides single part or multipart; undefined when none is acceptable (406).
 */
export function acceptedInstanceForms(
  ranges: readonly MediaRange[],
  options: { readonly singlePartAllowed: boolean },
): InstanceAcceptance | undefined {
  const classified = ranges.flatMap((range) => {
    const multipart =
      range.mediaType === '*/*' ||
      range.mediaType === 'multipart/*' ||
      (range.mediaType === 'multipart/related' && coversMediaType(range.partType, 'application/dicom'));
    if (multipart) return [{ range, singlePart: false }];
    if (range.mediaType === 'application/dicom' && options.singlePartAllowed) return [{ range, singlePart: true }];
    return [];
  });
  const first = classified[0];
  if (!first) return undefined;
  return {
    singlePart: first.singlePart,
    acceptable: classified
      .filter((c) => c.singlePart === first.singlePart)
      .map(({ range }) => ({ transferSyntax: range.transferSyntax, q: range.q })),
  };
}

function optionFor(acceptable: AcceptableDicom, stored: string, canTranscode: boolean): InstanceDelivery | undefined {
  const asStored = { transferSyntaxUid: stored, transcode: false };
  const transcoded = canTranscode ? { transferSyntaxUid: EXPLICIT_VR_LE, transcode: true } : undefined;
  const { transferSyntax } = acceptable;
  if (transferSyntax === '*') return usableOnTheWeb(stored) ? asStored : transcoded;
  if (transferSyntax === undefined) {
    // PS3.18 8.7.3.4: the default, unless the origin server has the pixel data only lossy compressed.
    if (stored === EXPLICIT_VR_LE || isLossy(stored)) return asStored;
    return transcoded;
  }
  // PS3.18 8.7.3: Implicit VR Little Endian and Explicit VR Big Endian are never sent.
  if (!usableOnTheWeb(transferSyntax)) return undefined;
  if (transferSyntax === stored) return asStored;
  return transferSyntax === EXPLICIT_VR_LE ? transcoded : undefined;
}

/**
 * The Selected Transfer Syntax of one instance (PS3.18 8.7.8.2; it may differ from part to part):
 * the most preferred acceptable syntax this server can produce for the stored copy, which is the
 * stored syntax itself or Explicit VR Little Endian by transcoding. Among ranges of equal q, one that
 * needs no transcoding wins. `canTranscode` is false once the transcoder failed on this copy or its
 * syntax. Undefined when none can be produced.
 */
export function chooseDelivery(
  acceptance: InstanceAcceptance,
  storedTransferSyntaxUid: string,
  canTranscode = true,
): InstanceDelivery | undefined {
  let best: { delivery: InstanceDelivery; q: number } | undefined;
  for (const acceptable of acceptance.acceptable) {
    const delivery = optionFor(acceptable, storedTransferSyntaxUid, canTranscode);
    if (!delivery) continue;
    if (!best || acceptable.q > best.q || (acceptable.q === best.q && best.delivery.transcode && !delivery.transcode)) {
      best = { delivery, q: acceptable.q };
    }
  }
  return best?.delivery;
}
