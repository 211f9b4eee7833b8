import { WadoProblem } from '../wado/wado-problem';
import { parseWadoUriRequest } from './wado-uri-request';

const UIDS = 'studyUID=1.2.3&seriesUID=1.2.3.4&objectUID=1.2.3.4.5';
const parse = (query: string, accept?: string) => parseWadoUriRequest(new URLSearchParams(query), accept);

function fault(query: string, accept?: string): WadoProblem {
  try {
    parse(query, accept);
  } catch (error) {
    if (error instanceof WadoProblem) return error;
    throw error;
  }
  throw new Error(`${query} was accepted`);
}

describe('parseWadoUriRequest (PS3.18 9)', () => {
  it('reads a DICOM request, with or without transferSyntax', () => {
    expect(parse(`requestType=WADO&${UIDS}&contentType=application/dicom`)).toEqual({
      studyInstanceUid: '1.2.3',
      seriesInstanceUid: '1.2.3.4',
      sopInstanceUid: '1.2.3.4.5',
      kind: 'dicom',
      transferSyntax: undefined,
    });
    expect(
      parse(`requestType=WADO&${UIDS}&contentType=application/dicom&transferSyntax=1.2.840.10008.1.2.4.50`),
    ).toMatchObject({
      transferSyntax: '1.2.840.10008.1.2.4.50',
    });
  });

  it('defaults to image/jpeg, and maps the rendering parameters to the WADO-RS syntax', () => {
    const request = parse(
      `requestType=WADO&${UIDS}&rows=64&columns=32&windowCenter=40&windowWidth=400&imageQuality=75&frameNumber=3`,
    );
    expect(request).toMatchObject({ kind: 'rendered', format: 'image/jpeg', frameNumber: 3 });
    if (request.kind !== 'rendered') throw new Error('not rendered');
    expect(Object.fromEntries(request.renderParams)).toEqual({
      viewport: '32,64',
      window: '40,400,linear',
      quality: '75',
    });
    expect(parse(`requestType=WADO&${UIDS}&contentType=image/png`)).toMatchObject({
      format: 'image/png',
      frameNumber: 1,
    });
    expect(parse(`requestType=WADO&${UIDS}`, 'application/dicom')).toMatchObject({ kind: 'dicom' });
  });

  it('ignores parameters it does not support, as PS3.18 8.3 says', () => {
    expect(parse(`requestType=WADO&${UIDS}&annotation=patient&region=0,0,1,1&charset=UTF-8`)).toMatchObject({
      kind: 'rendered',
    });
  });

  it.each([
    ['', /^requestType is missing/],
    [`requestType=RSS&${UIDS}`, /^requestType: "RSS" is not supported/],
    ['requestType=WADO&seriesUID=1.2&objectUID=1.3', /^studyUID is missing/],
    ['requestType=WADO&studyUID=1.2&seriesUID=1.02&objectUID=1.3', /^seriesUID: "1.02" is not a valid UID/],
    [`requestType=WADO&${UIDS}&objectUID=1.9`, /^objectUID is given 2 times/],
    [`requestType=WADO&${UIDS}&contentType=application/dicom&transferSyntax=jpeg`, /^transferSyntax: "jpeg"/],
    [
      `requestType=WADO&${UIDS}&transferSyntax=1.2.840.10008.1.2.1`,
      /^transferSyntax applies to contentType application\/dicom only/,
    ],
    [
      `requestType=WADO&${UIDS}&contentType=application/dicom&rows=10&columns=10`,
      /^rows, columns apply to rendered images/,
    ],
    [`requestType=WADO&${UIDS}&rows=10`, /^columns is missing/],
    [`requestType=WADO&${UIDS}&windowWidth=10`, /^windowCenter is missing/],
    [`requestType=WADO&${UIDS}&windowCenter=1&windowWidth=0`, /^windowWidth: 0 is less than 1/],
    [`requestType=WADO&${UIDS}&windowCenter=x&windowWidth=10`, /^windowCenter: "x" is not a decimal/],
    [`requestType=WADO&${UIDS}&imageQuality=101`, /^imageQuality: "101" is not an integer from 1 to 100/],
    [`requestType=WADO&${UIDS}&frameNumber=0`, /^frameNumber: "0" is not an integer/],
    [`requestType=WADO&${UIDS}&anonymize=yes`, /^anonymize is not supported/],
  ])('answers 400 for "%s"', (query, detail) => {
    const problem = fault(query);
    expect(problem.status).toBe(400);
    expect(problem.detail).toMatch(detail);
  });

  it('answers 406 naming a contentType it cannot return', () => {
    const problem = fault(`requestType=WADO&${UIDS}&contentType=image/gif`);
    expect(problem.status).toBe(406);
    expect(problem.detail).toMatch(/^contentType "image\/gif" names no media type/);
  });
});
