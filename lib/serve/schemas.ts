/**
 * The API's request and response schemas (zod through `@hono/zod-openapi`): one definition validates requests
 * and generates `/openapi.json`.
 * @module
 */
import { z } from "@hono/zod-openapi";
import { isCalendarDate, shown, SYMBOL_PATTERN } from "../core/mod.ts";

/**
 * Ticker symbols: the one pattern of the whole system (`SYMBOL_PATTERN` in `lib/core`: an optional `^`, then
 * letters, digits and `. - _ =`, at most 24 characters); the API upper-cases them.
 */
export const SYMBOL_RE: RegExp = SYMBOL_PATTERN;
/** Longest symbol the pattern admits (a symbol list is at most `MAX_SYMBOLS` of these and commas). */
const MAX_SYMBOL_CHARS = 24;
/** A registry version id (`YYYY-MM-DD.<10 hex>`) or an alias name. */
export const VERSION_RE = /^(\d{4}-\d{2}-\d{2}\.[0-9a-f]{10}|[a-z][a-z0-9-]{0,31})$/;
/** Most symbols one request may name. */
export const MAX_SYMBOLS = 100;

/**
 * A session date `YYYY-MM-DD` (a real calendar date); a refusal quotes the value as every date flag does
 * (`isoDateOf`), so a stray space shows: `query from: expected a date YYYY-MM-DD, got " 2019-07-02"`.
 */
export const IsoDateSchema = z.string().refine(isCalendarDate, {
  error: (issue) => `expected a date YYYY-MM-DD, got ${shown(issue.input)}`,
}).openapi({
  example: "2018-02-07",
});

/** Earliest instant a request may name: 1970-01-01T00:00:00Z (epoch 0). */
export const MIN_INSTANT = 0;
/** Latest instant a request may name: 9999-12-31T23:59:59.999Z (the last a `YYYY-MM-DD` date can hold). */
export const MAX_INSTANT = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** RFC 3339 (any number of fraction digits, read to the millisecond; `t` and `z` in either case, section 5.6). */
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/i;

/**
 * Whether the fields of an RFC 3339 time name a real instant: they round-trip through a UTC date (no Feb 31, no
 * hour 24, no second 60), and a zone offset is at most 23:59. `Date.parse` alone rolls `2026-02-31` over to
 * March 3 and reads `T24:00:00` as the next midnight.
 */
function realTime(m: RegExpExecArray): boolean {
  // seconds and a zone offset may be absent (0)
  const [y, mo, d, h, mi, sec, oh, om] = m.slice(1).map((x) => Number(x ?? 0));
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d); // years 0..99 as written, not 1900..1999
  t.setUTCHours(h, mi, sec);
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d &&
    t.getUTCHours() === h && t.getUTCMinutes() === mi && t.getUTCSeconds() === sec && oh <= 23 && om <= 59;
}

const instantForm = (s: string): boolean => {
  if (/^\d{1,15}$/.test(s)) return true;
  const m = RFC3339.exec(s);
  return m !== null && realTime(m) && !Number.isNaN(Date.parse(s));
};

/**
 * An instant: RFC 3339 with a zone (`2018-02-08T02:00:00Z`) or epoch milliseconds, from 1970-01-01T00:00:00Z
 * to 9999-12-31T23:59:59.999Z (`MIN_INSTANT`..`MAX_INSTANT`).
 */
export const InstantSchema = z.string().refine(instantForm, {
  error: (issue) => `expected an RFC 3339 time with a zone or epoch milliseconds, got ${shown(issue.input)}`,
}).refine(
  (s) => {
    if (!instantForm(s)) return true; // reported above
    const t = instantOf(s);
    return t >= MIN_INSTANT && t <= MAX_INSTANT;
  },
  {
    error: (issue) =>
      `expected an instant from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z, got ${shown(issue.input)}`,
  },
).openapi({ example: "2018-02-08T02:00:00Z" });

