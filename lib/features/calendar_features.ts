/**
 * Calendar features from session dates (`YYYY-MM-DD`): day of week, month, calendar days and trading sessions
 * left in the month. The exchange's rule holidays are published in advance; its special closures are not, so the
 * sessions left count them as sessions until they happen (no look-ahead either way).
 * @module
 */
import { type IsoDate, isScheduledSession } from "../core/mod.ts";

function digit(d: IsoDate, i: number): number {
  const c = d.charCodeAt(i) - 48;
  if (!(c >= 0 && c <= 9)) throw new RangeError(`not a YYYY-MM-DD date: ${JSON.stringify(d)}`);
  return c;
}

/** Parses `YYYY-MM-DD` to the packed integer `year * 512 + month * 32 + day` (no allocation). */
function parse(d: IsoDate): number {
  if (d.length !== 10 || d.charCodeAt(4) !== 45 || d.charCodeAt(7) !== 45) {
    throw new RangeError(`not a YYYY-MM-DD date: ${JSON.stringify(d)}`);
  }
  const y = digit(d, 0) * 1000 + digit(d, 1) * 100 + digit(d, 2) * 10 + digit(d, 3);
  const m = digit(d, 5) * 10 + digit(d, 6), day = digit(d, 8) * 10 + digit(d, 9);
  if (!(m >= 1 && m <= 12 && day >= 1 && day <= daysInMonth(y, m))) {
    throw new RangeError(`not a calendar date: ${d}`);
  }
  return y * 512 + m * 32 + day;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a civil date (proleptic Gregorian). */
function civilDays(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Day of week of each date: 0 = Sunday, 1 = Monday ... 5 = Friday, 6 = Saturday. */
export function dayOfWeekColumn(dates: readonly IsoDate[]): Float64Array {
  const out = new Float64Array(dates.length);
  for (let i = 0; i < dates.length; i++) {
    const p = parse(dates[i]);
    out[i] = (((civilDays(p >> 9, (p >> 5) & 15, p & 31) + 4) % 7) + 7) % 7;
  }
  return out;
}

/** Month of each date, 1-12. */
export function monthColumn(dates: readonly IsoDate[]): Float64Array {
  const out = new Float64Array(dates.length);
  for (let i = 0; i < dates.length; i++) out[i] = (parse(dates[i]) >> 5) & 15;
  return out;
}

/** Calendar days from each date to the last day of its month (0 on the last day). */
export function daysToMonthEnd(dates: readonly IsoDate[]): Float64Array {
  const out = new Float64Array(dates.length);
  for (let i = 0; i < dates.length; i++) {
    const p = parse(dates[i]);
    out[i] = daysInMonth(p >> 9, (p >> 5) & 15) - (p & 31);
  }
  return out;
}

const sessionsLeftCache = new Map<IsoDate, number>();

/**
 * NYSE sessions after each date in the same month (0 on the month's last session) by the rule holidays alone (core
 * `isScheduledSession`): a special closure later in the month (Sandy on 2012-10-29/30, 9/11, a day of mourning)
 * counts as a session until it happens, even where it was announced a few days before (conservative: never known
 * early).
 */
export function sessionsToMonthEnd(dates: readonly IsoDate[]): Float64Array {
  const out = new Float64Array(dates.length);
  for (let i = 0; i < dates.length; i++) {
    const key = dates[i];
    let v = sessionsLeftCache.get(key);
    if (v === undefined) {
      const p = parse(key);
      const y = p >> 9, m = (p >> 5) & 15, d = p & 31;
      v = 0;
      const mm = String(m).padStart(2, "0");
      for (let day = d + 1; day <= daysInMonth(y, m); day++) {
        if (isScheduledSession(`${key.slice(0, 4)}-${mm}-${String(day).padStart(2, "0")}`)) v++;
      }
      sessionsLeftCache.set(key, v);
    }
    out[i] = v;
  }
  return out;
}
