/**
 * US equity (NYSE/Nasdaq) trading calendar: sessions, holidays, early closes, and the America/New_York close.
 * Rule-based (valid 1971 onward) plus the special closures since 1985; checked in tests against the NYSE
 * open-date list in `../shared/data/gspc-1927-2023-and-nyse-calendar`.
 * @module
 */
import type { Instant, IsoDate } from "./types.ts";

const DAY_MS = 86_400_000;

/**
 * The first date the holiday rules hold (the Monday holidays act): an earlier date is a session or not as the
 * data says (some then were sessions the rules call holidays).
 */
export const CALENDAR_CHECKED_FROM: IsoDate = "1971-01-01";

/** Special full-day closures (weather, national mourning, 9/11). */
const SPECIAL_CLOSURES = new Set<IsoDate>([
  "1985-09-27", // Hurricane Gloria
  "1994-04-27", // Nixon
  "2001-09-11",
  "2001-09-12",
  "2001-09-13",
  "2001-09-14",
  "2004-06-11", // Reagan
  "2007-01-02", // Ford
  "2012-10-29", // Sandy
  "2012-10-30",
  "2018-12-05", // G.H.W. Bush
  "2025-01-09", // Carter
]);

/** Parse `YYYY-MM-DD` to a UTC-midnight day number (days since epoch). Throws `RangeError` on bad input. */
export function dayNumber(date: IsoDate): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) {
    throw new RangeError(`not a YYYY-MM-DD date: ${JSON.stringify(date)}`);
  }
  const ms = Date.UTC(+date.slice(0, 4), +date.slice(5, 7) - 1, +date.slice(8, 10));
  const back = new Date(ms).toISOString().slice(0, 10);
  if (back !== date) throw new RangeError(`not a calendar date: ${date}`);
  return ms / DAY_MS;
}

/** Whether `date` is `YYYY-MM-DD` and a day of the calendar (`2018-02-30` is not). */
export function isCalendarDate(date: string): boolean {
  try {
    dayNumber(date);
    return true;
  } catch {
    return false;
  }
}

/** Day number (days since 1970-01-01) to `YYYY-MM-DD`. */
export function fromDayNumber(n: number): IsoDate {
  return new Date(n * DAY_MS).toISOString().slice(0, 10);
}

/** `date` plus `days` calendar days. */
export function addDays(date: IsoDate, days: number): IsoDate {
  return fromDayNumber(dayNumber(date) + days);
}

/** Day of week, 0 = Sunday ... 6 = Saturday. */
export function dayOfWeek(date: IsoDate): number {
  return ((dayNumber(date) + 4) % 7 + 7) % 7; // 1970-01-01 was a Thursday (and days before it count down)
}

