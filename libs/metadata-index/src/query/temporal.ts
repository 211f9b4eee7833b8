// DA, TM and DT values (PS3.5 Table 6.2-1) as comparable strings: each value covers an interval
// at its precision, from its earliest to its latest instant.

const DA = /^\d{4}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$/;
const TM = /^([01]\d|2[0-3])([0-5]\d([0-5]\d|60)?)?(\.\d{1,6})?$/;
const DT = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\.\d{1,6})?([+-]\d{4})?$/;

export function isValidDa(value: string): boolean {
  return DA.test(value);
}

export function isValidTm(value: string): boolean {
  // A fraction needs the seconds (HHMMSS.FFFFFF).
  return TM.test(value) && (!value.includes('.') || value.indexOf('.') === 6);
}

export function isValidDt(value: string): boolean {
  const parts = DT.exec(value);
  if (!parts) return false;
  const [, , month, day, hour, minute, second, fraction, offset] = parts;
  if (fraction && !second) return false;
  // A UTC offset is -1200 to +1400 (PS3.5 Table 6.2-1): "2020-2021" is a range, not an offset.
  if (offset && (+offset.slice(1, 3) > 14 || +offset.slice(3) > 59)) return false;
  if (month && (+month < 1 || +month > 12)) return false;
  if (day && (+day < 1 || +day > 31)) return false;
  if (hour && +hour > 23) return false;
  if (minute && +minute > 59) return false;
  return !(second && +second > 60);
}

/** The interval a stored or queried value covers, as strings that compare in time order. */
export interface Interval {
  readonly low: string;
  readonly high: string;
}

/** YYYYMMDD: a date covers itself. */
export function dateInterval(value: string): Interval | undefined {
  const date = value.trim();
  return isValidDa(date) ? { low: date, high: date } : undefined;
}

/** HHMMSS.FFFFFF, padded: `10` is 100000.000000 to 105959.999999. */
export function timeInterval(value: string): Interval | undefined {
  const time = value.trim();
  if (!isValidTm(time)) return undefined;
  return { low: padTime(time, '0000', '000000'), high: padTime(time, '5959', '999999') };
}

/**
 * YYYYMMDDHHMMSS.FFFFFF, padded; a UTC offset is ignored (both sides are taken in the same local
 * time, which is what modalities send: see the conformance statement).
 */
export function dateTimeInterval(value: string): Interval | undefined {
  const dt = value.trim();
  if (!isValidDt(dt)) return undefined;
  const local = dt.replace(/[+-]\d{4}$/, '');
  const [whole, fraction = ''] = local.split('.') as [string, string?];
  const low = whole + '0101000000'.slice(whole.length - 4);
  const high = whole + '1231235959'.slice(whole.length - 4);
  return { low: `${low}.${fraction.padEnd(6, '0')}`, high: `${high}.${fraction.padEnd(6, '9')}` };
}

function padTime(time: string, minSec: string, fractionFill: string): string {
  const [whole, fraction] = time.split('.') as [string, string?];
  const hhmmss = whole + minSec.slice(whole.length - 2);
  const fill = fractionFill[0]!;
  return `${hhmmss}.${(fraction ?? '').padEnd(6, fill)}`;
}
