/**
 * Section 1 of EVALUATION.md, trend (next-day direction): the point-in-time dataset on `sp500-5yr-ohlcv` with
 * ^GSPC/^VIX market context and the protocol's segments; one fitted system (lib/workflow): the models (majority,
 * 20-day momentum, logistic regression, a tfjs network, gradient-boosted trees, the sequence models) fitted on
 * train's nested windows (`fitTrendModel`: early stopping on the inner slice), the six ensembles fitted on
 * validation; 3-class and up-vs-not-up metrics, daily IC/RankIC/ICIR on test next to a "minus trailing
 * volatility" reference score; and the null check: the same system on a synthetic random walk must be within
 * noise of chance (`|z| < 3`).
 * @module
 */
import type { IsoDate, NewsItem } from "../core/mod.ts";
import {
  type BuiltDataset,
  type ExtraColumn,
  featureColumn,
  labelsOf,
  type MarketInput,
  segmentRows,
  type SegmentSpec,
  type SymbolSeries,
  syntheticMarketContext,
  toSeries,
  TREND_SEGMENTS,
} from "../dataset/mod.ts";
import {
  auc,
  chanceTest,
  dailyIc,
  pearson,
  SEQUENCE_MODEL_NAMES,
  spearman,
  TREND_MODEL_NAMES,
  trendMetrics,
} from "../models/mod.ts";
import { lineFigure, type Table } from "../report/mod.ts";
import { type MarketSource, nullMarket } from "../sources/mod.ts";
import {
  ALWAYS_LONG,
  backtestPredictions,
  BUY_AND_HOLD,
  fitSystem,
  type FittedSystem,
  makeSpec,
  type SpecOverrides,
  systemDataset,
  type SystemPredictions,
  type SystemSpec,
} from "../workflow/mod.ts";
import { DEFAULT_TILT } from "../signals/mod.ts";
import { loadMarket, loadSp500, SP500_DIR, withSurvivorshipNote } from "./data.ts";
import { trendZoo } from "./trend_zoo.ts";
import type { EvalContext, Metric, NullCheck, SectionResult } from "./types.ts";

/** The trend models of the protocol run: every model the pipeline can build. */
export const TREND_MODELS: string[] = [...TREND_MODEL_NAMES];

/** Label horizon the dataset is purged for: the backtest's open-to-open return spans t+1..t+2. */
export const EVAL_LABEL_HORIZON = 2;

/**
 * The system spec of a protocol run: the pipeline's defaults (`config/default.yaml`), every trend model, and
 * the run's seed. `overrides` change it per section or test.
 */
export function evalSpec(models: readonly string[], seed: number, overrides: SpecOverrides = {}): SystemSpec {
  return makeSpec({
    ...overrides,
    experts: { ...(overrides.experts as object), trend: [...models] },
    seed,
  });
}

/** Inputs of {@link runTrend}. */
export interface TrendRunInput {
  series: Map<string, SymbolSeries>;
  market?: MarketInput;
  news?: readonly NewsItem[];
  /** Extra as-of feature columns (e.g. a planted leak in tests). */
  extras?: readonly ExtraColumn[];
  segments: SegmentSpec;
  models: readonly string[];
  seed: number;
  /** Spec changes on top of {@link evalSpec}. */
  spec?: SpecOverrides;
  log?: (s: string) => void;
}

/** One model's (or ensemble's) test probabilities. */
export interface TrendOutputs {
  name: string;
  testProbs: Float64Array;
  /**
   * Probabilities on the validation segment (base models only): the system's calibration window, which the
   * base models never saw; the ensembles were fitted on it, so they have none.
   */
  valProbs?: Float64Array;
}

/** What {@link runTrend} produces: the fitted system, its dataset and its test predictions. */
export interface TrendRun {
  ds: BuiltDataset;
  rows: { train: Int32Array; valid: Int32Array; test: Int32Array };
  /** The fitted system (lib/workflow) every number of the run comes from. */
  system: FittedSystem;
  /** The system's predictions on the test rows. */
  test: SystemPredictions;
  models: TrendOutputs[];
  ensembles: TrendOutputs[];
  tfBackend: string;
  /** ms per step. */
  timings: Record<string, number>;
}

/**
 * Builds the dataset and fits the system on it (lib/workflow: base models on train less the inner slice, the
 * ensembles and the gate on validation), then predicts the test rows.
 */
