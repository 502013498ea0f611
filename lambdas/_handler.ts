/**
 * The shared body of every collector Lambda: parse the EventBridge scheduled event (optional
 * `detail.symbols`, `detail.from`, `detail.to`), read the configuration from the environment, open the
 * stores, build the sources, run the SAME pipeline step functions as the CLI over the symbols in batches,
 * and return the summary. Stops starting new batches when less than 30 s of the invocation are left and
 * reports the rest as not run.
 * @module
 */
import "./_deno_shim.ts";
import {
  addDays,
  FmaiError,
  type IsoDate,
  isSession,
  nyDate,
  oneLine,
  prevSession,
} from "../lib/core/mod.ts";
import {
  checkRequest,
  createNasdaqSource,
  createReplayFetch,
  createYahooSource,
} from "../lib/sources/mod.ts";
import { openStores } from "../lib/store/mod.ts";
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

/** An EventBridge scheduled event (only the fields used). */
export interface ScheduledEvent {
  time?: string;
  "detail-type"?: string;
  detail?: { symbols?: string[] | string; from?: IsoDate; to?: IsoDate };
}

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

function lastSessionOnOrBefore(d: IsoDate): IsoDate {
  return isSession(d) ? d : prevSession(d);
}

/** The request window of a handler for an event date (see the module notes of each handler). */
export function windowFor(kind: Window, day: IsoDate, cfg: { lookbackDays: number; calendarDays: number }) {
  const to = lastSessionOnOrBefore(day);
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

function symbolsOf(event: ScheduledEvent, dflt: string[]): string[] {
  const s = event?.detail?.symbols;
  if (s === undefined) return dflt;
  const list = Array.isArray(s) ? s : String(s).split(",");
  const out = list.map((x) => String(x).trim().toUpperCase()).filter(Boolean);
  if (!out.length) throw new RangeError("detail.symbols is empty");
  return out;
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
  const at = event?.time ? Date.parse(event.time) : Date.now();
  if (!Number.isFinite(at)) throw new RangeError(`event.time is not a date: ${event.time}`);
  const w = windowFor(window, nyDate(at), cfg);
  const from = event?.detail?.from ?? w.from, to = event?.detail?.to ?? w.to;
  const symbols = symbolsOf(event, cfg.symbols);
  checkRequest({ symbols, from, to }); // bad detail.from/to: a one-line RangeError before anything is fetched
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

/** Wraps a handler body: logs one line per invocation; configuration errors surface as one-line errors. */
export function makeHandler(kinds: CollectKind[], window: Window) {
  return async (event: ScheduledEvent, context?: LambdaContext): Promise<HandlerResult> => {
    try {
      const r = await collectHandler(kinds, window, event, context);
      console.log(
        `collect ${
          kinds.join(",")
        } ${r.from}..${r.to}: ${r.ok} ok, ${r.failed} failed, ${r.inserted} new rows, ` +
          `${r.objects} objects`,
      );
      return r;
    } catch (e) {
      if ((e instanceof FmaiError && e.userError) || e instanceof RangeError) throw new Error(oneLine(e));
      throw e;
    }
  };
}
