/**
 * EVALUATION.md section 6, risk: one-day 99% and 97.5% VaR and expected shortfall, backtested by Kupiec,
 * Christoffersen (independence, conditional coverage) and Acerbi-Szekely Z2.
 *
 * - S&P 500 index, out of sample 2013-01-02..2019-12-31 on the Oxford-Man dates (the returns and realized
 *   measures of section 2), monthly re-estimation on the expanding window from 2000. Methods: GJR-GARCH-t
 *   volatility with its own Student-t (`gjr-t`) or filtered historical simulation (`gjr-fhs`, the default);
 *   our section 2 volatility model `shar-iv-lev` scaled to close-to-close variance with the same two tails
 *   (`har-t`, `har-fhs`); RiskMetrics (EWMA 0.94, normal) and 500-day historical simulation as baselines.
 * - sp500 test segment 2017-01-03..2018-02-07, per symbol (GJR-GARCH-t fitted once per symbol on the train and
 *   validation segments, then filtered through the test segment with fixed parameters, as `arch`'s FHS example
 *   does) and for the equal-weight portfolio of the same symbols.
 *
 * The default (`gjr-fhs`) was fixed before any backtest was run: it is the standard filtered historical
 * simulation (`arch`'s example), works for any symbol with daily bars, and needs no distributional assumption
 * beyond the volatility model.
 * @module
 */
import {
  backtestVarEs,
  gjrFilter,
  type GjrFit,
  gjrFit,
  HAR_SPECS,
  harxFitExpanding,
  harxPredict,
  historicalRisk,
  RISK_ALPHAS,
  riskMetricsRisk,
  type RiskPath,
  type VarBacktest,
  volScaledRisk,
  type VolSegment,
} from "../models/mod.ts";
import { lineFigure, type Table } from "../report/mod.ts";
import { backtestWeights, costedSettle } from "../backtest/mod.ts";
import { constructPortfolio, riskLimitHooks, type RiskLimitOptions } from "../signals/mod.ts";
import { type SymbolSeries, toSeries, TREND_SEGMENTS } from "../dataset/mod.ts";
import { csvPresets } from "../sources/mod.ts";
import { join } from "node:path";
import { chooseTickers, INDEX_DIR, loadSp500, REDUCED_TICKERS, withSurvivorshipNote } from "./data.ts";
import { type EvalContext, type Metric, metricRecorder, type SectionResult } from "./types.ts";
import {
  loadVolInputs,
  rvScale,
  VOL_FILES,
  VOL_OOS,
  VOL_OURS,
  type VolInputs,
  volOrigins,
} from "./volatility.ts";

/** The default risk method (fixed before the backtests were run). */
export const RISK_DEFAULT = "gjr-fhs";

/**
 * Simulated histories behind the Z2 p-values of the index and the sp500 equal-weight portfolio: 1000 in a full
 * run, 300 in a reduced one (per symbol: 100).
 */
export const RISK_Z2_SIMS = { full: 1000, reduced: 300 } as const;

/** Methods of the risk section, in table order. */
export const RISK_METHODS_INDEX = [
  "gjr-t",
  "gjr-fhs",
  "har-t",
  "har-fhs",
  "riskmetrics",
  "historical",
] as const;
/** Methods for single stocks (no realized measures). */
export const RISK_METHODS_STOCK = ["gjr-t", "gjr-fhs", "riskmetrics", "historical"] as const;

/** Index of the first `dates` entry >= `d` (length when none). */
function firstOnOrAfter(dates: readonly string[], d: string): number {
  const i = dates.findIndex((x) => x >= d);
  return i < 0 ? dates.length : i;
}

/**
 * GJR-GARCH-t segments for `returns` (re-estimated at each `refits` index on returns `1..refit-1`, warm-started
 * from the previous fit): forecasts for `[refit, next refit)`, residuals from the whole estimation window.
 */
