/**
 * EVALUATION.md section 2, volatility: next-day, 5-day and 22-day average realized variance of the S&P 500
 * (Oxford-Man `rv5`) forecast out of sample 2013-01-02..2019-12-31, re-estimated monthly on an expanding window
 * that starts 2000-01-03. Baselines EWMA(0.94), GARCH(1,1) on ^GSPC daily log returns and HAR-RV by OLS; ours:
 * log-HAR (OLS on logs with a lognormal bias correction). Losses QLIKE (primary), MSE on variance, MZ R^2.
 *
 * Scale alignment: `rv5` is the variance of 5-minute returns within the trading day (no overnight), GARCH and
 * EWMA model close-to-close returns. Every forecast of a close-to-close variance is multiplied by
 * `c = sum rv5 / sum r^2` over the estimation window at the last re-estimation (expanding, no look-ahead); HAR
 * and log-HAR forecast `rv5` itself, so their factor is 1 by construction. The rule is the same for all.
 * @module
 */
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { DataValidationError } from "../core/mod.ts";
import {
  ewmaVariance,
  garchFilter,
  garchFit,
  garchForecast,
  type GarchParams,
  harFitPanel,
  type HarParams,
  harPredict,
  logHarFit,
  type LogHarParams,
  logHarPredict,
  mincerZarnowitzR2,
  mseVariance,
  qlike,
} from "../models/mod.ts";
import { type Figure, lineFigure, type Table } from "../report/mod.ts";
import { csvRecords } from "../sources/mod.ts";
import type { EvalContext, Metric, SectionResult } from "./types.ts";

/** Data files of section 2, relative to the shared data folder. */
export const VOL_FILES = {
  rv: "oxford-man-realized-spx/oxford_man_realized_library_spx_2000_2019.csv",
  index: "us-index-etf-daily-yahoo/INDEX_GSPC.csv",
} as const;

/** Out-of-sample window of the forecast targets (first and last target date). */
export const VOL_OOS = { from: "2013-01-02", to: "2019-12-31", estimationStart: "2000-01-03" } as const;

/** Forecast horizons (sessions): next day, week, month. */
export const VOL_HORIZONS = [1, 5, 22] as const;

/** Section 2 inputs on the Oxford-Man dates: `rv[t]` (rv5) and `ret[t]` the ^GSPC log return into date `t`. */
export interface VolInputs {
  dates: string[];
  rv: Float64Array;
  ret: Float64Array;
}

function splitCsv(text: string): string[][] {
  return Array.from(csvRecords(text), (r) => r.fields);
}

/**
 * Reads rv5 (corrected `date` column) and ^GSPC closes. `ret[t]` is the log return from the previous ^GSPC
 * session's close to the close of `dates[t]` (so the 14 days the library skipped still have correct returns
 * on the following row); NaN when ^GSPC lacks the date or at the first row.
 */
export function loadVolInputs(sharedDir: string): VolInputs {
  const rvRows = splitCsv(readFileSync(join(sharedDir, VOL_FILES.rv), "utf8"));
  const h = rvRows[0], di = h.indexOf("date"), ri = h.indexOf("rv5");
  if (di < 0 || ri < 0) throw new DataValidationError("no date/rv5 column", { where: VOL_FILES.rv });
  const ixRows = splitCsv(readFileSync(join(sharedDir, VOL_FILES.index), "utf8"));
  const ci = ixRows[0].indexOf("Close");
  if (ci < 0) throw new DataValidationError("no Close column", { where: VOL_FILES.index });
  const close = new Map<string, number>(), order: string[] = [];
  for (const r of ixRows.slice(1)) {
    const v = +r[ci];
    if (v > 0) {
      close.set(r[0], v);
      order.push(r[0]);
    }
  }
  const prevClose = new Map<string, number>();
  for (let k = 1; k < order.length; k++) prevClose.set(order[k], close.get(order[k - 1])!);
  const dates: string[] = [], rv: number[] = [], ret: number[] = [];
  for (const r of rvRows.slice(1)) {
    const d = r[di];
    if (d < VOL_OOS.estimationStart) continue;
    dates.push(d);
    rv.push(r[ri] === "" || r[ri] === "NA" ? NaN : +r[ri]);
    const c = close.get(d), p = prevClose.get(d);
    ret.push(c && p && dates.length > 1 ? Math.log(c / p) : NaN);
  }
  for (let k = 1; k < dates.length; k++) {
    if (!(dates[k] > dates[k - 1])) throw new DataValidationError(`dates out of order at ${dates[k]}`);
  }
  return { dates, rv: Float64Array.from(rv), ret: Float64Array.from(ret) };
}

