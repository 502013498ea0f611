/**
 * The tables of the system and converters between their rows and the domain types of `lib/core`.
 * Column names are snake_case; `known_at` is epoch ms (int). Prices missing at the source are stored as NULL
 * and read back as `NaN`.
 * @module
 */
import { DataValidationError } from "../core/mod.ts";
import { nyDate } from "../core/mod.ts";
import type {
  Bar,
  CorporateAction,
  ExpertContribution,
  OptionQuote,
  Prediction,
  Signal,
  SizeDecision,
  UniverseMember,
} from "../core/mod.ts";
import type { Row, TableSchema } from "./types.ts";

/** Daily bars; key (symbol, date); the date index serves "one day across symbols". */
export const BARS: TableSchema = {
  name: "bars",
  columns: {
    symbol: "text",
    date: "date",
    open: "real",
    high: "real",
    low: "real",
    close: "real",
    adj_close: "real",
    volume: "real",
    known_at: "int",
  },
  key: ["symbol", "date"],
  indexes: [["date"]],
};

/** Splits and dividends; key (symbol, date, kind). */
export const CORPORATE_ACTIONS: TableSchema = {
  name: "corporate_actions",
  columns: { symbol: "text", date: "date", kind: "text", value: "real", known_at: "int" },
  key: ["symbol", "date", "kind"],
  indexes: [["date"]],
};

/** Named numeric statistics per symbol and date (key statistics, fundamentals); key (symbol, date, name). */
export const STATISTICS: TableSchema = {
  name: "statistics",
  columns: { symbol: "text", date: "date", name: "text", value: "real", known_at: "int" },
  key: ["symbol", "date", "name"],
  indexes: [["name", "date"]],
};

/** Calendar events (earnings dates, dividends, macro releases); `payload` is JSON. */
export const CALENDAR_EVENTS: TableSchema = {
  name: "calendar_events",
  columns: { source: "text", kind: "text", symbol: "text", date: "date", payload: "text", known_at: "int" },
  key: ["source", "kind", "symbol", "date"],
  indexes: [["date"], ["symbol", "date"]],
};

/** Model predictions; `payload` is the kind-specific JSON; key (model, kind, symbol, date, horizon). */
export const PREDICTIONS: TableSchema = {
  name: "predictions",
  columns: {
    model: "text",
    kind: "text",
    symbol: "text",
    date: "date",
    horizon: "int",
    payload: "text",
    known_at: "int",
  },
  key: ["model", "kind", "symbol", "date", "horizon"],
  indexes: [["symbol", "date"]],
};

/**
 * Trading signals. `payload` is the JSON list of expert contributions (each with its gate weight, score and
 * calibrated output); `provenance` the JSON of the rest of `SignalProvenance` (as-of time, issue time, sizing);
 * `score` the row's combined edge, the gate-weighted calibrated experts (a production row's sizing `rawScore`).
 * Key (source, symbol, date, model_version): a new model version adds rows and never overwrites an issued
 * signal. Research runs (`deno task pipeline`) write `model_version` `""`; stores made before the column existed
 * are migrated by `ensureTable` (their rows get `""`, so lookups by the old key (source, symbol, date) still work).
 */
export const SIGNALS: TableSchema = {
  name: "signals",
  columns: {
    source: "text",
    symbol: "text",
    date: "date",
    action: "text",
    size: "real",
    confidence: "real",
    payload: "text",
    known_at: "int",
    model_version: "text",
    score: "real",
    feature_hash: "text",
    issued_at: "int",
    provenance: "text",
  },
  key: ["source", "symbol", "date", "model_version"],
  indexes: [["symbol", "date"], ["date"], ["model_version", "date"]],
  defaults: { model_version: "" },
};

/**
 * One row per production run of a model version for an as-of session (`deno task signal`): when it was issued,
 * what it covered, and its health status. `payload` is the run summary as JSON. Key (model_version, as_of).
 */
export const SIGNAL_RUNS: TableSchema = {
  name: "signal_runs",
  columns: {
    model_version: "text",
    as_of: "date",
    source: "text",
    for_date: "date",
    symbols: "int",
    status: "text",
    payload: "text",
    issued_at: "int",
    known_at: "int",
  },
  key: ["model_version", "as_of"],
  indexes: [["as_of"]],
};

