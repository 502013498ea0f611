/**
 * Section 5 of EVALUATION.md, signals and backtest: the fitted system of the trend run (lib/workflow) traded on
 * the trend test segment (decided at the close, filled at the next open, 5 bps per side): the mixture of experts
 * next to each single expert, each of the six ensembles, each single trend model, always long at the volatility
 * target, and equal-weight buy-and-hold.
 * @module
 */
import type { BacktestResult } from "../backtest/mod.ts";
import { lineFigure, type Table } from "../report/mod.ts";
import type { SizingOptions } from "../signals/mod.ts";
import { backtestPredictions, BUY_AND_HOLD, DEFAULT_SPEC } from "../workflow/mod.ts";
import { SP500_DIR } from "./data.ts";
import { type TrendRun, trendRunFor } from "./trend.ts";
import type { EvalContext, Metric, SectionResult } from "./types.ts";

/** Sizing of the protocol run (the pipeline's default configuration). */
export const EVAL_SIZING: SizingOptions = { ...DEFAULT_SPEC.sizing };
/** Cost per side in basis points. */
export const EVAL_COST_BPS = DEFAULT_SPEC.costs.costBps;

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

/**
 * Every strategy's backtest on the test rows of a run's fitted system (the mixture of experts, each expert, each
 * ensemble, each base model, always-long vol-targeted, buy-and-hold), with the mean gate weight per expert.
 */
export function runSignals(
  run: TrendRun,
  opts: { sizing?: SizingOptions; costBps?: number } = {},
): { results: Map<string, BacktestResult>; timings: Record<string, number>; gateMean: number[] } {
  const t0 = performance.now();
  const results = backtestPredictions(run.ds, run.test, {
    sizing: opts.sizing ?? EVAL_SIZING,
    costBps: opts.costBps ?? EVAL_COST_BPS,
  });
  const timings = { backtest: performance.now() - t0 };
  const K = run.test.gate.names.length, n = run.test.rows.length;
  const gateMean = Array.from({ length: K }, (_, k) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += run.test.gate.weights[i * K + k];
    return n ? s / n : NaN;
  });
  return { results, timings, gateMean };
}

/** Section 5: signals and backtest. */
export async function signalsSection(ctx: EvalContext): Promise<SectionResult> {
  const run = await trendRunFor(ctx);
  const { results, timings, gateMean } = runSignals(run);
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
  const moeR = results.get("moe")!.metrics, bh = results.get(BUY_AND_HOLD)!.metrics;
  const notes = [
    `MoE Sharpe ${moeR.sharpe.toFixed(2)} vs equal-weight buy-and-hold ${bh.sharpe.toFixed(2)} ` +
    `(ann. return ${(moeR.annReturn * 100).toFixed(1)}% vs ${(bh.annReturn * 100).toFixed(1)}%).`,
    `Mean gate weights on test (${run.test.gate.names.join(", ")}): ${
      gateMean.map((g) => g.toFixed(3)).join(", ")
    }.`,
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