export async function runTrend(x: TrendRunInput): Promise<TrendRun> {
  const timings: Record<string, number> = {};
  const log = x.log ?? (() => {});
  const spec = evalSpec(x.models, x.seed, x.spec);
  let t0 = performance.now();
  const ds = systemDataset(
    spec,
    { series: x.series, market: x.market, news: x.news, extras: x.extras },
    x.segments,
  );
  timings["dataset"] = performance.now() - t0;
  const rows = segmentRows(ds);
  log(
    `dataset ${ds.n} rows x ${ds.featureNames.length} features (train/valid/test ${rows.train.length}/` +
      `${rows.valid.length}/${rows.test.length}) in ${timings["dataset"].toFixed(0)} ms`,
  );
  t0 = performance.now();
  const system = await fitSystem(spec, ds, { log });
  timings["fit"] = performance.now() - t0;
  t0 = performance.now();
  const test = await system.predictRows(ds, rows.test, { timings });
  timings["predict"] = performance.now() - t0;
  const valid = new Map(
    (await system.predictModels(ds, rows.valid, { timings })).map((m) => [m.name, m.probs]),
  );
  return {
    ds,
    rows,
    system,
    test,
    models: test.models.map((m) => ({ name: m.name, testProbs: m.probs, valProbs: valid.get(m.name) })),
    ensembles: test.ensembles.map((e) => ({ name: `ensemble:${e.name}`, testProbs: e.probs })),
    tfBackend: system.tfBackend,
    timings: { ...timings, ...Object.fromEntries(Object.entries(system.timings)) },
  };
}

/** Bars of a market source as series (all its symbols over `[from, to]`). */
export async function seriesFromSource(
  src: MarketSource & { symbols?: readonly string[] },
  from: IsoDate,
  to: IsoDate,
): Promise<Map<string, SymbolSeries>> {
  const symbols = src.symbols ? [...src.symbols] : (await src.listSymbols?.()) ?? [];
  const bars = await src.bars({ symbols, from, to });
  const out = new Map<string, SymbolSeries>();
  for (const s of [...bars.keys()].sort()) if (bars.get(s)!.length) out.set(s, toSeries(bars.get(s)!));
  return out;
}

/** Sessions from the first train day to the last test day of the protocol (the null market's length). */
export const NULL_SESSIONS = 1259;

/** The null market's series: a zero-drift random walk over the protocol's dates, with its own market context. */
export async function nullMarketInput(
  seed: number,
  symbols: number,
): Promise<{ series: Map<string, SymbolSeries>; market: MarketInput }> {
  const src = nullMarket(seed, { symbols, start: TREND_SEGMENTS.train[0], sessions: NULL_SESSIONS });
  const series = await seriesFromSource(src, src.dates[0], src.dates[src.dates.length - 1]);
  return { series, market: syntheticMarketContext(series) };
}

/** Up-vs-not-up view: accuracy, balanced accuracy and binary log loss of `P(up)`. */
export function upViewMetrics(
  probs: Float64Array,
  labels: ArrayLike<number>,
): { accuracy: number; balancedAccuracy: number; logLoss: number } {
  let n = 0, ok = 0, tp = 0, pos = 0, tn = 0, neg = 0, ll = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] < 0) continue;
    n++;
    const p = Math.min(1 - 1e-15, Math.max(1e-15, probs[3 * i + 2]));
    const y = labels[i] === 2, yhat = probs[3 * i + 2] > 0.5;
    if (y === yhat) ok++;
    if (y) {
      pos++;
      if (yhat) tp++;
      ll -= Math.log(p);
    } else {
      neg++;
      if (!yhat) tn++;
      ll -= Math.log(1 - p);
    }
  }
  const parts = [pos ? tp / pos : NaN, neg ? tn / neg : NaN].filter(Number.isFinite);
  return {
    accuracy: n ? ok / n : NaN,
    balancedAccuracy: parts.length ? parts.reduce((a, b) => a + b, 0) / parts.length : NaN,
    logLoss: n ? ll / n : NaN,
  };
}

