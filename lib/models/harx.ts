/**
 * The HAR family by OLS, one implementation for every member: the mean realized variance over the next `h`
 * sessions (or its log) regressed on terms built from realized measures known at the close of `t`, plus an
 * implied variance known at the decision time. Members (see {@link HAR_SPECS}):
 *
 * - `har-rv` (Corsi 2009): daily, weekly (5-session) and monthly (22-session) mean RV.
 * - `har-log`: the same in logs, forecast `exp(fit + s2 / 2)` (lognormal bias correction).
 * - `harq` (Bollerslev, Patton and Quaedvlieg 2016): HAR-RV plus `RV_d sqrt(RQ_d)`, which lets the daily weight
 *   fall when the day's RV is measured with more error; with BPQ's "insanity filter" (a forecast outside the
 *   range of the estimation sample's targets is replaced by their mean).
 * - `har-rv-iv`: log-HAR plus the log implied variance (VIX^2 / 252 in daily decimal units).
 * - `shar` (Patton and Sheppard 2015): log-HAR with the daily RV split into downside and upside semivariance.
 * - `shar-iv-lev`: `shar` plus the log implied variance and the negative part of the day's return (leverage).
 *
 * Terms: `d` RV[t], `w` mean RV[t-4..t], `m` mean RV[t-21..t], `rs-` downside semivariance, `rs+` = RV - RS-,
 * `iv` implied variance, `lev` = min(r[t], 0), `dq` = RV[t] sqrt(RQ[t]) (`ln RV[t] sqrt(RQ[t]) / RV[t]` in log
 * models). In log models every level term enters as its log; `lev` always enters as is.
 * @module
 */
import { ModelError } from "../core/mod.ts";
import { solveNormal } from "./_linear.ts";

/** A regressor of the HAR family. */
export type HarTerm = "d" | "w" | "m" | "rs-" | "rs+" | "iv" | "lev" | "dq";

/** A member of the HAR family. */
export interface HarSpec {
  /** Regress logs (forecast `exp(fit + s2/2)`) instead of levels (forecast `max(floor, fit)`). */
  readonly log: boolean;
  readonly terms: readonly HarTerm[];
  /** Replace a forecast outside the estimation sample's target range by the sample mean (BPQ's filter). */
  readonly insanity?: boolean;
}

/** The members used by the evaluation and the models. */
export const HAR_SPECS = {
  "har-rv": { log: false, terms: ["d", "w", "m"] },
  "har-log": { log: true, terms: ["d", "w", "m"] },
  "harq": { log: false, terms: ["d", "dq", "w", "m"], insanity: true },
  "har-rv-iv": { log: true, terms: ["d", "w", "m", "iv"] },
  "shar": { log: true, terms: ["rs-", "rs+", "w", "m"] },
  "shar-iv-lev": { log: true, terms: ["rs-", "rs+", "w", "m", "iv", "lev"] },
} as const satisfies Record<string, HarSpec>;

/** A member name of {@link HAR_SPECS}. */
export type HarModelName = keyof typeof HAR_SPECS;

/**
 * Realized inputs aligned on one session index `t`. `rv`, `rsNeg`, `rq` and `ret` describe session `t` (known
 * at its close); `iv[t]` must already be the implied variance known at the decision time of `t` (the caller
 * does the point-in-time join, e.g. the previous day's VIX when it prints after the close).
 */
export interface RealizedInputs {
  rv: Float64Array;
  /** Downside realized semivariance (sum of squared negative intraday returns). */
  rsNeg?: Float64Array;
  /** Realized quarticity. */
  rq?: Float64Array;
  /** Implied variance in daily decimal units (VIX^2 / (100^2 * 252)). */
  iv?: Float64Array;
  /** Return into session `t` (for the leverage term). */
  ret?: Float64Array;
}

/** Fitted HAR-family parameters for horizon `h`: `beta = [const, ...terms]`. */
export interface HarxParams {
  spec: HarSpec;
  h: number;
  beta: number[];
  /** Residual variance (log models: of the log target; used for the bias correction). */
  s2: number;
  /** Lowest forecast of a level model: 1% of the mean target. */
  floor: number;
  /** Range and mean of the estimation sample's targets (level units) for the insanity filter. */
  lo: number;
  hi: number;
  mean: number;
  n: number;
}