/** Mean of `x[t+1..t+h]` (NaN when any is missing or beyond the end). */
export function forwardMean(x: Float64Array, t: number, h: number): number {
  if (t + h >= x.length) return NaN;
  let s = 0;
  for (let k = 1; k <= h; k++) s += x[t + k];
  return s / h;
}

/**
 * Forecast origins for horizon `h`: decision indices `t` whose target window `t+1..t+h` lies inside
 * [`from`, `to`]; `refit[k]` is true where origin `k` starts a new calendar month (re-estimation point).
 */
export function volOrigins(
  dates: string[],
  h: number,
  from: string = VOL_OOS.from,
  to: string = VOL_OOS.to,
): { origins: Int32Array; refit: Uint8Array } {
  const o: number[] = [];
  for (let t = 0; t + h < dates.length; t++) if (dates[t + 1] >= from && dates[t + h] <= to) o.push(t);
  const refit = new Uint8Array(o.length);
  for (let k = 0; k < o.length; k++) {
    refit[k] = k === 0 || dates[o[k]].slice(0, 7) !== dates[o[k - 1]].slice(0, 7) ? 1 : 0;
  }
  return { origins: Int32Array.from(o), refit };
}

/** Scale factor `sum rv / sum r^2` over indices `0..t` with both finite (close-to-close -> rv5 units). */
export function rvScale(inp: VolInputs, t: number): number {
  let a = 0, b = 0;
  for (let i = 0; i <= t; i++) {
    const r = inp.ret[i], v = inp.rv[i];
    if (Number.isFinite(r) && Number.isFinite(v)) {
      a += v;
      b += r * r;
    }
  }
  return a / b;
}

/** The methods of section 2 (baselines first). */
export const VOL_METHODS = ["ewma", "garch11", "har-rv", "har-log"] as const;
/** A method of section 2. */
export type VolMethod = typeof VOL_METHODS[number];

/** Forecasts of every method at the origins of one horizon, the realized targets and fit wall times (ms). */
export interface VolRun {
  h: number;
  origins: Int32Array;
  target: Float64Array;
  forecasts: Record<VolMethod, Float64Array>;
  fitMs: Record<VolMethod, number>;
  refits: number;
  /** Scale factor at each origin. */
  scale: Float64Array;
  /** GARCH parameters at each re-estimation (for the peer comparison). */
  garchParams: GarchParams[];
}

/**
 * Runs all methods for horizon `h` with monthly re-estimation on the expanding window. GARCH fits do not
 * depend on `h`: pass one `garchCache` (keyed by the re-estimation index) to share them across horizons.
 */
export function volRun(
  inp: VolInputs,
  h: number,
  from: string = VOL_OOS.from,
  to: string = VOL_OOS.to,
  garchCache: Map<number, GarchParams> = new Map(),
): VolRun {
  const { origins, refit } = volOrigins(inp.dates, h, from, to);
  const m = origins.length, rv = inp.rv, ret = inp.ret;
  const fc = Object.fromEntries(VOL_METHODS.map((k) => [k, new Float64Array(m).fill(NaN)])) as Record<
    VolMethod,
    Float64Array
  >;
  const fitMs = Object.fromEntries(VOL_METHODS.map((k) => [k, 0])) as Record<VolMethod, number>;
  const target = new Float64Array(m), scale = new Float64Array(m);
  const ewma = ewmaVariance(ret.subarray(1), 0.94); // ewma[j] = variance of ret[j + 1] from ret[1..j]
  let gp: GarchParams | null = null, gv: Float64Array | null = null;
  let hp: HarParams | null = null, lp: LogHarParams | null = null, c = NaN, refits = 0;
  const garchParams: GarchParams[] = [];
  for (let k = 0; k < m; k++) {
    const t = origins[k];
    if (refit[k]) {
      refits++;
      c = rvScale(inp, t);
      let t0 = performance.now();
      gp = garchCache.get(t) ?? garchFit(ret.slice(1, t + 1));
      garchCache.set(t, gp);
      garchParams.push(gp);
      fitMs.garch11 += performance.now() - t0;
      // filtered variances with these parameters over the whole sample: gv[j] uses ret[1..j] only
      gv = garchFilter(gp, ret.subarray(1));
      t0 = performance.now();
      hp = harFitPanel([{ rv, to: t }], h);
      fitMs["har-rv"] += performance.now() - t0;
      t0 = performance.now();
      lp = logHarFit(rv, h, t);
      fitMs["har-log"] += performance.now() - t0;
    }
    scale[k] = c;
    target[k] = forwardMean(rv, t, h);
    fc.ewma[k] = c * ewma[t];
    fc.garch11[k] = c * garchForecast(gp!, gv![t - 1], ret[t], h);
    fc["har-rv"][k] = harPredict(hp!, rv, t);
    fc["har-log"][k] = logHarPredict(lp!, rv, t);
  }
  return { h, origins, target, forecasts: fc, fitMs, refits, scale, garchParams };
}

