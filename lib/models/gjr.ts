/**
 * GJR-GARCH(1,1,1) (Glosten, Jagannathan and Runkle 1993) with Student-t or normal innovations, by maximum
 * likelihood, set up exactly as Python's `arch` does it so the two can be compared parameter by parameter:
 *
 * - `r[t] = mu + e[t]`, `e[t] = sqrt(s2[t]) z[t]`, `z` standardized t (unit variance) or normal; `mu = 0` with
 *   `mean: "zero"`.
 * - `s2[t] = omega + (alpha + gamma 1{e[t-1] < 0}) e[t-1]^2 + beta s2[t-1]`; before the sample, `e^2` and `s2`
 *   are the backcast `bc` (an exponentially weighted mean, weights 0.94^k, of the first 75 squared residuals at
 *   the starting mean) and the asymmetric term is `gamma bc / 2`.
 * - Constraints: `omega > 0`, `alpha >= 0`, `alpha + gamma >= 0`, `beta >= 0`, `alpha + gamma / 2 + beta < 1`,
 *   `nu > 2`. Fitted by L-BFGS with analytic gradients on an unconstrained transform (softmax for the three
 *   persistence shares), so every trial point satisfies the constraints.
 * @module
 */
import { ModelError } from "../core/mod.ts";
import { digamma, gammaln } from "./distributions.ts";
import { lbfgs } from "./_lbfgs.ts";

/** GJR-GARCH parameters (decimal returns). `nu = Infinity` for normal innovations. */
export interface GjrParams {
  mu: number;
  omega: number;
  alpha: number;
  gamma: number;
  beta: number;
  nu: number;
}

/** Options of {@link gjrFit}. */
export interface GjrFitOptions {
  /** Innovation distribution (default `t`). */
  dist?: "t" | "normal";
  /** Conditional mean (default `constant`, as `arch`'s default). */
  mean?: "zero" | "constant";
  /**
   * The previous re-estimation's optimum, for a refit on a little more data: the likelihood is then maximized
   * from it alone. Without it, from every start of a grid and the best optimum kept (from the grid's one start
   * of best initial likelihood only, 34 of 498 S&P 500 stocks stopped at a worse local optimum: DISCA at beta
   * 0, 13.8 log-likelihood units below its optimum at beta .998).
   */
  start?: GjrParams;
  maxIter?: number;
}

/** A fitted GJR-GARCH: parameters, log-likelihood of the sample, the backcast used and optimizer effort. */
export interface GjrFit {
  params: GjrParams;
  loglik: number;
  backcast: number;
  iterations: number;
  n: number;
}

/** `arch`'s backcast: weights `0.94^k` (normalized) on the first `min(75, n)` squared residuals. */
export function gjrBackcast(resid: ArrayLike<number>): number {
  const tau = Math.min(75, resid.length);
  let s = 0, w = 0;
  for (let k = 0; k < tau; k++) {
    const wk = Math.pow(0.94, k);
    s += wk * resid[k] * resid[k];
    w += wk;
  }
  return s / w;
}

/** Persistence `alpha + gamma / 2 + beta` (symmetric innovations). */
export function gjrPersistence(p: GjrParams): number {
  return p.alpha + p.gamma / 2 + p.beta;
}

/**
 * Conditional variances: `v` has length `n + 1`; `v[t]` is the variance of `r[t]` given returns before `t`,
 * `v[n]` the one-step forecast after the last return. A NaN return adds its expected shock
 * (`(alpha + gamma / 2) v[t]`).
 */
export function gjrFilter(p: GjrParams, returns: ArrayLike<number>, backcast: number): Float64Array {
  const n = returns.length, v = new Float64Array(n + 1);
  v[0] = p.omega + (p.alpha + p.gamma / 2 + p.beta) * backcast;
  for (let t = 0; t < n; t++) {
    const e = returns[t] - p.mu;
    v[t + 1] = Number.isFinite(e)
      ? p.omega + (p.alpha + (e < 0 ? p.gamma : 0)) * e * e + p.beta * v[t]
      : p.omega + gjrPersistence(p) * v[t];
  }
  return v;
}

/**
 * Mean variance over the next `h` sessions after `t`, from `lastVar = s2[t]` and `lastResid = e[t]`:
 * `s2[t+1]` by the recursion, then `s2[t+k] = omega + (alpha + gamma / 2 + beta) s2[t+k-1]`.
 */
export function gjrForecast(p: GjrParams, lastVar: number, lastResid: number, h: number): number {
  if (!(h >= 1)) throw new RangeError(`horizon must be >= 1, got ${h}`);
  const e = lastResid;
  let v = p.omega + (p.alpha + (e < 0 ? p.gamma : 0)) * e * e + p.beta * lastVar, s = v;
  const pers = gjrPersistence(p);
  for (let k = 2; k <= h; k++) {
    v = p.omega + pers * v;
    s += v;
  }
  return s / h;
}