/**
 * Health checks of a production run: feature drift (`kind` `psi`, `name` the feature, `value` the population
 * stability index against the training window), data freshness (`kind` `freshness`, `name` a symbol or `*`,
 * `value` sessions behind the as-of date) and listing (`kind` `listing`, `name` a symbol without a stored bar by
 * the as-of date, `status` `warn`, `fail` null); `status` `ok` | `warn` | `fail` against the configured
 * thresholds.
 * Key (model_version, as_of, kind, name).
 */
export const HEALTH: TableSchema = {
  name: "health",
  columns: {
    model_version: "text",
    as_of: "date",
    kind: "text",
    name: "text",
    value: "real",
    warn: "real",
    fail: "real",
    status: "text",
    known_at: "int",
  },
  key: ["model_version", "as_of", "kind", "name"],
  indexes: [["as_of"]],
};

/**
 * The paper scorecard: realized outcomes of issued signals, one row per model version, source and decision date
 * once the traded return (next open to the open after) is known. `pnl` is the sum over symbols of size x return
 * less costs, divided by the number of symbols; `ic` the cross-sectional Spearman correlation of score and return;
 * `book_pnl` the book's return (sizes are portfolio weights) less the costs of `turnover`, the trades from the
 * previous session's book of the same version and source; `benchmark` the equal-weight return of the scored
 * symbols. The last three are NULL in rows scored before they were recorded. Key (model_version, source, date).
 */
export const SCORECARD: TableSchema = {
  name: "scorecard",
  columns: {
    model_version: "text",
    source: "text",
    date: "date",
    n: "int",
    traded: "int",
    hits: "int",
    pnl: "real",
    ic: "real",
    known_at: "int",
    book_pnl: "real",
    turnover: "real",
    benchmark: "real",
  },
  key: ["model_version", "source", "date"],
  indexes: [["date"]],
};

/**
 * Option quotes, one snapshot per contract and New York day of observation (`date` = day of `known_at`);
 * key (symbol, contract, date): re-collecting the same day replaces that day's snapshot (the `options` step
 * replaces the symbol's rows of the day whole, contracts no longer listed included).
 */
export const OPTIONS: TableSchema = {
  name: "options",
  columns: {
    symbol: "text",
    contract: "text",
    date: "date",
    expiry: "date",
    strike: "real",
    kind: "text",
    bid: "real",
    ask: "real",
    last: "real",
    volume: "real",
    open_interest: "real",
    implied_vol: "real",
    known_at: "int",
    underlying: "real",
    last_trade_at: "int",
  },
  key: ["symbol", "contract", "date"],
  indexes: [["symbol", "date"], ["expiry"]],
};

/** Point-in-time universe membership spells; key (universe, symbol, from_date); `to_date` NULL = still a member. */
export const UNIVERSE_MEMBERSHIP: TableSchema = {
  name: "universe_membership",
  columns: { universe: "text", symbol: "text", from_date: "date", to_date: "date", known_at: "int" },
  key: ["universe", "symbol", "from_date"],
  indexes: [["universe", "from_date"]],
};

/** Every table schema of the system. */
export const ALL_SCHEMAS: readonly TableSchema[] = [
  BARS,
  CORPORATE_ACTIONS,
  STATISTICS,
  CALENDAR_EVENTS,
  PREDICTIONS,
  SIGNALS,
  OPTIONS,
  SIGNAL_RUNS,
  HEALTH,
  SCORECARD,
  UNIVERSE_MEMBERSHIP,
];

const num = (v: number): number | null => (Number.isFinite(v) ? v : null);
const real = (v: Row[string]): number => (typeof v === "number" ? v : NaN);
const str = (v: Row[string]): string => (typeof v === "string" ? v : String(v ?? ""));

/** A bar as a `bars` row (non-finite prices become NULL). */
export function barToRow(b: Bar): Row {
  return {
    symbol: b.symbol,
    date: b.date,
    open: num(b.open),
    high: num(b.high),
    low: num(b.low),
    close: num(b.close),
    adj_close: num(b.adjClose),
    volume: num(b.volume),
    known_at: b.knownAt,
  };
}

