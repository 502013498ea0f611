/**
 * The project's typed results as nodejs-polars DataFrames and back: bars (as records or typed series),
 * predictions (one frame per kind), signals, datasets (features, optionally segment and labels), backtests
 * (daily series and metrics per method), scoreboard metrics, and report tables. Every frame kind has a fixed schema (names in
 * snake_case like the store tables and the exported files, same dtypes every time, even when empty); the
 * reverse conversions check it and throw a `TypeError` naming the column that differs.
 * @module
 */
import pl from "nodejs-polars";
import type {
  Bar,
  ExpertContribution,
  IsoDate,
  LevelPrediction,
  Prediction,
  Signal,
  TrendPrediction,
  VolatilityPrediction,
} from "../core/mod.ts";
import { type Dataset, type Labels, Segment, type SymbolSeries } from "../dataset/mod.ts";
import type { BacktestResult, Metrics } from "../backtest/mod.ts";
import type { Metric } from "../evaluate/mod.ts";
import type { Table } from "../report/mod.ts";
import { BARS, barToRow, rowToBar } from "../store/mod.ts";
import {
  checkFrame,
  column,
  type ColumnValues,
  type FrameSchema,
  type FrameType,
  fromFrame,
  toFrame,
} from "./schema.ts";
import { frameToRows, rowsToFrame, tableFrameSchema } from "./table.ts";

type Cols = Record<string, ColumnValues[keyof ColumnValues]>;
const str = (c: Cols, k: string) => c[k] as (string | null)[];
const f64 = (c: Cols, k: string) => c[k] as Float64Array;
const lists = (c: Cols, k: string) => c[k] as number[][];

// ---------------------------------------------------------------- bars

/** Schema of a bars frame: the `bars` table's columns. */
export const BARS_FRAME: FrameSchema = tableFrameSchema(BARS);

/** Bars as a frame (the `bars` table's columns; a non-finite price becomes null). */
export function barsFrame(bars: readonly Bar[]): pl.DataFrame {
  return rowsToFrame(BARS, bars.map(barToRow));
}

/** A bars frame as bars (null prices become NaN, a null `adj_close` becomes `close`, as from the store). */
export function barsFromFrame(df: pl.DataFrame): Bar[] {
  return frameToRows(BARS, df).map(rowToBar);
}

/** Typed per-symbol series (a dataset's `series`) as one bars frame, symbol by symbol in the given order. */
export function seriesFrame(series: Iterable<SymbolSeries>): pl.DataFrame {
  const list = [...series];
  const n = list.reduce((s, x) => s + x.dates.length, 0);
  const symbol = new Array<string>(n), date = new Array<string>(n);
  const cols = ["open", "high", "low", "close", "adjClose", "volume", "knownAt"] as const;
  const out = Object.fromEntries(cols.map((k) => [k, new Float64Array(n)])) as Record<
    typeof cols[number],
    Float64Array
  >;
  let o = 0;
  for (const s of list) {
    const m = s.dates.length;
    for (let i = 0; i < m; i++) (symbol[o + i] = s.symbol, date[o + i] = s.dates[i]);
    for (const k of cols) {
      const src = k === "knownAt" ? s.knownAt : s[k];
      if (src) out[k].set(src.subarray(0, m), o);
      else out[k].fill(NaN, o, o + m);
    }
    o += m;
  }
  return toFrame(BARS_FRAME, {
    symbol,
    date,
    open: out.open,
    high: out.high,
    low: out.low,
    close: out.close,
    adj_close: out.adjClose,
    volume: out.volume,
    known_at: out.knownAt,
  });
}

/**
 * A bars frame as typed series per symbol, in order of each symbol's first row (a symbol's rows need not be
 * contiguous; within a symbol dates must ascend, else a `RangeError`). Columns come out of polars whole, as
 * typed arrays; a `known_at` missing everywhere leaves `knownAt` out.
 */