export function gjrSegments(
  returns: Float64Array,
  refits: readonly number[],
  end: number,
  first = 1,
): { segments: VolSegment[]; fits: GjrFit[]; fitMs: number } {
  const segments: VolSegment[] = [], fits: GjrFit[] = [];
  let prev: GjrFit | null = null, fitMs = 0;
  refits.forEach((start, k) => {
    const t0 = performance.now();
    const f = gjrFit(returns.subarray(first, start), { dist: "t", mean: "constant", start: prev?.params });
    fitMs += performance.now() - t0;
    prev = f;
    fits.push(f);
    // v[j] is the variance of returns[first + j]; sigma aligned with returns
    const v = gjrFilter(f.params, returns.subarray(first), f.backcast);
    const sigma = new Float64Array(returns.length).fill(NaN);
    for (let j = 0; j < v.length && first + j < returns.length; j++) sigma[first + j] = Math.sqrt(v[j]);
    segments.push({
      start,
      end: k + 1 < refits.length ? refits[k + 1] : end,
      zFrom: first,
      mu: f.params.mu,
      sigma,
      // gjr-t's tail is the model's own unit-variance Student-t, estimated jointly with the volatility, not a t
      // fitted again to its residuals
      ...(Number.isFinite(f.params.nu) && f.params.nu > 2 ? { dist: { nu: f.params.nu, scale: 1 } } : {}),
    });
  });
  return { segments, fits, fitMs };
}

/** Forecasts and realized returns of one backtest series. */
export interface RiskRun {
  /** What the series is (e.g. "^GSPC", "AAPL", "equal-weight"). */
  name: string;
  dates: string[];
  returns: Float64Array;
  /** Forecast range `[from, to)`. */
  from: number;
  to: number;
  paths: RiskPath[];
  timings: Record<string, number>;
}

/**
 * The S&P 500 index run: returns and realized measures of section 2, forecasts for targets in
 * `[from, to]` (default the out-of-sample window), monthly re-estimation.
 */
export function indexRiskRun(
  inp: VolInputs,
  from: string = VOL_OOS.from,
  to: string = VOL_OOS.to,
  alphas: readonly number[] = RISK_ALPHAS,
): RiskRun {
  const { origins, refit } = volOrigins(inp.dates, 1, from, to);
  const start = origins[0] + 1, end = origins.at(-1)! + 2; // returns r[t+1] for origins t
  const refits = Array.from(origins).filter((_, k) => refit[k]).map((t) => t + 1);
  const timings: Record<string, number> = {};
  let t0 = performance.now();
  const g = gjrSegments(inp.ret, refits, end);
  timings.fit_gjr_ms = g.fitMs;
  const gj = volScaledRisk(inp.ret, g.segments, alphas, { t: "gjr-t", fhs: "gjr-fhs" });
  timings.gjr_ms = performance.now() - t0;
  // our volatility model: pseudo out-of-sample forecasts from 2002 on (monthly expanding re-estimation), so the
  // standardized residuals of each estimation window come from forecasts the model made at the time
  t0 = performance.now();
  const early = volOrigins(inp.dates, 1, "2002-01-02", inp.dates[end - 1]);
  const ends: number[] = [], seg = new Int32Array(early.origins.length);
  early.origins.forEach((t, k) => {
    if (early.refit[k]) ends.push(t);
    seg[k] = ends.length - 1;
  });
  const params = harxFitExpanding(inp, HAR_SPECS[VOL_OURS], 1, ends);
  const scales = ends.map((t) => rvScale(inp, t));
  const sigma = new Float64Array(inp.ret.length).fill(NaN);
  early.origins.forEach((t, k) => {
    const f = harxPredict(params[seg[k]], inp, t) * scales[seg[k]];
    if (f > 0) sigma[t + 1] = Math.sqrt(f);
  });
  const zFrom = early.origins[0] + 1;
  const harSegs: VolSegment[] = refits.map((s, k) => ({
    start: s,
    end: k + 1 < refits.length ? refits[k + 1] : end,
    zFrom,
    mu: 0,
    sigma,
  }));
  const har = volScaledRisk(inp.ret, harSegs, alphas, { t: "har-t", fhs: "har-fhs" });
  timings.har_ms = performance.now() - t0;
  t0 = performance.now();
  const rm = riskMetricsRisk(inp.ret, start, end, alphas);
  const hs = historicalRisk(inp.ret, start, end, alphas);
  timings.baselines_ms = performance.now() - t0;
  return {
    name: "^GSPC",
    dates: inp.dates,
    returns: inp.ret,
    from: start,
    to: end,
    paths: [gj.t, gj.fhs, har.t, har.fhs, rm, hs],
    timings,
  };
}