/** A `bars` row as a bar (NULL prices become `NaN`; a NULL `adj_close` becomes `close`). */
export function rowToBar(r: Row): Bar {
  const close = real(r.close);
  return {
    symbol: str(r.symbol),
    date: str(r.date),
    open: real(r.open),
    high: real(r.high),
    low: real(r.low),
    close,
    adjClose: r.adj_close === null || r.adj_close === undefined ? close : real(r.adj_close),
    volume: real(r.volume),
    knownAt: real(r.known_at),
  };
}

/** A corporate action as a `corporate_actions` row. */
export function actionToRow(a: CorporateAction): Row {
  return { symbol: a.symbol, date: a.date, kind: a.kind, value: a.value, known_at: a.knownAt };
}

/** A `corporate_actions` row as a corporate action. */
export function rowToAction(r: Row): CorporateAction {
  const kind = str(r.kind);
  if (kind !== "split" && kind !== "dividend") {
    throw new DataValidationError(`unknown corporate action kind ${JSON.stringify(kind)}`, {
      where: `corporate_actions ${str(r.symbol)} ${str(r.date)}`,
    });
  }
  return { symbol: str(r.symbol), date: str(r.date), kind, value: real(r.value), knownAt: real(r.known_at) };
}

/**
 * A signal as a `signals` row: contributions go to the JSON `payload`, the provenance to its columns and the
 * JSON `provenance`; a signal without provenance gets `model_version` `""`.
 */
export function signalToRow(s: Signal): Row {
  const p = s.provenance;
  return {
    source: s.source,
    symbol: s.symbol,
    date: s.date,
    action: s.action,
    size: s.size,
    confidence: s.confidence,
    payload: JSON.stringify(s.contributions),
    known_at: s.knownAt,
    model_version: p?.modelVersion ?? "",
    score: p && Number.isFinite(p.sizing.rawScore) ? p.sizing.rawScore : null,
    feature_hash: p?.featureHash ?? null,
    issued_at: p?.issuedAt ?? null,
    provenance: p ? JSON.stringify({ asOf: p.asOf, issuedAt: p.issuedAt, sizing: p.sizing }) : null,
  };
}

/** A `signals` row as a signal (with its provenance when the row has a model version). */
export function rowToSignal(r: Row): Signal {
  const action = str(r.action);
  const where = `signals ${str(r.symbol)} ${str(r.date)}`;
  if (action !== "buy" && action !== "sell" && action !== "hold") {
    throw new DataValidationError(`unknown action ${JSON.stringify(action)}`, { where });
  }
  const out: Signal = {
    source: str(r.source),
    symbol: str(r.symbol),
    date: str(r.date),
    action,
    size: real(r.size),
    confidence: real(r.confidence),
    contributions: r.payload ? (JSON.parse(str(r.payload)) as ExpertContribution[]) : [],
    knownAt: real(r.known_at),
  };
  const version = r.model_version === null || r.model_version === undefined ? "" : str(r.model_version);
  if (version && r.provenance) {
    let p: { asOf: number; issuedAt: number; sizing: SizeDecision };
    try {
      p = JSON.parse(str(r.provenance));
    } catch (e) {
      throw new DataValidationError("provenance is not JSON", { where, cause: e });
    }
    const nan = (v: number | null | undefined) => (typeof v === "number" ? v : NaN);
    const sizing: SizeDecision = {
      rawScore: nan(p.sizing.rawScore),
      score: nan(p.sizing.score),
      forecastVol: nan(p.sizing.forecastVol),
      ...(typeof p.sizing.decisionEdge === "number" ? { decisionEdge: p.sizing.decisionEdge } : {}),
      rule: p.sizing.rule ?? {},
      ...(typeof p.sizing.untradable === "string" ? { untradable: p.sizing.untradable } : {}),
      ...(p.sizing.brake && typeof p.sizing.brake.engaged === "boolean"
        ? {
          brake: {
            engaged: p.sizing.brake.engaged,
            drawdown: nan(p.sizing.brake.drawdown),
            sessions: nan(p.sizing.brake.sessions),
          },
        }
        : {}),
      ...(p.sizing.varCap && typeof p.sizing.varCap.var === "number"
        ? {
          varCap: {
            var: p.sizing.varCap.var,
            limit: nan(p.sizing.varCap.limit),
            alpha: nan(p.sizing.varCap.alpha),
          },
        }
        : {}),
    };
    out.provenance = {
      modelVersion: version,
      asOf: p.asOf,
      featureHash: str(r.feature_hash),
      issuedAt: p.issuedAt,
      sizing,
    };
  }
  return out;
}

