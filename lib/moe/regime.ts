/**
 * Market regime: the condition features the gate sees, one row per decision day, all known at that day's
 * close: VIX level and change, index trend and realized volatility, cross-sectional dispersion and breadth,
 * and the recent reliability of each expert (from outcomes already realized). Plus a discrete regime label per
 * day (volatility tercile x index trend) for attribution tables.
 * @module
 */
import type { IsoDate } from "../core/mod.ts";
import { closeToCloseVol, logReturn, sma } from "../features/mod.ts";

/** Per-day market conditions: `values` is row-major `dates.length x names.length`. */
export interface MarketConditions {
  dates: IsoDate[];
  names: string[];
  values: Float64Array;
}

/** Inputs of {@link marketConditions}: a `T x S` close panel and optional index/VIX aligned to `dates`. */
export interface RegimeInput {
  /** Decision days, ascending. */
  dates: readonly IsoDate[];
  symbols: readonly string[];
  /** Closes, row-major `T x S` (NaN where a name has no bar). */
  close: Float64Array;
  /** Index close per day (e.g. ^GSPC, or an equal-weight universe index); index features are NaN without it. */
  indexClose?: Float64Array;
  /** VIX close in percent (20 = 20%); VIX features are NaN without it. */
  vix?: Float64Array;
}

/** Condition feature names of {@link marketConditions}, in column order. */
export const MARKET_CONDITION_NAMES = [
  "vix",
  "vix_chg_5",
  "index_ret_20",
  "index_ret_60",
  "index_vol_20",
  "index_vol_ratio",
  "dispersion_5",
  "breadth_50",
] as const;

/**
 * Market-condition features per day `t`, each using data up to the close of `t` only:
 * - `vix`: VIX / 100; `vix_chg_5`: `ln(VIX_t / VIX_{t-5})`;
 * - `index_ret_20`, `index_ret_60`: index log return over 20 / 60 sessions;
 * - `index_vol_20`: annualized sd of the last 20 index log returns; `index_vol_ratio`: `ln(vol_20 / vol_120)`;
 * - `dispersion_5`: mean over the last 5 sessions of the cross-sectional sd of daily log returns;
 * - `breadth_50`: share of names (with 50 closes) whose close is above their 50-session mean.
 * O(T·S).
 */
export function marketConditions(x: RegimeInput): MarketConditions {
  const T = x.dates.length, S = x.symbols.length;
  if (x.close.length !== T * S) {
    throw new RangeError(`marketConditions: close has ${x.close.length} cells, want ${T} x ${S}`);
  }
  for (const k of ["indexClose", "vix"] as const) {
    const a = x[k];
    if (a && a.length !== T) throw new RangeError(`marketConditions: ${k} has ${a.length} values, want ${T}`);
  }
  const m = MARKET_CONDITION_NAMES.length;
  const values = new Float64Array(T * m).fill(NaN);
  const put = (j: number, col: ArrayLike<number>) => {
    for (let t = 0; t < T; t++) values[t * m + j] = col[t];
  };
  if (x.vix) {
    put(0, Float64Array.from(x.vix, (v) => v / 100));
    put(1, logReturn(x.vix, 5));
  }
  if (x.indexClose) {
    put(2, logReturn(x.indexClose, 20));
    put(3, logReturn(x.indexClose, 60));
    const v20 = closeToCloseVol(x.indexClose, 20, 252), v120 = closeToCloseVol(x.indexClose, 120, 252);
    put(4, v20);
    put(5, Float64Array.from(v20, (v, t) => Math.log(v / v120[t])));
  }
  // cross-sectional dispersion and breadth
  const disp = new Float64Array(T).fill(NaN), breadth = new Float64Array(T).fill(NaN);
  const col = new Float64Array(T);
  const above = new Float64Array(T), counted = new Float64Array(T);
  for (let s = 0; s < S; s++) {
    for (let t = 0; t < T; t++) col[t] = x.close[t * S + s];
    const ma = sma(col, 50);
    for (let t = 0; t < T; t++) {
      if (Number.isFinite(ma[t]) && Number.isFinite(col[t])) {
        counted[t]++;
        if (col[t] > ma[t]) above[t]++;
      }
    }
  }
  for (let t = 0; t < T; t++) if (counted[t] > 0) breadth[t] = above[t] / counted[t];
  for (let t = 1; t < T; t++) {
    let n = 0, s1 = 0, s2 = 0;
    for (let s = 0; s < S; s++) {
      const r = Math.log(x.close[t * S + s] / x.close[(t - 1) * S + s]);
      if (Number.isFinite(r)) [n, s1, s2] = [n + 1, s1 + r, s2 + r * r];
    }
    if (n >= 2) disp[t] = Math.sqrt(Math.max(0, (s2 - s1 * s1 / n) / (n - 1)));
  }
  const d5 = sma(disp, 5);
  put(6, d5);
  put(7, breadth);
  return { dates: [...x.dates], names: [...MARKET_CONDITION_NAMES], values };
}