/**
 * Log-likelihood of finite `returns` under `p` (the sum over observations, constants included as `arch` does),
 * and when `grad` is given its gradient with respect to `[mu, omega, alpha, gamma, beta, nu]`.
 */
export function gjrLoglik(
  p: GjrParams,
  returns: ArrayLike<number>,
  backcast: number,
  grad?: Float64Array,
): number {
  const { mu, omega, alpha, gamma, beta, nu } = p;
  const isT = Number.isFinite(nu);
  const n = returns.length;
  let ll = 0;
  // dv/dtheta for theta = mu, omega, alpha, gamma, beta
  let s2 = omega + (alpha + gamma / 2 + beta) * backcast;
  let dMu = 0, dOm = 1, dA = backcast, dG = backcast / 2, dB = backcast;
  let gMu = 0, gOm = 0, gA = 0, gG = 0, gB = 0, gNu = 0;
  const cT = isT ? gammaln((nu + 1) / 2) - gammaln(nu / 2) - 0.5 * Math.log(Math.PI * (nu - 2)) : 0;
  const wantGrad = grad !== undefined;
  for (let t = 0; t < n; t++) {
    const e = returns[t] - mu, e2 = e * e;
    let dlds2: number, dlde: number;
    if (isT) {
      const den = s2 * (nu - 2), z = e2 / den;
      ll += cT - 0.5 * Math.log(s2) - (nu + 1) / 2 * Math.log1p(z);
      if (wantGrad) {
        dlds2 = -0.5 / s2 + ((nu + 1) / 2) * e2 / (s2 * (den + e2));
        dlde = -(nu + 1) * e / (den + e2);
        gNu += -0.5 * Math.log1p(z) + ((nu + 1) / 2) * (e2 / (s2 * (nu - 2) * (nu - 2))) / (1 + z);
      } else dlds2 = dlde = 0;
    } else {
      ll += -0.5 * Math.log(2 * Math.PI) - 0.5 * Math.log(s2) - 0.5 * e2 / s2;
      dlds2 = -0.5 / s2 + 0.5 * e2 / (s2 * s2);
      dlde = -e / s2;
    }
    if (wantGrad) {
      gMu += dlds2 * dMu - dlde;
      gOm += dlds2 * dOm;
      gA += dlds2 * dA;
      gG += dlds2 * dG;
      gB += dlds2 * dB;
      const neg = e < 0 ? 1 : 0, a = alpha + gamma * neg;
      dMu = a * (-2 * e) + beta * dMu;
      dOm = 1 + beta * dOm;
      dA = e2 + beta * dA;
      dG = neg * e2 + beta * dG;
      dB = s2 + beta * dB;
    }
    s2 = omega + (alpha + (e < 0 ? gamma : 0)) * e2 + beta * s2;
  }
  if (grad) {
    grad[0] = gMu;
    grad[1] = gOm;
    grad[2] = gA;
    grad[3] = gG;
    grad[4] = gB;
    grad[5] = isT ? gNu + n * (0.5 * digamma((nu + 1) / 2) - 0.5 * digamma(nu / 2) - 0.5 / (nu - 2)) : 0;
  }
  return ll;
}

// Unconstrained coordinates x = [m, w, u1, u2, u3, k]: mu = m sd, omega = v exp(w),
// (s1, s2, s3) = softmax(u1, u2, u3, 0) without the slack, alpha = 2 s1, alpha + gamma = 2 s2, beta = s3,
// nu = 2 + exp(k).
function fromX(x: Float64Array, sd: number, v: number, isT: boolean, constMean: boolean): GjrParams {
  const m = Math.max(x[2], x[3], x[4], 0);
  const e1 = Math.exp(x[2] - m), e2 = Math.exp(x[3] - m), e3 = Math.exp(x[4] - m), e0 = Math.exp(-m);
  const tot = e0 + e1 + e2 + e3, s1 = e1 / tot, s2 = e2 / tot, s3 = e3 / tot;
  return {
    mu: constMean ? x[0] * sd : 0,
    omega: v * Math.exp(x[1]),
    alpha: 2 * s1,
    gamma: 2 * s2 - 2 * s1,
    beta: s3,
    nu: isT ? 2 + Math.exp(x[5]) : Infinity,
  };
}

