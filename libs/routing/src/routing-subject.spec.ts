import { attributeStrings, type RoutingSubject } from './routing-subject';

const subject: RoutingSubject = {
  attributes: {
    '00080060': { vr: 'CS', Value: ['CT '] },
    '00080008': { vr: 'CS', Value: ['ORIGINAL', null, 'AXIAL'] },
    '00100010': { vr: 'PN', Value: [{ Alphabetic: 'DOE^JOHN', Ideographic: 'ド^ジョン' }, { Phonetic: 'x' }] },
    '00200011': { vr: 'IS', Value: [7] },
    '00080016': { vr: 'UI', Value: ['1.2.3\0'] },
    '00080080': { vr: 'LO' },
    '00081115': { vr: 'SQ', Value: [{ '0020000E': { vr: 'UI', Value: ['1.2'] } }] },
    '7FE00010': { vr: 'OW', BulkDataURI: 'http://x' },
  },
};

describe('attributeStrings', () => {
  it('gives the strings rules compare', () => {
    expect(attributeStrings(subject, '00080060')).toEqual(['CT']);
    expect(attributeStrings(subject, '00080008')).toEqual(['ORIGINAL', '', 'AXIAL']);
    expect(attributeStrings(subject, '00100010')).toEqual(['DOE^JOHN', '']);
    expect(attributeStrings(subject, '00200011')).toEqual(['7']);
    expect(attributeStrings(subject, '00080016')).toEqual(['1.2.3']);
    expect(attributeStrings(subject, '00080080')).toEqual(['']);
    expect(attributeStrings(subject, '00081115')).toEqual([]);
    expect(attributeStrings(subject, '7FE00010')).toEqual([]);
    expect(attributeStrings(subject, '00100020')).toBeUndefined();
  });
});