export function seriesFromFrame(df: pl.DataFrame): Map<string, SymbolSeries> {
  checkFrame(df, BARS_FRAME, "bars frame");
  if (df.getColumn("symbol").nullCount() || df.getColumn("date").nullCount()) {
    throw new TypeError("bars frame: a row has no symbol or date");
  }
  // rows grouped by symbol in order of first appearance, original order kept inside a symbol
  const ordered = df.withRowIndex("__row")
    .withColumns(pl.col("__row").min().over("symbol").alias("__first"))
    .sort(["__first", "__row"]);
  const groups = ordered.groupBy("symbol").agg(
    pl.col("__first").first(),
    pl.col("__row").count().alias("__n"),
  )
    .sort("__first");
  const symbols = groups.getColumn("symbol").toArray() as string[];
  const counts = groups.getColumn("__n").cast(pl.Float64).toTypedArray() as Float64Array;
  const dates = column(ordered, "date", "date") as string[];
  const num = (k: string) => column(ordered, k, "f64");
  const [open, high, low, close, adj, vol, known] = ["open", "high", "low", "close", "adj_close", "volume"]
    .map(num).concat([column(ordered, "known_at", "datetime")]);
  const out = new Map<string, SymbolSeries>();
  let o = 0;
  symbols.forEach((s, g) => {
    const m = counts[g], end = o + m;
    for (let i = o + 1; i < end; i++) {
      if (!(dates[i] > dates[i - 1])) {
        throw new RangeError(`bars frame: ${s} dates are not ascending at ${dates[i]}`);
      }
    }
    const cut = (x: Float64Array) => x.slice(o, end);
    const k = cut(known);
    out.set(s, {
      symbol: s,
      dates: dates.slice(o, end),
      open: cut(open),
      high: cut(high),
      low: cut(low),
      close: cut(close),
      adjClose: cut(adj),
      volume: cut(vol),
      ...(k.every(Number.isNaN) ? {} : { knownAt: k }),
    });
    o = end;
  });
  return out;
}

// ---------------------------------------------------------------- predictions

/** Schema of a trend predictions frame. */
export const TREND_FRAME: FrameSchema = [
  ["model", "str"],
  ["symbol", "str"],
  ["date", "date"],
  ["p_down", "f64"],
  ["p_neutral", "f64"],
  ["p_up", "f64"],
  ["known_at", "datetime"],
];
/** Schema of a volatility predictions frame. */
export const VOLATILITY_FRAME: FrameSchema = [
  ["model", "str"],
  ["symbol", "str"],
  ["date", "date"],
  ["horizon", "i64"],
  ["variance", "f64"],
  ["annualized_vol", "f64"],
  ["known_at", "datetime"],
];
/** Schema of a levels predictions frame (levels nearest first, as list columns). */
export const LEVELS_FRAME: FrameSchema = [
  ["model", "str"],
  ["symbol", "str"],
  ["date", "date"],
  ["close", "f64"],
  ["support_price", "list_f64"],
  ["support_strength", "list_f64"],
  ["resistance_price", "list_f64"],
  ["resistance_strength", "list_f64"],
  ["known_at", "datetime"],
];

/** Frame schema of each prediction kind. */
export const PREDICTION_FRAMES: Record<Prediction["kind"], FrameSchema> = {
  trend: TREND_FRAME,
  volatility: VOLATILITY_FRAME,
  levels: LEVELS_FRAME,
};

type ByKind<K extends Prediction["kind"]> = Extract<Prediction, { kind: K }>;

/** Predictions of one kind as a frame (a `TypeError` when one is of another kind). */
export function predictionsFrame<K extends Prediction["kind"]>(
  kind: K,
  preds: readonly Prediction[],
): pl.DataFrame {
  for (const p of preds) {
    if (p.kind !== kind) throw new TypeError(`a ${p.kind} prediction in a ${kind} predictions frame`);
  }
  const base = {
    model: preds.map((p) => p.model),
    symbol: preds.map((p) => p.symbol),
    date: preds.map((p) => p.date),
    known_at: Float64Array.from(preds, (p) => p.knownAt),
  };
  if (kind === "trend") {
    const t = preds as TrendPrediction[];
    return toFrame(TREND_FRAME, {
      ...base,
      p_down: Float64Array.from(t, (p) => p.probs[0]),
      p_neutral: Float64Array.from(t, (p) => p.probs[1]),
      p_up: Float64Array.from(t, (p) => p.probs[2]),
    });
  }
  if (kind === "volatility") {
    const v = preds as VolatilityPrediction[];
    return toFrame(VOLATILITY_FRAME, {
      ...base,
      horizon: v.map((p) => p.horizon),
      variance: Float64Array.from(v, (p) => p.variance),
      annualized_vol: Float64Array.from(v, (p) => p.annualizedVol),
    });
  }
  const l = preds as LevelPrediction[];
  return toFrame(LEVELS_FRAME, {
    ...base,
    close: Float64Array.from(l, (p) => p.close),
    support_price: l.map((p) => p.supports.map((s) => s.price)),
    support_strength: l.map((p) => p.supports.map((s) => s.strength)),
    resistance_price: l.map((p) => p.resistances.map((s) => s.price)),
    resistance_strength: l.map((p) => p.resistances.map((s) => s.strength)),
  });
}

