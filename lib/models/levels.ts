/**
 * Support and resistance: swing-pivot clusters (`SwingLevelModel`) and classic floor pivots
 * (`FloorPivotModel`), plus helpers that turn levels into `LevelPrediction`s. Every level at index `t` uses bars
 * `0..t` only.
 * @module
 */
import { closeTime, type Level, type LevelPrediction } from "../core/mod.ts";
import type { Dataset, SymbolSeries } from "../dataset/mod.ts";
import type { LevelModel } from "./types.ts";

/** Average true range over `n` bars ending at `t` (fewer at the start); NaN when `t < 0`. */
export function atr(s: SymbolSeries, t: number, n = 14): number {
  let sum = 0, k = 0;
  for (let j = Math.max(0, t - n + 1); j <= t; j++) {
    const pc = j > 0 ? s.close[j - 1] : s.close[j];
    const tr = Math.max(s.high[j] - s.low[j], Math.abs(s.high[j] - pc), Math.abs(s.low[j] - pc));
    if (Number.isFinite(tr)) {
      sum += tr;
      k++;
    }
  }
  return k ? sum / k : NaN;
}

/** Options of {@link SwingLevelModel}. */
export interface SwingLevelOptions {
  /** Sessions looked back from `t`. Default 400. */
  lookback?: number;
  /** A swing low (high) is the lowest low (highest high) of the `2w + 1` bars centred on it. Default 5. */
  pivotWindow?: number;
  /** Pivots within `clusterAtr x ATR(14)` of a cluster's mean join it. Default 0.5. */
  clusterAtr?: number;
  /**
   * How a level's strength is measured. `turn-rate` (default): `turns / (turns + crossings + 1)`, the share of
   * the price's visits to the level that turned there (its pivots) rather than closed through it (a close-to-close
   * crossing in the lookback), 0 for a level with fewer than 2 pivots: a price where the market keeps turning and
   * rarely closes through. `recency`: `S / (S + 1)` with `S` the recency-weighted pivot count (`0.5^((t - j) /
   * halfLife)` per pivot): a price often visited scores high too.
   */
  strength?: "turn-rate" | "recency";
  /** Half-life (sessions) of a touch's weight in the `recency` strength. Default 60. */
  halfLife?: number;
  /** Levels returned per side. Default 3. */
  maxLevels?: number;
}

/** A level with its cluster's pivot count (exposed for diagnostics and tests). */
export interface SwingLevel extends Level {
  touches: number;
}

/**
 * Swing-pivot levels (`name = "swing"`): pivots confirmed by `t` (a pivot at `j` needs bars up to `j + w <= t`)
 * in the lookback, clustered by price proximity; strength by turn rate (default) or recency-weighted touches (see
 * {@link SwingLevelOptions.strength}). Supports are below the close of `t`, resistances above, nearest first.
 * O(lookback · (w + log levels)) per call.
 */
export class SwingLevelModel implements LevelModel {
  readonly name = "swing";
  readonly options: Required<SwingLevelOptions>;

  constructor(options: SwingLevelOptions = {}) {
    this.options = {
      lookback: 400,
      pivotWindow: 5,
      clusterAtr: 0.5,
      strength: "turn-rate",
      halfLife: 60,
      maxLevels: 3,
      ...options,
    };
  }

  /** Supports below and resistances above `close[t]`, nearest first. */
  levels(series: SymbolSeries, t: number): { supports: SwingLevel[]; resistances: SwingLevel[] } {
    if (!(t >= 0 && t < series.close.length)) throw new RangeError(`index ${t} outside the series`);
    const { lookback, pivotWindow: w, clusterAtr, halfLife, maxLevels } = this.options;
    const start = Math.max(0, t - lookback + 1);
    const pivots: { price: number; j: number }[] = [];
    for (let j = start + w; j + w <= t; j++) {
      let isLow = true, isHigh = true;
      for (let k = j - w; k <= j + w && (isLow || isHigh); k++) {
        if (k === j) continue;
        if (series.low[k] < series.low[j]) isLow = false;
        if (series.high[k] > series.high[j]) isHigh = false;
      }
      if (isLow && Number.isFinite(series.low[j])) pivots.push({ price: series.low[j], j });
      if (isHigh && Number.isFinite(series.high[j])) pivots.push({ price: series.high[j], j });
    }
    const close = series.close[t];
    if (!pivots.length || !Number.isFinite(close)) return { supports: [], resistances: [] };
    const tol = clusterAtr * (atr(series, t) || close * 0.01);
    pivots.sort((a, b) => a.price - b.price);
    const clusters: { price: number; touches: number; recency: number }[] = [];
    let members: { price: number; j: number }[] = [];
    const flush = () => {
      if (!members.length) return;
      let score = 0, sum = 0;
      for (const m of members) {
        score += 0.5 ** ((t - m.j) / halfLife);
        sum += m.price;
      }
      clusters.push({ price: sum / members.length, touches: members.length, recency: score });
      members = [];
    };
    let mean = 0;
    for (const p of pivots) {
      if (members.length && p.price - mean > tol) flush();
      members.push(p);
      mean = members.reduce((s, m) => s + m.price, 0) / members.length;
    }
    flush();
    const strength = this.options.strength === "recency"
      ? clusters.map((c) => c.recency / (c.recency + 1))
      : turnRates(series.close, start, t, clusters);
    const levels: SwingLevel[] = clusters.map((c, k) => ({
      price: c.price,
      strength: strength[k],
      touches: c.touches,
    }));
    const supports = levels.filter((l) => l.price < close).sort((a, b) => b.price - a.price).slice(
      0,
      maxLevels,
    );
    const resistances = levels.filter((l) => l.price > close).sort((a, b) => a.price - b.price).slice(
      0,
      maxLevels,
    );
    return { supports, resistances };
  }
}

