import { ImagingError } from './imaging.errors';

/** VOI LUT Function (0028,1056) defined terms (PS3.3 C.11.2.1.2, C.11.2.1.3). */
export type VoiLutFunction = 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';

/** A VOI window (PS3.3 C.11.2.1.2): center and width in Modality LUT output units. */
export interface RenderWindow {
  readonly center: number;
  readonly width: number;
  /** LINEAR when omitted, as when VOI LUT Function is absent (PS3.3 C.11.2.1.3). */
  readonly function?: VoiLutFunction;
}

/**
 * A region of the source image in pixels (PS3.18 8.3.5.1.3 viewport sx, sy, sw, sh); a width or
 * height of 0 reaches to the right or bottom edge of the image.
 */
export interface SourceRegion {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** The rendered size (PS3.18 8.3.5.1.3): the image scaled to fit, aspect ratio kept. */
export interface RenderViewport {
  readonly width: number;
  readonly height: number;
  /** Rendered instead of the whole image when given. */
  readonly region?: SourceRegion;
}

/** How renderFrame renders (PS3.18 8.3.5.1 rendered media types and query parameters). */
export interface RenderOptions {
  readonly format: 'image/jpeg' | 'image/png';
  /** JPEG quality 1-100 (default 90); PNG is lossless and ignores it. */
  readonly quality?: number;
  /** Overrides the data set's window; grayscale images only. */
  readonly window?: RenderWindow;
  readonly viewport?: RenderViewport;
}

/** Largest rendered width or height: a viewport is a display, not a way to allocate gigabytes. */
export const MAX_VIEWPORT_SIZE = 8192;

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const UNSIGNED = /^\d+$/;

const FUNCTIONS: Readonly<Record<string, VoiLutFunction>> = {
  linear: 'LINEAR',
  'linear-exact': 'LINEAR_EXACT',
  sigmoid: 'SIGMOID',
};

function bad(parameter: string, message: string): ImagingError {
  return new ImagingError('BAD_RENDER_OPTION', `Query parameter ${parameter}: ${message}`, parameter);
}

function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) throw bad(name, 'given more than once');
  return values[0];
}

function integerIn(parameter: string, what: string, text: string | undefined, min: number, max: number): number {
  const value = text !== undefined && UNSIGNED.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw bad(parameter, `${what} "${text ?? ''}" is not an integer from ${min} to ${max}`);
  }
  return value;
}

/** quality=q: an integer 1-100 (PS3.18 8.3.5.1.2). */
function parseQuality(text: string): number {
  return integerIn('quality', 'quality', text, 1, 100);
}

/**
 * window=center,width,function (PS3.18 8.3.5.1.4): decimal center and width, function linear,
 * linear-exact or sigmoid (LINEAR when left out). Width at least 1 for LINEAR (PS3.3 C.11.2.1.2.1),
 * above 0 for the others (C.11.2.1.3).
 */
function parseWindow(text: string): RenderWindow {
  const parts = text.split(',').map((part) => part.trim());
  if (parts.length < 2 || parts.length > 3) throw bad('window', `"${text}" is not center,width,function`);
  const [centerText, widthText, functionText] = parts as [string, string, string | undefined];
  if (!DECIMAL.test(centerText)) throw bad('window', `center "${centerText}" is not a decimal number`);
  if (!DECIMAL.test(widthText)) throw bad('window', `width "${widthText}" is not a decimal number`);
  const fn = functionText === undefined || functionText === '' ? 'LINEAR' : FUNCTIONS[functionText.toLowerCase()];
  if (!fn) throw bad('window', `function "${functionText}" is not linear, linear-exact or sigmoid`);
  const center = Number(centerText);
  const width = Number(widthText);
  if (!Number.isFinite(center) || !Number.isFinite(width)) throw bad('window', `"${text}" is out of range`);
  if (fn === 'LINEAR' ? width < 1 : width <= 0) {
    throw bad('window', `width ${widthText} must be ${fn === 'LINEAR' ? 'at least 1' : 'above 0'} for ${fn}`);
  }
  return { center, width, function: fn };
}

