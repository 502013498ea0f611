/**
 * One-day Value-at-Risk and expected shortfall forecasts. Convention: for a return `r[t]` with tail probability
 * `alpha` (0.01 for 99% VaR), `VaR[t] > 0` is the loss exceeded with probability `alpha` and `ES[t]` the mean
 * loss beyond it, both as fractions of value and known before `r[t]`.
 *
 * Methods:
 * - `parametric-t`: a volatility forecast `sigma[t]` and mean `mu`, and a Student-t fitted by maximum
 *   likelihood (scale and degrees of freedom) to the standardized residuals of the estimation window, or the
 *   model's own t when it estimated one jointly (`VolSegment.dist`; lib/evaluate's `gjr-t` passes GJR-GARCH-t's
 *   own `nu`, scale 1):
 *   `VaR = -(mu + sigma s q_nu(alpha))`, `ES = -(mu + sigma s E[Z | Z <= q_nu(alpha)])`.
 * - `fhs` (filtered historical simulation, Barone-Adesi et al. 1999): the same volatility forecast with the
 *   empirical distribution of the estimation window's standardized residuals instead of the t. For one day the
 *   bootstrap of standardized residuals has an exact answer, so their empirical quantile and tail mean are used
 *   directly (what an infinite bootstrap would give).
 * - `riskmetrics`: EWMA(0.94) variance with normal quantiles.
 * - `historical`: the empirical quantile and tail mean of the last `window` returns (default 500).
 *
 * Each path also carries, per level, the tail of its own predictive distribution (hit probability and losses
 * beyond the VaR) for the Acerbi-Szekely ES test.
 * @module
 */
import { ModelError } from "../core/mod.ts";
import { normalQuantile, normalTailMean, stdTLogPdf, stdTQuantile, stdTTailMean } from "./distributions.ts";
import { ewmaVariance } from "./ewma.ts";
import type { TailSampler } from "./var_backtest.ts";
import { nelderMead } from "./_nelder_mead.ts";

/** The tail probabilities of the protocol: 99% and 97.5% VaR. */
export const RISK_ALPHAS = [0.01, 0.025] as const;

/** A Student-t fitted to standardized residuals: `z = scale * T` with `T` standardized t(`nu`). */
export interface StdTFit {
  nu: number;
  scale: number;
  loglik: number;
  n: number;
}

/**
 * Maximum-likelihood fit of a zero-location standardized t (scale and `nu` in (2.05, 500)) to finite `z`,
 * by Nelder-Mead on `(ln scale, ln(nu - 2.05))`; `start` (e.g. the previous re-estimation) saves iterations.
 */
export function fitStdT(z: ArrayLike<number>, start?: { nu: number; scale: number }): StdTFit {
  const x: number[] = [];
  for (let i = 0; i < z.length; i++) if (Number.isFinite(z[i])) x.push(z[i]);
  if (x.length < 50) throw new ModelError(`fitStdT needs >= 50 residuals, got ${x.length}`);
  let v = 0;
  for (const a of x) v += a * a;
  v /= x.length;
  const decode = (p: number[]) => ({ scale: Math.exp(p[0]), nu: 2.05 + Math.min(497.95, Math.exp(p[1])) });
  const n = x.length, xx = Float64Array.from(x, (a) => a * a);
  const nll = (p: number[]) => {
    const { scale, nu } = decode(p);
    // sum of stdTLogPdf(x, scale^2, nu) with the constant terms taken out of the loop
    const k = 1 / (scale * scale * (nu - 2));
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.log1p(xx[i] * k);
    return -(n * (stdTLogPdf(0, scale * scale, nu)) - ((nu + 1) / 2) * s);
  };
  let best;
  if (start) {
    best = nelderMead(nll, [Math.log(start.scale), Math.log(Math.max(start.nu - 2.05, 1e-3))], {
      step: 0.05,
      tol: 1e-12,
    });
  } else {
    best = nelderMead(nll, [0.5 * Math.log(v), Math.log(6)], { step: 0.3, tol: 1e-12 });
    best = nelderMead(nll, best.x, { step: 0.05, tol: 1e-12 }); // restart: NM can stall on a ridge
  }
  const { scale, nu } = decode(best.x);
  return { nu, scale, loglik: -best.value, n: x.length };
}

/** Lower-tail quantile and tail mean of a standardized-residual distribution (`tailMean <= q`). */
export interface Tail {
  q: number;
  tailMean: number;
}

/** The tail of `scale * T`, `T` standardized t(`nu`). */
export function stdTTail(alpha: number, fit: { nu: number; scale: number }): Tail {
  return { q: fit.scale * stdTQuantile(alpha, fit.nu), tailMean: fit.scale * stdTTailMean(alpha, fit.nu) };
}

