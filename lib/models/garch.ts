/**
 * GARCH(1,1) by Gaussian quasi-maximum likelihood: `s2[t+1] = omega + alpha r[t]^2 + beta s2[t]` on daily
 * log returns (zero conditional mean). Fitted by Nelder-Mead on a transform that keeps `alpha, beta > 0` and
 * `alpha + beta < 1`, with variance targeting (`omega = var(r) (1 - alpha - beta)`) by default.
 * @module
 */
import { ModelError } from "../core/mod.ts";
import type { Dataset } from "../dataset/mod.ts";
import type { VolatilityModel } from "./types.ts";
import { nelderMead } from "./_nelder_mead.ts";
import { finiteSlice, logReturns, pricesOf, seriesRanges } from "./_returns.ts";
import { JsonFitted } from "./_fitted.ts";

/** GARCH(1,1) parameters. */
export interface GarchParams {
  omega: number;
  alpha: number;
  beta: number;
}

/** Options of {@link garchFit}. */
export interface GarchFitOptions {
  /** Variance targeting (default true): `omega` from the sample variance, two free parameters. */
  targeting?: boolean;
}

/** Unconditional variance `omega / (1 - alpha - beta)`. */
export function garchUnconditional(p: GarchParams): number {
  return p.omega / (1 - p.alpha - p.beta);
}

/**
 * Conditional variances: `v` has length `n + 1`; `v[t]` is the variance of `r[t]` given returns before `t`,
 * `v[n]` the one-step forecast after the last return. `v[0] = init` (default: the unconditional variance).
 */
export function garchFilter(p: GarchParams, returns: Float64Array, init?: number): Float64Array {
  const n = returns.length, v = new Float64Array(n + 1);
  v[0] = init ?? garchUnconditional(p);
  for (let t = 0; t < n; t++) {
    const r = returns[t];
    v[t + 1] = Number.isFinite(r)
      ? p.omega + p.alpha * r * r + p.beta * v[t]
      : p.omega + (p.alpha + p.beta) * v[t];
  }
  return v;
}

/** Gaussian negative log-likelihood (up to constants) of `returns` under `p`, started at `init`. */
export function garchNll(p: GarchParams, returns: Float64Array, init: number): number {
  let s = 0, v = init;
  for (let t = 0; t < returns.length; t++) {
    const r = returns[t];
    s += Math.log(v) + (r * r) / v;
    v = p.omega + p.alpha * r * r + p.beta * v;
  }
  return 0.5 * s;
}

/**
 * Mean variance over the next `h` sessions after `t`, from `lastVar = s2[t]` and `lastRet = r[t]`:
 * `s2[t+1] = omega + alpha r[t]^2 + beta s2[t]`, then `s2[t+k] = omega + (alpha + beta) s2[t+k-1]`.
 */
export function garchForecast(p: GarchParams, lastVar: number, lastRet: number, h: number): number {
  if (!(h >= 1)) throw new RangeError(`horizon must be >= 1, got ${h}`);
  let v = p.omega + p.alpha * lastRet * lastRet + p.beta * lastVar, s = v;
  for (let k = 2; k <= h; k++) {
    v = p.omega + (p.alpha + p.beta) * v;
    s += v;
  }
  return s / h;
}

function sampleVar(r: Float64Array): number {
  let s = 0;
  for (const x of r) s += x * x;
  return s / r.length;
}

function toAB(u: number, w: number): [number, number] {
  const m = Math.max(u, w, 0), eu = Math.exp(u - m), ew = Math.exp(w - m), e0 = Math.exp(-m);
  const tot = eu + ew + e0;
  return [eu / tot, ew / tot];
}

/** Fewest returns a GARCH fit takes: the volatility expert needs one symbol with this many train sessions. */
export const GARCH_MIN_RETURNS = 30;

/**
 * Fits one `(alpha, beta)` shared by several return series (each with its own targeted `omega`), or free
 * `omega` per series when `targeting` is false and there is one series. Returns one parameter set per series.
 */
