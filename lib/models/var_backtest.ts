/**
 * Backtests of one-day Value-at-Risk and expected shortfall forecasts. Convention: `returns[t]` is the realized
 * return, `var_[t] > 0` and `es[t] >= var_[t]` are forecast losses (fractions of value) at tail probability
 * `alpha` (0.01 for 99% VaR); a hit is `returns[t] < -var_[t]`.
 *
 * - Kupiec (1995) unconditional coverage: LR of the hit rate against `alpha`, chi-squared(1).
 * - Christoffersen (1998) independence (first-order Markov hits, chi-squared(1)) and conditional coverage
 *   (the sum, chi-squared(2)).
 * - Acerbi and Szekely (2014) test 2 for ES: `Z2 = sum_t L_t I_t / (T alpha ES_t) - 1` with `L_t = -r_t`;
 *   zero in expectation when the forecasts are right and continuous (a discrete predictive distribution, such
 *   as historical simulation's, puts a little more than `alpha` below its interpolated quantile: Z2 is then
 *   slightly positive in expectation), positive when risk is underestimated. Its p-value is simulated from the
 *   forecasts' own predictive distributions, as the paper prescribes, so it allows for that. It is taken over the
 *   days with a positive VaR and ES; Kupiec and Christoffersen count every day with a finite forecast, so a hit
 *   on a day with ES <= 0 counts there and not in Z2.
 * @module
 */
import { mulberry32 } from "../core/mod.ts";
import { chisqSf } from "./distributions.ts";

/** Hits `returns[t] < -var_[t]` over pairs where both are finite; `-1` marks a skipped day. */
export function varHits(returns: ArrayLike<number>, var_: ArrayLike<number>): Int8Array {
  const out = new Int8Array(returns.length);
  for (let t = 0; t < returns.length; t++) {
    out[t] = Number.isFinite(returns[t]) && Number.isFinite(var_[t]) ? (returns[t] < -var_[t] ? 1 : 0) : -1;
  }
  return out;
}

const xlogy = (x: number, y: number) => (x === 0 ? 0 : x * Math.log(y));

/** A likelihood-ratio test result. */
export interface LrTest {
  lr: number;
  pValue: number;
}

/** Kupiec's unconditional coverage test plus the counts it used. */
export interface KupiecResult extends LrTest {
  n: number;
  hits: number;
  rate: number;
}

/** Kupiec (1995) proportion-of-failures test of `P(hit) = alpha` (skipped days, `-1`, ignored). */
export function kupiec(hits: ArrayLike<number>, alpha: number): KupiecResult {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  let n = 0, x = 0;
  for (let i = 0; i < hits.length; i++) {
    if (hits[i] < 0) continue;
    n++;
    x += hits[i];
  }
  if (n === 0) return { lr: NaN, pValue: NaN, n, hits: 0, rate: NaN };
  const pi = x / n;
  const lr = -2 * (xlogy(n - x, 1 - alpha) + xlogy(x, alpha) - xlogy(n - x, 1 - pi) - xlogy(x, pi));
  const v = Math.max(0, lr);
  return { lr: v, pValue: chisqSf(v, 1), n, hits: x, rate: pi };
}

/** Christoffersen (1998) independence test of the hit sequence (first-order Markov alternative). */
export function christoffersenIndependence(hits: ArrayLike<number>): LrTest & { n01: number; n11: number } {
  let n00 = 0, n01 = 0, n10 = 0, n11 = 0, prev = -1;
  for (let i = 0; i < hits.length; i++) {
    const h = hits[i];
    if (h < 0) continue; // a skipped day does not break the chain: compare with the last observed day
    if (prev === 0) h ? n01++ : n00++;
    else if (prev === 1) h ? n11++ : n10++;
    prev = h;
  }
  const n0 = n00 + n01, n1 = n10 + n11, N = n0 + n1;
  if (N === 0) return { lr: NaN, pValue: NaN, n01, n11 };
  const p01 = n0 ? n01 / n0 : 0, p11 = n1 ? n11 / n1 : 0, p = (n01 + n11) / N;
  const l0 = xlogy(n00 + n10, 1 - p) + xlogy(n01 + n11, p);
  const l1 = xlogy(n00, 1 - p01) + xlogy(n01, p01) + xlogy(n10, 1 - p11) + xlogy(n11, p11);
  const lr = Math.max(0, -2 * (l0 - l1));
  return { lr, pValue: chisqSf(lr, 1), n01, n11 };
}

