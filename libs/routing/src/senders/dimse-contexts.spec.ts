import { chooseRoute, covers, ELE, ILE, MAX_CONTEXTS, proposeContexts } from './dimse-contexts';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const MR = '1.2.840.10008.5.1.4.1.1.4';
const JPEG = '1.2.840.10008.1.2.4.50';
const MPEG2 = '1.2.840.10008.1.2.4.100';

describe('proposeContexts', () => {
  it('proposes each stored syntax, then Explicit and Implicit VR Little Endian, one syntax per context', () => {
    const { contexts, proposed } = proposeContexts([
      { sopClassUid: CT, transferSyntaxUid: JPEG },
      { sopClassUid: CT, transferSyntaxUid: ELE },
      { sopClassUid: MR, transferSyntaxUid: JPEG },
      { sopClassUid: CT, transferSyntaxUid: JPEG },
    ]);
    expect(contexts.map((c) => [c.id, c.abstractSyntax, c.transferSyntaxes])).toEqual([
      [1, CT, [JPEG]],
      [3, CT, [ELE]],
      [5, CT, [ILE]],
      [7, MR, [JPEG]],
      [9, MR, [ELE]],
      [11, MR, [ILE]],
    ]);
    expect(covers({ contexts, proposed }, { sopClassUid: MR, transferSyntaxUid: JPEG })).toBe(true);
    expect(covers({ contexts, proposed }, { sopClassUid: MR, transferSyntaxUid: MPEG2 })).toBe(false);
  });

  it('stops at 128 contexts: the first kind, then stored syntaxes, then fallbacks (PS3.8 9.3.2.2)', () => {
    const kinds = Array.from({ length: 100 }, (_, i) => ({ sopClassUid: `1.2.3.${i}`, transferSyntaxUid: JPEG }));
    const { contexts } = proposeContexts(kinds);
    expect(contexts).toHaveLength(MAX_CONTEXTS);
    expect(contexts.slice(0, 3).map((c) => c.transferSyntaxes[0])).toEqual([JPEG, ELE, ILE]);
    expect(contexts.slice(3, 102).every((c) => c.transferSyntaxes[0] === JPEG)).toBe(true);
    expect(contexts.at(-1)).toEqual({ id: 255, abstractSyntax: '1.2.3.26', transferSyntaxes: [ELE] });
    // A kind whose fallbacks did not fit is not covered: its instances renegotiate.
    const proposal = proposeContexts(kinds);
    expect(covers(proposal, kinds[0]!)).toBe(true);
    expect(covers(proposal, kinds[26]!)).toBe(true);
    expect(covers(proposal, kinds[27]!)).toBe(false);
  });
});

describe('chooseRoute', () => {
  const accepted = (...pairs: [string, string][]) =>
    pairs.map(([abstractSyntax, transferSyntax], i) => ({ id: i * 2 + 1, abstractSyntax, transferSyntax }));

  it('sends as stored when the peer took the stored syntax', () => {
    expect(chooseRoute(accepted([CT, JPEG], [CT, ELE]), CT, JPEG)).toEqual({
      transferSyntaxUid: JPEG,
      converted: false,
    });
  });

  it('converts to Explicit, else Implicit VR Little Endian, when the copy can be decoded', () => {
    expect(chooseRoute(accepted([CT, ILE], [CT, ELE]), CT, JPEG)).toEqual({ transferSyntaxUid: ELE, converted: true });
    expect(chooseRoute(accepted([CT, ILE]), CT, JPEG)).toEqual({ transferSyntaxUid: ILE, converted: true });
    expect(chooseRoute(accepted([CT, ILE]), CT, ELE)).toEqual({ transferSyntaxUid: ILE, converted: true });
  });

  it('finds nothing for a syntax that cannot be decoded, or a SOP class the peer refused', () => {
    expect(chooseRoute(accepted([CT, ELE]), CT, MPEG2)).toBeUndefined();
    expect(chooseRoute(accepted([MR, ELE]), CT, ELE)).toBeUndefined();
  });
});
