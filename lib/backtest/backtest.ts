/**
 * Walk-forward portfolio simulation with costs: positions decided at the close of `t`, filled at the open of
 * `t + 1`, earning open `t + 1` -> open `t + 2`.
 * @module
 */
import type { IsoDate } from "../core/mod.ts";
import { computeMetrics, equityAndDrawdown, type Metrics } from "./metrics.ts";

/** Inputs: two aligned `T x S` row-major panels over the same dates and symbols. */
export interface BacktestInput {
  /** Decision sessions `t` (ascending). */
  dates: readonly IsoDate[];
  symbols: readonly string[];
  /** Target position decided at the close of `dates[t]`, as a fraction of the symbol's capital; NaN = flat. */
  positions: Float64Array;
  /**
   * Return earned by a position decided at `t`: open `t + 1` -> open `t + 2` (`Labels.fwdOpenReturn`, which
   * spans a hole in the symbol's bars; {@link openToOpenReturns}). NaN = not tradable that day (the position is
   * forced flat).
   */
  returns: Float64Array;
}

/** Options. */
export interface BacktestOptions {
  /** Cost per side in basis points of traded notional. Default 5. */
  costBps?: number;
  /** Trading days per year for annualization. Default 252. */
  periodsPerYear?: number;
}

/** Daily series (indexed like `dates`: the P&L of the position decided at `t`) and the summary metrics. */
export interface BacktestResult {
  dates: readonly IsoDate[];
  /** Net portfolio return per day. */
  returns: Float64Array;
  /** Before costs. */
  gross: Float64Array;
  /** Costs per day (fraction of capital). */
  costs: Float64Array;
  equity: Float64Array;
  drawdown: Float64Array;
  /** Two-way turnover per day: buys plus sells, `sum |Δposition| / active symbols` (one-way is half). */
  turnover: Float64Array;
  /** Gross exposure per day (sum |position| / active symbols). */
  exposure: Float64Array;
  metrics: Metrics;
}

function check(x: BacktestInput): [number, number] {
  const T = x.dates.length, S = x.symbols.length;
  if (x.positions.length !== T * S) {
    throw new RangeError(`backtest: positions have ${x.positions.length} cells, want ${T} x ${S}`);
  }
  if (x.returns.length !== T * S) {
    throw new RangeError(`backtest: returns have ${x.returns.length} cells, want ${T} x ${S}`);
  }
  for (let t = 1; t < T; t++) {
    if (!(x.dates[t] > x.dates[t - 1])) {
      throw new RangeError(`backtest: dates not ascending at ${x.dates[t]}`);
    }
  }
  return [T, S];
}

/**
 * Equal capital per symbol, rebalanced daily to the target positions. With `e[t,s]` the effective position
 * (the target, or 0 when the return is NaN) and `A_t` the symbols with a known return on day t:
 * `R_t = (1/|A_t|) * (sum_{s in A_t} e[t,s] r[t,s] - c * sum_s |e[t,s] - e[t-1,s]|)`, `c = costBps / 1e4`,
 * starting flat. Positions are not drifted between rebalances. O(T·S).
 */
