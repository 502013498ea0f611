/**
 * Performance metrics of a daily return series.
 * @module
 */

/** Summary of one backtest. Returns are fractions (0.1 = 10%). */
export interface Metrics {
  /** Number of daily returns. */
  days: number;
  /** `prod(1 + R) - 1`. */
  totalReturn: number;
  /** Geometric: `(prod(1 + R))^(periodsPerYear / days) - 1`. */
  annReturn: number;
  /** Sample standard deviation of daily returns × sqrt(periodsPerYear). */
  annVol: number;
  /** `mean / std × sqrt(periodsPerYear)` (zero risk-free rate); NaN when std is 0. */
  sharpe: number;
  /** `mean / sqrt(mean(min(R, 0)^2)) × sqrt(periodsPerYear)`; NaN without down days. */
  sortino: number;
  /** Largest peak-to-trough fall of the equity curve, as a non-positive fraction (-0.25 = a 25% drawdown). */
  maxDrawdown: number;
  /** Mean daily one-way turnover: `sum_s |Δposition_s| / active symbols`, per day. */
  turnover: number;
  /** `turnover × periodsPerYear`. */
  annTurnover: number;
  /** Fraction of held symbol-days (position != 0, known return) whose P&L before costs was > 0. NaN if none. */
  hitRate: number;
  /** Entries: symbol-days where the position became non-zero or flipped sign. */
  trades: number;
  /** Mean over days of `sum_s |position_s| / active symbols` (gross exposure). */
  exposure: number;
}

/** Equity curve `prod(1 + R)` (starting from 1 before the first day) and drawdown `equity / peak - 1`. */
export function equityAndDrawdown(returns: Float64Array): { equity: Float64Array; drawdown: Float64Array } {
  const n = returns.length;
  const equity = new Float64Array(n), drawdown = new Float64Array(n);
  let e = 1, peak = 1;
  for (let t = 0; t < n; t++) {
    e *= 1 + returns[t];
    if (e > peak) peak = e;
    equity[t] = e;
    drawdown[t] = e / peak - 1;
  }
  return { equity, drawdown };
}

/** Return-based metrics; the trading statistics are passed in by the simulator. */
export function computeMetrics(
  returns: Float64Array,
  trading: { turnover: number; hitRate: number; trades: number; exposure: number },
  periodsPerYear = 252,
): Metrics {
  const n = returns.length;
  let sum = 0, down2 = 0;
  for (let t = 0; t < n; t++) {
    sum += returns[t];
    if (returns[t] < 0) down2 += returns[t] * returns[t];
  }
  const mean = n > 0 ? sum / n : NaN;
  let ss = 0;
  for (let t = 0; t < n; t++) ss += (returns[t] - mean) ** 2;
  const sd = n > 1 ? Math.sqrt(ss / (n - 1)) : NaN;
  const dd = n > 0 ? Math.sqrt(down2 / n) : NaN;
  const { equity, drawdown } = equityAndDrawdown(returns);
  const total = n > 0 ? equity[n - 1] - 1 : 0;
  let maxDd = 0;
  for (let t = 0; t < n; t++) if (drawdown[t] < maxDd) maxDd = drawdown[t];
  const ry = Math.sqrt(periodsPerYear);
  return {
    days: n,
    totalReturn: total,
    annReturn: n > 0 ? Math.pow(1 + total, periodsPerYear / n) - 1 : NaN,
    annVol: sd * ry,
    sharpe: sd > 0 ? (mean / sd) * ry : NaN,
    sortino: dd > 0 ? (mean / dd) * ry : NaN,
    maxDrawdown: maxDd,
    turnover: trading.turnover,
    annTurnover: trading.turnover * periodsPerYear,
    hitRate: trading.hitRate,
    trades: trading.trades,
    exposure: trading.exposure,
  };
}
