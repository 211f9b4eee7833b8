import { entryOf, entryOfKeyword, keywordOf, tagOf, vrOf } from './dictionary';
import { formatTag, isPrivateCreatorTag, isPrivateTag, parseTag } from './tag';
import { pydicomDictionary } from './testing';

describe('data dictionary', () => {
  it('maps keywords to tags and back', () => {
    expect(tagOf('StudyInstanceUID')).toBe(0x0020000d);
    expect(tagOf('PixelData')).toBe(0x7fe00010);
    expect(keywordOf(0x0020000d)).toBe('StudyInstanceUID');
    expect(keywordOf(0x00100010)).toBe('PatientName');
    expect(entryOfKeyword('PatientName')).toMatchObject({ tag: 0x00100010, vr: 'PN', vm: '1', retired: false });
  });

  it('accepts tags written in hex, and refuses an unknown keyword loudly', () => {
    expect(tagOf('0020000D')).toBe(0x0020000d);
    expect(tagOf('(0020,000d)')).toBe(0x0020000d);
    expect(() => tagOf('StudyInstanceUid')).toThrow(RangeError);
    expect(() => tagOf('StudyInstanceUid')).toThrow(/not a DICOM keyword/);
  });

  it('writes tags as DICOM JSON keys (8 uppercase hex digits)', () => {
    expect(formatTag(0x0020000d)).toBe('0020000D');
    expect(formatTag(0x00090010)).toBe('00090010');
    expect(parseTag('7FE00010')).toBe(0x7fe00010);
    expect(parseTag('7FE0001')).toBeUndefined();
  });

  it('gives the VR to read an implicit VR element with', () => {
    expect(vrOf(tagOf('StudyInstanceUID'))).toBe('UI');
    expect(vrOf(tagOf('PixelData'))).toBe('OW'); // PS3.5 A.1: OW in implicit VR
    expect(entryOf(tagOf('PixelData'))!.vrs).toEqual(['OW', 'OB']);
    expect(entryOf(tagOf('SmallestImagePixelValue'))!.vrs).toEqual(['US', 'SS']);
    expect(vrOf(0x00080000)).toBe('UL'); // group length
    expect(vrOf(0x00090010)).toBe('LO'); // private creator
    expect(vrOf(0x00091001)).toBe('UN'); // private element
    expect(vrOf(0x00080001)).toBe('UL'); // retired Length to End, still in the dictionary
    expect(vrOf(0x0008fff0)).toBe('UN'); // not in the dictionary
  });

  it('resolves repeating groups and elements to their base entry', () => {
    expect(keywordOf(0x60003000)).toBe('OverlayData');
    expect(keywordOf(0x601e3000)).toBe('OverlayData');
    expect(keywordOf(0x60013000)).toBeUndefined(); // odd group: private, not an overlay
    expect(keywordOf(0x50020005)).toBe('CurveDimensions');
    expect(keywordOf(0x00203105)).toBe('SourceImageIDs');
    expect(entryOf(0x00203105)!.retired).toBe(true);
  });

  it('knows nothing of private tags', () => {
    expect(isPrivateTag(0x00091001)).toBe(true);
    expect(isPrivateTag(0x00080016)).toBe(false);
    expect(isPrivateTag(0x00010010)).toBe(false); // groups 0001-0007 are reserved, not private
    expect(isPrivateCreatorTag(0x00290010)).toBe(true);
    expect(isPrivateCreatorTag(0x00291010)).toBe(false);
    expect(keywordOf(0x00291010)).toBeUndefined();
  });

  it("agrees with pydicom's data dictionary on every tag both know", () => {
    const theirs = pydicomDictionary();
    expect(Object.keys(theirs).length).toBeGreaterThan(4000);
    const mismatches: string[] = [];
    for (const [hex, entry] of Object.entries(theirs)) {
      const ours = entryOf(parseTag(hex)!);
      if (!ours) {
        mismatches.push(`${hex} missing`);
        continue;
      }
      // pydicom writes ambiguous VRs as "US or SS"; ours lists them.
      const vrs = entry.vr.split(' or ');
      if (!vrs.every((vr) => ours.vrs.includes(vr as never)) && entry.vr !== 'NONE') {
        mismatches.push(`${hex} VR ${ours.vrs.join('/')} vs ${entry.vr}`);
      }
      if (ours.keyword !== entry.keyword) mismatches.push(`${hex} keyword ${ours.keyword} vs ${entry.keyword}`);
    }
    expect(mismatches).toEqual([]);
  });
});
