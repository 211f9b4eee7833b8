import { ImagingError } from './imaging.errors';
import { parseRenderQuery } from './render-options';

function parse(query: string): ReturnType<typeof parseRenderQuery> {
  return parseRenderQuery(new URLSearchParams(query));
}

function failure(query: string): ImagingError {
  try {
    parse(query);
  } catch (error) {
    if (error instanceof ImagingError) return error;
    throw error;
  }
  throw new Error(`"${query}" was accepted`);
}

describe('parseRenderQuery (PS3.18 8.3.5.1)', () => {
  it('reads nothing from a query without rendering parameters, ignoring the others', () => {
    expect(parse('')).toEqual({});
    expect(parse('annotation=patient&iccprofile=no')).toEqual({});
  });

  it('reads quality as an integer 1-100', () => {
    expect(parse('quality=1')).toEqual({ quality: 1 });
    expect(parse('quality=100')).toEqual({ quality: 100 });
  });

  it('reads window=center,width,function with decimal numbers and the three functions', () => {
    expect(parse('window=40,400,linear')).toEqual({ window: { center: 40, width: 400, function: 'LINEAR' } });
    expect(parse('window=-600.5,1.5e3,sigmoid')).toEqual({
      window: { center: -600.5, width: 1500, function: 'SIGMOID' },
    });
    expect(parse('window=0,0.5,LINEAR-EXACT')).toEqual({
      window: { center: 0, width: 0.5, function: 'LINEAR_EXACT' },
    });
    expect(parse('window=40,400')).toEqual({ window: { center: 40, width: 400, function: 'LINEAR' } });
  });

  it('reads viewport=vw,vh and the source region form', () => {
    expect(parse('viewport=512,256')).toEqual({ viewport: { width: 512, height: 256 } });
    expect(parse('viewport=100,100,10,20,30,40')).toEqual({
      viewport: { width: 100, height: 100, region: { x: 10, y: 20, width: 30, height: 40 } },
    });
    expect(parse('viewport=100,100,,,,')).toEqual({
      viewport: { width: 100, height: 100, region: { x: 0, y: 0, width: 0, height: 0 } },
    });
  });

  it.each([
    ['quality=0', 'quality', /quality "0" is not an integer from 1 to 100/],
    ['quality=101', 'quality', /from 1 to 100/],
    ['quality=high', 'quality', /"high"/],
    ['quality=50.5', 'quality', /"50.5"/],
    ['quality=', 'quality', /""/],
    ['quality=50&quality=60', 'quality', /more than once/],
    ['window=40', 'window', /not center,width,function/],
    ['window=40,400,linear,x', 'window', /not center,width,function/],
    ['window=abc,400', 'window', /center "abc" is not a decimal number/],
    ['window=40,wide', 'window', /width "wide" is not a decimal number/],
    ['window=40,0.5,linear', 'window', /at least 1 for LINEAR/],
    ['window=40,0,sigmoid', 'window', /above 0 for SIGMOID/],
    ['window=40,-5,linear-exact', 'window', /above 0 for LINEAR_EXACT/],
    ['window=40,400,cubic', 'window', /function "cubic"/],
    ['viewport=512', 'viewport', /not vw,vh/],
    ['viewport=0,100', 'viewport', /vw "0"/],
    ['viewport=100,-1', 'viewport', /vh "-1"/],
    ['viewport=100.5,100', 'viewport', /vw "100.5"/],
    ['viewport=99999,100', 'viewport', /from 1 to 8192/],
    ['viewport=100,100,1,2,3', 'viewport', /not vw,vh/],
    ['viewport=100,100,0,0,-50,50', 'viewport', /flipping/],
    ['viewport=100,100,x,0,50,50', 'viewport', /sx "x"/],
  ])('refuses %s naming %s', (query, parameter, message) => {
    const error = failure(query);
    expect(error.code).toBe('BAD_RENDER_OPTION');
    expect(error.parameter).toBe(parameter);
    expect(error.message).toContain(`Query parameter ${parameter}`);
    expect(error.message).toMatch(message);
  });
});
