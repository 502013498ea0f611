/**
 * HAR-RV (Corsi 2009): the mean variance over the next `h` sessions regressed by OLS on the daily, weekly
 * (5-session) and monthly (22-session) averages of a realized-variance proxy.
 * @module
 */
import { ModelError } from "../core/mod.ts";
import type { Dataset, SymbolSeries } from "../dataset/mod.ts";
import type { VolatilityModel } from "./types.ts";
import { logReturns, pricesOf, seriesRanges } from "./_returns.ts";
import {
  HAR_SPECS,
  harxDesign,
  harxFit,
  harxFitPanel,
  type HarxParams,
  harxPredict,
  type RealizedInputs,
} from "./harx.ts";

/** Fitted HAR coefficients `[const, daily, weekly, monthly]` for horizon `h`; forecasts floored at `floor`. */
export interface HarParams {
  h: number;
  beta: [number, number, number, number];
  floor: number;
}

/** HAR regressors at `t`: `[rv[t], mean rv[t-4..t], mean rv[t-21..t]]`, or null when any is missing. */
export function harRegressors(rv: Float64Array, t: number): [number, number, number] | null {
  if (t < 21 || t >= rv.length) return null;
  const cols = harxDesign(inputsOf(rv), HAR_SPECS["har-rv"]);
  const x: [number, number, number] = [cols[0][t], cols[1][t], cols[2][t]];
  return x.every(Number.isFinite) ? x : null;
}

const inputsCache = new WeakMap<Float64Array, RealizedInputs>();

/** One cached `RealizedInputs` per RV array, so the HAR design of a series is built once. */
function inputsOf(rv: Float64Array): RealizedInputs {
  let inp = inputsCache.get(rv);
  if (!inp) inputsCache.set(rv, inp = { rv });
  return inp;
}

/** One series for {@link harFitPanel}: regressor proxy `rv`, optional `target` (default `rv`), usable range. */
export interface HarSeries {
  rv: Float64Array;
  target?: Float64Array;
  /** First decision index allowed (default 21). */
  from?: number;
  /** Last index whose target may be used (inclusive; default the end). */
  to?: number;
}

/** Pooled OLS of `mean target[t+1..t+h]` on the HAR regressors at `t` over all series. */
export function harFitPanel(series: HarSeries[], h = 1): HarParams {
  const p = harxFitPanel(
    series.map((s) => ({ inputs: inputsOf(s.rv), target: s.target, from: s.from ?? 21, to: s.to })),
    HAR_SPECS["har-rv"],
    h,
  );
  return { h, beta: p.beta as [number, number, number, number], floor: p.floor };
}

/** OLS HAR fit on one series (`target` defaults to `rv`). */
export function harFit(rv: Float64Array, h = 1, target?: Float64Array): HarParams {
  return harFitPanel([{ rv, target }], h);
}

/** HAR forecast at `t` (NaN when regressors are missing), floored at `p.floor`. */
export function harPredict(p: HarParams, rv: Float64Array, t: number): number {
  const x = harRegressors(rv, t);
  if (!x) return NaN;
  const f = p.beta[0] + p.beta[1] * x[0] + p.beta[2] * x[1] + p.beta[3] * x[2];
  return Math.max(p.floor, f);
}

/** HAR forecasts at every index of `rv`. */
export function harPredictSeries(p: HarParams, rv: Float64Array): Float64Array {
  const out = new Float64Array(rv.length);
  for (let t = 0; t < rv.length; t++) out[t] = harPredict(p, rv, t);
  return out;
}

/**
 * Log-HAR parameters: `ln mean rv[t+1..t+h] = b0 + b1 ln rv_d + b2 ln rv_w + b3 ln rv_m + e`, `s2 = var(e)`.
 * On the protocol's volatility section it beats EWMA, GARCH(1,1) and HAR-RV at every horizon (QLIKE).
 */
export type LogHarParams = HarxParams;

/** OLS log-HAR on targets ending at or before index `to` (inclusive); at least 30 usable observations. */
export function logHarFit(rv: Float64Array, h: number, to: number): LogHarParams {
  return harxFit(inputsOf(rv), HAR_SPECS["har-log"], h, to);
}

/** Log-HAR forecast of the mean rv over `t+1..t+h`, lognormal bias-corrected (NaN when regressors are missing). */
export function logHarPredict(p: LogHarParams, rv: Float64Array, t: number): number {
  return harxPredict(p, inputsOf(rv), t);
}

/** Realized-variance proxies from daily bars. */
export type RvProxy = "squared" | "parkinson" | "garman-klass";