/**
 * Recent reliability of each expert per day `t`: the uncentred correlation `Σ e·z / sqrt(Σ e² · Σ z²)` of its
 * edges `e` with the standardized outcomes `z` over the rows decided on days `t - lag - window + 1 .. t - lag`.
 * A decision at `d` earns open `d+1` -> open `d+2`, so its outcome is known at the close of `t` only when
 * `d <= t - 2`: `lag` must be at least 2 (default 2). Rows with a NaN edge or outcome are skipped; a day without
 * rows in its window is NaN. Returns row-major `days x K`.
 */
export function expertReliability(
  rowDay: Int32Array,
  edges: readonly Float64Array[],
  outcome: Float64Array,
  days: number,
  options: { window?: number; lag?: number } = {},
): Float64Array {
  const window = options.window ?? 20, lag = options.lag ?? 2;
  if (!(Number.isInteger(window) && window >= 1)) throw new RangeError("expertReliability: window >= 1");
  if (!(Number.isInteger(lag) && lag >= 2)) {
    throw new RangeError(`expertReliability: lag ${lag} would use outcomes not yet realized (need >= 2)`);
  }
  const n = rowDay.length, K = edges.length;
  if (outcome.length !== n) throw new RangeError("expertReliability: outcome length differs from rowDay");
  for (const e of edges) {
    if (e.length !== n) throw new RangeError("expertReliability: edge length differs from rowDay");
  }
  // per-day sums
  const ez = new Float64Array(days * K), ee = new Float64Array(days * K), zz = new Float64Array(days * K);
  for (let i = 0; i < n; i++) {
    const d = rowDay[i], z = outcome[i];
    if (!(d >= 0 && d < days) || !Number.isFinite(z)) continue;
    for (let k = 0; k < K; k++) {
      const e = edges[k][i];
      if (!Number.isFinite(e)) continue;
      ez[d * K + k] += e * z;
      ee[d * K + k] += e * e;
      zz[d * K + k] += z * z;
    }
  }
  const out = new Float64Array(days * K).fill(NaN);
  const a = new Float64Array(K), b = new Float64Array(K), c = new Float64Array(K);
  for (let t = 0; t < days; t++) {
    // window of decision days [t - lag - window + 1, t - lag], summed afresh (O(days·window·K), small)
    a.fill(0), b.fill(0), c.fill(0);
    for (let d = Math.max(0, t - lag - window + 1); d <= t - lag; d++) {
      for (let k = 0; k < K; k++) {
        a[k] += ez[d * K + k];
        b[k] += ee[d * K + k];
        c[k] += zz[d * K + k];
      }
    }
    for (let k = 0; k < K; k++) if (b[k] > 0 && c[k] > 0) out[t * K + k] = a[k] / Math.sqrt(b[k] * c[k]);
  }
  return out;
}