function ymd(y: number, m: number, d: number): IsoDate {
  return `${String(y).padStart(4, "0")}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

/** The `n`-th (1-based) weekday `dow` of month `m` (1-12); n = -1 for the last. */
function nthWeekday(y: number, m: number, dow: number, n: number): IsoDate {
  if (n > 0) {
    const first = dayNumber(ymd(y, m, 1));
    const offset = (dow - ((first + 4) % 7) + 7) % 7;
    return fromDayNumber(first + offset + (n - 1) * 7);
  }
  const lastDay = dayNumber(m === 12 ? ymd(y + 1, 1, 1) : ymd(y, m + 1, 1)) - 1;
  const offset = (((lastDay + 4) % 7) - dow + 7) % 7;
  return fromDayNumber(lastDay - offset);
}

/** Gregorian Easter Sunday (anonymous algorithm). */
function easter(y: number): IsoDate {
  const a = y % 19, b = Math.floor(y / 100), c = y % 100, d = Math.floor(b / 4), e = b % 4;
  const f = Math.floor((b + 8) / 25), g = Math.floor((b - f + 1) / 3), h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4), k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31), day = ((h + l - 7 * m + 114) % 31) + 1;
  return ymd(y, month, day);
}

/** Saturday holidays move to Friday, Sunday holidays to Monday. */
function observed(date: IsoDate): IsoDate {
  const dow = dayOfWeek(date);
  return dow === 6 ? addDays(date, -1) : dow === 0 ? addDays(date, 1) : date;
}

const holidayCache = new Map<number, Map<IsoDate, string>>();

/** Exchange holidays (full-day closures on weekdays) of a year, date -> name. */
export function holidays(year: number): Map<IsoDate, string> {
  const cached = holidayCache.get(year);
  if (cached) return cached;
  const h = new Map<IsoDate, string>();
  // New Year's Day: Sunday -> Monday; Saturday -> not observed (NYSE rule).
  const ny = ymd(year, 1, 1);
  if (dayOfWeek(ny) === 0) h.set(addDays(ny, 1), "New Year's Day");
  else if (dayOfWeek(ny) !== 6) h.set(ny, "New Year's Day");
  if (year >= 1998) h.set(nthWeekday(year, 1, 1, 3), "Martin Luther King Jr. Day");
  h.set(nthWeekday(year, 2, 1, 3), "Washington's Birthday");
  h.set(addDays(easter(year), -2), "Good Friday");
  h.set(nthWeekday(year, 5, 1, -1), "Memorial Day");
  if (year >= 2022) h.set(observed(ymd(year, 6, 19)), "Juneteenth");
  h.set(observed(ymd(year, 7, 4)), "Independence Day");
  h.set(nthWeekday(year, 9, 1, 1), "Labor Day");
  h.set(nthWeekday(year, 11, 4, 4), "Thanksgiving Day");
  h.set(observed(ymd(year, 12, 25)), "Christmas Day");
  for (const d of SPECIAL_CLOSURES) if (d.startsWith(`${year}-`)) h.set(d, "Special closure");
  holidayCache.set(year, h);
  return h;
}

/** True when the exchange trades on `date`. */
export function isSession(date: IsoDate): boolean {
  const dow = dayOfWeek(date);
  if (dow === 0 || dow === 6) return false;
  return !holidays(+date.slice(0, 4)).has(date);
}

/**
 * True when `date` is a session by the published schedule: a weekday that is not a rule holiday. A special
 * closure (weather, mourning, 9/11) counts as a session here: it was announced at short notice, at the earliest
 * a few days before, so what is computed at an earlier close (a calendar feature) must not know it. Every day
 * {@link isSession} trades is a scheduled session.
 */
export function isScheduledSession(date: IsoDate): boolean {
  return isSession(date) || SPECIAL_CLOSURES.has(date);
}

/**
 * Early closes the rule below does not give, from 1993 on, as the `exchange_calendars` package (4.13.2, XNYS) lists
 * them: the Friday after a Thursday July 4 instead of July 3 (1996, 2002), and three more days after holidays.
 */
const EARLY_CLOSE_EXCEPTIONS = new Map<IsoDate, boolean>([
  ["1996-07-03", false],
  ["1996-07-05", true],
  ["1997-12-26", true],
  ["1999-12-31", true],
  ["2002-07-03", false],
  ["2002-07-05", true],
  ["2003-12-26", true],
]);

/**
 * True on scheduled 13:00 closes from 1993 on: July 3, the day after Thanksgiving, Christmas Eve (when sessions),
 * with the exceptions `exchange_calendars` lists (1993-2026: its XNYS early closes, every one).
 */
export function isEarlyClose(date: IsoDate): boolean {
  if (!isSession(date)) return false;
  const y = +date.slice(0, 4);
  if (y < 1993) return false;
  const exception = EARLY_CLOSE_EXCEPTIONS.get(date);
  if (exception !== undefined) return exception;
  const md = date.slice(5);
  if (md === "07-03" && dayOfWeek(date) !== 5) return true; // a Friday July 3 is the observed holiday
  if (md === "12-24") return true;
  return date === addDays(nthWeekday(y, 11, 4, 4), 1);
}

/** All sessions in `[from, to]`, inclusive. Throws `RangeError` when `from > to`. */
export function sessions(from: IsoDate, to: IsoDate): IsoDate[] {
  const a = dayNumber(from), b = dayNumber(to);
  if (a > b) throw new RangeError(`empty date range: ${from} > ${to}`);
  const out: IsoDate[] = [];
  for (let n = a; n <= b; n++) {
    const d = fromDayNumber(n);
    if (isSession(d)) out.push(d);
  }
  return out;
}

/** The first session strictly after `date`. */
export function nextSession(date: IsoDate): IsoDate {
  let d = addDays(date, 1);
  while (!isSession(d)) d = addDays(d, 1);
  return d;
}

/** The last session strictly before `date`. */
export function prevSession(date: IsoDate): IsoDate {
  let d = addDays(date, -1);
  while (!isSession(d)) d = addDays(d, -1);
  return d;
}

/** `date` when it is a session, else the last session before it (a weekend's or a holiday's Friday). */
export function sessionOnOrBefore(date: IsoDate): IsoDate {
  return isSession(date) ? date : prevSession(date);
}

const nyFormat = new Intl.DateTimeFormat("en-US", {
  timeZone: "America/New_York",
  hourCycle: "h23",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

function nyParts(t: Instant): { date: IsoDate; minutes: number } {
  const p: Record<string, string> = {};
  for (const part of nyFormat.formatToParts(new Date(t))) p[part.type] = part.value;
  return { date: `${p.year}-${p.month}-${p.day}`, minutes: +p.hour * 60 + +p.minute + +p.second / 60 };
}

const offsetCache = new Map<IsoDate, number>();

/** UTC offset of America/New_York at noon of `date`, in minutes (e.g. -300 for EST, -240 for EDT). */
export function nyOffsetMinutes(date: IsoDate): number {
  let off = offsetCache.get(date);
  if (off === undefined) {
    const noonUtc = dayNumber(date) * DAY_MS + 12 * 3_600_000;
    const { minutes } = nyParts(noonUtc);
    off = Math.round(minutes - 12 * 60);
    offsetCache.set(date, off);
  }
  return off;
}

/**
 * The instant of `hh:mm` America/New_York on `date`. On the two days a year the clocks change (at 02:00, on a
 * Sunday) a time before the change takes the day before's offset; a time the change skips (02:00-02:59 in
 * March) is read as the same time in the old offset (03:xx EDT), and a time it repeats (01:00-01:59 in
 * November) as its first occurrence (EDT), as JavaScript's Temporal "compatible" disambiguation does.
 */
export function nyTime(date: IsoDate, hh: number, mm = 0): Instant {
  const minutes = hh * 60 + mm, noon = nyOffsetMinutes(date);
  let off = noon;
  if (minutes < 180) {
    const before = nyOffsetMinutes(addDays(date, -1));
    // the change happens at 02:00 local: spring forward skips to 03:00, fall back returns to 01:00
    if (before !== noon && minutes < (noon > before ? 180 : 120)) off = before;
  }
  return dayNumber(date) * DAY_MS + (minutes - off) * 60_000;
}

/** The session's open (09:30 New York). */
export function openTime(date: IsoDate): Instant {
  return nyTime(date, 9, 30);
}

/** The session's close: 16:00 New York, 13:00 on early-close days. This is the decision time of `date`. */
export function closeTime(date: IsoDate): Instant {
  return isEarlyClose(date) ? nyTime(date, 13, 0) : nyTime(date, 16, 0);
}

/**
 * How long after the session close each daily series that is not printed at the close becomes public, in ms.
 * CBOE's volatility indexes settle their official close at 16:15 New York (13:15 on early closes), a quarter
 * hour after the 16:00 decision time, so a VIX close is known only from the next session's decision on. Every
 * other daily bar is known at the close.
 */
export const PUBLICATION_DELAYS: Readonly<Record<string, number>> = Object.freeze(
  Object.fromEntries(
    ["^VIX", "^VIX9D", "^VIX3M", "^VIX6M", "^VVIX", "^VXN", "^VXD", "^RVX"].map((s) => [s, 15 * 60_000]),
  ),
);

/** How long after the close `symbol`'s daily bar becomes public, in ms ({@linkcode PUBLICATION_DELAYS}; else 0). */
export function publicationDelay(symbol: string): number {
  return PUBLICATION_DELAYS[symbol.toUpperCase()] ?? 0;
}

/**
 * When the daily bar of `symbol` for `date` became public: its close, plus the series' publication delay
 * ({@linkcode PUBLICATION_DELAYS}, e.g. 16:15 for `^VIX`). Every source stamps daily bars with this.
 */
export function barKnownAt(symbol: string, date: IsoDate): Instant {
  return closeTime(date) + publicationDelay(symbol);
}

/** The New York calendar date of an instant. */
export function nyDate(t: Instant): IsoDate {
  // memoized per UTC hour: New York's UTC offset is a whole number of hours, so the date is constant in one
  const h = Math.floor(t / 3_600_000);
  let d = hourDates.get(h);
  if (d === undefined) {
    d = nyParts(t).date;
    if (hourDates.size > 200_000) hourDates.clear();
    hourDates.set(h, d);
  }
  return d;
}

const hourDates = new Map<number, IsoDate>();

/**
 * The first session whose decision time (close) is at or after `t`: the session at whose close a record
 * published at `t` is first usable. News after the close goes to the next session.
 */
export function sessionForKnownAt(t: Instant): IsoDate {
  let d = nyDate(t);
  if (!isSession(d)) d = nextSession(d);
  while (closeTime(d) < t) d = nextSession(d);
  return d;
}