function toX(p: GjrParams, sd: number, v: number, isT: boolean): Float64Array {
  const s1 = Math.max(p.alpha / 2, 1e-8), s2 = Math.max((p.alpha + p.gamma) / 2, 1e-8);
  const s3 = Math.max(p.beta, 1e-8), s0 = Math.max(1 - s1 - s2 - s3, 1e-8);
  return Float64Array.from([
    p.mu / sd,
    Math.log(p.omega / v),
    Math.log(s1 / s0),
    Math.log(s2 / s0),
    Math.log(s3 / s0),
    isT ? Math.log(Math.max(p.nu - 2, 1e-3)) : 0,
  ]);
}

/** Starting `(alpha, gamma, beta)` of {@link gjrFit}'s optimizations. */
const GJR_START_GRID = [[0.03, 0.1, 0.88], [0.01, 0.15, 0.85], [0.08, 0.05, 0.85], [0.05, 0.2, 0.7], [
  0.01,
  0.01,
  0.975,
]] as const;

/**
 * Maximum-likelihood GJR-GARCH(1,1,1) on the finite entries of `returns` (at least 100): L-BFGS from each start
 * (see `GjrFitOptions.start`), the best optimum kept.
 */
export function gjrFit(returns: ArrayLike<number>, opts: GjrFitOptions = {}): GjrFit {
  const r: number[] = [];
  for (let i = 0; i < returns.length; i++) if (Number.isFinite(returns[i])) r.push(returns[i]);
  const n = r.length;
  if (n < 100) throw new ModelError(`gjrFit needs >= 100 returns, got ${n}`);
  const data = Float64Array.from(r);
  const isT = (opts.dist ?? "t") === "t", constMean = (opts.mean ?? "constant") === "constant";
  let mean = 0;
  if (constMean) mean = data.reduce((s, x) => s + x, 0) / n;
  let v = 0;
  for (const x of data) v += (x - mean) ** 2;
  v /= n;
  const sd = Math.sqrt(v);
  const backcast = gjrBackcast(constMean ? data.map((x) => x - mean) : data);
  const g6 = new Float64Array(6);
  const f = (x: Float64Array, grad: Float64Array): number => {
    const p = fromX(x, sd, v, isT, constMean);
    const ll = gjrLoglik(p, data, backcast, g6);
    if (!Number.isFinite(ll)) {
      grad.fill(0);
      return Infinity;
    }
    // chain rule to x; minimize -ll / n
    const m = Math.max(x[2], x[3], x[4], 0);
    const e1 = Math.exp(x[2] - m), e2 = Math.exp(x[3] - m), e3 = Math.exp(x[4] - m), e0 = Math.exp(-m);
    const tot = e0 + e1 + e2 + e3, s = [e1 / tot, e2 / tot, e3 / tot];
    const gS = [2 * g6[2] - 2 * g6[3], 2 * g6[3], g6[4]]; // dLL/ds1, ds2, ds3
    const dot = s[0] * gS[0] + s[1] * gS[1] + s[2] * gS[2];
    grad[0] = constMean ? -g6[0] * sd / n : 0;
    grad[1] = -g6[1] * p.omega / n;
    for (let j = 0; j < 3; j++) grad[2 + j] = -(s[j] * (gS[j] - dot)) / n;
    grad[5] = isT ? -g6[5] * (p.nu - 2) / n : 0;
    return -ll / n;
  };
  // the grid spans low to near-unit persistence (a series whose optimum is at beta ~1 is not reached from 0.85);
  // a re-estimation starts at the last optimum alone, which moves little (the grid too took 4x its time against
  // arch's 85 warm-started refits, for the same optima)
  const starts: GjrParams[] = opts.start ? [opts.start] : GJR_START_GRID.map(([a, g, b]) => ({
    mu: mean,
    omega: v * (1 - a - g / 2 - b),
    alpha: a,
    gamma: g,
    beta: b,
    nu: isT ? 8 : Infinity,
  }));
  let best: { x: Float64Array; value: number; iterations: number } | null = null;
  for (const s of starts) {
    const r = lbfgs(f, toX(s, sd, v, isT), { maxIter: opts.maxIter ?? 500, ftol: 1e-13, gtol: 1e-8 });
    if (!best || r.value < best.value || (!Number.isFinite(best.value) && Number.isFinite(r.value))) best = r;
  }
  best = best!;
  if (!Number.isFinite(best.value)) throw new ModelError("gjrFit: likelihood not finite at the optimum");
  const params = fromX(best.x, sd, v, isT, constMean);
  return { params, loglik: -best.value * n, backcast, iterations: best.iterations, n };
}

/** Standardized residuals `(r[t] - mu) / sqrt(s2[t])` over `returns` (NaN where the return is NaN). */
export function gjrStandardized(p: GjrParams, returns: ArrayLike<number>, backcast: number): Float64Array {
  const v = gjrFilter(p, returns, backcast);
  return Float64Array.from({ length: returns.length }, (_, t) => (returns[t] - p.mu) / Math.sqrt(v[t]));
}