function need(inp: RealizedInputs, key: keyof RealizedInputs, term: HarTerm): Float64Array {
  const v = inp[key];
  if (!v) throw new ModelError(`HAR term ${term} needs the ${key} series`);
  if (v.length !== inp.rv.length) {
    throw new RangeError(`${key} has ${v.length} values, rv has ${inp.rv.length}`);
  }
  return v;
}

function rollingMean(x: Float64Array, k: number): Float64Array {
  const out = new Float64Array(x.length).fill(NaN);
  let s = 0, bad = 0;
  for (let t = 0; t < x.length; t++) {
    const v = x[t];
    if (Number.isFinite(v)) s += v;
    else bad++;
    if (t >= k) {
      const o = x[t - k];
      if (Number.isFinite(o)) s -= o;
      else bad--;
    }
    if (t >= k - 1 && bad === 0) out[t] = s / k;
  }
  return out;
}

function column(inp: RealizedInputs, term: HarTerm, log: boolean): Float64Array {
  const rv = inp.rv, n = rv.length;
  const lvl = (x: Float64Array) => (log ? x.map((v) => (v > 0 ? Math.log(v) : NaN)) : x);
  switch (term) {
    case "d":
      return lvl(rv.slice());
    case "w":
      return lvl(rollingMean(rv, 5));
    case "m":
      return lvl(rollingMean(rv, 22));
    case "rs-":
      return lvl(need(inp, "rsNeg", term).slice());
    case "rs+": {
      const neg = need(inp, "rsNeg", term);
      return lvl(Float64Array.from({ length: n }, (_, t) => Math.max(rv[t] - neg[t], 1e-4 * rv[t])));
    }
    case "iv":
      return lvl(need(inp, "iv", term).slice());
    case "lev": {
      const r = need(inp, "ret", term);
      return Float64Array.from({ length: n }, (_, t) => (Number.isFinite(r[t]) ? Math.min(r[t], 0) : NaN));
    }
    case "dq": {
      const rq = need(inp, "rq", term);
      return Float64Array.from(
        { length: n },
        (_, t) => (log ? Math.log(rv[t]) * Math.sqrt(rq[t]) / rv[t] : rv[t] * Math.sqrt(rq[t])),
      );
    }
  }
}

const designCache = new WeakMap<RealizedInputs, Map<string, Float64Array[]>>();

/**
 * Design columns of `spec` on `inp` (one per term; NaN where a term is missing, including the first 21
 * sessions of the monthly mean). Cached per inputs object: callers must not mutate the inputs afterwards.
 */
export function harxDesign(inp: RealizedInputs, spec: HarSpec): Float64Array[] {
  let m = designCache.get(inp);
  if (!m) designCache.set(inp, m = new Map());
  const key = `${spec.log}:${spec.terms.join(",")}`;
  let cols = m.get(key);
  if (!cols) m.set(key, cols = spec.terms.map((term) => column(inp, term, spec.log)));
  return cols;
}

/** Mean of `x[t+1..t+h]` (NaN when any is missing or beyond the end). */
export function forwardMean(x: ArrayLike<number>, t: number, h: number): number {
  if (t + h >= x.length) return NaN;
  let s = 0;
  for (let k = 1; k <= h; k++) s += x[t + k];
  return s / h;
}

/** Running normal-equation moments of one HAR regression. */
class Moments {
  readonly A: number[][];
  readonly b: number[];
  yy = 0;
  n = 0;
  ysum = 0;
  lo = Infinity;
  hi = -Infinity;
  constructor(readonly k: number) {
    this.A = Array.from({ length: k }, () => new Array(k).fill(0));
    this.b = new Array(k).fill(0);
  }
  add(z: Float64Array, y: number, level: number): void {
    const k = this.k;
    for (let i = 0; i < k; i++) {
      this.b[i] += z[i] * y;
      const Ai = this.A[i];
      for (let j = 0; j <= i; j++) Ai[j] += z[i] * z[j];
    }
    this.yy += y * y;
    this.n++;
    this.ysum += level;
    if (level < this.lo) this.lo = level;
    if (level > this.hi) this.hi = level;
  }
  solve(spec: HarSpec, h: number): HarxParams {
    const k = this.k;
    if (this.n < Math.max(30, 3 * k)) throw new ModelError(`HAR fit: only ${this.n} usable observations`);
    const A = this.A.map((r, i) => r.map((v, j) => (j <= i ? v : this.A[j][i])));
    const beta = solveNormal(A, this.b, "HAR fit");
    // SSR = y'y - 2 beta'X'y + beta'X'X beta
    let bXy = 0, bAb = 0;
    for (let i = 0; i < k; i++) {
      bXy += beta[i] * this.b[i];
      for (let j = 0; j < k; j++) bAb += beta[i] * A[i][j] * beta[j];
    }
    const ssr = Math.max(0, this.yy - 2 * bXy + bAb);
    const mean = this.ysum / this.n;
    return {
      spec,
      h,
      beta,
      s2: ssr / (this.n - k),
      floor: 0.01 * mean,
      lo: this.lo,
      hi: this.hi,
      mean,
      n: this.n,
    };
  }
}