/** Parses an `InstantSchema` value to epoch ms. */
export function instantOf(s: string): number {
  return /^\d+$/.test(s) ? Number(s) : Date.parse(s);
}

const SymbolList = z.string().max(MAX_SYMBOLS * (MAX_SYMBOL_CHARS + 1)).refine(
  (s) => {
    const parts = s.split(",");
    return parts.length <= MAX_SYMBOLS && parts.every((p) => SYMBOL_RE.test(p));
  },
  { message: `expected up to ${MAX_SYMBOLS} comma-separated symbols` },
).openapi({ example: "AAPL,MSFT" });

const Version = z.string().regex(VERSION_RE, "expected a model version (YYYY-MM-DD.<10 hex>) or an alias")
  .openapi({ example: "champion" });

const AS_OF =
  "Answer as it was at this instant (replay), 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z; " +
  "the same request then always returns the same bytes (marked immutable once it is a minute in the past) unless `model` is " +
  "an alias, which is resolved when the request is answered";

/** `GET /v1/signals` query. */
export const SignalsQuery = z.object({
  date: IsoDateSchema.optional().openapi({ description: "Decision date; default the latest issued" }),
  symbols: SymbolList.optional(),
  model: Version.optional().openapi({
    description:
      "Model version, or an alias resolved when the request is answered (default: the latest run " +
      "for the date)",
  }),
  asOf: InstantSchema.optional().openapi({ description: AS_OF }),
}).strict();

/** `GET /v1/signals/{symbol}` query. */
export const HistoryQuery = z.object({
  from: IsoDateSchema.optional().openapi({
    description: "First decision date (default: one year before `to`)",
  }),
  to: IsoDateSchema.optional().openapi({
    description: "Last decision date (default: without `from`, the latest date issued by `asOf`, for " +
      "`model` when given; with `from`, or when none was issued, the New York date of `asOf`)",
  }),
  model: Version.optional(),
  asOf: InstantSchema.optional().openapi({ description: AS_OF }),
  // the pattern is the range, so the published spec says what the server takes
  limit: z.string().regex(/^([1-9]\d{0,2}|[1-4]\d{3}|5000)$/, "expected an integer 1..5000").optional()
    .openapi({ example: "250" }),
}).strict();

/** `GET /v1/scorecard` and `GET /v1/health` query. */
export const ScorecardQuery = z.object({
  from: IsoDateSchema.optional(),
  to: IsoDateSchema.optional(),
  model: Version.optional(),
  asOf: InstantSchema.optional().openapi({ description: AS_OF }),
}).strict();

/** `GET /v1/health` query. */
export const HealthQuery = z.object({
  date: IsoDateSchema.optional(),
  model: Version.optional(),
  asOf: InstantSchema.optional().openapi({ description: AS_OF }),
}).strict();

/** Path parameter `symbol`. */
export const SymbolParam = z.object({
  symbol: z.string().regex(SYMBOL_RE, "expected a ticker symbol").openapi({
    param: { name: "symbol", in: "path" },
    example: "AAPL",
  }),
});

/** Path parameter `version` (or an alias). */
export const VersionParam = z.object({
  version: Version.openapi({ param: { name: "version", in: "path" } }),
});

/** An error: one line. */
export const ErrorSchema = z.object({ error: z.string() }).openapi("Error");

const num = z.number().nullable();