/** A predictions frame of one kind as predictions. */
export function predictionsFromFrame<K extends Prediction["kind"]>(kind: K, df: pl.DataFrame): ByKind<K>[] {
  const { n, columns: c } = fromFrame(df, PREDICTION_FRAMES[kind], `${kind} predictions frame`);
  const out: Prediction[] = [];
  for (let i = 0; i < n; i++) {
    const base = {
      model: str(c, "model")[i]!,
      symbol: str(c, "symbol")[i]!,
      date: str(c, "date")[i]!,
      knownAt: f64(c, "known_at")[i],
    };
    if (kind === "trend") {
      out.push({
        ...base,
        kind: "trend",
        probs: [f64(c, "p_down")[i], f64(c, "p_neutral")[i], f64(c, "p_up")[i]],
      });
    } else if (kind === "volatility") {
      out.push({
        ...base,
        kind: "volatility",
        horizon: f64(c, "horizon")[i],
        variance: f64(c, "variance")[i],
        annualizedVol: f64(c, "annualized_vol")[i],
      });
    } else {
      const lv = (p: string, s: string) =>
        lists(c, p)[i].map((price, j) => ({ price, strength: lists(c, s)[i][j] }));
      out.push({
        ...base,
        kind: "levels",
        close: f64(c, "close")[i],
        supports: lv("support_price", "support_strength"),
        resistances: lv("resistance_price", "resistance_strength"),
      });
    }
  }
  return out as ByKind<K>[];
}

// ---------------------------------------------------------------- signals

/** Schema of a signals frame; the expert contributions as three parallel list columns. */
export const SIGNALS_FRAME: FrameSchema = [
  ["source", "str"],
  ["symbol", "str"],
  ["date", "date"],
  ["action", "str"],
  ["size", "f64"],
  ["confidence", "f64"],
  ["expert", "list_str"],
  ["weight", "list_f64"],
  ["score", "list_f64"],
  ["known_at", "datetime"],
];

/** Signals as a frame. */
export function signalsFrame(signals: readonly Signal[]): pl.DataFrame {
  return toFrame(SIGNALS_FRAME, {
    source: signals.map((s) => s.source),
    symbol: signals.map((s) => s.symbol),
    date: signals.map((s) => s.date),
    action: signals.map((s) => s.action),
    size: Float64Array.from(signals, (s) => s.size),
    confidence: Float64Array.from(signals, (s) => s.confidence),
    expert: signals.map((s) => s.contributions.map((c) => c.expert)),
    weight: signals.map((s) => s.contributions.map((c) => c.weight)),
    score: signals.map((s) => s.contributions.map((c) => c.score)),
    known_at: Float64Array.from(signals, (s) => s.knownAt),
  });
}

/** A signals frame as signals (a `TypeError` on an action other than buy/sell/hold). */
export function signalsFromFrame(df: pl.DataFrame): Signal[] {
  const { n, columns: c } = fromFrame(df, SIGNALS_FRAME, "signals frame");
  const experts = c.expert as string[][];
  return Array.from({ length: n }, (_, i): Signal => {
    const action = str(c, "action")[i];
    if (action !== "buy" && action !== "sell" && action !== "hold") {
      throw new TypeError(`signals frame: row ${i} has action ${JSON.stringify(action)}`);
    }
    const contributions: ExpertContribution[] = experts[i].map((expert, j) => ({
      expert,
      weight: lists(c, "weight")[i][j],
      score: lists(c, "score")[i][j],
    }));
    return {
      source: str(c, "source")[i]!,
      symbol: str(c, "symbol")[i]!,
      date: str(c, "date")[i]!,
      action,
      size: f64(c, "size")[i],
      confidence: f64(c, "confidence")[i],
      contributions,
      knownAt: f64(c, "known_at")[i],
    };
  });
}

