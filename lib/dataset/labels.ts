/**
 * Labels: the only code in the project allowed to look ahead, each with an explicit horizon in sessions
 * (`LABEL_HORIZONS`). Unknown labels (the horizon runs past the end of the series, or an input is missing) are
 * -1 (classes) or NaN (numbers).
 * @module
 */
import type { Labels, SymbolSeries } from "./types.ts";

/** How many sessions after decision session `t` each label reads. Purge must be at least this to keep it. */
export const LABEL_HORIZONS = {
  trend: 1,
  fwdReturn: 1,
  fwdOpenReturn: 2,
  fwdVar1: 1,
  fwdVar5: 5,
  fwdVar22: 22,
} as const;

/** Name of a label column of `Labels`. */
export type LabelName = keyof typeof LABEL_HORIZONS;

/** Default neutral band width in units of `sigma20`. */
export const DEFAULT_NEUTRAL_K = 0.25;

/**
 * Rolling sample standard deviation of the simple daily close-to-close returns `t-window+1..t` (known at `t`);
 * NaN until `window` returns exist or when one is missing.
 */
export function trailingVol(close: Float64Array, window = 20): Float64Array {
  const n = close.length, out = new Float64Array(n).fill(NaN);
  if (window < 2) throw new RangeError("window must be >= 2");
  for (let t = window; t < n; t++) {
    let s = 0, s2 = 0, ok = true;
    for (let j = t - window + 1; j <= t; j++) {
      const r = close[j] / close[j - 1] - 1;
      if (!Number.isFinite(r)) {
        ok = false;
        break;
      }
      s += r;
      s2 += r * r;
    }
    if (ok) out[t] = Math.sqrt(Math.max(0, (s2 - (s * s) / window) / (window - 1)));
  }
  return out;
}

/** Simple forward return `close[t+h] / close[t] - 1` (horizon `h`, default 1). */
export function forwardReturn(close: Float64Array, h = 1): Float64Array {
  const n = close.length, out = new Float64Array(n).fill(NaN);
  for (let t = 0; t + h < n; t++) out[t] = close[t + h] / close[t] - 1;
  return out;
}

/** Simple open-to-open return `open[t+2] / open[t+1] - 1` (horizon 2): a trade decided at `t`, filled next open. */
export function forwardOpenReturn(open: Float64Array): Float64Array {
  const n = open.length, out = new Float64Array(n).fill(NaN);
  for (let t = 0; t + 2 < n; t++) out[t] = open[t + 2] / open[t + 1] - 1;
  return out;
}

/**
 * Trend class of the `t -> t+1` close-to-close return (horizon 1): 0 down, 1 neutral, 2 up, -1 unknown.
 * Neutral when `|r| < k * sigma(t)` (or `r == 0`), with `sigma` the trailing 20-day volatility known at `t`.
 */
export function trendLabels(close: Float64Array, k = DEFAULT_NEUTRAL_K, window = 20): Int8Array {
  if (!(k >= 0)) throw new RangeError("neutral band k must be >= 0");
  const r = forwardReturn(close, 1), sigma = trailingVol(close, window);
  const out = new Int8Array(close.length).fill(-1);
  for (let t = 0; t < close.length; t++) {
    const rt = r[t], band = k * sigma[t];
    if (!Number.isFinite(rt) || !Number.isFinite(band)) continue;
    out[t] = Math.abs(rt) < band || rt === 0 ? 1 : rt > 0 ? 2 : 0;
  }
  return out;
}

/** Forward realized variance: mean of squared log close-to-close returns `t+1..t+h` (horizon `h`). */
export function forwardVariance(close: Float64Array, h: number): Float64Array {
  if (!(Number.isInteger(h) && h >= 1)) throw new RangeError("horizon must be an integer >= 1");
  const n = close.length, out = new Float64Array(n).fill(NaN);
  const sq = new Float64Array(n).fill(NaN);
  for (let i = 1; i < n; i++) {
    const r = Math.log(close[i] / close[i - 1]);
    sq[i] = r * r;
  }
  let s = 0, bad = 0;
  // window of sq[t+1..t+h]
  for (let i = 1; i <= Math.min(h, n - 1); i++) {
    if (Number.isFinite(sq[i])) s += sq[i];
    else bad++;
  }
  for (let t = 0; t + h < n; t++) {
    out[t] = bad > 0 ? NaN : s / h;
    const add = t + h + 1, drop = t + 1;
    if (add < n) {
      if (Number.isFinite(sq[add])) s += sq[add];
      else bad++;
    }
    if (Number.isFinite(sq[drop])) s -= sq[drop];
    else bad--;
  }
  return out;
}