/** The tail of the standard normal. */
export function normalTail(alpha: number): Tail {
  return { q: normalQuantile(alpha), tailMean: normalTailMean(alpha) };
}

/**
 * Empirical lower tail of finite `x`: the `alpha` quantile with linear interpolation between order statistics
 * (numpy's and pandas' default) and the mean of the values at or below it.
 */
export function empiricalTail(x: ArrayLike<number>, alpha: number): Tail {
  const s = new Float64Array(x.length);
  let n = 0;
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i])) s[n++] = x[i];
  return sortedTail(s.subarray(0, n).sort(), alpha);
}

/** {@link empiricalTail} of values already sorted ascending (all finite). */
export function sortedTail(s: ArrayLike<number>, alpha: number): Tail {
  const n = s.length;
  if (n < 2) return { q: NaN, tailMean: NaN };
  const pos = alpha * (n - 1), lo = Math.floor(pos), f = pos - lo;
  const q = s[lo] + (lo + 1 < n ? f * (s[lo + 1] - s[lo]) : 0);
  let sum = 0, k = 0;
  for (let i = 0; i < n && s[i] <= q; i++) {
    sum += s[i];
    k++;
  }
  return { q, tailMean: k ? sum / k : q };
}

/** A method's VaR/ES forecasts over one return series, aligned with it (NaN outside the forecast range). */
export interface RiskPath {
  method: string;
  alphas: number[];
  /** `var_[a][t]`: VaR at `alphas[a]` for `r[t]`. */
  var_: Float64Array[];
  es: Float64Array[];
  /** Per level, the predictive tail beyond the VaR (for the Acerbi-Szekely test). */
  tails: TailSampler[];
}

function emptyPath(method: string, alphas: readonly number[], n: number): RiskPath {
  return {
    method,
    alphas: [...alphas],
    var_: alphas.map(() => new Float64Array(n).fill(NaN)),
    es: alphas.map(() => new Float64Array(n).fill(NaN)),
    tails: [],
  };
}

/**
 * One re-estimation segment of a volatility model: forecasts for `r[t]`, `t` in `[start, end)`, use mean `mu`
 * and `sigma[t]`; the standardized residuals `(r[s] - mu) / sigma[s]` for `s` in `[zFrom, start)` (the
 * estimation window, `sigma[s]` as the model gives it there) fix the t fit and the FHS distribution. A model
 * that estimated its own innovation distribution (GJR-GARCH-t) passes it as `dist` instead of a refit.
 */
export interface VolSegment {
  start: number;
  end: number;
  zFrom: number;
  mu: number;
  sigma: ArrayLike<number>;
  dist?: { nu: number; scale: number };
}

/** The `parametric-t` and `fhs` paths of one volatility model, plus the t fitted at each segment. */
export function volScaledRisk(
  returns: ArrayLike<number>,
  segments: VolSegment[],
  alphas: readonly number[] = RISK_ALPHAS,
  names: { t: string; fhs: string } = { t: "parametric-t", fhs: "fhs" },
): { t: RiskPath; fhs: RiskPath; fits: StdTFit[] } {
  const n = returns.length;
  const tp = emptyPath(names.t, alphas, n), fp = emptyPath(names.fhs, alphas, n);
  const segOf = new Int32Array(n).fill(-1);
  const fits: StdTFit[] = [],
    zs: Float64Array[] = [],
    mus: number[] = [],
    sig = new Float64Array(n).fill(NaN);
  segments.forEach((g, k) => {
    const z: number[] = [];
    for (let s = g.zFrom; s < g.start; s++) {
      const v = (returns[s] - g.mu) / g.sigma[s];
      if (Number.isFinite(v)) z.push(v);
    }
    const zz = Float64Array.from(z);
    const fit = g.dist ? { ...g.dist, loglik: NaN, n: zz.length } : fitStdT(zz, fits.at(-1));
    fits.push(fit);
    zs.push(zz);
    mus.push(g.mu);
    const tt = alphas.map((a) => stdTTail(a, fit)), ft = alphas.map((a) => empiricalTail(zz, a));
    for (let t = g.start; t < Math.min(g.end, n); t++) {
      const s = g.sigma[t];
      if (!(s > 0)) continue;
      segOf[t] = k;
      sig[t] = s;
      alphas.forEach((_, a) => {
        tp.var_[a][t] = -(g.mu + s * tt[a].q);
        tp.es[a][t] = -(g.mu + s * tt[a].tailMean);
        fp.var_[a][t] = -(g.mu + s * ft[a].q);
        fp.es[a][t] = -(g.mu + s * ft[a].tailMean);
      });
    }
  });
  tp.tails = alphas.map((a) => ({
    hitProb: (t: number) => (segOf[t] < 0 ? 0 : a),
    tailLoss: (t: number, rand: () => number) => {
      const f = fits[segOf[t]];
      return -(mus[segOf[t]] + sig[t] * f.scale * stdTQuantile(a * (1 - rand()), f.nu));
    },
  }));
  // FHS: the hits of a simulated day are the residuals strictly below the quantile
  const below = zs.map((z) => {
    const sorted = z.slice().sort();
    return alphas.map((a) => {
      const q = sortedTail(sorted, a).q;
      let k = 0;
      while (k < sorted.length && sorted[k] < q) k++;
      return sorted.subarray(0, k);
    });
  });
  fp.tails = alphas.map((_, a) => ({
    hitProb: (t: number) => (segOf[t] < 0 ? 0 : below[segOf[t]][a].length / zs[segOf[t]].length),
    tailLoss: (t: number, rand: () => number) => {
      const b = below[segOf[t]][a];
      return -(mus[segOf[t]] + sig[t] * b[Math.floor(rand() * b.length)]);
    },
  }));
  return { t: tp, fhs: fp, fits };
}

