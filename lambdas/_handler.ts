/**
 * The shared body of every collector Lambda: parse the EventBridge scheduled event (optional
 * `detail.symbols`, `detail.from`, `detail.to`), read the configuration from the environment, open the
 * stores, build the sources, run the SAME pipeline step functions as the CLI over the symbols in batches,
 * and return the summary. Stops starting new batches when less than 30 s of the invocation are left and
 * reports the rest as not run.
 *
 * Failures are failures: when any symbol failed or was not run, the handler logs the summary and then throws
 * one line naming them (so the asynchronous invocation is retried, lands in the dead-letter queue, and the
 * error alarm fires); re-running is exact because every collection step is incremental and idempotent.
 * The event is checked before anything is fetched (`readEvent` in `_edge.ts`): `detail` holds only `symbols`,
 * `from` and `to`; symbols match the one documented pattern and none is given twice (in any case); dates are
 * `YYYY-MM-DD`. `detail.to` alone ends the handler's usual window there (`prices`: `FMAI_LOOKBACK_DAYS` before
 * it; `calendars`: `FMAI_CALENDAR_DAYS` days ending on it).
 * @module
 */
import "./_deno_shim.ts";
import process from "node:process";
import {
  addDays,
  checkSymbol,
  FmaiError,
  InputError,
  isCalendarDate,
  type IsoDate,
  normalizeSymbols,
  nyDate,
  sessionOnOrBefore,
  shown,
} from "../lib/core/mod.ts";
import {
  checkRequest,
  createNasdaqSource,
  createReplayFetch,
  createYahooSource,
} from "../lib/sources/mod.ts";
import { openStores, secretsOf } from "../lib/store/mod.ts";
import {
  type CollectKind,
  type CollectRequest,
  type CollectSources,
  createRawRecorder,
  runCollect,
  summarize,
  type SummaryRow,
} from "../pipelines/collect/mod.ts";
import { configFromEnv, type Env } from "./_config.ts";
import { leaveAsOneLine, readEvent } from "./_edge.ts";

export type { Env } from "./_config.ts";

/** An EventBridge scheduled event (only the fields used; the others are left alone). */
export interface ScheduledEvent {
  time?: string;
  "detail-type"?: string;
  detail?: { symbols?: unknown; from?: IsoDate; to?: IsoDate };
}

/** The keys a collector's `detail` may hold. */
export const COLLECT_DETAIL_KEYS = ["symbols", "from", "to"] as const;

/** The part of the Lambda context used. */
export interface LambdaContext {
  getRemainingTimeInMillis?(): number;
}

/** What a handler returns. */
export interface HandlerResult {
  kinds: CollectKind[];
  from: IsoDate;
  to: IsoDate;
  symbols: number;
  batches: number;
  ok: number;
  failed: number;
  rows: number;
  inserted: number;
  objects: number;
  /** Symbols not run because the invocation was about to time out. */
  notRun: string[];
  results: Omit<SummaryRow, "cause">[];
}

/** How a handler picks its date window from the event date. */
export type Window = "prices" | "snapshot" | "calendars" | "statements";

/** The request window of a handler for an event date (see the module notes of each handler). */
export function windowFor(kind: Window, day: IsoDate, cfg: { lookbackDays: number; calendarDays: number }) {
  const to = sessionOnOrBefore(day);
  switch (kind) {
    case "prices":
      return { from: addDays(to, -cfg.lookbackDays), to };
    case "statements":
      return { from: addDays(to, -400), to };
    case "calendars":
      return { from: day, to: addDays(day, cfg.calendarDays - 1) };
    default:
      return { from: to, to };
  }
}

/**
 * The window of a handler that ends on `to` (an event with `detail.to` and no `detail.from`): the handler's
 * usual window for that date, ending exactly on `to` (`calendars`: the `calendarDays` days up to `to`).
 */
export function windowEndingAt(
  kind: Window,
  to: IsoDate,
  cfg: { lookbackDays: number; calendarDays: number },
): { from: IsoDate; to: IsoDate } {
  if (kind === "calendars") return { from: addDays(to, 1 - cfg.calendarDays), to };
  return { from: windowFor(kind, to, cfg).from, to };
}

/** `detail.from` / `detail.to`: a `YYYY-MM-DD` calendar date, else an `InputError` naming the field. */
function dateOf(v: unknown, where: string): IsoDate | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string" || !isCalendarDate(v)) {
    throw new InputError(`${where}: expected a date YYYY-MM-DD, got ${shown(v)}`);
  }
  return v;
}

/**
 * The event's symbols: a list of strings or one comma-separated string, upper-cased, each checked against the
 * symbol pattern. Anything else (`[null, 123, {}]`, a number, an object) is an `InputError` naming the entry;
 * so is a symbol given twice in any case (`AAPL`, `aapl`): it would be collected and counted twice.
 */
export function symbolsOf(event: ScheduledEvent, dflt: string[]): string[] {
  const s = (event?.detail as { symbols?: unknown } | null | undefined)?.symbols;
  if (s === undefined) return dflt;
  let list: unknown[];
  if (typeof s === "string") list = s.split(",").map((x) => x.trim()).filter(Boolean);
  else if (Array.isArray(s)) list = s;
  else throw new InputError(`detail.symbols: expected a list of symbols or a comma-separated string`);
  if (!list.length) throw new InputError("detail.symbols is empty");
  const given = list.map((x, i) => checkSymbol(typeof x === "string" ? x.trim() : x, `detail.symbols[${i}]`));
  return normalizeSymbols(given, "detail.symbols").symbols;
}