/** A prediction as a `predictions` row; trend and levels have horizon 1, volatility its own horizon. */
export function predictionToRow(p: Prediction): Row {
  const base = { model: p.model, kind: p.kind, symbol: p.symbol, date: p.date, known_at: p.knownAt };
  switch (p.kind) {
    case "trend":
      return { ...base, horizon: 1, payload: JSON.stringify({ probs: p.probs }) };
    case "levels":
      return {
        ...base,
        horizon: 1,
        payload: JSON.stringify({ close: p.close, supports: p.supports, resistances: p.resistances }),
      };
    case "volatility":
      return {
        ...base,
        horizon: p.horizon,
        payload: JSON.stringify({ variance: p.variance, annualizedVol: p.annualizedVol }),
      };
  }
}

/** A `predictions` row as a prediction. */
export function rowToPrediction(r: Row): Prediction {
  const base = { model: str(r.model), symbol: str(r.symbol), date: str(r.date), knownAt: real(r.known_at) };
  const where = `predictions ${base.model} ${base.symbol} ${base.date}`;
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(str(r.payload));
  } catch (e) {
    throw new DataValidationError("payload is not JSON", { where, cause: e });
  }
  switch (r.kind) {
    case "trend":
      return { ...base, kind: "trend", probs: payload.probs as [number, number, number] };
    case "levels":
      return {
        ...base,
        kind: "levels",
        close: payload.close as number,
        supports: payload.supports as { price: number; strength: number }[],
        resistances: payload.resistances as { price: number; strength: number }[],
      };
    case "volatility":
      return {
        ...base,
        kind: "volatility",
        horizon: real(r.horizon),
        variance: payload.variance as number,
        annualizedVol: payload.annualizedVol as number,
      };
    default:
      throw new DataValidationError(`unknown prediction kind ${JSON.stringify(r.kind)}`, { where });
  }
}

/** An option quote as an `options` row (`date` = New York day of `knownAt`; NaN values become NULL). */
export function optionToRow(o: OptionQuote): Row {
  return {
    symbol: o.symbol,
    contract: o.contract,
    date: nyDate(o.knownAt),
    expiry: o.expiry,
    strike: num(o.strike),
    kind: o.right,
    bid: num(o.bid),
    ask: num(o.ask),
    last: num(o.last),
    volume: num(o.volume),
    open_interest: num(o.openInterest),
    implied_vol: num(o.impliedVolatility),
    known_at: o.knownAt,
    underlying: num(o.underlying ?? NaN),
    last_trade_at: o.lastTradeAt ?? null,
  };
}

/** An `options` row as an option quote (NULL numbers become `NaN`). */
export function rowToOption(r: Row): OptionQuote {
  const right = str(r.kind);
  if (right !== "call" && right !== "put") {
    throw new DataValidationError(`unknown option right ${JSON.stringify(right)}`, {
      where: `options ${str(r.contract)} ${str(r.date)}`,
    });
  }
  return {
    symbol: str(r.symbol),
    contract: str(r.contract),
    expiry: str(r.expiry),
    strike: real(r.strike),
    right,
    bid: real(r.bid),
    ask: real(r.ask),
    last: real(r.last),
    volume: real(r.volume),
    openInterest: real(r.open_interest),
    impliedVolatility: real(r.implied_vol),
    knownAt: real(r.known_at),
    ...(r.underlying === null || r.underlying === undefined ? {} : { underlying: real(r.underlying) }),
    ...(r.last_trade_at === null || r.last_trade_at === undefined
      ? {}
      : { lastTradeAt: real(r.last_trade_at) }),
  };
}

/** A membership spell as a `universe_membership` row. */
export function memberToRow(m: UniverseMember): Row {
  return { universe: m.universe, symbol: m.symbol, from_date: m.from, to_date: m.to, known_at: m.knownAt };
}

/** A `universe_membership` row as a membership spell. */
export function rowToMember(r: Row): UniverseMember {
  return {
    universe: str(r.universe),
    symbol: str(r.symbol),
    from: str(r.from_date),
    to: r.to_date === null || r.to_date === undefined || r.to_date === "" ? null : str(r.to_date),
    knownAt: real(r.known_at),
  };
}