/** Christoffersen's conditional coverage: `LR_uc + LR_ind`, chi-squared(2). */
export function conditionalCoverage(hits: ArrayLike<number>, alpha: number): LrTest {
  const lr = kupiec(hits, alpha).lr + christoffersenIndependence(hits).lr;
  return { lr, pValue: Number.isFinite(lr) ? chisqSf(lr, 2) : NaN };
}

/**
 * The tail of day `t`'s predictive distribution beyond its VaR: `hitProb(t)` is the forecast probability of a
 * hit (`alpha` for a parametric model, the empirical share for a simulation method) and `tailLoss(t, rand)` draws
 * a loss `-r` conditional on a hit. Z2 depends on a simulated history only through its hits, so this is all the
 * simulation needs.
 */
export interface TailSampler {
  hitProb(t: number): number;
  tailLoss(t: number, rand: () => number): number;
}

/** Acerbi-Szekely Z2 value and its simulated p-value (one-sided: large Z2 = risk underestimated). */
export interface Z2Result {
  z2: number;
  pValue: number;
  n: number;
  sims: number;
}

/**
 * Acerbi-Szekely Z2 of ES forecasts. `tail` gives each day's predictive tail; `sims` simulated histories
 * (default 1000, seeded) give the p-value `(1 + #{Z2_sim >= Z2}) / (sims + 1)`. Without `tail` the p-value is
 * NaN.
 */
export function acerbiSzekelyZ2(
  returns: ArrayLike<number>,
  var_: ArrayLike<number>,
  es: ArrayLike<number>,
  alpha: number,
  tail?: TailSampler,
  opts: { sims?: number; seed?: number } = {},
): Z2Result {
  const idx: number[] = [];
  for (let t = 0; t < returns.length; t++) {
    if (Number.isFinite(returns[t]) && var_[t] > 0 && es[t] > 0) idx.push(t);
  }
  const n = idx.length, sims = opts.sims ?? 1000;
  if (n === 0) return { z2: NaN, pValue: NaN, n, sims: 0 };
  let s = 0;
  for (const t of idx) if (returns[t] < -var_[t]) s += -returns[t] / es[t];
  const z2 = s / (n * alpha) - 1;
  if (!tail) return { z2, pValue: NaN, n, sims: 0 };
  const rand = mulberry32(opts.seed ?? 7);
  const p = Float64Array.from(idx, (t) => tail.hitProb(t));
  let ge = 0;
  for (let k = 0; k < sims; k++) {
    let sk = 0;
    for (let j = 0; j < n; j++) if (rand() < p[j]) sk += tail.tailLoss(idx[j], rand) / es[idx[j]];
    if (sk / (n * alpha) - 1 >= z2) ge++;
  }
  return { z2, pValue: (1 + ge) / (sims + 1), n, sims };
}

/** Every backtest of one VaR/ES forecast series at tail probability `alpha`. */
export interface VarBacktest {
  alpha: number;
  kupiec: KupiecResult;
  independence: LrTest;
  conditionalCoverage: LrTest;
  z2: Z2Result;
}

/** Runs {@link kupiec}, {@link christoffersenIndependence}, {@link conditionalCoverage} and {@link acerbiSzekelyZ2}. */
export function backtestVarEs(
  returns: ArrayLike<number>,
  var_: ArrayLike<number>,
  es: ArrayLike<number>,
  alpha: number,
  tail?: TailSampler,
  opts: { sims?: number; seed?: number } = {},
): VarBacktest {
  const hits = varHits(returns, var_);
  return {
    alpha,
    kupiec: kupiec(hits, alpha),
    independence: christoffersenIndependence(hits),
    conditionalCoverage: conditionalCoverage(hits, alpha),
    z2: acerbiSzekelyZ2(returns, var_, es, alpha, tail, opts),
  };
}