export function backtest(x: BacktestInput, options: BacktestOptions = {}): BacktestResult {
  const [T, S] = check(x);
  const c = (options.costBps ?? 5) / 1e4;
  if (!(c >= 0)) throw new RangeError("backtest: costBps must be >= 0");
  const ppy = options.periodsPerYear ?? 252;
  const prev = new Float64Array(S);
  const returns = new Float64Array(T), gross = new Float64Array(T), costs = new Float64Array(T);
  const turnover = new Float64Array(T), exposure = new Float64Array(T);
  let held = 0, wins = 0, trades = 0;
  for (let t = 0; t < T; t++) {
    const o = t * S;
    let active = 0, pnl = 0, traded = 0, gross1 = 0;
    for (let s = 0; s < S; s++) {
      const r = x.returns[o + s];
      let e = 0;
      if (Number.isFinite(r)) {
        active++;
        const p = x.positions[o + s];
        e = Number.isFinite(p) ? p : 0;
        if (e !== 0) {
          const g = e * r;
          pnl += g;
          gross1 += Math.abs(e);
          held++;
          if (g > 0) wins++;
        }
      }
      const d = Math.abs(e - prev[s]);
      traded += d;
      if (e !== 0 && Math.sign(e) !== Math.sign(prev[s])) trades++;
      prev[s] = e;
    }
    const k = active > 0 ? 1 / active : 0;
    gross[t] = pnl * k;
    costs[t] = c * traded * k;
    returns[t] = gross[t] - costs[t];
    turnover[t] = traded * k;
    exposure[t] = gross1 * k;
  }
  return finish(x.dates, { returns, gross, costs, turnover, exposure }, { held, wins, trades }, ppy);
}

/** Equity, drawdown and metrics of a run from its daily series and its position counters. */
function finish(
  dates: BacktestResult["dates"],
  d: Pick<BacktestResult, "returns" | "gross" | "costs" | "turnover" | "exposure">,
  n: { held: number; wins: number; trades: number },
  ppy: number,
): BacktestResult {
  const { equity, drawdown } = equityAndDrawdown(d.returns);
  const metrics = computeMetrics(d.returns, {
    turnover: mean(d.turnover),
    hitRate: n.held > 0 ? n.wins / n.held : NaN,
    trades: n.trades,
    exposure: mean(d.exposure),
  }, ppy);
  const { returns, gross, costs, turnover, exposure } = d;
  return { dates, returns, gross, costs, equity, drawdown, turnover, exposure, metrics };
}

function mean(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return a.length ? s / a.length : NaN;
}

/**
 * Equal-weight buy-and-hold benchmark over the same panel of returns: each symbol gets `1/S` of the capital,
 * bought (one side of cost) on its first day with a known return and held without rebalancing (its weight
 * drifts); before that day and after its last one the share sits in cash.
 * Portfolio equity `E_t = (1/S) sum_s G_s(t)`, `G_s(t) = (1 - c) prod_{u <= t} (1 + r[u,s])`.
 */
export function buyAndHold(
  x: Omit<BacktestInput, "positions">,
  options: BacktestOptions = {},
): BacktestResult {
  const [T, S] = check({ ...x, positions: x.returns });
  const c = (options.costBps ?? 5) / 1e4;
  const ppy = options.periodsPerYear ?? 252;
  const G = new Float64Array(S).fill(1);
  const started = new Uint8Array(S);
  const returns = new Float64Array(T), gross = new Float64Array(T), costs = new Float64Array(T);
  const turnover = new Float64Array(T), exposure = new Float64Array(T);
  let held = 0, wins = 0, trades = 0;
  let E = 1;
  for (let t = 0; t < T; t++) {
    const o = t * S;
    let before = 0, invested = 0, traded = 0, costSum = 0, grossSum = 0;
    for (let s = 0; s < S; s++) before += G[s];
    for (let s = 0; s < S; s++) {
      const r = x.returns[o + s];
      if (!Number.isFinite(r)) continue;
      if (!started[s]) {
        started[s] = 1;
        trades++;
        traded += G[s];
        costSum += c * G[s];
        G[s] *= 1 - c;
      }
      invested += G[s];
      grossSum += G[s] * r;
      G[s] *= 1 + r;
      held++;
      if (r > 0) wins++;
    }
    let after = 0;
    for (let s = 0; s < S; s++) after += G[s];
    const Enew = after / S;
    returns[t] = Enew / E - 1;
    gross[t] = grossSum / before;
    costs[t] = costSum / before;
    turnover[t] = traded / before;
    exposure[t] = invested / before;
    E = Enew;
  }
  return finish(x.dates, { returns, gross, costs, turnover, exposure }, { held, wins, trades }, ppy);
}