/**
 * A stock (or portfolio) run: GJR-GARCH-t fitted once on returns before `testFrom` (from the series start),
 * forecasts for every return dated in `[testFrom, testTo]`, plus the baselines.
 */
export function stockRiskRun(
  name: string,
  dates: string[],
  returns: Float64Array,
  testFrom: string = TREND_SEGMENTS.test[0],
  testTo: string = TREND_SEGMENTS.test[1],
  alphas: readonly number[] = RISK_ALPHAS,
): RiskRun {
  const start = firstOnOrAfter(dates, testFrom), end = firstOnOrAfter(dates, testTo + "~");
  const timings: Record<string, number> = {};
  const t0 = performance.now();
  const g = gjrSegments(returns, [start], end);
  timings.fit_gjr_ms = g.fitMs;
  const gj = volScaledRisk(returns, g.segments, alphas, { t: "gjr-t", fhs: "gjr-fhs" });
  const rm = riskMetricsRisk(returns, start, end, alphas);
  const hs = historicalRisk(returns, start, end, alphas);
  timings.total_ms = performance.now() - t0;
  return { name, dates, returns, from: start, to: end, paths: [gj.t, gj.fhs, rm, hs], timings };
}

/** Backtests of every path and level of a run (Z2 p-values from `sims` simulated histories). */
export function backtestRun(run: RiskRun, sims: number, seed: number): Map<string, VarBacktest[]> {
  const out = new Map<string, VarBacktest[]>();
  const r = run.returns.slice(run.from, run.to);
  for (const p of run.paths) {
    out.set(
      p.method,
      p.alphas.map((a, k) =>
        backtestVarEs(
          r,
          p.var_[k].subarray(run.from, run.to),
          p.es[k].subarray(run.from, run.to),
          a,
          {
            hitProb: (t) => p.tails[k].hitProb(t + run.from),
            tailLoss: (t, rand) => p.tails[k].tailLoss(t + run.from, rand),
          },
          { sims, seed: seed + k },
        )
      ),
    );
  }
  return out;
}

/** ^GSPC daily bars of `us-index-etf-daily-yahoo` as a series. */
async function loadIndexSeries(sharedDir: string): Promise<SymbolSeries> {
  const src = csvPresets.yahooDaily(join(sharedDir, INDEX_DIR));
  const bars = (await src.bars({ symbols: ["^GSPC"], from: "1990-01-01", to: "2030-12-31" })).get("^GSPC") ??
    [];
  if (!bars.length) throw new RangeError(`no ^GSPC bars under ${join(sharedDir, INDEX_DIR)}`);
  return toSeries(bars);
}

/** Daily log returns of a price column (`r[0] = NaN`). */
function logRets(p: Float64Array): Float64Array {
  const r = new Float64Array(p.length).fill(NaN);
  for (let t = 1; t < p.length; t++) r[t] = Math.log(p[t] / p[t - 1]);
  return r;
}

/**
 * The sizing stage's risk limits shown in the section (each alone, then together). A 10%-volatility book has a
 * normal one-day 99% VaR of about 1.5% of capital, so a 1.5% limit binds when the book's own tail is fatter than
 * normal (a first run with 2% never bound on these books).
 */
export const RISK_LIMIT_CASES: { name: string; limits: RiskLimitOptions }[] = [
  { name: "none", limits: {} },
  { name: "VaR limit 1.5% (99%)", limits: { varLimit: { limit: 0.015, alpha: 0.01 } } },
  { name: "drawdown brake 10% -> x0.5", limits: { drawdownBrake: { threshold: 0.1, scale: 0.5 } } },
  {
    name: "both",
    limits: { varLimit: { limit: 0.015, alpha: 0.01 }, drawdownBrake: { threshold: 0.1, scale: 0.5 } },
  },
];

/** `T x S` panels of an always-long book: close-to-close history and the open-to-open traded return of each decision. */
export interface LongBookPanels {
  dates: string[];
  symbols: string[];
  history: Float64Array;
  traded: Float64Array;
  first: number;
}