/** RiskMetrics: EWMA(`lambda`) variance of returns before `t`, normal quantiles, for `t` in `[from, to)`. */
export function riskMetricsRisk(
  returns: ArrayLike<number>,
  from: number,
  to: number,
  alphas: readonly number[] = RISK_ALPHAS,
  lambda = 0.94,
): RiskPath {
  const n = returns.length, p = emptyPath("riskmetrics", alphas, n);
  const v = ewmaVariance(Float64Array.from(returns), lambda); // v[t]: variance of r[t] from r[0..t-1]
  const tails = alphas.map(normalTail);
  const sd = new Float64Array(n).fill(NaN);
  for (let t = Math.max(from, 1); t < Math.min(to, n); t++) {
    const s = Math.sqrt(v[t]);
    if (!(s > 0)) continue;
    sd[t] = s;
    tails.forEach((tl, a) => {
      p.var_[a][t] = -s * tl.q;
      p.es[a][t] = -s * tl.tailMean;
    });
  }
  p.tails = alphas.map((a) => ({
    hitProb: (t: number) => (sd[t] > 0 ? a : 0),
    tailLoss: (t: number, rand: () => number) => -sd[t] * normalQuantile(a * (1 - rand())),
  }));
  return p;
}

/** Historical simulation on the last `window` finite returns before `t`, for `t` in `[from, to)`. */
export function historicalRisk(
  returns: ArrayLike<number>,
  from: number,
  to: number,
  alphas: readonly number[] = RISK_ALPHAS,
  window = 500,
): RiskPath {
  const n = returns.length, p = emptyPath("historical", alphas, n);
  const below = alphas.map(() => new Map<number, Float64Array>()), size = new Map<number, number>();
  // the last `window` finite returns before t, kept sorted as t advances (one insertion and removal per day)
  const t0 = Math.max(from, 1), fin: number[] = [];
  for (let s = 0; s < t0; s++) if (Number.isFinite(returns[s])) fin.push(returns[s]);
  const kept = fin.slice(-window), order: number[] = [...kept];
  const sorted = new Float64Array(window);
  let m = kept.length;
  sorted.set(Float64Array.from(kept).sort());
  const lowerBound = (v: number) => {
    let lo = 0, hi = m;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  for (let t = t0; t < Math.min(to, n); t++) {
    if (t > t0 && Number.isFinite(returns[t - 1])) {
      const v = returns[t - 1];
      if (m === window) { // drop the oldest
        const i = lowerBound(order.shift()!);
        sorted.copyWithin(i, i + 1, m);
        m--;
      }
      const i = lowerBound(v);
      sorted.copyWithin(i + 1, i, m);
      sorted[i] = v;
      m++;
      order.push(v);
    }
    if (m < Math.min(window, 100)) continue;
    const cur = sorted.subarray(0, m);
    size.set(t, m);
    alphas.forEach((a, k) => {
      const tl = sortedTail(cur, a);
      p.var_[k][t] = -tl.q;
      p.es[k][t] = -tl.tailMean;
      let j = 0;
      while (j < m && cur[j] < tl.q) j++;
      below[k].set(t, cur.slice(0, j));
    });
  }
  p.tails = alphas.map((_, k) => ({
    hitProb: (t: number) => {
      const b = below[k].get(t);
      return b ? b.length / size.get(t)! : 0;
    },
    tailLoss: (t: number, rand: () => number) => {
      const b = below[k].get(t)!;
      return -b[Math.floor(rand() * b.length)];
    },
  }));
  return p;
}
