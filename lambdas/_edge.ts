/**
 * The checks every Lambda handler makes at its edge: the event's shape (before any work) and how errors
 * leave (one line, the environment's secrets redacted).
 *
 * Events: an EventBridge scheduled event carries `version`, `id`, `detail-type`, `source`, `account`, `time`,
 * `region`, `resources` and `detail` (`{}` for a schedule). Only `time` and `detail` are read: `time`, when
 * present, must be an ISO 8601 date-time string; `detail`, when present, must be an object whose keys are
 * among the handler's own (a mistyped key such as `symbol` or `asof` is refused, never ignored).
 * @module
 */
import { FmaiError, InputError, isCalendarDate, oneLine, redact, shown } from "../lib/core/mod.ts";

/** What {@linkcode readEvent} returns: the event instant (when given) and the checked `detail`. */
export interface EventParts {
  /** `time` as epoch milliseconds, or `undefined` when the event has none. */
  at: number | undefined;
  detail: Record<string, unknown>;
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
/** Instants whose New York date is a 4-digit year (1970-01-02 .. 9999-12-30). */
const MIN_AT = Date.UTC(1970, 0, 2), MAX_AT = Date.UTC(9999, 11, 30);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * Checks `event` (an object, or `undefined` for a call without one) and returns its time and detail. Anything
 * else is an `InputError` naming the field: a non-object event or `detail`, a `detail` key not in `keys`, a
 * `time` that is not an ISO date-time string from 1970 to 9999.
 */
export function readEvent(event: unknown, keys: readonly string[]): EventParts {
  if (event === undefined) return { at: undefined, detail: {} };
  if (!isPlainObject(event)) {
    throw new InputError(`event: expected an object (an EventBridge event), got ${shown(event)}`);
  }
  let at: number | undefined;
  if ("time" in event && event.time !== undefined) {
    const t = event.time;
    // Date.parse rolls an impossible day over (2020-02-30 -> March 1): the calendar date is checked first
    const ms = typeof t === "string" && ISO_DATE_TIME.test(t) && isCalendarDate(t.slice(0, 10))
      ? Date.parse(t)
      : NaN;
    if (!Number.isFinite(ms) || ms < MIN_AT || ms > MAX_AT) {
      throw new InputError(
        `event.time: expected an ISO 8601 date-time such as 2024-06-07T21:30:00Z, got ${shown(t)}`,
      );
    }
    at = ms;
  }
  const d = event.detail;
  if (d === undefined) return { at, detail: {} };
  if (!isPlainObject(d)) throw new InputError(`detail: expected an object, got ${shown(d)}`);
  const unknown = Object.keys(d).filter((k) => !keys.includes(k));
  if (unknown.length) {
    throw new InputError(
      `detail.${unknown[0]} is not a field of this event (${keys.map((k) => `detail.${k}`).join(", ")})`,
    );
  }
  return { at, detail: d };
}

/**
 * Rethrows `e` as it leaves a handler: a project error as its one line, anything else (a bug) as
 * `internal error: <one line>` after logging its stack; the secrets are redacted from both.
 */
export function leaveAsOneLine(e: unknown, secrets: string[]): never {
  if (e instanceof FmaiError) throw new Error(redact(oneLine(e), secrets), { cause: e });
  console.error(redact(e instanceof Error && e.stack ? e.stack : String(e), secrets));
  throw new Error(`internal error: ${redact(oneLine(e), secrets)}`, { cause: e });
}