/**
 * `turns / (turns + crossings + 1)` per cluster (0 under 2 turns), crossings = sessions `k` in `(start, t]` whose
 * close moved from one side of the level to the other (`(C_{k-1} - p)(C_k - p) < 0`). Clusters are sorted by
 * price, so each session's crossed levels are one contiguous run found by binary search.
 */
function turnRates(
  close: Float64Array,
  start: number,
  t: number,
  clusters: { price: number; touches: number }[],
): number[] {
  const n = clusters.length, prices = clusters.map((c) => c.price);
  const diff = new Float64Array(n + 1); // difference array of crossing counts
  const lowerBound = (v: number) => {
    let lo = 0, hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (prices[mid] <= v) lo = mid + 1;
      else hi = mid;
    }
    return lo; // first price > v
  };
  for (let k = start + 1; k <= t; k++) {
    const a = close[k - 1], b = close[k];
    if (!Number.isFinite(a) || !Number.isFinite(b) || a === b) continue;
    const lo = Math.min(a, b), hi = Math.max(a, b);
    // levels strictly between lo and hi
    const i0 = lowerBound(lo);
    let i1 = lowerBound(hi);
    while (i1 > i0 && prices[i1 - 1] >= hi) i1--;
    if (i1 > i0) {
      diff[i0]++;
      diff[i1]--;
    }
  }
  const out = new Array<number>(n);
  let run = 0;
  for (let i = 0; i < n; i++) {
    run += diff[i];
    const turns = clusters[i].touches;
    out[i] = turns < 2 ? 0 : turns / (turns + run + 1);
  }
  return out;
}

/** Classic floor pivots from session `t`'s high, low and close (the "prior session" of `t + 1`). */
export function floorPivots(
  high: number,
  low: number,
  close: number,
): { p: number; s1: number; s2: number; s3: number; r1: number; r2: number; r3: number } {
  const p = (high + low + close) / 3;
  return {
    p,
    s1: 2 * p - high,
    r1: 2 * p - low,
    s2: p - (high - low),
    r2: p + (high - low),
    s3: low - 2 * (high - p),
    r3: high + 2 * (p - low),
  };
}

/**
 * Floor-pivot levels (`name = "floor-pivots"`): at decision `t`, from session `t`'s H/L/C: supports
 * `S1, S2, S3` (strength 1, 2/3, 1/3) and resistances `R1, R2, R3`; `S1 <= close <= R1` always. With
 * `includePivot`, `P` (strength 1/2) joins the side it lies on.
 */
export class FloorPivotModel implements LevelModel {
  readonly name = "floor-pivots";
  constructor(readonly includePivot = false) {}

  /** Levels for session `t + 1` from session `t`, nearest first. */
  levels(series: SymbolSeries, t: number): { supports: Level[]; resistances: Level[] } {
    if (!(t >= 0 && t < series.close.length)) throw new RangeError(`index ${t} outside the series`);
    const c = series.close[t];
    const f = floorPivots(series.high[t], series.low[t], c);
    const supports: Level[] = [
      { price: f.s1, strength: 1 },
      { price: f.s2, strength: 2 / 3 },
      { price: f.s3, strength: 1 / 3 },
    ];
    const resistances: Level[] = [
      { price: f.r1, strength: 1 },
      { price: f.r2, strength: 2 / 3 },
      { price: f.r3, strength: 1 / 3 },
    ];
    if (this.includePivot) (f.p < c ? supports : resistances).push({ price: f.p, strength: 0.5 });
    supports.sort((a, b) => b.price - a.price);
    resistances.sort((a, b) => a.price - b.price);
    return { supports, resistances };
  }
}

/** Wraps a model's levels at index `t` of `series` into a `LevelPrediction` known at the close of `t`. */
export function levelsToPrediction(model: LevelModel, series: SymbolSeries, t: number): LevelPrediction {
  const { supports, resistances } = model.levels(series, t);
  const date = series.dates[t];
  return {
    kind: "levels",
    model: model.name,
    symbol: series.symbol,
    date,
    knownAt: closeTime(date),
    close: series.close[t],
    supports: supports.map((l) => ({ price: l.price, strength: l.strength })),
    resistances: resistances.map((l) => ({ price: l.price, strength: l.strength })),
  };
}

/** `LevelPrediction`s for dataset rows (each row's symbol series at its series index). */
export function levelsForRows(model: LevelModel, ds: Dataset, rows: Int32Array): LevelPrediction[] {
  return Array.from(rows, (i) => levelsToPrediction(model, ds.series.get(ds.symbol[i])!, ds.seriesIndex[i]));
}

/** Support/resistance nearest to the close per row (NaN when none), with strengths. */
export interface LevelColumns {
  support: Float64Array;
  supportStrength: Float64Array;
  resistance: Float64Array;
  resistanceStrength: Float64Array;
}

/** The nearest support and resistance of a level model per dataset row. */
export function levelColumns(ds: Dataset, rows: Int32Array, model: LevelModel): LevelColumns {
  const n = rows.length;
  const out: LevelColumns = {
    support: new Float64Array(n).fill(NaN),
    supportStrength: new Float64Array(n).fill(NaN),
    resistance: new Float64Array(n).fill(NaN),
    resistanceStrength: new Float64Array(n).fill(NaN),
  };
  const preds = levelsForRows(model, ds, rows);
  for (let i = 0; i < n; i++) {
    const s = preds[i].supports[0], r = preds[i].resistances[0];
    if (s) [out.support[i], out.supportStrength[i]] = [s.price, s.strength];
    if (r) [out.resistance[i], out.resistanceStrength[i]] = [r.price, r.strength];
  }
  return out;
}
