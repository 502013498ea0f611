/**
 * The point-in-time dataset every model consumes.
 * @module
 */
import type { IsoDate } from "../core/mod.ts";

/** One symbol's daily bars as columns (ascending dates). */
export interface SymbolSeries {
  symbol: string;
  dates: IsoDate[];
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  adjClose: Float64Array;
  volume: Float64Array;
  /** When each bar became public (epoch ms); the dataset builder checks `knownAt[i] <= decisionTime(dates[i])`. */
  knownAt?: Float64Array;
}

/**
 * Market series (ascending dates); each series is joined as of each row's decision time by its own
 * publication times, so a value published after the decision (the VIX close, printed at 16:15 New York) is
 * not used that day: the join takes the last value already public.
 */
export interface MarketInput {
  dates: IsoDate[];
  /** Index close (e.g. ^GSPC or SPY). */
  indexClose?: Float64Array;
  /** VIX close. */
  vix?: Float64Array;
  /** When each index close became public; default the decision time of its date (an index prints at the close). */
  knownAt?: Float64Array;
  /**
   * When each VIX close became public: required with `vix` (the VIX is not known at the close; use the VIX
   * bars' `knownAt`, `barKnownAt("^VIX", date)`, 16:15 New York).
   */
  vixKnownAt?: Float64Array;
}

/** Segment codes of dataset rows. `PURGED` rows sit in a purge/embargo gap and are used by nobody. */
export const Segment = { TRAIN: 0, VALID: 1, TEST: 2, PURGED: 255 } as const;

/** Date bounds (inclusive) of the three segments. */
export interface SegmentSpec {
  train: [IsoDate, IsoDate];
  valid: [IsoDate, IsoDate];
  test: [IsoDate, IsoDate];
  /** Sessions dropped before each later segment (label horizon). */
  purge: number;
  /** Sessions dropped after each boundary. */
  embargo: number;
}

/** Labels; each row's label looks ahead from decision session `t` by its stated horizon. */
export interface Labels {
  /** Trend class of `t -> t+1` close-to-close: 0 down, 1 neutral, 2 up; -1 when unknown. */
  trend: Int8Array;
  /** Simple close-to-close return `t -> t+1` (NaN when unknown). */
  fwdReturn: Float64Array;
  /**
   * Simple open-to-open return `t+1 -> t+2`: what a trade decided at `t` and filled at the next open earns. Across
   * sessions missing from the symbol's bars it runs from its next bar's open to the one after (the fill waits for
   * a price), so the moves around a hole are booked once, not lost.
   */
  fwdOpenReturn: Float64Array;
  /** Realized daily variance over the next 1, 5, 22 sessions (mean squared log return). */
  fwdVar1: Float64Array;
  fwdVar5: Float64Array;
  fwdVar22: Float64Array;
}

/**
 * Rows are (symbol, decision session) pairs, features in a row-major matrix. Row `i` uses only records with
 * `knownAt <= decisionTime[i]`.
 */
export interface Dataset {
  featureSet: { name: string; version: string };
  featureNames: string[];
  /** Number of rows. */
  n: number;
  /** Row-major `n x featureNames.length`; NaN where a feature is not available yet (warm-up). */
  X: Float64Array;
  symbol: string[];
  date: IsoDate[];
  /** Close of `date` (epoch ms). */
  decisionTime: Float64Array;
  /** Index of row `i` inside `series.get(symbol[i])`. */
  seriesIndex: Int32Array;
  segment: Uint8Array;
  segments: SegmentSpec;
  labels: Labels;
  /** Bars per symbol (only sessions up to the dataset's end). */
  series: Map<string, SymbolSeries>;
  /** Feature names by origin (feature set, news, extra as-of columns, cross-sectional ranks), when built. */
  featureGroups?: { base: string[]; news: string[]; extra: string[]; rank: string[] };
  /** Label horizon (sessions) the segments were purged for, when built. */
  labelHorizon?: number;
  /**
   * The market context it was built with (index and VIX by date), for day-level regime features, with its
   * publication times resolved and checked by the builder: `knownAt` is always set (default: the decision time
   * of each date), and `vixKnownAt` with `vix`.
   */
  market?: MarketInput;
}