/** Panels over the union of `series` dates from `from` on, decisions from `firstDate` on. */
export function longBookPanels(
  series: Map<string, SymbolSeries>,
  from: string,
  firstDate: string,
  to: string,
): LongBookPanels {
  const dates = [...new Set([...series.values()].flatMap((s) => s.dates.filter((d) => d >= from && d <= to)))]
    .sort();
  const row = new Map(dates.map((d, i) => [d, i]));
  const symbols = [...series.keys()], S = symbols.length, T = dates.length;
  const history = new Float64Array(T * S).fill(NaN), traded = new Float64Array(T * S).fill(NaN);
  symbols.forEach((sym, j) => {
    const s = series.get(sym)!, px = s.adjClose.every((v) => v > 0) ? s.adjClose : s.close;
    // open prices on the adjusted scale: open * adjClose / close
    const open = Float64Array.from(s.open, (o, k) => (o * px[k]) / s.close[k]);
    for (let k = 1; k < s.dates.length; k++) {
      const i = row.get(s.dates[k]);
      if (i === undefined) continue;
      history[i * S + j] = Math.log(px[k] / px[k - 1]);
      if (k + 2 < s.dates.length) traded[i * S + j] = open[k + 2] / open[k + 1] - 1;
    }
  });
  return { dates, symbols, history, traded, first: firstOnOrAfter(dates, firstDate) };
}

/** An always-long, 10%-volatility-targeted book with each case of {@link RISK_LIMIT_CASES}, backtested with 5 bps. */
export function riskLimitBacktests(p: LongBookPanels, targetVol = 0.1) {
  const S = p.symbols.length;
  return RISK_LIMIT_CASES.map(({ name, limits }) => {
    const hooks = riskLimitHooks(limits);
    const book = constructPortfolio(
      {
        dates: p.dates,
        symbols: p.symbols,
        edge: p.history.map((v) => (Number.isFinite(v) ? 1 : NaN)),
        dailyVol: new Float64Array(p.history.length).fill(NaN),
        history: p.history,
        outcomes: p.traded,
        firstDecision: p.first,
        // the brake reads the equity the backtest below books (after its 5 bps)
        settle: costedSettle({ symbols: S, returns: p.traded }, { costBps: 5 }, p.first),
      },
      { method: "always-long", weighting: "equal", targetVol, maxWeight: 1, riskHooks: hooks },
    );
    const bt = backtestWeights({
      dates: p.dates.slice(p.first),
      symbols: p.symbols,
      weights: book.weights.subarray(p.first * S),
      returns: p.traded.subarray(p.first * S),
    }, { costBps: 5 });
    const days = (k: string) =>
      hooks.reduce((n, h) => n + ((h as unknown as Record<string, number[]>)[k]?.length ?? 0), 0);
    let g = 0;
    for (let t = p.first; t < p.dates.length; t++) g += book.gross[t];
    return {
      name,
      metrics: bt.metrics,
      meanGross: g / (p.dates.length - p.first),
      varBoundDays: days("bound"),
      brakeDays: days("engaged"),
    };
  });
}

const fmtP = (p: number) => (Number.isFinite(p) ? (p < 0.001 ? "<0.001" : p.toFixed(3)) : "NaN");
const levelName = (a: number) => `${(100 * (1 - a)).toFixed(1).replace(/\.0$/, "")}%`;