/** Daily IC and RankIC of `P(up) - P(down)` vs the next-day return, per test day (ascending). */
export function dailyIcSeries(
  probs: Float64Array,
  ret: ArrayLike<number>,
  dates: readonly IsoDate[],
): { dates: IsoDate[]; ic: Float64Array; rankIc: Float64Array } {
  const byDay = new Map<IsoDate, number[]>();
  for (let i = 0; i < dates.length; i++) {
    if (!Number.isFinite(ret[i])) continue;
    let a = byDay.get(dates[i]);
    if (!a) byDay.set(dates[i], a = []);
    a.push(i);
  }
  const days = [...byDay.keys()].sort().filter((d) => byDay.get(d)!.length >= 3);
  const ic = new Float64Array(days.length), rankIc = new Float64Array(days.length);
  days.forEach((d, k) => {
    const idx = byDay.get(d)!;
    const s = idx.map((i) => probs[3 * i + 2] - probs[3 * i]), r = idx.map((i) => ret[i]);
    ic[k] = pearson(s, r);
    rankIc[k] = spearman(s, r);
  });
  return { dates: days, ic, rankIc };
}

/** Mean of the finite values per calendar month (`YYYY-MM`). */
export function monthlyMean(dates: readonly IsoDate[], v: ArrayLike<number>): { x: string[]; y: number[] } {
  const m = new Map<string, [number, number]>();
  for (let i = 0; i < dates.length; i++) {
    if (!Number.isFinite(v[i])) continue;
    const k = dates[i].slice(0, 7), e = m.get(k) ?? [0, 0];
    m.set(k, [e[0] + v[i], e[1] + 1]);
  }
  const x = [...m.keys()].sort();
  return { x, y: x.map((k) => m.get(k)![0] / m.get(k)![1]) };
}

/** Metric names of one trend method, in table order. */
export const TREND_METRIC_NAMES = [
  "accuracy",
  "balanced_accuracy",
  "log_loss",
  "up_accuracy",
  "up_balanced_accuracy",
  "up_log_loss",
  "auc_up",
  "ic_mean",
  "ic_ir",
  "rank_ic_mean",
  "rank_ic_ir",
  "chance_z",
] as const;

const HIGHER: Record<string, boolean | undefined> = {
  accuracy: true,
  balanced_accuracy: true,
  log_loss: false,
  up_accuracy: true,
  up_balanced_accuracy: true,
  up_log_loss: false,
  auc_up: true,
  ic_mean: true,
  ic_ir: true,
  rank_ic_mean: true,
  rank_ic_ir: true,
  chance_z: true,
};

/** The test metrics of one method's probabilities, by metric name. */
export function trendTestMetrics(run: TrendRun, probs: Float64Array): Record<string, number> {
  const { ds, rows } = run;
  const labels = labelsOf(ds, rows.test);
  const ret = Float64Array.from(rows.test, (i) => ds.labels.fwdReturn[i]);
  const dates = Array.from(rows.test, (i) => ds.date[i]);
  const tm = trendMetrics(probs, labels, ret, dates);
  const up = upViewMetrics(probs, labels);
  return {
    accuracy: tm.accuracy,
    balanced_accuracy: tm.balancedAccuracy,
    log_loss: tm.logLoss,
    up_accuracy: up.accuracy,
    up_balanced_accuracy: up.balancedAccuracy,
    up_log_loss: up.logLoss,
    auc_up: tm.auc,
    ic_mean: tm.ic.mean,
    ic_ir: tm.ic.ir,
    rank_ic_mean: tm.rankIc.mean,
    rank_ic_ir: tm.rankIc.ir,
    chance_z: chanceTest(probs, labels, dates).z,
  };
}

/** Method name of the "minus trailing volatility" reference score in the trend table. */
export const MINUS_VOL_REFERENCE = "reference:minus_vol_20";

/**
 * Metrics of the "minus trailing volatility" reference score `-vol_20` on the test rows: up-vs-rest AUC and daily
 * IC/RankIC (the class metrics do not apply to a score). The neutral band is `0.25 * sigma20(t)`: where the
 * trailing volatility is high the band is wide, so the next move is more often "neutral" and less often "up".
 * A score with no view of direction therefore gets an up-vs-rest AUC above 0.5. A model's AUC means something
 * only next to this row; IC/RankIC does not have the problem.
 */
export function minusVolReferenceMetrics(run: Pick<TrendRun, "ds" | "rows">): Record<string, number> {
  const { ds, rows } = run;
  const labels = labelsOf(ds, rows.test);
  const score = featureColumn(ds, rows.test, "vol_20").map((v) => -v);
  const ret = Float64Array.from(rows.test, (i) => ds.labels.fwdReturn[i]);
  const dates = Array.from(rows.test, (i) => ds.date[i]);
  const s: number[] = [], up: boolean[] = [];
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= 0 && Number.isFinite(score[i])) {
      s.push(score[i]);
      up.push(labels[i] === 2);
    }
  }
  const { ic, rankIc } = dailyIc(score, ret, dates);
  return {
    auc_up: auc(s, up),
    ic_mean: ic.mean,
    ic_ir: ic.ir,
    rank_ic_mean: rankIc.mean,
    rank_ic_ir: rankIc.ir,
  };
}

