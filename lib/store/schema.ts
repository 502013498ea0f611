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

/** Trading signals; `payload` is the JSON list of expert contributions; key (source, symbol, date). */
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
  },
  key: ["source", "symbol", "date"],
  indexes: [["symbol", "date"], ["date"]],
};

/**
 * Option quotes, one snapshot per contract and New York day of observation (`date` = day of `known_at`);
 * key (symbol, contract, date): re-collecting the same day replaces that day's snapshot.
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

/** Every table schema of the system. */
export const ALL_SCHEMAS: readonly TableSchema[] = [
  BARS,
  CORPORATE_ACTIONS,
  STATISTICS,
  CALENDAR_EVENTS,
  PREDICTIONS,
  SIGNALS,
  OPTIONS,
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

/** A signal as a `signals` row (contributions go to the JSON `payload`). */
export function signalToRow(s: Signal): Row {
  return {
    source: s.source,
    symbol: s.symbol,
    date: s.date,
    action: s.action,
    size: s.size,
    confidence: s.confidence,
    payload: JSON.stringify(s.contributions),
    known_at: s.knownAt,
  };
}

/** A `signals` row as a signal. */
export function rowToSignal(r: Row): Signal {
  const action = str(r.action);
  if (action !== "buy" && action !== "sell" && action !== "hold") {
    throw new DataValidationError(`unknown action ${JSON.stringify(action)}`, {
      where: `signals ${str(r.symbol)} ${str(r.date)}`,
    });
  }
  return {
    source: str(r.source),
    symbol: str(r.symbol),
    date: str(r.date),
    action,
    size: real(r.size),
    confidence: real(r.confidence),
    contributions: r.payload ? (JSON.parse(str(r.payload)) as ExpertContribution[]) : [],
    knownAt: real(r.known_at),
  };
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
