/**
 * Distribution functions the volatility and risk code needs: the normal, Student's t (plain and standardized
 * to unit variance, as GARCH-t models use it), the chi-squared CDF for likelihood-ratio tests, and the log-gamma
 * and digamma functions. The special functions come from stdlib (`@stdlib/*`, ports of Boost/Cephes with
 * published accuracy tests) rather than hand-written approximations; this file is the only place that imports
 * them.
 * @module
 */
import tCdfStd from "@stdlib/stats-base-dists-t-cdf";
import tQuantileStd from "@stdlib/stats-base-dists-t-quantile";
import normalCdfStd from "@stdlib/stats-base-dists-normal-cdf";
import normalQuantileStd from "@stdlib/stats-base-dists-normal-quantile";
import gammaincStd from "@stdlib/math-base-special-gammainc";
import gammalnStd from "@stdlib/math-base-special-gammaln";
import digammaStd from "@stdlib/math-base-special-digamma";
import { gaussian } from "../core/mod.ts";

/** Natural log of the gamma function. */
export function gammaln(x: number): number {
  return gammalnStd(x);
}

/** Digamma function (derivative of {@link gammaln}). */
export function digamma(x: number): number {
  return digammaStd(x);
}

/** Standard normal CDF. */
export function normalCdf(x: number): number {
  return normalCdfStd(x, 0, 1);
}

/** Standard normal quantile. */
export function normalQuantile(p: number): number {
  return normalQuantileStd(p, 0, 1);
}

/** Standard normal density. */
export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}

/** CDF of Student's t with `nu` degrees of freedom (unit scale, variance `nu / (nu - 2)`). */
export function tCdf(x: number, nu: number): number {
  return tCdfStd(x, nu);
}

/** Quantile of Student's t with `nu` degrees of freedom. */
export function tQuantile(p: number, nu: number): number {
  return tQuantileStd(p, nu);
}

/** Density of Student's t with `nu` degrees of freedom. */
export function tPdf(x: number, nu: number): number {
  return Math.exp(
    gammaln((nu + 1) / 2) - gammaln(nu / 2) - 0.5 * Math.log(nu * Math.PI) -
      (nu + 1) / 2 * Math.log1p(x * x / nu),
  );
}

function checkNu(nu: number): void {
  if (!(nu > 2)) throw new RangeError(`standardized t needs nu > 2, got ${nu}`);
}

/** Quantile of the standardized t (unit variance): `tQuantile(p, nu) * sqrt((nu - 2) / nu)`. */
export function stdTQuantile(p: number, nu: number): number {
  checkNu(nu);
  return tQuantile(p, nu) * Math.sqrt((nu - 2) / nu);
}

/** CDF of the standardized t (unit variance). */
export function stdTCdf(x: number, nu: number): number {
  checkNu(nu);
  return tCdf(x / Math.sqrt((nu - 2) / nu), nu);
}

/**
 * Lower-tail expected shortfall of the standardized t: `E[Z | Z <= q_alpha]` (a negative number), from the
 * closed form `-(f(q) / alpha) (nu + q^2) / (nu - 1)` of the plain t, rescaled to unit variance.
 */
export function stdTTailMean(alpha: number, nu: number): number {
  checkNu(nu);
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  const q = tQuantile(alpha, nu);
  return -(tPdf(q, nu) / alpha) * ((nu + q * q) / (nu - 1)) * Math.sqrt((nu - 2) / nu);
}

/** Lower-tail mean of the standard normal: `E[Z | Z <= q_alpha] = -phi(q) / alpha`. */
export function normalTailMean(alpha: number): number {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  return -normalPdf(normalQuantile(alpha)) / alpha;
}

/** CDF of the chi-squared distribution with `k` degrees of freedom (the regularized lower incomplete gamma). */
export function chisqCdf(x: number, k: number): number {
  return x <= 0 ? 0 : x === Infinity ? 1 : gammaincStd(x / 2, k / 2, true, false);
}

/**
 * Upper tail `P(X > x)` of the chi-squared distribution with `k` degrees of freedom, computed directly (the
 * regularized upper incomplete gamma): `1 - chisqCdf` loses every digit once the tail is below 1e-16.
 */
export function chisqSf(x: number, k: number): number {
  return x <= 0 ? 1 : x === Infinity ? 0 : gammaincStd(x / 2, k / 2, true, true);
}

/**
 * Log density of the standardized t (unit variance) at `x` with variance `s2`:
 * `lnG((nu+1)/2) - lnG(nu/2) - ln(pi (nu-2))/2 - ln(s2)/2 - (nu+1)/2 ln(1 + x^2 / (s2 (nu-2)))`.
 */
export function stdTLogPdf(x: number, s2: number, nu: number): number {
  return gammaln((nu + 1) / 2) - gammaln(nu / 2) - 0.5 * Math.log(Math.PI * (nu - 2)) - 0.5 * Math.log(s2) -
    (nu + 1) / 2 * Math.log1p(x * x / (s2 * (nu - 2)));
}

/** One Gamma(shape, 1) draw (Marsaglia and Tsang 2000; shape < 1 by the `U^(1/shape)` boost). */
export function gammaSample(shape: number, rand: () => number): number {
  if (!(shape > 0)) throw new RangeError(`gamma shape must be > 0, got ${shape}`);
  if (shape < 1) return gammaSample(shape + 1, rand) * Math.pow(1 - rand(), 1 / shape);
  const d = shape - 1 / 3, c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number, v: number;
    do {
      x = gaussian(rand);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rand();
    if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** One draw of the standardized t (unit variance): `Z sqrt((nu - 2) / (2 G))`, `G ~ Gamma(nu / 2, 1)`. */
export function stdTSample(nu: number, rand: () => number): number {
  checkNu(nu);
  return gaussian(rand) * Math.sqrt((nu - 2) / (2 * gammaSample(nu / 2, rand)));
}
