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

/** One simulated day of a weights book (see {@link WeightsSimulator}). */
export interface SimulatedDay {
  /** `Σ_s e_s r_s`. */
  gross: number;
  /** Fixed and impact costs of the day's trades, a fraction of capital. */
  cost: number;
  impact: number;
  /** `gross - cost`: the day's return after costs. */
  net: number;
  /** `Σ_s |e_s - h_s|` against the drifted book. */
  turnover: number;
  /** `Σ_s |e_s|` and `Σ_s e_s`. */
  exposure: number;
  netExposure: number;
  /** Positions held, positions with a positive return, trades that open or flip a position, unpriced trades. */
  held: number;
  wins: number;
  trades: number;
  unpriced: number;
}

/**
 * The weights book's simulation one day at a time, from cash: the day's effective weights `e` (the target, 0
 * where the return is NaN) against the book drifted from the day before, each name's trade paying
 * {@link tradeCost} at the capital `capital · equity`. {@link backtestWeights} runs it over a panel; the sizing
 * stage's drawdown brake runs it as the days settle, so the equity it reads is the backtest's, after costs.
 */
export class WeightsSimulator {
  private readonly c: ReturnType<typeof resolveCosts>;
  private readonly h: Float64Array;
  private equity = 1;

  constructor(symbols: number, costs: CostOptions = {}) {
    this.c = resolveCosts(costs);
    this.h = new Float64Array(symbols);
  }

  /**
   * Simulates the next day: target weights (from `wo` in `weights`), traded returns and (for the impact term)
   * daily vol and ADV per name (from `o` in each: a row of a `T x S` panel without a view of it).
   */
  step(
    weights: ArrayLike<number>,
    wo: number,
    returns: ArrayLike<number>,
    o: number,
    dailyVol?: ArrayLike<number>,
    adv?: ArrayLike<number>,
  ): SimulatedDay {
    const c = this.c, h = this.h, S = h.length, capital = c.capital * this.equity;
    let pnl = 0, cost = 0, imp = 0, traded = 0, g = 0, n = 0, held = 0, wins = 0, trades = 0, unpriced = 0;
    for (let s = 0; s < S; s++) {
      const r = returns[o + s];
      const w = weights[wo + s];
      const e = Number.isFinite(r) && Number.isFinite(w) ? w : 0;
      const d = Math.abs(e - h[s]);
      if (d > 0) {
        const sig = dailyVol ? dailyVol[o + s] : NaN, a = adv ? adv[o + s] : NaN;
        const tc = tradeCost(d, capital, sig, a, c);
        if (c.impact > 0 && !(a > 0 && sig > 0)) unpriced++;
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
    // drift the book to the next open
    const k = 1 + pnl;
    for (let s = 0; s < S; s++) if (h[s] !== 0) h[s] = k > 0 ? h[s] * (1 + returns[o + s]) / k : 0;
    const net = pnl - cost;
    this.equity *= 1 + net;
    return {
      gross: pnl,
      cost,
      impact: imp,
      net,
      turnover: traded,
      exposure: g,
      netExposure: n,
      held,
      wins,
      trades,
      unpriced,
    };
  }
}

/**
 * A `constructPortfolio` settle function (lib/signals `PortfolioInput.settle`): each decision day's return after
 * costs as {@link backtestWeights} books it over the same `T x S` panels from day `first`, so the drawdown brake
 * reads the equity the backtest reports. Days must come in order, from `first`.
 */
export function costedSettle(
  x: { symbols: number; returns: Float64Array; dailyVol?: Float64Array; adv?: Float64Array },
  costs: CostOptions,
  first = 0,
): (d: number, w: Float64Array) => number {
  const S = x.symbols, sim = new WeightsSimulator(S, costs);
  let next = first;
  return (d, w) => {
    if (d !== next) throw new RangeError(`settle: decision day ${d} out of order (expected ${next})`);
    next++;
    return sim.step(w, 0, x.returns, d * S, x.dailyVol, x.adv).net;
  };
}

/**
 * Daily portfolio return `R_t = Σ_s e_ts r_ts - cost_t`, `e` the effective weights (the target, 0 where the
 * return is NaN). Turnover is measured against the drifted book: `h_s = e_{t-1,s} (1 + r_{t-1,s}) / (1 +
 * R^gross_{t-1})`, `turnover_t = Σ_s |e_ts - h_s|`, and each name's trade pays {@link tradeCost} at the capital
 * `capital · equity_{t-1}` ({@link WeightsSimulator}). Starts from cash; cash earns 0. O(T·S).
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
  const ppy = options.periodsPerYear ?? 252;
  const returns = new Float64Array(T), gross = new Float64Array(T), costs = new Float64Array(T);
  const turnover = new Float64Array(T), exposure = new Float64Array(T), net = new Float64Array(T);
  const impact = new Float64Array(T);
  const sim = new WeightsSimulator(S, options);
  let held = 0, wins = 0, trades = 0, unpriced = 0;
  for (let t = 0; t < T; t++) {
    const d = sim.step(x.weights, t * S, x.returns, t * S, x.dailyVol, x.adv);
    gross[t] = d.gross;
    costs[t] = d.cost;
    impact[t] = d.impact;
    returns[t] = d.net;
    turnover[t] = d.turnover;
    exposure[t] = d.exposure;
    net[t] = d.netExposure;
    held += d.held;
    wins += d.wins;
    trades += d.trades;
    unpriced += d.unpriced;
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