export function garchFitPanel(series: Float64Array[], opts: GarchFitOptions = {}): GarchParams[] {
  const data = series.map((r) => r.filter((x) => Number.isFinite(x)));
  for (const r of data) {
    if (r.length < GARCH_MIN_RETURNS) {
      throw new RangeError(`garchFit needs >= ${GARCH_MIN_RETURNS} returns, got ${r.length}`);
    }
  }
  const vars = data.map(sampleVar);
  const targeting = opts.targeting ?? true;
  if (!targeting && data.length !== 1) {
    throw new RangeError("garchFitPanel without targeting takes one series");
  }
  const params = (x: number[]): GarchParams[] => {
    const [a, b] = toAB(x[0], x[1]);
    return vars.map((v) => ({ omega: targeting ? v * (1 - a - b) : Math.exp(x[2]) * v, alpha: a, beta: b }));
  };
  const obj = (x: number[]) => {
    let s = 0;
    const ps = params(x);
    for (let k = 0; k < data.length; k++) s += garchNll(ps[k], data[k], vars[k]);
    return s;
  };
  let best: { x: number[]; value: number } | null = null;
  for (const [a, b] of [[0.05, 0.9], [0.1, 0.8], [0.03, 0.96], [0.2, 0.5]]) {
    const c = 1 - a - b;
    const x0 = [Math.log(a / c), Math.log(b / c)];
    if (!targeting) x0.push(Math.log(c));
    const r = nelderMead(obj, x0, { step: 0.5, tol: 1e-12 });
    if (!best || r.value < best.value) best = r;
  }
  return params(best!.x);
}

/** Quasi-MLE of GARCH(1,1) on one return series (NaN entries skipped). */
export function garchFit(returns: Float64Array, opts: GarchFitOptions = {}): GarchParams {
  return garchFitPanel([returns], opts)[0];
}

/** Options of {@link Garch11Model}. */
export interface Garch11Options {
  /** `per-symbol` (default): one fit per symbol; `pooled`: one `(alpha, beta)` for all, own `omega` each. */
  mode?: "per-symbol" | "pooled";
  /** Symbols with fewer train returns use the pooled `(alpha, beta)`. Default 250. */
  minObs?: number;
}

/** Serialized {@link Garch11Model}. */
export interface Garch11State {
  model: "garch11";
  mode: "per-symbol" | "pooled";
  pooled: { alpha: number; beta: number };
  params: Record<string, GarchParams>;
}

/**
 * GARCH(1,1) volatility model on a Dataset (`name = "garch11"`): fits on the returns of the train rows'
 * sessions of each symbol; the forecast at row `t` filters the symbol's returns up to `t` only.
 */
export class Garch11Model extends JsonFitted<Garch11State> implements VolatilityModel {
  readonly name = "garch11";

  constructor(readonly options: Garch11Options = {}) {
    super();
  }

  /** Fits per symbol (or pooled) on returns at the train rows' series indices. */
  fit(ds: Dataset, train: Int32Array): Promise<void> {
    try {
      const minObs = this.options.minObs ?? 250, mode = this.options.mode ?? "per-symbol";
      const rets = new Map<string, Float64Array>();
      for (const [sym, [a, b]] of seriesRanges(ds, train)) {
        const r = finiteSlice(logReturns(pricesOf(ds.series.get(sym)!)), Math.max(1, a), b);
        if (r.length >= GARCH_MIN_RETURNS) rets.set(sym, r);
      }
      const syms = [...rets.keys()];
      if (!syms.length) throw new ModelError(`garch11: no symbol has ${GARCH_MIN_RETURNS} train returns`);
      const pooledAll = garchFitPanel(syms.map((s) => rets.get(s)!));
      const pooled = { alpha: pooledAll[0].alpha, beta: pooledAll[0].beta };
      const params: Record<string, GarchParams> = {};
      syms.forEach((s, k) => {
        const r = rets.get(s)!;
        params[s] = mode === "per-symbol" && r.length >= minObs ? garchFit(r) : pooledAll[k];
      });
      this.state = { model: "garch11", mode, pooled, params };
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Mean daily variance over `horizon` sessions after each row (NaN for symbols without a fit). */
  predict(ds: Dataset, rows: Int32Array, horizon: number): Promise<Float64Array> {
    const st = this.state;
    if (!st) return Promise.reject(new ModelError("garch11: predict before fit"));
    const out = new Float64Array(rows.length).fill(NaN);
    const cache = new Map<string, { r: Float64Array; v: Float64Array } | null>();
    for (let k = 0; k < rows.length; k++) {
      const i = rows[k], sym = ds.symbol[i], t = ds.seriesIndex[i];
      let c = cache.get(sym);
      if (c === undefined) {
        const p = st.params[sym];
        if (!p) c = null;
        else {
          const r = logReturns(pricesOf(ds.series.get(sym)!));
          const v = garchFilter(p, r.subarray(1));
          c = { r, v };
        }
        cache.set(sym, c);
      }
      if (!c || t < 1) continue;
      // v[j] is the variance of r[j + 1]; at t: lastVar = v[t - 1], lastRet = r[t]
      out[k] = garchForecast(st.params[sym], c.v[t - 1], c.r[t], horizon);
    }
    return Promise.resolve(out);
  }

  /** Restores from {@link Garch11Model.toJSON}. */
  static fromJSON(s: Garch11State): Garch11Model {
    return JsonFitted.restore(s, "garch11", "state", (j) => new Garch11Model({ mode: j.mode }));
  }
}