/** Section 6 of EVALUATION.md. */
export async function riskSection(ctx: EvalContext): Promise<SectionResult> {
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  const metrics: Metric[] = [];
  const push = metricRecorder("risk", ctx.seed, metrics);
  const rows: (string | number)[][] = [];
  const addRows = (
    label: string,
    keyLabel: string,
    segment: string,
    data: string,
    bt: Map<string, VarBacktest[]>,
  ) => {
    for (const [method, list] of bt) {
      for (const b of list) {
        const lv = levelName(b.alpha), key = `${keyLabel}_${lv.replace(/[.%]/g, "")}`;
        push(`hit_rate_${key}`, method, b.kupiec.rate, segment, data);
        push(`kupiec_p_${key}`, method, b.kupiec.pValue, segment, data, true);
        push(`christoffersen_p_${key}`, method, b.independence.pValue, segment, data, true);
        push(`cc_p_${key}`, method, b.conditionalCoverage.pValue, segment, data, true);
        push(`z2_${key}`, method, b.z2.z2, segment, data);
        push(`z2_p_${key}`, method, b.z2.pValue, segment, data, true);
        rows.push([
          label,
          method + (method === RISK_DEFAULT ? " (default)" : ""),
          lv,
          b.kupiec.n,
          b.kupiec.hits,
          b.kupiec.n * b.alpha,
          fmtP(b.kupiec.pValue),
          fmtP(b.independence.pValue),
          fmtP(b.conditionalCoverage.pValue),
          b.z2.z2,
          fmtP(b.z2.pValue),
        ]);
      }
    }
  };
  const z2Sims = ctx.reduced ? RISK_Z2_SIMS.reduced : RISK_Z2_SIMS.full;
  // ---- index
  let t1 = performance.now();
  const inp = loadVolInputs(ctx.sharedDir);
  const idx = indexRiskRun(inp);
  const idxBt = backtestRun(idx, z2Sims, ctx.seed);
  for (const [k, v] of Object.entries(idx.timings)) timings[`index_${k}`] = v;
  timings.index_ms = performance.now() - t1;
  const idxSeg = `oos-${VOL_OOS.from}..${VOL_OOS.to}`,
    idxData = `${VOL_FILES.rv} + ${VOL_FILES.index} + ${VOL_FILES.vix}`;
  addRows("index", "index", idxSeg, idxData, idxBt);
  ctx.log?.(`risk: index ${idx.to - idx.from} days`);
  // ---- sp500 test segment: per symbol and the equal-weight portfolio
  t1 = performance.now();
  const series = await loadSp500(ctx);
  const segment = `test ${TREND_SEGMENTS.test[0]}..${TREND_SEGMENTS.test[1]}`, data = "sp500-5yr-ohlcv";
  const perMethod = new Map<
    string,
    { hits: number; n: number; rej: number[]; z2: number[]; syms: number }[]
  >();
  const simsStock = 100; // per symbol: p-values to 0.01, enough for a 5% test
  const ew = new Map<string, { sum: number; k: number }>();
  let fitMs = 0, nSym = 0;
  const skipped: string[] = [];
  for (const [sym, s] of series) {
    const r = logRets(s.adjClose.every((v) => v > 0) ? s.adjClose : s.close);
    s.dates.forEach((d, t) => {
      if (!Number.isFinite(r[t])) return;
      const e = ew.get(d) ?? { sum: 0, k: 0 };
      e.sum += Math.expm1(r[t]);
      e.k++;
      ew.set(d, e);
    });
    let run: RiskRun;
    try {
      run = stockRiskRun(sym, s.dates, r);
    } catch {
      skipped.push(sym); // fewer than 100 returns before the test segment
      continue;
    }
    if (run.to <= run.from) {
      skipped.push(sym);
      continue;
    }
    nSym++;
    fitMs += run.timings.fit_gjr_ms;
    for (const [method, list] of backtestRun(run, simsStock, ctx.seed)) {
      const acc = perMethod.get(method) ??
        list.map(() => ({ hits: 0, n: 0, rej: [0, 0, 0, 0], z2: [], syms: 0 }));
      list.forEach((b, k) => {
        const a = acc[k];
        a.hits += b.kupiec.hits;
        a.n += b.kupiec.n;
        a.syms++;
        [b.kupiec.pValue, b.independence.pValue, b.conditionalCoverage.pValue, b.z2.pValue].forEach(
          (p, j) => {
            if (p < 0.05) a.rej[j]++;
          },
        );
        a.z2.push(b.z2.z2);
      });
      perMethod.set(method, acc);
    }
  }
  timings.sp500_fit_gjr_ms = fitMs;
  timings.sp500_symbols_ms = performance.now() - t1;
  const symRows: (string | number)[][] = [];
  for (const [method, acc] of perMethod) {
    acc.forEach((a, k) => {
      const alpha = RISK_ALPHAS[k], lv = levelName(alpha), key = `sp500_symbols_${lv.replace(/[.%]/g, "")}`;
      const share = (j: number) => a.rej[j] / a.syms;
      push(`hit_rate_${key}`, method, a.hits / a.n, segment, data);
      push(`kupiec_reject_share_${key}`, method, share(0), segment, data, false);
      push(`christoffersen_reject_share_${key}`, method, share(1), segment, data, false);
      push(`cc_reject_share_${key}`, method, share(2), segment, data, false);
      push(`z2_reject_share_${key}`, method, share(3), segment, data, false);
      const z2s = a.z2.filter(Number.isFinite).sort((x, y) => x - y);
      symRows.push([
        method + (method === RISK_DEFAULT ? " (default)" : ""),
        lv,
        a.syms,
        a.n,
        a.hits,
        (a.hits / a.n) / alpha,
        share(0),
        share(1),
        share(2),
        z2s[Math.floor(z2s.length / 2)] ?? NaN,
        share(3),
      ]);
    });
  }
  // equal-weight portfolio of the chosen symbols (simple returns averaged, as log returns)
  t1 = performance.now();
  const ewDates = [...ew.keys()].sort();
  const ewRet = Float64Array.from(ewDates, (d) => {
    const e = ew.get(d)!;
    return Math.log1p(e.sum / e.k);
  });
  ewRet[0] = NaN;
  const ewRun = stockRiskRun("equal-weight", ewDates, ewRet);
  const ewBt = backtestRun(ewRun, z2Sims, ctx.seed);
  addRows("sp500 equal-weight", "sp500_ew", segment, data, ewBt);
  timings.sp500_portfolio_ms = performance.now() - t1;
  ctx.log?.(`risk: sp500 ${nSym} symbols, equal-weight ${ewRun.to - ewRun.from} days`);
  // ---- risk in the signals: the sizing stage's VaR limit and drawdown brake on an always-long vol-targeted book
  t1 = performance.now();
  const limitRows: (string | number)[][] = [];
  const bookTickers = new Set(chooseTickers([...series.keys()], REDUCED_TICKERS, ctx.seed));
  const books: [string, string, LongBookPanels][] = [
    [
      "sp500 test",
      segment,
      // the reduced ticker set in every run: an always-long book of all 505 names costs O(505^2) per day in
      // the covariance model, minutes for a demonstration of the sizing options
      longBookPanels(
        new Map([...series].filter(([sym]) => bookTickers.has(sym))),
        TREND_SEGMENTS.train[0],
        TREND_SEGMENTS.test[0],
        TREND_SEGMENTS.test[1],
      ),
    ],
    [
      "^GSPC 2001-2019",
      "2001-01-02..2019-12-31",
      longBookPanels(
        new Map([["^GSPC", await loadIndexSeries(ctx.sharedDir)]]),
        "2000-01-03",
        "2001-01-02",
        "2019-12-31",
      ),
    ],
  ];
  for (const [label, seg, panels] of books) {
    for (const r of riskLimitBacktests(panels)) {
      const m = r.metrics, key = label.startsWith("sp500") ? "sp500" : "index";
      const file = key === "sp500" ? data : VOL_FILES.index;
      push(`limits_sharpe_${key}`, r.name, m.sharpe, seg, file, true);
      push(`limits_max_drawdown_${key}`, r.name, m.maxDrawdown, seg, file, true);
      push(`limits_ann_vol_${key}`, r.name, m.annVol, seg, file, false);
      limitRows.push([
        label,
        r.name,
        m.annReturn,
        m.annVol,
        m.sharpe,
        m.maxDrawdown,
        m.annTurnover,
        r.meanGross,
        r.varBoundDays,
        r.brakeDays,
      ]);
    }
  }
  timings.limits_ms = performance.now() - t1;
  // ---- figures: the default's 99% VaR on the index and the equal-weight portfolio
  const figs = [idx, ewRun].map((run) => {
    const p = run.paths.find((q) => q.method === RISK_DEFAULT)!;
    const x = run.dates.slice(run.from, run.to);
    const r = Array.from(run.returns.subarray(run.from, run.to));
    return lineFigure(`${run.name}: daily return and the ${RISK_DEFAULT} 99% / 97.5% VaR (as -VaR)`, [
      { name: "return", x, y: r },
      { name: "-VaR 99%", x, y: Array.from(p.var_[0].subarray(run.from, run.to), (v) => -v) },
      { name: "-VaR 97.5%", x, y: Array.from(p.var_[1].subarray(run.from, run.to), (v) => -v) },
    ], { yTitle: "log return", yTickFormat: ".1%" });
  });
  const tables: Table[] = [
    {
      columns: [
        "series",
        "method",
        "VaR",
        "days",
        "hits",
        "expected",
        "Kupiec p",
        "Christoffersen p",
        "CC p",
        "Z2",
        "Z2 p",
      ],
      rows,
      caption:
        `One-day VaR/ES backtests. Index: ^GSPC ${VOL_OOS.from}..${VOL_OOS.to} (monthly re-estimation); sp500 equal-weight: ${segment}. Z2 > 0: ES underestimated; its p-value is simulated from each method's predictive distribution (${z2Sims} histories).`,
    },
    {
      columns: [
        "method",
        "VaR",
        "symbols",
        "symbol-days",
        "hits",
        "hit rate / alpha",
        "Kupiec rejects",
        "Christoffersen rejects",
        "CC rejects",
        "median Z2",
        "Z2 rejects",
      ],
      rows: symRows,
      caption:
        `Per symbol, sp500 ${segment} (${nSym} symbols; ${skipped.length} skipped for fewer than 100 returns before the segment${
          skipped.length ? ": " + skipped.slice(0, 10).join(", ") : ""
        }; GJR-GARCH-t fitted on each symbol's returns up to ${
          TREND_SEGMENTS.valid[1]
        }): share of symbols rejected at 5% by each test (about 5% expected by chance; exceedances of different stocks cluster on the same days, so the shares vary more than binomially).`,
    },
  ];
  tables.push({
    columns: [
      "book",
      "sizing-stage risk limit",
      "ann. return",
      "ann. vol",
      "Sharpe",
      "max drawdown",
      "ann. turnover",
      "mean gross",
      "days VaR-capped",
      "days braked",
    ],
    rows: limitRows,
    caption:
      `Risk in the signals: an always-long book (sp500: the ${REDUCED_TICKERS} seeded tickers of the reduced run, in every run), equal weight, 10% ex-ante volatility target (EWMA risk model), traded at the next open with 5 bps per side, with the sizing stage's VaR limit and drawdown brake alone and together. The signals' own portfolio takes the same options (issue 10's sizing stage).`,
  });
  const last = idx.paths.find((p) => p.method === RISK_DEFAULT)!;
  const verdict = (what: string, bt: Map<string, VarBacktest[]>) =>
    bt.get(RISK_DEFAULT)!.map((b) => {
      const rej = [
        b.kupiec.pValue < 0.05 ? "Kupiec" : "",
        b.independence.pValue < 0.05 ? "Christoffersen" : "",
      ]
        .filter(Boolean);
      return `${what} ${levelName(b.alpha)}: Kupiec p ${fmtP(b.kupiec.pValue)}, Christoffersen p ${
        fmtP(b.independence.pValue)
      } -> ${rej.length ? `rejected at 5% by ${rej.join(" and ")}` : "not rejected at 5%"}`;
    }).join("; ");
  const notes = [
    `Default ${RISK_DEFAULT}: ${verdict("index", idxBt)}; ${verdict("sp500 equal-weight", ewBt)}.`,
    `Default method: ${RISK_DEFAULT} (GJR-GARCH(1,1,1) with Student-t innovations and constant mean, by maximum likelihood; one-day filtered historical simulation from the estimation window's standardized residuals), fixed before the backtests were run.`,
    `Index forecasts on the Oxford-Man dates (4 sessions of 2013-2019 are missing there: 2018-07-23, 2019-06-24, 2019-11-18, 2019-12-16; the next row's return spans only its own session). ${
      last.var_[0].subarray(idx.from, idx.to).filter(Number.isFinite).length
    } forecasts per level.`,
    `har-t / har-fhs: ${VOL_OURS} one-day forecast of rv5 times c = sum(rv5)/sum(r^2) (as in section 2), residuals from its pseudo-out-of-sample forecasts since 2002.`,
    "Per-symbol and portfolio models are fitted once at the start of the test segment and filtered through it with fixed parameters (as arch's filtered-historical-simulation example does).",
  ];
  timings.total_ms = performance.now() - t0;
  return withSurvivorshipNote({
    section: "risk",
    title: "6. Risk (VaR and expected shortfall)",
    metrics,
    figures: figs,
    tables,
    notes,
    timings,
  });
}