/** One series of a pooled fit: inputs, optional target (default `inputs.rv`) and the usable index range. */
export interface HarxSeries {
  inputs: RealizedInputs;
  target?: Float64Array;
  /** First decision index allowed (default 0; rows with missing terms are skipped anyway). */
  from?: number;
  /** Last index whose target may be used (inclusive; default the end). */
  to?: number;
}

function rowOf(cols: Float64Array[], t: number, z: Float64Array): boolean {
  z[0] = 1;
  for (let j = 0; j < cols.length; j++) {
    const v = cols[j][t];
    if (!Number.isFinite(v)) return false;
    z[j + 1] = v;
  }
  return true;
}

function addRows(mom: Moments, s: HarxSeries, spec: HarSpec, h: number, from: number, to: number): void {
  const cols = harxDesign(s.inputs, spec), tgt = s.target ?? s.inputs.rv, z = new Float64Array(mom.k);
  for (let t = from; t + h <= to; t++) {
    if (!rowOf(cols, t, z)) continue;
    const level = forwardMean(tgt, t, h);
    if (!Number.isFinite(level) || (spec.log && !(level > 0))) continue;
    mom.add(z, spec.log ? Math.log(level) : level, level);
  }
}

/** Pooled OLS of the `h`-session mean target on the spec's terms over all series. */
export function harxFitPanel(series: HarxSeries[], spec: HarSpec, h = 1): HarxParams {
  if (!(h >= 1)) throw new RangeError(`horizon must be >= 1, got ${h}`);
  const mom = new Moments(spec.terms.length + 1);
  for (const s of series) {
    const n = (s.target ?? s.inputs.rv).length;
    addRows(mom, s, spec, h, Math.max(0, s.from ?? 0), Math.min(s.to ?? n - 1, n - 1));
  }
  return mom.solve(spec, h);
}

/** OLS on one series with targets ending at or before index `to` (default the end). */
export function harxFit(inp: RealizedInputs, spec: HarSpec, h = 1, to?: number): HarxParams {
  return harxFitPanel([{ inputs: inp, to }], spec, h);
}

/**
 * Expanding-window re-estimation: one fit per entry of ascending `ends` (the last index whose target may be
 * used), accumulating the normal equations once over the sample instead of refitting from scratch.
 */
export function harxFitExpanding(
  inp: RealizedInputs,
  spec: HarSpec,
  h: number,
  ends: ArrayLike<number>,
): HarxParams[] {
  if (!(h >= 1)) throw new RangeError(`horizon must be >= 1, got ${h}`);
  const mom = new Moments(spec.terms.length + 1), out: HarxParams[] = [];
  const s: HarxSeries = { inputs: inp };
  let done = 0; // next decision index not yet added
  for (let k = 0; k < ends.length; k++) {
    const end = Math.min(ends[k], inp.rv.length - 1);
    if (k > 0 && !(ends[k] >= ends[k - 1])) throw new RangeError("ends must be ascending");
    addRows(mom, s, spec, h, done, end);
    done = Math.max(done, end - h + 1);
    out.push(mom.solve(spec, h));
  }
  return out;
}

/** Forecast of the mean RV over `t+1..t+h` at decision index `t` (NaN when a term is missing). */
export function harxPredict(p: HarxParams, inp: RealizedInputs, t: number): number {
  const cols = harxDesign(inp, p.spec);
  let m = p.beta[0];
  for (let j = 0; j < cols.length; j++) {
    const v = cols[j][t];
    if (!Number.isFinite(v)) return NaN;
    m += p.beta[j + 1] * v;
  }
  if (p.spec.log) return Math.exp(m + 0.5 * p.s2);
  if (p.spec.insanity && (m < p.lo || m > p.hi)) return p.mean;
  return Math.max(p.floor, m);
}