/**
 * Schema of a contributions frame: one row per signal and expert, with the gate's weight, the expert's
 * directional score and its calibrated output as issued when the producer recorded one (e.g. trend class
 * probabilities `[down, neutral, up]`; empty otherwise), and the model version when the signal carries one.
 */
export const CONTRIBUTIONS_FRAME: FrameSchema = [
  ["symbol", "str"],
  ["date", "date"],
  ["source", "str"],
  ["model_version", "str"],
  ["expert", "str"],
  ["weight", "f64"],
  ["score", "f64"],
  ["calibrated", "list_f64"],
];

/** The expert contributions of signals, one row per signal and expert (see {@link CONTRIBUTIONS_FRAME}). */
export function contributionsFrame(signals: readonly Signal[]): pl.DataFrame {
  type Issued = { provenance?: { modelVersion?: string } };
  const rows = signals.flatMap((s) =>
    s.contributions.map((c) => ({ s, c: c as ExpertContribution & { calibrated?: number[] } }))
  );
  return toFrame(CONTRIBUTIONS_FRAME, {
    symbol: rows.map((r) => r.s.symbol),
    date: rows.map((r) => r.s.date),
    source: rows.map((r) => r.s.source),
    model_version: rows.map((r) => (r.s as Issued).provenance?.modelVersion ?? null),
    expert: rows.map((r) => r.c.expert),
    weight: Float64Array.from(rows, (r) => r.c.weight),
    score: Float64Array.from(rows, (r) => r.c.score),
    calibrated: rows.map((r) => r.c.calibrated ?? []),
  });
}

// ---------------------------------------------------------------- datasets

/** Label columns of a dataset frame, in order, with the `Labels` field each holds. */
export const LABEL_COLUMNS = [
  ["label_trend", "trend"],
  ["fwd_return", "fwdReturn"],
  ["fwd_open_return", "fwdOpenReturn"],
  ["fwd_var_1", "fwdVar1"],
  ["fwd_var_5", "fwdVar5"],
  ["fwd_var_22", "fwdVar22"],
] as const;

const SEGMENT_NAMES: Record<number, string> = {
  [Segment.TRAIN]: "train",
  [Segment.VALID]: "valid",
  [Segment.TEST]: "test",
  [Segment.PURGED]: "purged",
};

/** What a dataset frame holds besides the features. */
export interface DatasetFrameOptions {
  /** A `segment` column (train/valid/test/purged). Default false. */
  segment?: boolean;
  /** The label columns (they look ahead by design: research only). Default false. */
  labels?: boolean;
}

/**
 * Schema of a dataset frame: `symbol`, `date`, `known_at` (the decision time: the row uses only what was public
 * then), optionally `segment`, the features (f64) in the dataset's order, optionally the labels.
 */
export function datasetFrameSchema(
  featureNames: readonly string[],
  o: DatasetFrameOptions = {},
): FrameSchema {
  return [
    ["symbol", "str"],
    ["date", "date"],
    ["known_at", "datetime"],
    ...(o.segment ? [["segment", "str"] as const] : []),
    ...featureNames.map((f) => [f, "f64"] as const),
    ...(o.labels
      ? LABEL_COLUMNS.map(([name]) => [name, name === "label_trend" ? "i32" : "f64"] as const)
      : []),
  ];
}

/** A dataset's rows as a frame (see {@link datasetFrameSchema}); a trend label of -1 (unknown) becomes null. */
export function datasetFrame(ds: Dataset, o: DatasetFrameOptions = {}): pl.DataFrame {
  const F = ds.featureNames.length, n = ds.n;
  const cols: Record<string, ArrayLike<string | number | null>> = {
    symbol: ds.symbol,
    date: ds.date,
    known_at: ds.decisionTime,
  };
  if (o.segment) cols.segment = Array.from(ds.segment, (s) => SEGMENT_NAMES[s] ?? null);
  ds.featureNames.forEach((f, j) => {
    const c = new Float64Array(n);
    for (let i = 0; i < n; i++) c[i] = ds.X[i * F + j];
    cols[f] = c;
  });
  if (o.labels) {
    for (const [name, key] of LABEL_COLUMNS) {
      cols[name] = key === "trend" ? Array.from(ds.labels.trend, (v) => (v < 0 ? null : v)) : ds.labels[key];
    }
  }
  return toFrame(datasetFrameSchema(ds.featureNames, o), cols);
}

