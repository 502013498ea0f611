/**
 * Trading costs: a fixed part in basis points per side of traded notional (commission and half spread) plus
 * a market-impact slippage that grows with the order's size relative to the name's average daily dollar volume
 * (the square-root law: impact ≈ Y · σ_daily · sqrt(Q / ADV)).
 * @module
 */
import { rollingSum } from "../features/mod.ts";

/** Cost model options; every field has a default. */
export interface CostOptions {
  /** Fixed cost per side, basis points of traded notional. Default 5. */
  costBps?: number;
  /**
   * Square-root impact coefficient `Y` (0 = no impact): a trade of `Q` currency units in a name with average
   * daily dollar volume `ADV` and daily volatility `σ` moves its price by `Y · σ · sqrt(Q / ADV)` against the
   * trader, paid on the whole order. Default 1 (the order of magnitude reported by Tóth et al. 2011).
   */
  impact?: number;
  /** Portfolio capital in currency units at the start, for `Q` (grows with the equity curve). Default 10,000,000. */
  capital?: number;
}

/** Book capital the impact term assumes when none is given: 10,000,000 currency units. */
export const DEFAULT_CAPITAL = 1e7;

/** Resolved cost options. */
export type Costs = Required<CostOptions>;

/** Fills defaults and checks ranges. */
export function resolveCosts(o: CostOptions = {}): Costs {
  const c: Costs = { costBps: o.costBps ?? 5, impact: o.impact ?? 1, capital: o.capital ?? DEFAULT_CAPITAL };
  if (!(c.costBps >= 0)) throw new RangeError(`costs: costBps ${c.costBps} must be >= 0`);
  if (!(c.impact >= 0)) throw new RangeError(`costs: impact ${c.impact} must be >= 0`);
  if (!(c.capital > 0)) throw new RangeError(`costs: capital ${c.capital} must be > 0`);
  return c;
}

/**
 * Cost of one trade as a fraction of portfolio capital, split into the fixed and the impact part. `traded` is
 * `|Δw|` (fraction of capital), `capitalNow` the capital in currency units, `dailyVol` the name's daily return
 * standard deviation and `adv` its average daily dollar volume, both known at the decision. Without a finite
 * positive `adv` and `dailyVol` the impact part is 0 (and the caller should count the trade as unpriced).
 * `fixed = traded · costBps / 1e4`, `impact = traded · Y · σ · sqrt(traded · capitalNow / adv)`.
 */
export function tradeCost(
  traded: number,
  capitalNow: number,
  dailyVol: number,
  adv: number,
  c: Costs,
): { fixed: number; impact: number } {
  const fixed = traded * c.costBps / 1e4;
  if (!(traded > 0) || !(c.impact > 0) || !(adv > 0) || !(dailyVol > 0)) return { fixed, impact: 0 };
  return { fixed, impact: traded * c.impact * dailyVol * Math.sqrt(traded * capitalNow / adv) };
}

/**
 * Average daily dollar volume over the `window` sessions ending at `t` (inclusive, known at the close of `t`):
 * `mean(close · volume)`; NaN until `window` valid sessions.
 */
export function averageDollarVolume(close: Float64Array, volume: Float64Array, window = 20): Float64Array {
  if (close.length !== volume.length) throw new RangeError("averageDollarVolume: lengths differ");
  const dv = new Float64Array(close.length);
  for (let i = 0; i < dv.length; i++) dv[i] = close[i] * volume[i];
  const s = rollingSum(dv, window);
  for (let i = 0; i < s.length; i++) s[i] /= window;
  return s;
}