/** Day-clustered z of test accuracy vs chance, per method (models and ensembles) of a run. */
export function chanceZ(run: TrendRun): Map<string, number> {
  const labels = labelsOf(run.ds, run.rows.test);
  const dates = Array.from(run.rows.test, (i) => run.ds.date[i]);
  return new Map(
    [...run.models, ...run.ensembles].map((m) => [m.name, chanceTest(m.testProbs, labels, dates).z]),
  );
}

/** The null check's bound on `|z|`. */
export const NULL_Z_BOUND = 3;

/** The row of the mixture's edges through the tilt book (see {@link evalMoeBooks}). */
export const TILT_MOE = "moe (tilt 1)";

/**
 * The mixture's other books the signals section shows beside the spec's (and null-checks): the tilt book, equal
 * weight leaned one-for-one on the edges' z-scores (`portfolio.method: tilt`, `tilt: 1`, the method's default,
 * fixed before any run read its test numbers), with the spec's volatility target and limits.
 */
export function evalMoeBooks(spec: SystemSpec): Record<string, SystemSpec["portfolio"]> {
  return { [TILT_MOE]: { ...spec.portfolio, method: "tilt", tilt: DEFAULT_TILT } };
}

const memo = new Map<string, Promise<TrendRun>>();

function segmentLabel(s: SegmentSpec): string {
  return `test ${s.test[0]}..${s.test[1]}`;
}

/**
 * The real-data trend run of a context (sp500 tickers of the context, ^GSPC/^VIX context, protocol segments,
 * {@link TREND_MODELS}), memoized per (data dir, seed, tickers) so the signals section reuses it.
 */
export function trendRunFor(ctx: EvalContext): Promise<TrendRun> {
  const key = JSON.stringify([ctx.sharedDir, ctx.seed, ctx.reduced, ctx.tickers ?? null]);
  let p = memo.get(key);
  if (!p) {
    p = (async () => {
      const t0 = performance.now();
      const [series, market] = await Promise.all([loadSp500(ctx), loadMarket(ctx.sharedDir)]);
      const loadMs = performance.now() - t0;
      ctx.log?.(`trend: ${series.size} tickers loaded in ${loadMs.toFixed(0)} ms`);
      const run = await runTrend({
        series,
        market,
        segments: TREND_SEGMENTS,
        models: TREND_MODELS,
        seed: ctx.seed,
        log: ctx.log,
      });
      run.timings = { load: loadMs, ...run.timings };
      return run;
    })();
    memo.set(key, p);
    p.catch(() => memo.delete(key));
  }
  return p;
}

const nullMemo = new Map<string, Promise<NullCheck>>();

/**
 * The null check of a context: the same system (every model, the ensembles, the gate) fitted, predicted and
 * traded on a zero-drift random walk over the protocol's dates, reduced to its z-scores; memoized so the trend
 * and signals sections share one null run. `realTickers`: the real run's tickers ({@link nullSymbols}).
 */
export function nullCheckFor(ctx: EvalContext, realTickers: number): Promise<NullCheck> {
  const symbols = nullSymbols(ctx, realTickers);
  const key = JSON.stringify([ctx.seed, symbols]);
  let p = nullMemo.get(key);
  if (!p) {
    p = (async () => {
      const t0 = performance.now();
      const input = await nullMarketInput(ctx.seed, symbols);
      const run = await runTrend({
        ...input,
        segments: TREND_SEGMENTS,
        models: TREND_MODELS,
        seed: ctx.seed,
      });
      const signalsZ: [string, number][] = [];
      const spec = run.system.spec;
      for (
        const [method, r] of backtestPredictions(run.ds, run.test, spec, { moeBooks: evalMoeBooks(spec) })
      ) {
        if (method !== BUY_AND_HOLD && method !== ALWAYS_LONG) signalsZ.push([method, meanZ(r.gross)]);
      }
      return { symbols: input.series.size, trendZ: [...chanceZ(run)], signalsZ, ms: performance.now() - t0 };
    })();
    nullMemo.set(key, p);
    p.catch(() => nullMemo.delete(key));
  }
  return p;
}

/**
 * The null check a section reports: the one computed beside this thread (`ctx.nullCheck`) when it is of this
 * run's null market, else {@link nullCheckFor} here. Returns it with the ms this thread waited for it.
 */