/** Appends columns to a conditions table (e.g. the experts' reliability): `extra` is row-major `days x names.length`. */
export function withColumns(
  c: MarketConditions,
  names: readonly string[],
  extra: Float64Array,
): MarketConditions {
  const T = c.dates.length, m = c.names.length, q = names.length;
  if (extra.length !== T * q) throw new RangeError(`withColumns: ${extra.length} values, want ${T} x ${q}`);
  const values = new Float64Array(T * (m + q));
  for (let t = 0; t < T; t++) {
    values.set(c.values.subarray(t * m, t * m + m), t * (m + q));
    values.set(extra.subarray(t * q, t * q + q), t * (m + q) + m);
  }
  return { dates: c.dates, names: [...c.names, ...names], values };
}

/** Serialized {@link RegimeClassifier}. */
export interface RegimeClassifierJSON {
  kind: "regime-classifier";
  volFeature: string;
  trendFeature: string;
  /** Tercile bounds of the volatility feature on the fitting days. */
  lo: number;
  hi: number;
}

/**
 * Discrete regimes for attribution: volatility terciles (`calm`, `normal`, `stressed`, bounds fitted on the
 * calibration days) of a volatility feature (default `vix`, else `index_vol_20`) crossed with the sign of an
 * index trend feature (default `index_ret_60`): labels like `calm/up`, `stressed/down`; `unknown` where a
 * feature is NaN.
 */
export class RegimeClassifier {
  #j: RegimeClassifierJSON | null = null;

  /** Fits the tercile bounds on the given days (rows of `c`); picks `vix` when it has values, else `index_vol_20`. */
  fit(c: MarketConditions, days?: ArrayLike<number>, features: { vol?: string; trend?: string } = {}): this {
    const m = c.names.length, T = c.dates.length;
    const rows = days ? Array.from(days) : Array.from({ length: T }, (_, t) => t);
    const colOf = (name: string) => c.names.indexOf(name);
    const finiteIn = (j: number) => j >= 0 && rows.some((t) => Number.isFinite(c.values[t * m + j]));
    const volFeature = features.vol ?? (finiteIn(colOf("vix")) ? "vix" : "index_vol_20");
    const trendFeature = features.trend ?? "index_ret_60";
    const j = colOf(volFeature);
    if (j < 0) throw new RangeError(`regime classifier: no feature ${volFeature}`);
    if (colOf(trendFeature) < 0) throw new RangeError(`regime classifier: no feature ${trendFeature}`);
    const v = rows.map((t) => c.values[t * m + j]).filter(Number.isFinite).sort((a, b) => a - b);
    if (v.length < 3) throw new RangeError(`regime classifier: ${v.length} days with ${volFeature}`);
    const q = (p: number) => v[Math.min(v.length - 1, Math.floor(p * v.length))];
    this.#j = { kind: "regime-classifier", volFeature, trendFeature, lo: q(1 / 3), hi: q(2 / 3) };
    return this;
  }

  /** Label per day of `c`. */
  label(c: MarketConditions): string[] {
    const j = this.#j;
    if (!j) throw new RangeError("regime classifier is not fitted");
    const m = c.names.length, a = c.names.indexOf(j.volFeature), b = c.names.indexOf(j.trendFeature);
    if (a < 0 || b < 0) throw new RangeError("regime classifier: conditions lack its features");
    return c.dates.map((_, t) => {
      const v = c.values[t * m + a], tr = c.values[t * m + b];
      if (!Number.isFinite(v) || !Number.isFinite(tr)) return "unknown";
      return `${v < j.lo ? "calm" : v < j.hi ? "normal" : "stressed"}/${tr >= 0 ? "up" : "down"}`;
    });
  }

  /** Plain JSON. */
  toJSON(): RegimeClassifierJSON {
    if (!this.#j) throw new RangeError("regime classifier is not fitted");
    return { ...this.#j };
  }

  /** Rebuilds from {@link RegimeClassifier.toJSON}. */
  static fromJSON(j: RegimeClassifierJSON): RegimeClassifier {
    if (j?.kind !== "regime-classifier") throw new RangeError("not a regime-classifier artifact");
    const c = new RegimeClassifier();
    c.#j = { ...j };
    return c;
  }
}