/** A signal as issued. */
export const IssuedSignalSchema = z.object({
  symbol: z.string(),
  date: z.string().openapi({ description: "Decision session (signals are decided after its close)" }),
  forSession: z.string().openapi({ description: "The session the signal trades (fills at its open)" }),
  action: z.enum(["buy", "sell", "hold"]),
  size: z.number().openapi({
    description:
      "Target weight of the symbol in the portfolio for `forSession`, as a fraction of the whole " +
      "portfolio's capital (negative: short; 0: not held), from the portfolio rule in `sizing.rule`: `|size|` is " +
      "at most the per-name cap `maxWeight`, and the sum of `|size|` over a run's signals (the gross exposure) at " +
      "most `maxGross`; volatility targeting can keep it below that",
  }),
  confidence: z.number(),
  source: z.string(),
  modelVersion: z.string(),
  asOf: z.string().openapi({ description: "Data cut-off: records known at or before it" }),
  issuedAt: z.string().openapi({
    description:
      "When the signal was computed and stored; it is served from its run's issue time on (at or a " +
      "moment after this: the run becomes visible once all its signals and checks are written)",
  }),
  featureHash: z.string(),
  experts: z.array(z.object({
    expert: z.string(),
    weight: z.number().openapi({ description: "Gate weight" }),
    score: z.number(),
    calibrated: z.array(num).nullable(),
  })),
  sizing: z.object({
    rawScore: num.openapi({ description: "Combined (gate-weighted) score before calibration" }),
    score: num.openapi({ description: "The score the size came from (calibrated edge)" }),
    decisionEdge: num.openapi({
      description:
        "The edge the action and confidence were decided from: for a ranking book (top-k dropout, " +
        "long-short) the score minus the day's mean score over the tradable names (a sell may carry a positive " +
        "score below the day's mean), for Kelly the score itself; null on a name not tradable or a signal " +
        "issued before it was recorded",
    }),
    forecastVol: num.openapi({ description: "Annualized volatility forecast" }),
    rule: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).openapi({
      description: "Sizing rule and limits as configured",
    }),
    untradable: z.string().optional().openapi({
      description: "Present only when the name could not be traded (hold, size 0): why, e.g. no volatility " +
        "forecast for a symbol the fitted system was not fitted on (refit to trade it)",
    }),
    brake: z.object({
      engaged: z.boolean(),
      drawdown: num,
      sessions: num,
    }).optional().openapi({
      description:
        "Present only when the sizing rule has a drawdown brake: the paper account's drawdown from " +
        "its peak over its settled sessions, and whether the brake scaled the book (engaged)",
    }),
    varCap: z.object({
      var: num,
      limit: num,
      alpha: num,
    }).optional().openapi({
      description:
        "Present only when the sizing rule has a VaR limit: the day's book's one-day VaR at tail " +
        "probability alpha before the cap (fraction of capital) and the limit; the cap scaled the book down to " +
        "the limit when var > limit",
    }),
  }),
}).openapi("IssuedSignal");

/** `GET /v1/signals` response. */
export const SignalsResponse = z.object({
  date: z.string(),
  forSession: z.string(),
  modelVersion: z.string(),
  issuedAt: z.string().openapi({
    description: "When the run became visible (its run row written): a request with `asOf` at or after it " +
      "can be answered by this run, one before it never is",
  }),
  signals: z.array(IssuedSignalSchema),
  notInRun: z.array(z.string()).openapi({ description: "Requested symbols this run issued nothing for" }),
}).openapi("Signals");

/** `GET /v1/signals/{symbol}` response. */
export const HistoryResponse = z.object({
  symbol: z.string(),
  from: z.string(),
  to: z.string(),
  signals: z.array(IssuedSignalSchema),
  truncated: z.boolean().openapi({
    description: "Whether `limit` left out older dates of the range (the newest `limit` are kept)",
  }),
}).openapi("SignalHistory");

/** A model version in the list. */
export const ModelSummarySchema = z.object({
  version: z.string(),
  aliases: z.array(z.string()),
  digest: z.string(),
  createdAt: z.string(),
  trainWindow: z.array(z.string()),
  calibrationWindow: z.array(z.string()),
  featureSet: z.string(),
  metrics: z.record(z.string(), z.record(z.string(), z.number())),
}).openapi("ModelSummary");

/** `GET /v1/models` response. */
export const ModelsResponse = z.object({
  name: z.string(),
  aliases: z.record(z.string(), z.string()),
  versions: z.array(ModelSummarySchema),
}).openapi("Models");

/** `GET /v1/models/{version}` response: the manifest. */
export const ManifestResponse = z.record(z.string(), z.unknown()).openapi("Manifest", {
  description: "The registry manifest: files, digests, sizes and lineage",
});