/** A dataset frame read back: the row columns and the row-major feature matrix (plus segment and labels). */
export type FeatureTable =
  & Pick<Dataset, "featureNames" | "n" | "X" | "symbol" | "date" | "decisionTime">
  & { segment?: Uint8Array; labels?: Labels };

/** A dataset frame (of `featureNames`, with what `o` says) as a feature table. */
export function datasetFromFrame(
  df: pl.DataFrame,
  featureNames: readonly string[],
  o: DatasetFrameOptions = {},
): FeatureTable {
  const { n, columns: c } = fromFrame(df, datasetFrameSchema(featureNames, o), "dataset frame");
  const F = featureNames.length, X = new Float64Array(n * F);
  featureNames.forEach((f, j) => {
    const v = f64(c, f);
    for (let i = 0; i < n; i++) X[i * F + j] = v[i];
  });
  const out: FeatureTable = {
    featureNames: [...featureNames],
    n,
    X,
    symbol: str(c, "symbol") as string[],
    date: str(c, "date") as IsoDate[],
    decisionTime: f64(c, "known_at"),
  };
  if (o.segment) {
    const code = Object.fromEntries(Object.entries(SEGMENT_NAMES).map(([k, v]) => [v, Number(k)]));
    out.segment = Uint8Array.from(str(c, "segment"), (s) => code[s ?? "purged"] ?? Segment.PURGED);
  }
  if (o.labels) {
    const t = f64(c, "label_trend");
    out.labels = {
      trend: Int8Array.from(t, (v) => (Number.isNaN(v) ? -1 : v)),
      fwdReturn: f64(c, "fwd_return"),
      fwdOpenReturn: f64(c, "fwd_open_return"),
      fwdVar1: f64(c, "fwd_var_1"),
      fwdVar5: f64(c, "fwd_var_5"),
      fwdVar22: f64(c, "fwd_var_22"),
    };
  }
  return out;
}

// ---------------------------------------------------------------- backtests

/** Schema of a backtest's daily frame. */
export const BACKTEST_FRAME: FrameSchema = [
  ["date", "date"],
  ["returns", "f64"],
  ["gross", "f64"],
  ["costs", "f64"],
  ["equity", "f64"],
  ["drawdown", "f64"],
  ["turnover", "f64"],
  ["exposure", "f64"],
];

/** A backtest's daily series as a frame. */
export function backtestFrame(r: BacktestResult): pl.DataFrame {
  const { dates, returns, gross, costs, equity, drawdown, turnover, exposure } = r;
  return toFrame(BACKTEST_FRAME, {
    date: dates as IsoDate[],
    returns,
    gross,
    costs,
    equity,
    drawdown,
    turnover,
    exposure,
  });
}

/** A backtest daily frame as the result's series (the metrics are not in the frame). */
export function backtestFromFrame(df: pl.DataFrame): Omit<BacktestResult, "metrics"> {
  const { columns: c } = fromFrame(df, BACKTEST_FRAME, "backtest frame");
  return {
    dates: str(c, "date") as IsoDate[],
    returns: f64(c, "returns"),
    gross: f64(c, "gross"),
    costs: f64(c, "costs"),
    equity: f64(c, "equity"),
    drawdown: f64(c, "drawdown"),
    turnover: f64(c, "turnover"),
    exposure: f64(c, "exposure"),
  };
}

/** The fields of backtest `Metrics`, in column order. */
export const METRIC_FIELDS: readonly (keyof Metrics)[] = [
  "days",
  "totalReturn",
  "annReturn",
  "annVol",
  "sharpe",
  "sortino",
  "maxDrawdown",
  "turnover",
  "annTurnover",
  "hitRate",
  "trades",
  "exposure",
];
const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Schema of a backtest metrics frame: `method`, then one f64 column per metric (snake_case). */
export const BACKTEST_METRICS_FRAME: FrameSchema = [
  ["method", "str"],
  ...METRIC_FIELDS.map((f) => [snake(f), "f64"] as const),
];