export async function nullCheckOf(
  ctx: EvalContext,
  realTickers: number,
): Promise<{ check: NullCheck; waitMs: number }> {
  const t0 = performance.now();
  const want = nullSymbols(ctx, realTickers);
  let check = ctx.nullCheck ? await ctx.nullCheck : null;
  if (check && check.symbols !== want) {
    ctx.log?.(
      `null check: the one computed beside has ${check.symbols} symbols, this run needs ${want}; running it here`,
    );
    check = null;
  }
  check ??= await nullCheckFor(ctx, realTickers);
  return { check, waitMs: performance.now() - t0 };
}

/** What the null check ran on, as the scoreboard's `data` of its metrics. */
export function nullCheckData(seed: number, check: NullCheck): string {
  return `synthetic nullMarket(seed ${seed}, ${check.symbols} symbols, ${NULL_SESSIONS} sessions)`;
}

/** Day-clustered z of the mean of a daily series (finite values): mean / (sd / sqrt(n)). */
export function meanZ(r: ArrayLike<number>): number {
  const v = Array.prototype.filter.call(r, Number.isFinite) as number[];
  const n = v.length;
  if (n < 2) return NaN;
  const m = v.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1));
  return sd > 0 ? m / (sd / Math.sqrt(n)) : 0;
}

/** Number of symbols of the null market: the context's tickers, capped (a full null run adds little). */
export function nullSymbols(ctx: EvalContext, realTickers: number): number {
  return Math.max(10, Math.min(realTickers, ctx.reduced ? 40 : 100));
}