/** Options of the support/resistance outcome (EVALUATION.md section 3). */
export interface LevelOutcomeOptions {
  /** Sessions after `t` in which the price must touch the level (default 10). */
  touchWindow?: number;
  /** Sessions after the touch at which the close decides hold vs break (default 5). */
  holdLag?: number;
  /**
   * A statistic's rule: `t` whose touch window runs past the series is unknown (-1) even when a touch came early
   * in it (counting those and not the untouched ones raises a touch rate). Default false: a label known once the
   * touch is seen, as a point-in-time label is.
   */
  fullWindow?: boolean;
}

/** Touch-and-hold outcome: 1 yes, 0 no, -1 unknown (the window runs past the end of the series). */
export interface LevelOutcome {
  touched: number;
  /** Series index of the first touch, -1 when none. */
  touchIndex: number;
  /** Meaningful only when touched: 1 held, 0 broke, -1 unknown or not touched. */
  held: number;
}

/**
 * Support/resistance outcome of `level` named at decision session `t` (horizon `touchWindow + holdLag`):
 * touched when a low (support) / high (resistance) of sessions `t+1..t+touchWindow` reaches the level; held
 * when the close `holdLag` sessions after the first touch is back on the original side (strictly above a
 * support, strictly below a resistance).
 */
export function levelOutcome(
  series: Pick<SymbolSeries, "high" | "low" | "close">,
  t: number,
  level: number,
  side: "support" | "resistance",
  opts: LevelOutcomeOptions = {},
): LevelOutcome {
  const touchWindow = opts.touchWindow ?? 10, holdLag = opts.holdLag ?? 5;
  const n = series.close.length;
  if (!(Number.isInteger(t) && t >= 0 && t < n)) throw new RangeError(`t ${t} outside the series`);
  if (!Number.isFinite(level)) throw new RangeError("level must be finite");
  if (side !== "support" && side !== "resistance") throw new RangeError(`unknown side ${side}`);
  const support = side === "support";
  if (opts.fullWindow && t + touchWindow > n - 1) return { touched: -1, touchIndex: -1, held: -1 };
  const last = Math.min(n - 1, t + touchWindow);
  let touch = -1;
  for (let j = t + 1; j <= last; j++) {
    const x = support ? series.low[j] : series.high[j];
    if (support ? x <= level : x >= level) {
      touch = j;
      break;
    }
  }
  if (touch < 0) {
    return { touched: t + touchWindow <= n - 1 ? 0 : -1, touchIndex: -1, held: -1 };
  }
  const k = touch + holdLag;
  if (k > n - 1) return { touched: 1, touchIndex: touch, held: -1 };
  const c = series.close[k];
  return { touched: 1, touchIndex: touch, held: (support ? c > level : c < level) ? 1 : 0 };
}

/** Vectorized `levelOutcome` over many `(t, level)` pairs of one series. */
export function levelOutcomes(
  series: Pick<SymbolSeries, "high" | "low" | "close">,
  ts: ArrayLike<number>,
  levels: ArrayLike<number>,
  side: "support" | "resistance",
  opts: LevelOutcomeOptions = {},
): { touched: Int8Array; touchIndex: Int32Array; held: Int8Array } {
  if (ts.length !== levels.length) throw new RangeError("ts and levels differ in length");
  const touched = new Int8Array(ts.length),
    touchIndex = new Int32Array(ts.length),
    held = new Int8Array(ts.length);
  for (let i = 0; i < ts.length; i++) {
    const o = levelOutcome(series, ts[i], levels[i], side, opts);
    touched[i] = o.touched;
    touchIndex[i] = o.touchIndex;
    held[i] = o.held;
  }
  return { touched, touchIndex, held };
}

/** All `Labels` columns of one series (full length, aligned to `series.dates`). */
export function seriesLabels(series: SymbolSeries, neutralK = DEFAULT_NEUTRAL_K): Labels {
  return {
    trend: trendLabels(series.close, neutralK),
    fwdReturn: forwardReturn(series.close, 1),
    fwdOpenReturn: forwardOpenReturn(series.open),
    fwdVar1: forwardVariance(series.close, 1),
    fwdVar5: forwardVariance(series.close, 5),
    fwdVar22: forwardVariance(series.close, 22),
  };
}
