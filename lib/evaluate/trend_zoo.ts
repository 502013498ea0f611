/**
 * The trend run measured the way Qlib's model zoo tables are: per model, the daily cross-sectional IC and
 * RankIC of `P(up) - P(down)` (mean and mean/std), the top-k long-only book's excess return over the
 * equal-weight book of the same universe (k = a tenth of the symbols, bought at the next open and held one
 * session: the traded open-to-open return; before and after 5 bps per side), and fit and predict wall time.
 * Also which model family wins on test, next to the model that validation alone would pick.
 * @module
 */
import { topkExcess, type TopkResult } from "../backtest/mod.ts";
import { dailyIc } from "../models/mod.ts";
import type { Table } from "../report/mod.ts";
import type { TrendOutputs, TrendRun } from "./trend.ts";
import type { Metric } from "./types.ts";

/** Cost per side of the net top-k figures (the protocol's backtest cost). */
export const TOPK_COST_BPS = 5;

/**
 * Metric names this view adds per method, with their direction. Fit and predict wall times go to the table
 * and the section's timings, not to the metrics (the CI guard compares metrics with recorded values).
 */
export const ZOO_METRICS: { name: string; higher?: boolean }[] = [
  { name: "topk_excess_ann", higher: true },
  { name: "topk_excess_ir", higher: true },
  { name: "topk_excess_ann_net", higher: true },
  { name: "topk_turnover", higher: false },
];

/** Model families of the trend models (ensembles are their own family). */
export function modelFamily(name: string): string {
  if (name.startsWith("ensemble:")) return "ensemble";
  const f: Record<string, string> = {
    majority: "baseline",
    momentum: "baseline",
    logistic: "linear",
    gbdt: "boosted trees",
    "mlp-tfjs": "MLP",
    lstm: "RNN",
    gru: "RNN",
    tcn: "temporal CNN",
    transformer: "Transformer",
  };
  return f[name.replace(/-ic$/, "")] ?? "other";
}

/** Names held by the top-k book of a run: a tenth of its symbols, at least one. */
export function topkSize(run: TrendRun): number {
  return Math.max(1, Math.round(run.ds.series.size / 10));
}

/** The top-k book of one method's test probabilities. */
export function topkOf(run: TrendRun, probs: Float64Array, costBps = TOPK_COST_BPS): TopkResult {
  const { ds, rows } = run;
  const score = Float64Array.from(rows.test, (_, k) => probs[3 * k + 2] - probs[3 * k]);
  return topkExcess(
    score,
    Float64Array.from(rows.test, (i) => ds.labels.fwdOpenReturn[i]),
    Array.from(rows.test, (i) => ds.date[i]),
    Array.from(rows.test, (i) => ds.symbol[i]),
    { k: topkSize(run), costBps },
  );
}

function icOf(run: TrendRun, rows: Int32Array, probs: Float64Array) {
  const { ds } = run;
  return dailyIc(
    Float64Array.from(rows, (_, k) => probs[3 * k + 2] - probs[3 * k]),
    Float64Array.from(rows, (i) => ds.labels.fwdReturn[i]),
    Array.from(rows, (i) => ds.date[i]),
  );
}

/** The Qlib-style table, its metrics and the family notes of a trend run. */
export function trendZoo(
  run: TrendRun,
  at: { segment: string; data: string; seed: number },
): { metrics: Metric[]; table: Table; notes: string[] } {
  const methods: TrendOutputs[] = [...run.models, ...run.ensembles];
  const metrics: Metric[] = [];
  const rows: (string | number | null)[][] = [];
  const testRankIc = new Map<string, number>();
  for (const m of methods) {
    const ic = icOf(run, run.rows.test, m.testProbs);
    const tk = topkOf(run, m.testProbs);
    const fit = run.timings[`fit:${m.name}`], pred = run.timings[`predict:${m.name}`];
    const v: Record<string, number> = {
      topk_excess_ann: tk.annExcess,
      topk_excess_ir: tk.ir,
      topk_excess_ann_net: tk.annExcessNet,
      topk_turnover: tk.turnover,
    };
    testRankIc.set(m.name, ic.rankIc.mean);
    for (const z of ZOO_METRICS) {
      metrics.push({
        section: "trend",
        name: z.name,
        method: m.name,
        value: v[z.name],
        segment: at.segment,
        data: at.data,
        seed: at.seed,
        higherIsBetter: z.higher,
      });
    }
    rows.push([
      m.name,
      modelFamily(m.name),
      ic.ic.mean,
      ic.ic.ir,
      ic.rankIc.mean,
      ic.rankIc.ir,
      tk.annExcess,
      tk.ir,
      tk.annExcessNet,
      tk.turnover,
      fit === undefined ? null : fit / 1000,
      pred === undefined ? null : pred / 1000,
    ]);
  }
  const k = topkSize(run);
  const table: Table = {
    caption: `Trend, Qlib-style, ${at.segment}: daily IC/RankIC of P(up)-P(down) vs the next-day return; ` +
      `top-${k} long-only excess over the equal-weight universe (open-to-open, annualized mean x 252, IR; ` +
      `net of ${TOPK_COST_BPS} bps per side; turnover = mean daily share of the book replaced, one way); wall ` +
      `time of fit and of predicting validation + test`,
    columns: [
      "method",
      "family",
      "IC",
      "ICIR",
      "RankIC",
      "RankICIR",
      `top${k}_excess_ann`,
      `top${k}_excess_IR`,
      `top${k}_excess_ann_net`,
      "turnover",
      "fit_s",
      "predict_s",
    ],
    rows,
  };
  // the family that wins on test, and the model validation alone would have picked
  const best = new Map<string, [string, number]>();
  for (const m of run.models) {
    const fam = modelFamily(m.name), r = testRankIc.get(m.name)!;
    if (Number.isFinite(r) && (!best.has(fam) || r > best.get(fam)![1])) best.set(fam, [m.name, r]);
  }
  const ranked = [...best].sort((a, b) => b[1][1] - a[1][1]);
  const notes: string[] = [];
  if (ranked.length) {
    notes.push(
      `Families by test RankIC (best model each): ${
        ranked.map(([f, [n, r]]) => `${f} ${r.toFixed(4)} (${n})`).join(", ")
      }.`,
    );
  }
  let pick: [string, number] | null = null;
  for (const m of run.models) {
    if (modelFamily(m.name) === "baseline" || !m.valProbs) continue;
    const r = icOf(run, run.rows.valid, m.valProbs).rankIc.mean;
    if (Number.isFinite(r) && (!pick || r > pick[1])) pick = [m.name, r];
  }
  if (pick) {
    notes.push(
      `Chosen on validation RankIC (no test data): ${pick[0]} (validation ${pick[1].toFixed(4)}, test ${
        testRankIc.get(pick[0])!.toFixed(4)
      }).`,
    );
  }
  return { metrics, table, notes };
}