/** Backtest metrics per method (in the record's order) as one frame, a row per method. */
export function backtestMetricsFrame(byMethod: Record<string, Metrics>): pl.DataFrame {
  const methods = Object.keys(byMethod);
  const cols: Record<string, ArrayLike<string | number>> = { method: methods };
  for (const f of METRIC_FIELDS) cols[snake(f)] = Float64Array.from(methods, (m) => byMethod[m][f]);
  return toFrame(BACKTEST_METRICS_FRAME, cols);
}

/** A backtest metrics frame as metrics per method. */
export function backtestMetricsFromFrame(df: pl.DataFrame): Record<string, Metrics> {
  const { n, columns: c } = fromFrame(df, BACKTEST_METRICS_FRAME, "backtest metrics frame");
  const out: Record<string, Metrics> = {};
  for (let i = 0; i < n; i++) {
    out[str(c, "method")[i]!] = Object.fromEntries(
      METRIC_FIELDS.map((f) => [f, f64(c, snake(f))[i]]),
    ) as unknown as Metrics;
  }
  return out;
}

// ---------------------------------------------------------------- scoreboard

/** Schema of a scoreboard metrics frame (one row per metric of a `lib/evaluate` section or scoreboard). */
export const SCOREBOARD_FRAME: FrameSchema = [
  ["section", "str"],
  ["method", "str"],
  ["name", "str"],
  ["segment", "str"],
  ["value", "f64"],
  ["higher_is_better", "bool"],
  ["data", "str"],
  ["seed", "i64"],
];

/** Scoreboard (or section) metrics as a frame; a NaN value becomes null. */
export function metricsFrame(metrics: readonly Metric[]): pl.DataFrame {
  return toFrame(SCOREBOARD_FRAME, {
    section: metrics.map((m) => m.section),
    method: metrics.map((m) => m.method),
    name: metrics.map((m) => m.name),
    segment: metrics.map((m) => m.segment),
    value: Float64Array.from(metrics, (m) => m.value),
    higher_is_better: metrics.map((m) => m.higherIsBetter ?? null),
    data: metrics.map((m) => m.data),
    seed: metrics.map((m) => m.seed),
  });
}

/** A scoreboard metrics frame as metrics (null value -> NaN; null `higher_is_better` -> absent). */
export function metricsFromFrame(df: pl.DataFrame): Metric[] {
  const { n, columns: c } = fromFrame(df, SCOREBOARD_FRAME, "scoreboard frame");
  const hib = c.higher_is_better as (boolean | null)[];
  return Array.from({ length: n }, (_, i): Metric => ({
    section: str(c, "section")[i]!,
    name: str(c, "name")[i]!,
    method: str(c, "method")[i]!,
    value: f64(c, "value")[i],
    segment: str(c, "segment")[i]!,
    data: str(c, "data")[i]!,
    seed: f64(c, "seed")[i],
    ...(hib[i] === null ? {} : { higherIsBetter: hib[i]! }),
  }));
}

// ---------------------------------------------------------------- report tables

/**
 * A report table (`lib/report` `Table`: columns and rows of text or numbers, as the evaluation sections build
 * them) as a frame: a column whose values are all numbers or null is f64, any other is str (numbers in it as
 * text); an empty column name becomes `column_<k>`, a repeated one gets a `_<k>` suffix.
 */
export function reportTableFrame(t: Table): pl.DataFrame {
  const seen = new Set<string>();
  const names = t.columns.map((c, k) => {
    let n = c.trim() || `column_${k}`;
    if (seen.has(n)) n = `${n}_${k}`;
    seen.add(n);
    return n;
  });
  const schema: [string, FrameType][] = names.map((n, k) => [
    n,
    t.rows.every((r) => r[k] === null || r[k] === undefined || typeof r[k] === "number") ? "f64" : "str",
  ]);
  const cols: Record<string, (string | number | null)[]> = {};
  schema.forEach(([n, type], k) => {
    cols[n] = t.rows.map((r) => {
      const v = r[k] ?? null;
      return type === "str" && typeof v === "number" ? String(v) : v;
    });
  });
  return toFrame(schema, cols);
}
