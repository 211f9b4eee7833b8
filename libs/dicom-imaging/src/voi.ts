import type { DicomDataset } from '@pacs/dicom';
import type { RenderWindow, VoiLutFunction } from './render-options';

/** Rescale Slope and Intercept: the linear Modality LUT (PS3.3 C.11.1.1.2). */
export interface ModalityRescale {
  readonly slope: number;
  readonly intercept: number;
}

/**
 * The item of a functional group for a frame of a multi-frame image (PS3.3 C.7.6.16): the frame's
 * own in Per-frame Functional Groups, else the shared one.
 */
function functionalGroup(dataset: DicomDataset, frameIndex: number, sequence: string): DicomDataset | undefined {
  const own = dataset.items('PerFrameFunctionalGroupsSequence')[frameIndex]?.items(sequence)[0];
  return own ?? dataset.items('SharedFunctionalGroupsSequence')[0]?.items(sequence)[0];
}

/**
 * The Modality LUT of a frame as slope and intercept: from the Pixel Value Transformation functional
 * group (PS3.3 C.7.6.16.2.9) of enhanced images, else the data set's (PS3.3 C.11.1); identity when
 * absent or unreadable. A Modality LUT Sequence is not applied.
 */
export function modalityRescale(dataset: DicomDataset, frameIndex: number): ModalityRescale {
  const source = functionalGroup(dataset, frameIndex, 'PixelValueTransformationSequence') ?? dataset;
  const slope = source.number('RescaleSlope');
  const intercept = source.number('RescaleIntercept');
  return {
    slope: slope !== undefined && Number.isFinite(slope) && slope !== 0 ? slope : 1,
    intercept: intercept !== undefined && Number.isFinite(intercept) ? intercept : 0,
  };
}

function voiFunctionOf(text: string | undefined): VoiLutFunction {
  return text === 'LINEAR_EXACT' || text === 'SIGMOID' ? text : 'LINEAR';
}

/** Whether a window is usable with its function (PS3.3 C.11.2.1.2.1, C.11.2.1.3). */
export function isValidWindow(window: RenderWindow): boolean {
  const fn = window.function ?? 'LINEAR';
  return (
    Number.isFinite(window.center) &&
    Number.isFinite(window.width) &&
    (fn === 'LINEAR' ? window.width >= 1 : window.width > 0)
  );
}

/**
 * The first window of a frame (PS3.3 C.11.2): from the Frame VOI LUT functional group of enhanced
 * images (C.7.6.16.2.10), else Window Center / Window Width (0028,1050/1051) with VOI LUT Function
 * (0028,1056). Undefined when there is none, or it is unusable.
 */
export function datasetWindow(dataset: DicomDataset, frameIndex: number): RenderWindow | undefined {
  const source = functionalGroup(dataset, frameIndex, 'FrameVOILUTSequence') ?? dataset;
  const center = source.number('WindowCenter');
  const width = source.number('WindowWidth');
  if (center === undefined || width === undefined) return undefined;
  const window = { center, width, function: voiFunctionOf(source.string('VOILUTFunction')) };
  return isValidWindow(window) ? window : undefined;
}

/**
 * A window spanning the values from `min` to `max` (the fallback when the data set has none):
 * LINEAR with width max - min + 1 maps min to 0 and max to 255 (PS3.3 C.11.2.1.2.1).
 */
export function minMaxWindow(min: number, max: number): RenderWindow {
  return { center: (min + max) / 2 + 0.5, width: max - min + 1, function: 'LINEAR' };
}

/**
 * The VOI LUT function of a window, mapping Modality LUT output to 0-255 (PS3.3 C.11.2.1.2.1 for
 * LINEAR, C.11.2.1.3.2 for LINEAR_EXACT, Equation C.11-1 for SIGMOID), rounded to an integer.
 */
export function voiFunction(window: RenderWindow): (x: number) => number {
  const { center: c, width: w } = window;
  const top = 255;
  switch (window.function ?? 'LINEAR') {
    case 'LINEAR_EXACT':
      return (x) => (x <= c - w / 2 ? 0 : x > c + w / 2 ? top : Math.round(((x - c) / w + 0.5) * top));
    case 'SIGMOID':
      return (x) => Math.round(top / (1 + Math.exp((-4 * (x - c)) / w)));
    default: {
      const low = c - 0.5 - (w - 1) / 2;
      const high = c - 0.5 + (w - 1) / 2;
      return (x) => (x <= low ? 0 : x > high ? top : Math.round(((x - (c - 0.5)) / (w - 1) + 0.5) * top));
    }
  }
}