/** A handler run in which some symbol failed or was not run: thrown after the summary is logged. */
export class CollectRunError extends FmaiError {
  readonly result: HandlerResult;
  constructor(message: string, result: HandlerResult) {
    super(message, { userError: false });
    this.result = result;
  }
}

/** One line naming what failed and what was left (at most 10 of each, then a count). */
export function failureLine(r: HandlerResult): string {
  const failed = r.results.filter((x) => !x.ok);
  const list = (xs: string[]) =>
    xs.length > 10 ? `${xs.slice(0, 10).join(", ")} and ${xs.length - 10} more` : xs.join(", ");
  const parts: string[] = [];
  if (failed.length) {
    parts.push(
      `${failed.length} of ${r.results.length} failed (${
        list(failed.map((x) => `${x.kind} ${x.symbol}: ${x.error}`))
      })`,
    );
  }
  if (r.notRun.length) parts.push(`${r.notRun.length} not run for lack of time (${list(r.notRun)})`);
  return `collect ${r.kinds.join(",")} ${r.from}..${r.to}: ${parts.join("; ")}`;
}

/**
 * Runs `kinds` for the event. `env` defaults to `process.env`. Throws only for configuration errors and
 * store outages; per-symbol failures are in the result.
 */
export async function collectHandler(
  kinds: CollectKind[],
  window: Window,
  event: ScheduledEvent,
  context?: LambdaContext,
  env?: Env,
): Promise<HandlerResult> {
  const cfg = configFromEnv(env);
  const ev = readEvent(event, COLLECT_DETAIL_KEYS);
  const givenFrom = dateOf(ev.detail.from, "detail.from"), givenTo = dateOf(ev.detail.to, "detail.to");
  // `detail.to` alone: the usual window, ending there (as `deno task collect` counts --from from --to)
  const w = givenTo !== undefined && givenFrom === undefined
    ? windowEndingAt(window, givenTo, cfg)
    : windowFor(window, nyDate(ev.at ?? Date.now()), cfg);
  const from = givenFrom ?? w.from, to = givenTo ?? w.to;
  const symbols = symbolsOf({ detail: ev.detail }, cfg.symbols);
  checkRequest({ symbols, from, to }); // e.g. from after to: a one-line InputError before anything is fetched
  const base = cfg.replayDirs.length ? await createReplayFetch(cfg.replayDirs) : undefined;
  const raw = createRawRecorder(base ?? ((i, init) => fetch(i, init)));
  const fast = base ? { rateLimitPerSec: 1000, retries: 0 } : {};
  const log = (level: string, message: string) => console.warn(`[yahoo-finance2 ${level}] ${message}`);
  const sources: CollectSources = {
    raw,
    yahoo: createYahooSource({ fetch: raw.fetch, ...fast, log }),
    nasdaq: createNasdaqSource({ fetch: raw.fetch, ...fast }),
  };
  const stores = await openStores(cfg.store);
  const results: SummaryRow[] = [];
  const notRun: string[] = [];
  let batches = 0;
  try {
    // calendars are per day, not per symbol: one batch with every symbol (filings and dividend history)
    const size = kinds.includes("calendars") ? Math.max(symbols.length, 1) : cfg.batchSize;
    for (let i = 0; i < Math.max(symbols.length, 1); i += size) {
      const batch = symbols.slice(i, i + size);
      if (batches > 0 && (context?.getRemainingTimeInMillis?.() ?? Infinity) < 30_000) {
        notRun.push(...symbols.slice(i));
        break;
      }
      const req: CollectRequest = {
        symbols: batch,
        from,
        to,
        concurrency: cfg.concurrency,
        optionExpiries: cfg.optionExpiries,
      };
      results.push(...await runCollect(kinds, sources, stores, req));
      batches++;
    }
  } finally {
    await stores.close();
  }
  const t = summarize(results);
  for (const r of results.filter((r) => !r.ok)) {
    console.warn(`collect ${r.kind} ${r.symbol} failed: ${r.error}`);
  }
  return {
    kinds,
    from,
    to,
    symbols: symbols.length,
    batches,
    ...t,
    notRun,
    results: results.map(({ cause: _c, ...r }) => r),
  };
}

/**
 * Wraps a handler body: logs one line per invocation. A run where any symbol failed or was not run throws
 * (after logging its summary) so that AWS counts the invocation as failed; every error leaves as one line with
 * the environment's secrets redacted (a bug keeps its stack in the log).
 */
export function makeHandler(kinds: CollectKind[], window: Window, env: Env = process.env) {
  return async (event: ScheduledEvent, context?: LambdaContext): Promise<HandlerResult> => {
    const secrets = secretsOf(env);
    try {
      const r = await collectHandler(kinds, window, event, context, env);
      console.log(
        `collect ${
          kinds.join(",")
        } ${r.from}..${r.to}: ${r.ok} ok, ${r.failed} failed, ${r.notRun.length} not run, ${r.inserted} new rows, ` +
          `${r.objects} objects`,
      );
      if (r.failed > 0 || r.notRun.length > 0) throw new CollectRunError(failureLine(r), r);
      return r;
    } catch (e) {
      leaveAsOneLine(e, secrets);
    }
  };
}
