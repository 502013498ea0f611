/**
 * Planted-regime experiment rows: the decision rows, raw expert scores (market, momentum, reversal), standardized
 * outcomes and market conditions of `plantedRegimeMarket(seed)`, built from its bars the way the workflow builds
 * them (EWMA forecast sd known at each close, traded return open t+1 -> open t+2). Used by the gate's tests, the
 * moe bench and the regime study; a ready-made workload for trying a gate.
 * @module
 */
import { mulberry32, shuffleInPlace } from "../core/mod.ts";
import { ewmaVariance } from "../models/mod.ts";
import { plantedRegimeMarket, type SyntheticOptions } from "../sources/mod.ts";
import { marketExpertScores, momentumExpertScores, reversalExpertScores } from "./experts.ts";
import { type MarketConditions, marketConditions } from "./regime.ts";

/** Everything a gate test needs, rows ordered by (day, symbol). */
export interface RegimeRows {
  days: number;
  S: number;
  /** Day index per row. */
  rowDay: Int32Array;
  /** Symbol index per row. */
  rowSym: Int32Array;
  /** Raw scores: market, momentum, reversal. */
  raw: Float64Array[];
  /** Standardized traded outcome `(open[t+2]/open[t+1] - 1) / σ_t`. */
  z: Float64Array;
  /** Forecast daily sd per row. */
  sigma: Float64Array;
  /** Traded return per row. */
  ret: Float64Array;
  conditions: MarketConditions;
  /** True regime of each day (0 calm, 1 stressed). */
  regime: Uint8Array;
  /** Row-major `days x S` closes. */
  close: Float64Array;
}

/** Builds {@link RegimeRows} from `plantedRegimeMarket` (first 70 days are warm-up: no rows). */
export async function regimeRows(
  seed: number,
  o: SyntheticOptions & { shuffleOutcomes?: boolean } = {},
): Promise<RegimeRows> {
  const { shuffleOutcomes, ...opts } = o;
  const m = plantedRegimeMarket(seed, { symbols: 40, sessions: 1500, ...opts });
  const bars = await m.bars({ symbols: m.symbols, from: m.dates[0], to: m.dates[m.dates.length - 1] });
  const T = m.dates.length, S = m.symbols.length;
  const close = new Float64Array(T * S), open = new Float64Array(T * S);
  m.symbols.forEach((s, j) =>
    bars.get(s)!.forEach((b, t) => ([close[t * S + j], open[t * S + j]] = [b.close, b.open]))
  );
  const sig = new Float64Array(T * S).fill(NaN);
  for (let j = 0; j < S; j++) {
    const r = Float64Array.from(
      { length: T },
      (_, t) => (t ? Math.log(close[t * S + j] / close[(t - 1) * S + j]) : NaN),
    );
    const v = ewmaVariance(r, 0.94);
    for (let t = 0; t < T; t++) sig[t * S + j] = Math.sqrt(v[t + 1]);
  }
  const rowDay: number[] = [], rowSym: number[] = [];
  for (let t = 70; t < T - 2; t++) for (let j = 0; j < S; j++) rowDay.push(t), rowSym.push(j);
  const n = rowDay.length;
  const lc = (t: number, j: number) => Math.log(close[t * S + j]);
  const ret5 = new Float64Array(n),
    ret60 = new Float64Array(n),
    sigma = new Float64Array(n),
    ret = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = rowDay[i], j = rowSym[i];
    ret5[i] = lc(t, j) - lc(t - 5, j);
    ret60[i] = lc(t, j) - lc(t - 60, j);
    sigma[i] = sig[t * S + j];
    ret[i] = open[(t + 2) * S + j] / open[(t + 1) * S + j] - 1;
  }
  if (shuffleOutcomes) shuffleInPlace(ret, mulberry32(seed + 99));
  const z = Float64Array.from(ret, (r, i) => r / sigma[i]);
  const raw = [
    marketExpertScores(sigma),
    momentumExpertScores(ret60, ret5, sigma),
    reversalExpertScores(ret5, sigma),
  ];
  const ctx = m.marketContext();
  const conditions = marketConditions({
    dates: m.dates,
    symbols: m.symbols,
    close,
    indexClose: ctx.indexClose,
    vix: ctx.vix,
  });
  return {
    days: T,
    S,
    rowDay: Int32Array.from(rowDay),
    rowSym: Int32Array.from(rowSym),
    raw,
    z,
    sigma,
    ret,
    conditions,
    regime: m.truth.regime,
    close,
  };
}

/** Row indices whose day is in `[from, to)`. */
export function rowsBetween(x: RegimeRows, from: number, to: number): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < x.rowDay.length; i++) if (x.rowDay[i] >= from && x.rowDay[i] < to) out.push(i);
  return Int32Array.from(out);
}

/** `a[rows]`. */
export function take(a: ArrayLike<number>, rows: Int32Array): Float64Array {
  return Float64Array.from(rows, (i) => a[i]);
}

/**
 * Annualized Sharpe of the daily standardized P&L of a market-neutral book: positions `edge_i - mean_d(edge)`
 * (demeaned per day, so a common bet on the market's direction cancels), P&L `Σ_i position_i · z_i` per day.
 */
export function edgeSharpe(edge: Float64Array, z: Float64Array, rowDay: Int32Array): number {
  const sum = new Map<number, [number, number]>();
  for (let i = 0; i < edge.length; i++) {
    if (!Number.isFinite(edge[i]) || !Number.isFinite(z[i])) continue;
    const e = sum.get(rowDay[i]) ?? [0, 0];
    sum.set(rowDay[i], [e[0] + edge[i], e[1] + 1]);
  }
  const by = new Map<number, number>();
  for (let i = 0; i < edge.length; i++) {
    if (!Number.isFinite(edge[i]) || !Number.isFinite(z[i])) continue;
    const [s, n] = sum.get(rowDay[i])!;
    by.set(rowDay[i], (by.get(rowDay[i]) ?? 0) + (edge[i] - s / n) * z[i]);
  }
  const p = [...by.values()], n = p.length, mu = p.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(p.reduce((a, b) => a + (b - mu) ** 2, 0) / (n - 1));
  return sd > 0 ? (mu / sd) * Math.sqrt(252) : 0;
}
