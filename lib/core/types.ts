/**
 * Domain types every layer speaks. Times:
 * - `IsoDate` is a session date `YYYY-MM-DD` (exchange-local, America/New_York).
 * - `Instant` is epoch milliseconds UTC. Every record carries `knownAt: Instant`, the moment it became public.
 *   A feature row at decision time `t` may use only records with `knownAt <= t`.
 * @module
 */

/** A session date `YYYY-MM-DD` in exchange-local time. */
export type IsoDate = string;
/** Epoch milliseconds, UTC. */
export type Instant = number;

/** Anything that entered the system: it carries the instant it became public. */
export interface Known {
  /** When this record became public (epoch ms UTC). */
  knownAt: Instant;
}

/** One daily (or intraday) OHLCV bar. Prices are as traded; `adjClose` is split- and dividend-adjusted. */
export interface Bar extends Known {
  symbol: string;
  /** Session date. */
  date: IsoDate;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Close adjusted for splits and dividends as of the data vendor's snapshot; equals `close` when unknown. */
  adjClose: number;
  volume: number;
}

/** A corporate action. `value` is the split ratio (new shares per old, e.g. 4 for 4:1) or the cash dividend. */
export interface CorporateAction extends Known {
  symbol: string;
  /** Ex-date (the first session that trades without the right). */
  date: IsoDate;
  kind: "split" | "dividend";
  value: number;
}

/** A news item or headline; `symbols` may be empty for market-wide news. */
export interface NewsItem extends Known {
  /** Stable unique id (source-provided, or a hash of source + url/headline + publishedAt). */
  id: string;
  symbols: string[];
  publishedAt: Instant;
  headline: string;
  summary?: string;
  source: string;
  url?: string;
  /** Sentiment score in [-1, 1] when the source provides or a model assigned one. */
  sentiment?: number;
}

/** Kinds of filings/report documents. */
export type FilingKind = "annual" | "quarterly" | "statistics" | "earnings" | "sec-filing" | "other";

/** A financial report or filing document (statements, key statistics, earnings). */
export interface Filing extends Known {
  id: string;
  symbol: string;
  kind: FilingKind;
  /** End of the fiscal period the report covers, when it has one. */
  periodEnd?: IsoDate;
  /** When the document was filed/published, when the source says so. */
  filedAt?: Instant;
  source: string;
  /** Numeric line items (e.g. `totalRevenue`), `null` when reported as missing. */
  fields: Record<string, number | null>;
  /** Free-form extra payload (text, links). */
  meta?: Record<string, unknown>;
}

/** One option contract quote. */
export interface OptionQuote extends Known {
  /** Underlying symbol. */
  symbol: string;
  /** OCC contract symbol. */
  contract: string;
  expiry: IsoDate;
  strike: number;
  right: "call" | "put";
  bid: number;
  ask: number;
  last: number;
  volume: number;
  openInterest: number;
  /** Implied volatility (annualized, decimal), NaN when unknown. */
  impliedVolatility: number;
  /** Price of the underlying in the same response (the quote the chain was priced against), if known. */
  underlying?: number;
  /** When the contract last traded (the time of `last`), if known. */
  lastTradeAt?: Instant;
}

/**
 * One membership spell of a symbol in a named universe (an index's constituents): a member from session
 * `from` through `to` (inclusive; `null` = still a member). A point-in-time universe is a list of these; a run
 * on it uses (symbol, date) only while the symbol was a member, so stocks that later left the index count while
 * they were in it (no survivorship bias). `knownAt`: when the change was public (index providers announce
 * changes days before they take effect; at the latest the open of `from`).
 */
export interface UniverseMember extends Known {
  universe: string;
  symbol: string;
  from: IsoDate;
  to: IsoDate | null;
}

/** Index order of trend class probability vectors: `[down, neutral, up]`. */
export const TREND_CLASSES = ["down", "neutral", "up"] as const;
/** A trend class. */
export type TrendClass = typeof TREND_CLASSES[number];
/** Class index: 0 down, 1 neutral, 2 up. */
export const TrendIndex = { down: 0, neutral: 1, up: 2 } as const;

/** Common fields of every prediction: who predicted what for which decision. */
export interface PredictionBase extends Known {
  /** Model name (e.g. `logistic`, `mlp-tfjs`, `garch11`). */
  model: string;
  symbol: string;
  /** Decision session `t`; the prediction is about session `t+1` (or the horizon). */
  date: IsoDate;
}

/** Next-day direction: class probabilities `[down, neutral, up]`, summing to 1. */
export interface TrendPrediction extends PredictionBase {
  kind: "trend";
  probs: [number, number, number];
}

