/**
 * Section 5 of EVALUATION.md, signals and backtest: the mixture of experts (trend = soft vote of the trend
 * models, level = swing support/resistance, volatility = GARCH(1,1)) with its gate fitted on validation, traded
 * on the trend test segment (decided at the close, filled at the next open, 5 bps per side), next to
 * equal-weight buy-and-hold, each single expert, each of the six ensembles and each single trend model.
 * @module
 */
import type { BacktestResult } from "../backtest/mod.ts";
import { Garch11Model, SwingLevelModel } from "../models/mod.ts";
import { lineFigure, type Table } from "../report/mod.ts";
import type { SizingOptions } from "../signals/mod.ts";
import {
  backtestStrategies,
  fitMoe,
  levelColumns,
  probsStrategy,
  scoredStrategy,
  type Strategy,
} from "./blocks.ts";
import { SP500_DIR } from "./data.ts";
import { type TrendRun, trendRunFor } from "./trend.ts";
import type { EvalContext, Metric, SectionResult } from "./types.ts";

/** Sizing of the protocol run (the pipeline's default configuration). */
export const EVAL_SIZING: SizingOptions = {
  threshold: 0.25,
  targetVol: 0.15,
  maxPosition: 1,
  longOnly: false,
};
/** Cost per side in basis points. */
export const EVAL_COST_BPS = 5;

/** Backtest metric names, in table order, with their direction. */
export const SIGNAL_METRICS: { name: string; key: keyof BacktestResult["metrics"]; higher?: boolean }[] = [
  { name: "ann_return", key: "annReturn", higher: true },
  { name: "ann_vol", key: "annVol" },
  { name: "sharpe", key: "sharpe", higher: true },
  { name: "sortino", key: "sortino", higher: true },
  { name: "max_drawdown", key: "maxDrawdown", higher: true },
  { name: "turnover", key: "turnover", higher: false },
  { name: "hit_rate", key: "hitRate", higher: true },
  { name: "exposure", key: "exposure" },
];

/** Every strategy's backtest on the test rows of a trend run, with step timings. */
export async function runSignals(
  run: TrendRun,
  opts: { sizing?: SizingOptions; costBps?: number } = {},
): Promise<{ results: Map<string, BacktestResult>; timings: Record<string, number>; gateMean: number[] }> {
  const { ds, rows } = run;
  const timings: Record<string, number> = {};
  let t0 = performance.now();
  const garch = new Garch11Model();
  await garch.fit(ds, rows.train);
  const forecastVar = {
    valid: await garch.predict(ds, rows.valid, 1),
    test: await garch.predict(ds, rows.test, 1),
  };
  timings["fit+predict:garch11"] = performance.now() - t0;
  t0 = performance.now();
  const lm = new SwingLevelModel();
  const levels = { valid: levelColumns(ds, rows.valid, lm), test: levelColumns(ds, rows.test, lm) };
  timings["levels:swing"] = performance.now() - t0;
  t0 = performance.now();
  const moe = fitMoe(ds, {
    rows,
    trendProbs: { valid: run.models.map((m) => m.valProbs), test: run.models.map((m) => m.testProbs) },
    levels,
    forecastVar,
  });
  timings["fit+predict:moe"] = performance.now() - t0;
  const experts = moe.inputs.test.expertScores;
  const strategies: Strategy[] = [
    scoredStrategy("moe", moe.test.score, moe.valid.score),
    ...moe.test.expertNames.map((n, k) =>
      scoredStrategy(`expert:${n}`, experts[k], moe.inputs.valid.expertScores[k])
    ),
    ...run.ensembles.map((e) => probsStrategy(e.name, e.testProbs, e.valProbs)),
    ...run.models.map((m) => probsStrategy(`model:${m.name}`, m.testProbs, m.valProbs)),
  ];
  t0 = performance.now();
  const results = backtestStrategies(ds, rows.test, strategies, forecastVar.test, {
    sizing: opts.sizing ?? EVAL_SIZING,
    costBps: opts.costBps ?? EVAL_COST_BPS,
  });
  timings["backtest"] = performance.now() - t0;
  const K = moe.test.expertNames.length, n = moe.test.n;
  const gateMean = Array.from({ length: K }, (_, k) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += moe.test.gates[i * K + k];
    return n ? s / n : NaN;
  });
  return { results, timings, gateMean };
}

/** Section 5: signals and backtest. */
export async function signalsSection(ctx: EvalContext): Promise<SectionResult> {
  const run = await trendRunFor(ctx);
  const { results, timings, gateMean } = await runSignals(run);
  const seg = `test ${run.ds.segments.test[0]}..${run.ds.segments.test[1]}`;
  const data = `${SP500_DIR}/all_stocks_5yr.csv.gz (${run.ds.series.size} tickers)`;
  const metrics: Metric[] = [];
  const names = [...results.keys()];
  for (const [method, r] of results) {
    for (const m of SIGNAL_METRICS) {
      metrics.push({
        section: "signals",
        name: m.name,
        method,
        value: r.metrics[m.key],
        segment: seg,
        data,
        seed: ctx.seed,
        higherIsBetter: m.higher,
      });
    }
  }
  const table: Table = {
    caption: `Backtest, ${seg}: next-open fills, ${EVAL_COST_BPS} bps per side, volatility-targeted sizes ` +
      `(target ${EVAL_SIZING.targetVol}, dead band ${EVAL_SIZING.threshold}); turnover = mean daily one-way.`,
    columns: ["method", ...SIGNAL_METRICS.map((m) => m.name)],
    rows: names.map((n) => [n, ...SIGNAL_METRICS.map((m) => results.get(n)!.metrics[m.key])]),
  };
  const figNames = names.filter((n) => !n.startsWith("model:"));
  const figures = [
    lineFigure(
      "Cumulative return of each method (test, net of costs)",
      figNames.map((n) => {
        const r = results.get(n)!;
        return { name: n, x: [...r.dates], y: r.equity.map((e) => e - 1) };
      }),
      { yTitle: "cumulative return", yTickFormat: ".0%" },
    ),
  ];
  const moeR = results.get("moe")!.metrics, bh = results.get("buy-and-hold")!.metrics;
  const notes = [
    `MoE Sharpe ${moeR.sharpe.toFixed(2)} vs equal-weight buy-and-hold ${bh.sharpe.toFixed(2)} ` +
    `(ann. return ${(moeR.annReturn * 100).toFixed(1)}% vs ${(bh.annReturn * 100).toFixed(1)}%).`,
    `Mean gate weights on test (trend, level, volatility): ${gateMean.map((g) => g.toFixed(3)).join(", ")}.`,
    `Experts are traded standalone through the same sizing; "model:*" rows are the single trend models.`,
  ];
  return {
    section: "signals",
    title: "5. Signals and backtest",
    metrics,
    figures,
    tables: [table],
    notes,
    timings,
  };
}