/**
 * viewport=vw,vh[,sx,sy,sw,sh] (PS3.18 8.3.5.1.3): the rendered width and height, and optionally the
 * source region (offset and size in pixels; an empty sx or sy is 0, an empty sw or sh the rest of the
 * image). Negative sw or sh (flipping) is not supported.
 */
function parseViewport(text: string): RenderViewport {
  const parts = text.split(',').map((part) => part.trim());
  if (parts.length !== 2 && parts.length !== 6) throw bad('viewport', `"${text}" is not vw,vh or vw,vh,sx,sy,sw,sh`);
  const width = integerIn('viewport', 'vw', parts[0], 1, MAX_VIEWPORT_SIZE);
  const height = integerIn('viewport', 'vh', parts[1], 1, MAX_VIEWPORT_SIZE);
  if (parts.length === 2) return { width, height };
  const [, , sx, sy, sw, sh] = parts as [string, string, string, string, string, string];
  if (sw.startsWith('-') || sh.startsWith('-'))
    throw bad('viewport', 'a negative sw or sh (flipping) is not supported');
  const region = {
    x: sx === '' ? 0 : integerIn('viewport', 'sx', sx, 0, Number.MAX_SAFE_INTEGER),
    y: sy === '' ? 0 : integerIn('viewport', 'sy', sy, 0, Number.MAX_SAFE_INTEGER),
    // 0 stands for "to the edge of the image", resolved when the image size is known.
    width: sw === '' ? 0 : integerIn('viewport', 'sw', sw, 1, Number.MAX_SAFE_INTEGER),
    height: sh === '' ? 0 : integerIn('viewport', 'sh', sh, 1, Number.MAX_SAFE_INTEGER),
  };
  return { width, height, region };
}

/**
 * Reads the rendering query parameters of PS3.18 8.3.5.1: quality, window and viewport. Others
 * (accept, charset, annotation, iccprofile) are the caller's or not supported, and ignored here.
 * ImagingError BAD_RENDER_OPTION, `parameter` naming the one at fault, for a malformed or
 * out-of-range value or one given twice.
 */
export function parseRenderQuery(params: URLSearchParams): Omit<RenderOptions, 'format'> {
  const quality = single(params, 'quality');
  const window = single(params, 'window');
  const viewport = single(params, 'viewport');
  return {
    ...(quality !== undefined && { quality: parseQuality(quality) }),
    ...(window !== undefined && { window: parseWindow(window) }),
    ...(viewport !== undefined && { viewport: parseViewport(viewport) }),
  };
}

/** Checks options given in code (not parsed from a query) with the same rules. */
export function checkRenderOptions(options: RenderOptions): void {
  if (options.format !== 'image/jpeg' && options.format !== 'image/png') {
    throw bad('accept', `"${String(options.format)}" is not image/jpeg or image/png`);
  }
  if (options.quality !== undefined) parseQuality(String(options.quality));
  const window = options.window;
  if (window) {
    const fn = window.function ?? 'LINEAR';
    if (!Number.isFinite(window.center) || !Number.isFinite(window.width)) {
      throw bad('window', `center ${window.center} and width ${window.width} must be finite`);
    }
    if (fn === 'LINEAR' ? window.width < 1 : window.width <= 0) {
      throw bad('window', `width ${window.width} must be ${fn === 'LINEAR' ? 'at least 1' : 'above 0'} for ${fn}`);
    }
  }
  const viewport = options.viewport;
  if (viewport) {
    integerIn('viewport', 'vw', String(viewport.width), 1, MAX_VIEWPORT_SIZE);
    integerIn('viewport', 'vh', String(viewport.height), 1, MAX_VIEWPORT_SIZE);
  }
}