/** A price level with a strength in [0, 1]. */
export interface Level {
  price: number;
  strength: number;
}

/** Support below and resistance above the close, nearest first. */
export interface LevelPrediction extends PredictionBase {
  kind: "levels";
  close: number;
  supports: Level[];
  resistances: Level[];
}

/** Volatility forecast: mean daily variance over the next `horizon` sessions. */
export interface VolatilityPrediction extends PredictionBase {
  kind: "volatility";
  /** Horizon in sessions (1, 5, 22...). */
  horizon: number;
  /** Forecast of the mean daily variance of returns over the horizon. */
  variance: number;
  /** `sqrt(variance * 252)`. */
  annualizedVol: number;
}

/** Any prediction. */
export type Prediction = TrendPrediction | LevelPrediction | VolatilityPrediction;

/** Trading action. */
export type Action = "buy" | "sell" | "hold";

/** How much one expert contributed to a signal. */
export interface ExpertContribution {
  expert: string;
  /** Gate weight in [0, 1]; weights of one signal sum to 1. */
  weight: number;
  /** The expert's directional score in [-1, 1] (positive = bullish). */
  score: number;
  /**
   * The expert's calibrated output as issued (e.g. class probabilities `[down, neutral, up]` of a trend expert, a
   * forecast variance of a volatility expert), when the producer recorded it.
   */
  calibrated?: number[];
}

/** How a signal's target position was decided: the scores it came from and the sizing rule with its limits. */
export interface SizeDecision {
  /** The combined (gate-weighted) score before calibration (NaN when unknown). */
  rawScore: number;
  /** The score the size came from (e.g. the calibrated edge: expected traded return in units of daily volatility). */
  score: number;
  /** Annualized volatility forecast that scaled the position (NaN when none). */
  forecastVol: number;
  /**
   * The edge the action and confidence were decided from: for a ranking book (top-k dropout, long-short)
   * `score` minus the day's mean score over the tradable names (so a `sell` may carry a positive `score` that is
   * below the day's mean), for Kelly `score` itself. Absent on a name that could not be traded, and on signals
   * issued before it was recorded.
   */
  decisionEdge?: number;
  /** The sizing rule and its limits as configured (e.g. `{method: "topk-dropout", topK: 50, maxWeight: 0.25}`). */
  rule: Record<string, string | number | boolean>;
  /**
   * Present only when the name could not be traded (`hold`, size 0): why, e.g. no volatility forecast for a
   * symbol the fitted system was not fitted on.
   */
  untradable?: string;
  /**
   * Present only when the sizing rule has a drawdown brake and the run read a paper account: the account's
   * drawdown from its peak over its settled sessions, and whether the brake scaled this book (`engaged`).
   */
  brake?: { engaged: boolean; drawdown: number; sessions: number };
  /**
   * Present only when the sizing rule has a VaR limit: the book's one-day VaR at tail probability `alpha` on the
   * decision day before the cap (`var`, fraction of capital) and the `limit`; the cap scaled the book down to the
   * limit when `var > limit`.
   */
  varCap?: { var: number; limit: number; alpha: number };
}

/**
 * Where an issued signal came from: the model version that produced it, the data cut-off, a hash of the exact
 * feature vector it saw, and when it was issued. Issued signals are never overwritten: a different model version
 * adds a new version of the signal.
 */
export interface SignalProvenance {
  /** Registry version of the fitted system (e.g. `2018-02-07.3fa9c2d1e0`). */
  modelVersion: string;
  /** Data cut-off: only records with `knownAt <= asOf` were used (the close of the decision session). */
  asOf: Instant;
  /** SHA-256 (hex) of the feature vector the system saw for this symbol and date. */
  featureHash: string;
  /** When the production run first stored this signal (epoch ms UTC). */
  issuedAt: Instant;
  /** The sizing decision (score, volatility forecast, limits). */
  sizing: SizeDecision;
}

/**
 * The `source` of a challenger's shadow signals in the production run: issued beside the champion's for the
 * paper scorecard, served only when asked for by model version.
 */
export const SHADOW_SIGNAL_SOURCE = "moe-shadow";

/** A trading signal for session `date + 1`, decided after the close of `date`. */
export interface Signal extends Known {
  symbol: string;
  date: IsoDate;
  action: Action;
  /** Target position as a fraction of the capital allotted to this symbol, in [-1, 1] (negative = short). */
  size: number;
  /** Confidence in [0, 1]. */
  confidence: number;
  contributions: ExpertContribution[];
  /** What produced it (e.g. `moe`, `ensemble:stacking`). */
  source: string;
  /** Set on signals issued by the production run (`deno task signal`); research runs leave it out. */
  provenance?: SignalProvenance;
}
