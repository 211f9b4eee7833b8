import { pydicomTransferSyntaxes } from './testing';
import { TRANSFER_SYNTAXES, transferSyntaxOf } from './transfer-syntax';

describe('transfer syntaxes', () => {
  it.each([
    // uid, explicit VR, little endian, deflated, encapsulated
    ['1.2.840.10008.1.2', false, true, false, false],
    ['1.2.840.10008.1.2.1', true, true, false, false],
    ['1.2.840.10008.1.2.1.98', true, true, false, true],
    ['1.2.840.10008.1.2.1.99', true, true, true, false],
    ['1.2.840.10008.1.2.2', true, false, false, false],
    ['1.2.840.10008.1.2.4.50', true, true, false, true],
    ['1.2.840.10008.1.2.4.51', true, true, false, true],
    ['1.2.840.10008.1.2.4.57', true, true, false, true],
    ['1.2.840.10008.1.2.4.70', true, true, false, true],
    ['1.2.840.10008.1.2.4.80', true, true, false, true],
    ['1.2.840.10008.1.2.4.81', true, true, false, true],
    ['1.2.840.10008.1.2.4.90', true, true, false, true],
    ['1.2.840.10008.1.2.4.91', true, true, false, true],
    ['1.2.840.10008.1.2.4.94', true, true, false, false],
    ['1.2.840.10008.1.2.4.95', true, true, true, false],
    ['1.2.840.10008.1.2.4.100', true, true, false, true],
    ['1.2.840.10008.1.2.4.101', true, true, false, true],
    ['1.2.840.10008.1.2.4.102', true, true, false, true],
    ['1.2.840.10008.1.2.4.106', true, true, false, true],
    ['1.2.840.10008.1.2.4.107', true, true, false, true],
    ['1.2.840.10008.1.2.4.108', true, true, false, true],
    ['1.2.840.10008.1.2.4.201', true, true, false, true],
    ['1.2.840.10008.1.2.4.202', true, true, false, true],
    ['1.2.840.10008.1.2.4.203', true, true, false, true],
    ['1.2.840.10008.1.2.5', true, true, false, true],
    ['1.2.840.10008.1.20', false, true, false, false],
  ] as const)(
    '%s: explicit %s, little endian %s, deflated %s, encapsulated %s',
    (uid, explicit, le, deflated, encapsulated) => {
      expect(transferSyntaxOf(uid)).toMatchObject({
        uid,
        explicitVr: explicit,
        littleEndian: le,
        deflated,
        encapsulated,
      });
    },
  );

  it('marks retired, referenced and non-binary syntaxes', () => {
    expect(transferSyntaxOf('1.2.840.10008.1.2.2')!.retired).toBe(true);
    expect(transferSyntaxOf('1.2.840.10008.1.2.4.52')!.retired).toBe(true);
    expect(transferSyntaxOf('1.2.840.10008.1.2.4.94')!.referencedPixelData).toBe(true);
    expect(transferSyntaxOf('1.2.840.10008.1.2.6.2')!.unparseable).toBe(true);
    expect(transferSyntaxOf('1.2.840.113619.5.2')).toBeUndefined(); // a private one
  });

  it('has each UID once, every one a DICOM transfer syntax UID', () => {
    const uids = TRANSFER_SYNTAXES.map((ts) => ts.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const uid of uids) expect(uid).toMatch(/^1\.2\.840\.10008\.1\.(2|20)(\.|$)/);
  });

  it('knows every transfer syntax pydicom knows', () => {
    const missing = pydicomTransferSyntaxes().filter((uid) => !transferSyntaxOf(uid));
    expect(missing).toEqual([]);
  });
});