/** Daily variance proxy per session: squared log return, Parkinson or Garman-Klass range estimator. */
export function rvProxy(s: SymbolSeries, kind: RvProxy): Float64Array {
  const n = s.close.length, out = new Float64Array(n).fill(NaN);
  if (kind === "squared") {
    const r = logReturns(pricesOf(s));
    for (let t = 0; t < n; t++) out[t] = r[t] * r[t];
    return out;
  }
  for (let t = 0; t < n; t++) {
    const hl = Math.log(s.high[t] / s.low[t]);
    if (kind === "parkinson") out[t] = (hl * hl) / (4 * Math.LN2);
    else {
      const co = Math.log(s.close[t] / s.open[t]);
      out[t] = 0.5 * hl * hl - (2 * Math.LN2 - 1) * co * co;
    }
  }
  return out;
}

/** Options of {@link HarRvModel}. */
export interface HarRvOptions {
  /** Regressor proxy from daily bars (default `parkinson`). */
  proxy?: RvProxy;
  /**
   * External realized variance per symbol, aligned with `ds.series.get(symbol).dates` (e.g. Oxford-Man rv5).
   * When given for a symbol it is both the regressor and the target.
   */
  externalRv?: Map<string, Float64Array>;
}

/** Serialized {@link HarRvModel}. */
export interface HarRvState {
  model: "har-rv";
  proxy: RvProxy;
  byHorizon: Record<string, HarParams>;
}

/**
 * HAR-RV on a Dataset (`name = "har-rv"`): pooled OLS over symbols on the train rows (target: mean squared
 * log close-to-close return over the horizon, or the external RV). Fits lazily per horizon at `predict`, on the
 * train rows given to `fit`.
 */
export class HarRvModel implements VolatilityModel {
  readonly name = "har-rv";
  private ds: Dataset | null = null;
  private ranges: Map<string, [number, number]> | null = null;
  private byHorizon: Record<string, HarParams> = {};

  constructor(readonly options: HarRvOptions = {}) {}

  private regressor(s: SymbolSeries): Float64Array {
    return this.options.externalRv?.get(s.symbol) ?? rvProxy(s, this.options.proxy ?? "parkinson");
  }

  private target(s: SymbolSeries): Float64Array {
    return this.options.externalRv?.get(s.symbol) ?? rvProxy(s, "squared");
  }

  /** Remembers the train ranges per symbol and fits the 1-, 5- and 22-session horizons. */
  fit(ds: Dataset, train: Int32Array): Promise<void> {
    try {
      this.ds = ds;
      this.ranges = seriesRanges(ds, train);
      this.byHorizon = {};
      for (const h of [1, 5, 22]) this.params(h);
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private params(h: number): HarParams {
    const have = this.byHorizon[h];
    if (have) return have;
    if (!this.ds || !this.ranges) throw new ModelError("har-rv: predict before fit");
    const items: HarSeries[] = [];
    for (const [sym, [a, b]] of this.ranges) {
      const s = this.ds.series.get(sym)!;
      items.push({ rv: this.regressor(s), target: this.target(s), from: a, to: b });
    }
    return this.byHorizon[h] = harFitPanel(items, h);
  }

  /** Mean variance over `horizon` sessions after each row, from proxies up to the row's session. */
  predict(ds: Dataset, rows: Int32Array, horizon: number): Promise<Float64Array> {
    try {
      const p = this.params(horizon);
      const out = new Float64Array(rows.length);
      const cache = new Map<string, Float64Array>();
      for (let k = 0; k < rows.length; k++) {
        const i = rows[k], sym = ds.symbol[i];
        let rv = cache.get(sym);
        if (!rv) cache.set(sym, rv = this.regressor(ds.series.get(sym)!));
        out[k] = harPredict(p, rv, ds.seriesIndex[i]);
      }
      return Promise.resolve(out);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Fitted coefficients per horizon (external RV series are not serialized). */
  toJSON(): HarRvState {
    if (!Object.keys(this.byHorizon).length) throw new ModelError("har-rv: not fitted");
    return { model: "har-rv", proxy: this.options.proxy ?? "parkinson", byHorizon: this.byHorizon };
  }

  /** Restores from {@link HarRvModel.toJSON} (predicts only the stored horizons). */
  static fromJSON(s: HarRvState, externalRv?: Map<string, Float64Array>): HarRvModel {
    if (s?.model !== "har-rv") throw new TypeError("not har-rv state");
    const m = new HarRvModel({ proxy: s.proxy, externalRv });
    m.byHorizon = { ...s.byHorizon };
    return m;
  }
}