/** `GET /v1/scorecard` response. */
export const ScorecardResponse = z.object({
  from: z.string(),
  to: z.string(),
  models: z.array(z.object({
    modelVersion: z.string(),
    source: z.string(),
    from: z.string(),
    to: z.string(),
    days: z.number(),
    signals: z.number(),
    traded: z.number(),
    hitRate: num,
    pnl: z.number().openapi({
      description:
        "Sum over the scored days of the day's mean P&L per signal: the mean, over the day's `n` " +
        "signals with a known return, of `size x return - 2 x cost x |size|` (return: next open to the open " +
        "after; cost: `backtest.costBps` per side, one round trip). A day's value is the sized positions' " +
        "P&L divided by `n`, not the book's P&L",
    }),
    meanDailyPnl: num.openapi({ description: "`pnl` / `days` (null without a scored day)" }),
    meanIc: num,
    icir: num,
    bookDays: z.number().openapi({
      description:
        "Scored days with the book's return recorded (days scored before it was recorded have none)",
    }),
    bookReturn: num.openapi({
      description: "The book's compounded return over `bookDays`: each day `Σ size x return` (sizes are " +
        "portfolio weights) less `backtest.costBps` per side on the turnover from the previous session's book " +
        "of the same version and source (from cash without one); null without a book day",
    }),
    benchmarkReturn: num.openapi({
      description:
        "Equal weight over the same days: the mean return of each day's scored symbols, compounded",
    }),
    bookSharpe: num.openapi({
      description: "Annualized Sharpe of the book's daily returns (null below 2 days)",
    }),
    bookMaxDrawdown: num.openapi({
      description: "The book's largest peak-to-trough fall (a non-positive fraction)",
    }),
    meanTurnover: num.openapi({ description: "Mean daily turnover `Σ |Δsize|`, a fraction of capital" }),
  })),
}).openapi("Scorecard");

/** `GET /v1/scorecard/days` response: the scored days themselves, for an equity curve. */
export const ScorecardDaysResponse = z.object({
  from: z.string(),
  to: z.string(),
  days: z.array(z.object({
    modelVersion: z.string(),
    source: z.string(),
    date: z.string().openapi({ description: "Decision date (traded from the next open to the open after)" }),
    signals: z.number().openapi({ description: "Signals with a known traded return" }),
    traded: z.number(),
    hits: z.number(),
    pnl: z.number().openapi({
      description: "Mean P&L per signal after round-trip costs (see `/v1/scorecard`)",
    }),
    ic: num,
    bookPnl: num.openapi({
      description: "The book's return that day after the costs of its turnover (null in days scored before " +
        "it was recorded)",
    }),
    turnover: num,
    benchmark: num.openapi({ description: "Equal-weight mean return of the day's scored symbols" }),
  })),
}).openapi("ScorecardDays");

/** `GET /v1/health` response: drift and freshness of a run. */
export const HealthResponse = z.object({
  date: z.string(),
  modelVersion: z.string(),
  shadowOf: z.string().nullable().openapi({
    description:
      "For a challenger's shadow run, the version of the production run it ran beside: health is " +
      "recorded only for a date's production run, so `status` and `checks` are that run's (the same data; drift " +
      "measured against that version's training window). Null for a production run",
  }),
  status: z.enum(["ok", "warn", "fail"]).openapi({
    description:
      "The run's status as the daily run stored it (`deno task signal` exits 3 on fail): fail when " +
      "the data is stale past its threshold or a share (`drift.failShare`) of the features fail, so one failing " +
      "check alone need not fail the run; each check carries its own status",
  }),
  checks: z.array(z.object({
    kind: z.string(),
    name: z.string(),
    value: num,
    warn: num,
    fail: num,
    status: z.string(),
  })),
}).openapi("Health");

/** `GET /healthz` response. */
export const HealthzResponse = z.object({ status: z.literal("ok") }).openapi("Healthz");
