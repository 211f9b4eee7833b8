import { readDataset, type DicomDataset } from '@pacs/dicom';
import { encodeDataset, type TestElement } from '@pacs/dicom/testing';
import { datasetWindow, minMaxWindow, modalityRescale, voiFunction } from './voi';

function dataset(elements: TestElement[]): DicomDataset {
  const read = readDataset(encodeDataset(elements, '1.2.840.10008.1.2.1'), { transferSyntax: '1.2.840.10008.1.2.1' });
  if (read.status !== 'complete') throw new Error('incomplete');
  return read.dataset;
}

describe('VOI LUT functions (PS3.3 C.11.2.1.2, C.11.2.1.3)', () => {
  it('LINEAR: the edges of C.11.2.1.2.1 for c=100, w=201 (below c-0.5-(w-1)/2 is 0, above c-0.5+(w-1)/2 is 255)', () => {
    const voi = voiFunction({ center: 100, width: 201, function: 'LINEAR' });
    // c - 0.5 - (w-1)/2 = -0.5 and c - 0.5 + (w-1)/2 = 199.5
    expect(voi(-0.5)).toBe(0);
    expect(voi(-1000)).toBe(0);
    expect(voi(199.6)).toBe(255);
    expect(voi(5000)).toBe(255);
    // at x = c - 0.5 the line passes 0.5 of the range: 127.5, rounded half up
    expect(voi(99.5)).toBe(128);
    // monotonic in between
    const values = Array.from({ length: 200 }, (_, i) => voi(i));
    expect(values).toEqual([...values].sort((a, b) => a - b));
  });

  it('LINEAR with width 1 is a threshold at the center', () => {
    const voi = voiFunction({ center: 10, width: 1 });
    expect([voi(9), voi(9.5), voi(9.6), voi(10), voi(11)]).toEqual([0, 0, 255, 255, 255]);
  });

  it('LINEAR_EXACT: c-w/2 and below is 0, above c+w/2 is 255, linear between (C.11.2.1.3.2)', () => {
    const voi = voiFunction({ center: 0, width: 100, function: 'LINEAR_EXACT' });
    expect(voi(-50)).toBe(0);
    expect(voi(50)).toBe(255);
    expect(voi(50.01)).toBe(255);
    expect(voi(0)).toBe(128); // 127.5 rounded
    expect(voi(25)).toBe(191); // 0.75 * 255 = 191.25
  });

  it('SIGMOID: half way at the center, 1/(1+e^-4) of the range a half width above (Equation C.11-1)', () => {
    const voi = voiFunction({ center: 500, width: 200, function: 'SIGMOID' });
    expect(voi(500)).toBe(128);
    expect(voi(700)).toBe(Math.round(255 / (1 + Math.exp(-4))));
    expect(voi(300)).toBe(Math.round(255 / (1 + Math.exp(4))));
  });

  it('maps the min and max of a frame to 0 and 255 when there is no window', () => {
    const voi = voiFunction(minMaxWindow(-1024, 3071));
    expect(voi(-1024)).toBe(0);
    expect(voi(3071)).toBe(255);
    expect(voi(1023.5)).toBe(128);
  });
});

describe('windows and rescale from the data set', () => {
  it('takes the first Window Center / Width and the VOI LUT Function', () => {
    const ds = dataset([
      { tag: 'WindowCenter', value: ['40', '400'] },
      { tag: 'WindowWidth', value: ['400', '1500'] },
      { tag: 'VOILUTFunction', value: 'SIGMOID' },
    ]);
    expect(datasetWindow(ds, 0)).toEqual({ center: 40, width: 400, function: 'SIGMOID' });
  });

  it('ignores a window that is unusable for LINEAR (width below 1)', () => {
    const ds = dataset([
      { tag: 'WindowCenter', value: '40' },
      { tag: 'WindowWidth', value: '0' },
    ]);
    expect(datasetWindow(ds, 0)).toBeUndefined();
  });

  it('prefers the per-frame functional groups, then the shared ones (PS3.3 C.7.6.16)', () => {
    const voiItem = (center: string, width: string): TestElement[] => [
      {
        tag: 'FrameVOILUTSequence',
        value: [
          [
            { tag: 'WindowCenter', value: center },
            { tag: 'WindowWidth', value: width },
          ],
        ],
      },
    ];
    const rescaleItem = (slope: string, intercept: string): TestElement[] => [
      {
        tag: 'PixelValueTransformationSequence',
        value: [
          [
            { tag: 'RescaleIntercept', value: intercept },
            { tag: 'RescaleSlope', value: slope },
          ],
        ],
      },
    ];
    const ds = dataset([
      { tag: 'WindowCenter', value: '1' },
      { tag: 'WindowWidth', value: '2' },
      { tag: 'SharedFunctionalGroupsSequence', value: [[...voiItem('10', '20'), ...rescaleItem('2', '-5')]] },
      { tag: 'PerFrameFunctionalGroupsSequence', value: [voiItem('30', '40'), []] },
    ]);
    expect(datasetWindow(ds, 0)).toEqual({ center: 30, width: 40, function: 'LINEAR' });
    expect(datasetWindow(ds, 1)).toEqual({ center: 10, width: 20, function: 'LINEAR' });
    expect(modalityRescale(ds, 1)).toEqual({ slope: 2, intercept: -5 });
  });

  it('uses identity rescale when Rescale Slope / Intercept are absent', () => {
    expect(modalityRescale(dataset([{ tag: 'Modality', value: 'MR' }]), 0)).toEqual({ slope: 1, intercept: 0 });
  });
});