/** Rolling mean of QLIKE over `w` forecasts (NaN until `w` are seen). */
export function rollingQlike(rv: Float64Array, f: Float64Array, w = 250): Float64Array {
  const q = new Float64Array(rv.length), out = new Float64Array(rv.length).fill(NaN);
  for (let i = 0; i < rv.length; i++) {
    const r = rv[i] / f[i];
    q[i] = r > 0 && Number.isFinite(r) ? r - Math.log(r) - 1 : 0;
  }
  let s = 0;
  for (let i = 0; i < rv.length; i++) {
    s += q[i];
    if (i >= w) s -= q[i - w];
    if (i >= w - 1) out[i] = s / w;
  }
  return out;
}

const DATA = `${VOL_FILES.rv} + ${VOL_FILES.index}`;
const SEGMENT = `oos-${VOL_OOS.from}..${VOL_OOS.to}`;

/** Section 2 of EVALUATION.md. */
export function volatilitySection(ctx: EvalContext): Promise<SectionResult> {
  try {
    const t0 = performance.now();
    const inp = loadVolInputs(ctx.sharedDir);
    const timings: Record<string, number> = { load_ms: performance.now() - t0 };
    const metrics: Metric[] = [], figures: Figure[] = [], tables: Table[] = [];
    const push = (name: string, method: string, value: number, higherIsBetter: boolean) =>
      metrics.push({
        section: "volatility",
        name,
        method,
        value,
        segment: SEGMENT,
        data: DATA,
        seed: ctx.seed,
        higherIsBetter,
      });
    const rows: (string | number)[][] = [];
    let firstRun: VolRun | null = null;
    const garchCache = new Map<number, GarchParams>();
    for (const h of VOL_HORIZONS) {
      const t1 = performance.now();
      const run = volRun(inp, h, VOL_OOS.from, VOL_OOS.to, garchCache);
      timings[`forecast_h${h}_ms`] = performance.now() - t1;
      firstRun ??= run;
      for (const mth of VOL_METHODS) {
        const f = run.forecasts[mth];
        const q = qlike(run.target, f),
          mse = mseVariance(run.target, f),
          r2 = mincerZarnowitzR2(run.target, f);
        push(`qlike_h${h}`, mth, q, false);
        push(`mse_h${h}`, mth, mse, false);
        push(`mz_r2_h${h}`, mth, r2, true);
        timings[`fit_${mth}_h${h}_ms`] = run.fitMs[mth];
        rows.push([h, mth, q, mse * 1e8, r2, run.origins.length, run.refits]);
      }
      ctx.log?.(`volatility h=${h}: ${run.origins.length} origins, ${run.refits} refits`);
      const x = Array.from(run.origins, (t) => inp.dates[t + 1]);
      figures.push(lineFigure(
        `Volatility h=${h}: rolling 250-forecast mean QLIKE (lower is better)`,
        VOL_METHODS.map((mth) => ({ name: mth, x, y: rollingQlike(run.target, run.forecasts[mth]) })),
        { yTitle: "QLIKE" },
      ));
    }
    tables.push({
      columns: ["h", "method", "QLIKE", "MSE x1e8", "MZ R2", "forecasts", "refits"],
      rows,
      caption:
        "Out-of-sample 2013-01-02..2019-12-31, monthly re-estimation, expanding window from 2000-01-03",
    });
    const r = firstRun!;
    const notes = [
      `Data: ${inp.dates.length} Oxford-Man rows ${inp.dates[0]}..${
        inp.dates.at(-1)
      } (rv5) and ^GSPC close-to-close log returns on the same dates.`,
      `Scale: GARCH/EWMA forecasts x c = sum(rv5)/sum(r^2) over the estimation window at each re-estimation (c = ${
        r.scale[0].toFixed(3)
      } at the first, ${r.scale.at(-1)!.toFixed(3)} at the last); HAR models forecast rv5 directly (c = 1).`,
      `GARCH(1,1) at the last re-estimation: alpha ${r.garchParams.at(-1)!.alpha.toFixed(4)}, beta ${
        r.garchParams.at(-1)!.beta.toFixed(4)
      }.`,
      "har-log (ours): OLS of ln(mean rv5 over t+1..t+h) on ln of the daily, weekly, monthly rv5 averages; forecast exp(fit + s2/2).",
    ];
    timings.total_ms = performance.now() - t0;
    return Promise.resolve({
      section: "volatility",
      title: "2. Volatility",
      metrics,
      figures,
      tables,
      notes,
      timings,
    });
  } catch (e) {
    return Promise.reject(e);
  }
}