/** Section 1: trend. */
export async function trendSection(ctx: EvalContext): Promise<SectionResult> {
  const run = await trendRunFor(ctx);
  const seg = segmentLabel(run.ds.segments);
  const data = `${SP500_DIR}/all_stocks_5yr.csv.gz (${run.ds.series.size} tickers) + ` +
    `us-index-etf-daily-yahoo/{INDEX_GSPC,INDEX_VIX}.csv`;
  const metrics: Metric[] = [];
  const methods = [...run.models, ...run.ensembles];
  const rowsByMethod = new Map<string, Record<string, number>>();
  for (const m of methods) {
    const r = trendTestMetrics(run, m.testProbs);
    rowsByMethod.set(m.name, r);
    for (const name of TREND_METRIC_NAMES) {
      metrics.push({
        section: "trend",
        name,
        method: m.name,
        value: r[name],
        segment: seg,
        data,
        seed: ctx.seed,
        higherIsBetter: HIGHER[name],
      });
    }
  }

  const ref = minusVolReferenceMetrics(run);
  for (const [name, value] of Object.entries(ref)) {
    metrics.push({
      section: "trend",
      name,
      method: MINUS_VOL_REFERENCE,
      value,
      segment: seg,
      data,
      seed: ctx.seed,
      higherIsBetter: HIGHER[name],
    });
  }

  // Null check: the same pipeline on a synthetic zero-drift random walk over the same dates.
  const { check, waitMs } = await nullCheckOf(ctx, run.ds.series.size);
  const zs = new Map(check.trendZ);
  const notes: string[] = [];
  const failed: string[] = [];
  const nullData = nullCheckData(ctx.seed, check);
  for (const [name, z] of zs) {
    metrics.push({
      section: "trend",
      name: "null_check_z",
      method: name,
      value: z,
      segment: seg,
      data: nullData,
      seed: ctx.seed,
    });
    if (!(Math.abs(z) < NULL_Z_BOUND)) failed.push(`${name} (z ${z.toFixed(2)})`);
  }
  notes.push(
    failed.length === 0
      ? `null check PASS: on ${nullData} every method's test accuracy is within noise of chance ` +
        `(|z| < ${NULL_Z_BOUND}; max |z| ${Math.max(...[...zs.values()].map(Math.abs)).toFixed(2)}).`
      : `null check FAIL: above/below chance on a random walk (leakage?): ${failed.join(", ")}.`,
  );
  notes.push(
    `Dataset: ${run.ds.n} rows x ${run.ds.featureNames.length} features (${run.ds.featureSet.name}@` +
      `${run.ds.featureSet.version}); rows train/valid/test ${run.rows.train.length}/${run.rows.valid.length}/` +
      `${run.rows.test.length}; tfjs backend ${run.tfBackend}.`,
  );
  const w = run.system.windows, spec = run.system.spec;
  // which rows each base model saw: lib/models fitTrendModel and lib/workflow fitSystem
  const trendNames = spec.experts.trend;
  const seqNames = trendNames.filter((m) => SEQUENCE_MODEL_NAMES.includes(m));
  const stopNames: string[] = trendNames.filter((m) => m === "mlp-tfjs" || m === "gbdt");
  const plainNames = trendNames.filter((m) => !seqNames.includes(m) && !stopNames.includes(m));
  const fitInner = `${w.fit.join("..")} + ${w.inner?.join("..") ?? ""}`;
  notes.push(
    w.inner
      ? `Nested windows (fit ${w.fit.join("..")}, inner slice ${w.inner.join("..")}): ` +
        [
          plainNames.length ? `${plainNames.join(", ")} fit on fit + inner (${fitInner})` : "",
          stopNames.length
            ? `${
              stopNames.join(", ")
            } fit on fit, early-stop on the inner slice, then are refitted on fit + inner ` +
              `with the epochs/rounds chosen there`
            : "",
          seqNames.length
            ? `the sequence models (${seqNames.join(", ")}) fit on fit and early-stop on the inner slice, ` +
              `with no refit`
            : "",
          "GARCH(1,1) fits on fit + inner",
          spec.experts.use.includes("level")
            ? "the level expert's bounce model learns from touches whose outcome was known by the end of train"
            : "",
        ].filter(Boolean).join("; ") +
        `. The six ensembles and the gate fit on the calibration window ${w.calibration.join("..")}, which ` +
        `the base models never saw; the test is untouched.`
      : `Nested windows: no inner slice, so every base model and GARCH(1,1) fit on ${
        w.fit.join("..")
      } with ` +
        `their own defaults; the six ensembles and the gate fit on the calibration window ` +
        `${w.calibration.join("..")}, which the base models never saw; the test is untouched.`,
  );
  notes.push(
    `Up-vs-rest AUC is inflated by the neutral band (it scales with sigma20): the score "minus trailing ` +
      `volatility" (${MINUS_VOL_REFERENCE}), which has no view of direction, gets AUC ${
        ref.auc_up.toFixed(3)
      } here. Read a model's AUC against that row; IC/RankIC (ICIR = mean/std of the daily IC) have no such bias.`,
  );

  const cols = ["method", ...TREND_METRIC_NAMES, "null_check_z"];
  const table: Table = {
    caption: `Trend, ${seg} (3-class: accuracy..log_loss; up-vs-not-up: up_*, auc_up; IC of P(up)-P(down))`,
    columns: cols,
    rows: [
      ...methods.map((m) => {
        const r = rowsByMethod.get(m.name)!;
        return [m.name, ...TREND_METRIC_NAMES.map((k) => r[k]), zs.get(m.name) ?? null];
      }),
      [MINUS_VOL_REFERENCE, ...TREND_METRIC_NAMES.map((k) => ref[k] ?? null), null],
    ],
  };

  const zoo = trendZoo(run, { segment: seg, data, seed: ctx.seed });
  metrics.push(...zoo.metrics);
  notes.push(...zoo.notes);

  const ret = Float64Array.from(run.rows.test, (i) => run.ds.labels.fwdReturn[i]);
  const dates = Array.from(run.rows.test, (i) => run.ds.date[i]);
  const figMethods = [
    ...run.models.filter((m) => m.name !== "majority"),
    ...run.ensembles.filter((e) => e.name === "ensemble:soft" || e.name === "ensemble:stacking"),
  ];
  const series = figMethods.map((m) => ({ name: m.name, ...dailyIcSeries(m.testProbs, ret, dates) }));
  const figures = [
    lineFigure(
      "Trend: RankIC by month (test)",
      series.map((s) => {
        const mm = monthlyMean(s.dates, s.rankIc);
        return { name: s.name, x: mm.x, y: mm.y };
      }),
      { yTitle: "mean daily RankIC" },
    ),
    lineFigure(
      "Trend: cumulative daily RankIC (test)",
      series.map((s) => {
        let c = 0;
        return { name: s.name, x: s.dates, y: s.rankIc.map((v) => (c += Number.isFinite(v) ? v : 0)) };
      }),
      { yTitle: "sum of daily RankIC" },
    ),
  ];
  return withSurvivorshipNote({
    section: "trend",
    title: "1. Trend (next-day direction)",
    metrics,
    figures,
    tables: [table, zoo.table],
    notes,
    timings: { ...run.timings, null_check: waitMs, null_check_run: check.ms },
  });
}
