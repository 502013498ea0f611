/**
 * The one parser of whole numbers, and of dates, written by a user: command-line flags, environment variables.
 * @module
 */
import { isCalendarDate } from "./calendar.ts";
import { ConfigError } from "./errors.ts";
import { shown } from "./symbols.ts";
import type { IsoDate } from "./types.ts";

/** Inclusive bounds of {@linkcode wholeNumber}: `min` defaults to 1, `max` to none (the largest safe integer). */
export interface WholeNumberRange {
  min?: number;
  max?: number;
}

/**
 * `raw` as a whole number in `range`: decimal digits only (no sign, spaces, `0x10`, `1e2`, `7.0` or empty
 * text), a safe integer, from `min` (default 1) to `max` (default none). Otherwise a one-line `ConfigError`
 * naming `where` (`--runs`, `FMAI_BATCH_SIZE`), what is wanted (`a positive whole number`, `a whole number
 * from 1 to 8`, `a whole number >= 0`), then `why` as given (e.g. ` for minilm`) and the value:
 * `--n: expected a whole number from 1 to 8, got "9"`.
 */
export function wholeNumber(raw: string, where: string, range: WholeNumberRange = {}, why = ""): number {
  const { min = 1, max = Number.MAX_SAFE_INTEGER } = range;
  const n = /^[0-9]+$/.test(raw) ? Number(raw) : NaN;
  if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
  const want = max !== Number.MAX_SAFE_INTEGER
    ? `a whole number from ${min} to ${max}`
    : min === 1
    ? "a positive whole number"
    : `a whole number >= ${min}`;
  throw new ConfigError(`${where}: expected ${want}${why}, got ${shown(raw)}`);
}

/**
 * `raw` as a date `YYYY-MM-DD` of the calendar (`2018-02-30` is not one; nothing is trimmed), else a one-line
 * `ConfigError` naming `where` and the value quoted, so a stray space shows:
 * `--as-of: expected a date YYYY-MM-DD, got "2018-12-20 "`.
 */
export function isoDateOf(raw: string, where: string): IsoDate {
  if (!isCalendarDate(raw)) throw new ConfigError(`${where}: expected a date YYYY-MM-DD, got ${shown(raw)}`);
  return raw;
}
