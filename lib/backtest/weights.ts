/**
 * Simulation of a weights portfolio (fractions of total capital per name, as built by
 * `lib/signals` `constructPortfolio`): decided at the close of `t`, traded at the open of `t + 1`, earning open
 * `t + 1` -> open `t + 2`, with drifting holdings between rebalances and the {@link CostOptions} cost model.
 * @module
 */
import type { IsoDate } from "../core/mod.ts";
import type { BacktestResult } from "./backtest.ts";
import { type CostOptions, resolveCosts, tradeCost } from "./costs.ts";
import { computeMetrics, equityAndDrawdown } from "./metrics.ts";

/** `T x S` row-major panels over the same ascending dates and symbols. */
export interface WeightBacktestInput {
  dates: readonly IsoDate[];
  symbols: readonly string[];
  /** Target weight decided at the close of `t` (fraction of capital, negative = short); NaN = 0. */
  weights: Float64Array;
  /** Return of a position decided at `t`: open `t+1` -> open `t+2`. NaN = not tradable: the weight is forced to 0. */
  returns: Float64Array;
  /** Daily return standard deviation per name known at `t` (for the impact term). */
  dailyVol?: Float64Array;
  /** Average daily dollar volume per name known at `t` (for the impact term). */
  adv?: Float64Array;
}

/** A weights backtest: the usual series plus net exposure and the impact share of the costs. */
export interface WeightBacktestResult extends BacktestResult {
  /** `Σ w` per day. */
  net: Float64Array;
  /** Impact part of `costs` per day. */
  impact: Float64Array;
  /** Trades whose impact could not be priced (no ADV or volatility while `impact > 0`). */
  unpricedTrades: number;
}

/**
 * Daily portfolio return `R_t = Σ_s e_ts r_ts - cost_t`, `e` the effective weights (the target, 0 where the
 * return is NaN). Turnover is measured against the drifted book: `h_s = e_{t-1,s} (1 + r_{t-1,s}) / (1 +
 * R^gross_{t-1})`, `turnover_t = Σ_s |e_ts - h_s|`, and each name's trade pays {@link tradeCost} at the capital
 * `capital · equity_{t-1}`. Starts from cash; cash earns 0. O(T·S).
 */
export function backtestWeights(
  x: WeightBacktestInput,
  options: CostOptions & { periodsPerYear?: number } = {},
): WeightBacktestResult {
  const T = x.dates.length, S = x.symbols.length;
  for (const k of ["weights", "returns", "dailyVol", "adv"] as const) {
    const a = x[k];
    if (a && a.length !== T * S) {
      throw new RangeError(`backtestWeights: ${k} has ${a.length} cells, want ${T} x ${S}`);
    }
  }
  for (let t = 1; t < T; t++) {
    if (!(x.dates[t] > x.dates[t - 1])) {
      throw new RangeError(`backtestWeights: dates not ascending at ${x.dates[t]}`);
    }
  }
  const c = resolveCosts(options);
  const ppy = options.periodsPerYear ?? 252;
  const returns = new Float64Array(T), gross = new Float64Array(T), costs = new Float64Array(T);
  const turnover = new Float64Array(T), exposure = new Float64Array(T), net = new Float64Array(T);
  const impact = new Float64Array(T);
  const h = new Float64Array(S);
  let equity = 1, held = 0, wins = 0, trades = 0, unpriced = 0;
  for (let t = 0; t < T; t++) {
    const o = t * S;
    let pnl = 0, cost = 0, imp = 0, traded = 0, g = 0, n = 0;
    for (let s = 0; s < S; s++) {
      const r = x.returns[o + s];
      const w = x.weights[o + s];
      const e = Number.isFinite(r) && Number.isFinite(w) ? w : 0;
      const d = Math.abs(e - h[s]);
      if (d > 0) {
        const sig = x.dailyVol ? x.dailyVol[o + s] : NaN, adv = x.adv ? x.adv[o + s] : NaN;
        const tc = tradeCost(d, c.capital * equity, sig, adv, c);
        if (c.impact > 0 && !(adv > 0 && sig > 0)) unpriced++;
        cost += tc.fixed + tc.impact;
        imp += tc.impact;
        traded += d;
        if (e !== 0 && Math.sign(e) !== Math.sign(h[s])) trades++;
      }
      if (e !== 0) {
        const p = e * r;
        pnl += p;
        g += Math.abs(e);
        n += e;
        held++;
        if (p > 0) wins++;
      }
      h[s] = e;
    }
    gross[t] = pnl;
    costs[t] = cost;
    impact[t] = imp;
    returns[t] = pnl - cost;
    turnover[t] = traded;
    exposure[t] = g;
    net[t] = n;
    // drift the book to the next open
    const k = 1 + pnl;
    for (let s = 0; s < S; s++) if (h[s] !== 0) h[s] = k > 0 ? h[s] * (1 + x.returns[o + s]) / k : 0;
    equity *= 1 + returns[t];
  }
  const { equity: eq, drawdown } = equityAndDrawdown(returns);
  const mean = (a: Float64Array) => a.length ? a.reduce((p, v) => p + v, 0) / a.length : NaN;
  const metrics = computeMetrics(returns, {
    turnover: mean(turnover),
    hitRate: held > 0 ? wins / held : NaN,
    trades,
    exposure: mean(exposure),
  }, ppy);
  return {
    dates: x.dates,
    returns,
    gross,
    costs,
    equity: eq,
    drawdown,
    turnover,
    exposure,
    metrics,
    net,
    impact,
    unpricedTrades: unpriced,
  };
}
