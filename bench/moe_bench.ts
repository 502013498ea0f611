/**
 * Mixture-of-experts and portfolio benchmark (not a timed test):
 * 1. the regime gate fitted on about 100,000 rows (a planted-regime synthetic market, 100 tickers x ~1,000
 *    decision days; 3 experts): expert calibration, out-of-fold edges, the gate (EM specialists + TensorFlow.js
 *    fit with early stopping), prediction;
 * 2. portfolio construction on the real `sp500-5yr-ohlcv` panel, 505 symbols x 300 decision days (plus 60 warm-up
 *    days for the covariance), for each method and both covariance estimators, and the weights backtest with
 *    square-root impact costs.
 * Prints a table and writes bench/results/moe-<date>.json. Run: `deno task bench:moe [--runs 3]`.
 * @module
 */
import { fileURLToPath } from "node:url";
import { writeFileSync } from "node:fs";
import { normalRng } from "@lib/core/mod.ts";
import { loadAllSp500 } from "@lib/evaluate/mod.ts";
import { ewmaVariance, initTensorflow } from "@lib/models/mod.ts";
import {
  crossFitEdges,
  ExpertCalibration,
  expertReliability,
  RegimeGate,
  regimeRows,
  withColumns,
} from "@lib/moe/mod.ts";
import { constructPortfolio, type PortfolioOptions } from "@lib/signals/mod.ts";
import { intFlag, toolArgs, toolCheck } from "../scripts/_args.ts";
import { backtestWeights } from "@lib/backtest/mod.ts";
import { SHARED_DATA as SHARED } from "../scripts/_bench.ts";

const { values } = toolArgs("bench:moe", { runs: { type: "string", default: "3" } });
const runs = toolCheck(() => intFlag("runs", values.runs));
const rows: { step: string; size: string; medianMs: number; minMs: number }[] = [];

async function time(step: string, size: string, f: () => unknown | Promise<unknown>): Promise<void> {
  const ts: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    await f();
    ts.push(performance.now() - t);
  }
  ts.sort((a, b) => a - b);
  rows.push({ step, size, medianMs: ts[Math.floor(ts.length / 2)], minMs: ts[0] });
  console.log(
    `${step.padEnd(44)} ${size.padEnd(26)} median ${ts[Math.floor(ts.length / 2)].toFixed(0).padStart(7)} ms`,
  );
}

// ---------------------------------------------------------------------------------------------- gate, ~100k rows
const backend = (await initTensorflow()).backend;
const x = await regimeRows(3, { symbols: 100, sessions: 1100 });
const { z, raw, conditions: base } = x, rd = x.rowDay, T = x.days, n = z.length;
const names = ["market", "momentum", "reversal"];
console.log(`gate: ${n} rows, ${T - 72} days, backend ${backend}`);
let cal!: ExpertCalibration;
await time(
  "expert calibration (3 experts)",
  `${n} rows`,
  () => (cal = new ExpertCalibration(names).fit(raw, z)),
);
let oof!: Float64Array[];
await time("out-of-fold edges (5 folds)", `${n} rows`, () => (oof = crossFitEdges(names, raw, z, rd)));
const edges = cal.edges(raw);
const cond = withColumns(base, names.map((x) => `rel_${x}`), expertReliability(rd, edges, z, T));
let gate!: RegimeGate;
await time("regime gate fit (EM + tfjs, early stop)", `${n} rows x ${cond.names.length} cond`, async () => {
  gate = new RegimeGate(cond.names, names);
  await gate.fit({ conditions: cond.values, rowDay: rd, edges: oof }, z, T);
});
console.log(
  `  epochs ${gate.report!.epochs}, loss ${gate.report!.loss.toFixed(4)} vs abstain ${
    gate.report!.abstainLoss.toFixed(4)
  }`,
);
await time(
  "regime gate combine (predict)",
  `${n} rows`,
  () => gate.combine({ conditions: cond.values, rowDay: rd, edges }, T),
);
// ------------------------------------------------------------------------------------- portfolio, 505 x 300 days
const all = await loadAllSp500(SHARED);
const symbols = [...all.keys()].sort();
const dates = [...new Set([...all.values()].flatMap((s) => s.dates))].sort().slice(-362);
const D = dates.length, P = symbols.length, di = new Map(dates.map((d, i) => [d, i]));
const closeP = new Float64Array(D * P).fill(NaN), volume = new Float64Array(D * P).fill(NaN);
symbols.forEach((s, j) => {
  const x = all.get(s)!;
  x.dates.forEach((d, k) => {
    const t = di.get(d);
    if (t !== undefined) [closeP[t * P + j], volume[t * P + j]] = [x.close[k], x.volume[k]];
  });
});
const history = new Float64Array(D * P).fill(NaN), dailyVol = new Float64Array(D * P).fill(NaN);
for (let t = 1; t < D; t++) {
  for (let j = 0; j < P; j++) history[t * P + j] = closeP[t * P + j] / closeP[(t - 1) * P + j] - 1;
}
for (let j = 0; j < P; j++) {
  const v = ewmaVariance(Float64Array.from({ length: D }, (_, t) => history[t * P + j]), 0.94);
  for (let t = 0; t < D; t++) dailyVol[t * P + j] = Math.sqrt(v[t + 1]);
}
const g = normalRng(1);
const edge = Float64Array.from(history, (h) => (Number.isFinite(h) ? 0.05 * g() : NaN));
const outcomes = new Float64Array(D * P).fill(NaN);
outcomes.set(history.subarray(2 * P), 0);
const adv = Float64Array.from(closeP, (c, i) => c * volume[i]);
const input = { dates, symbols, edge, dailyVol, history, firstDecision: 60 };
console.log(`portfolio: ${P} symbols x ${D - 60} decision days (+60 warm-up)`);
const methods: [string, PortfolioOptions][] = [
  ["topk-dropout k=50, EWMA", { method: "topk-dropout", topK: 50, nDrop: 5 }],
  ["long-short k=50, EWMA", { method: "long-short", topK: 50, nDrop: 5 }],
  ["kelly (all names), EWMA", { method: "kelly", maxWeight: 0.02 }],
  ["always-long, EWMA", { method: "always-long", maxWeight: 0.02 }],
  ["topk-dropout k=50, Ledoit-Wolf 120d/5", {
    method: "topk-dropout",
    topK: 50,
    risk: { model: "ledoit-wolf" },
  }],
];
let weights: Float64Array = new Float64Array(0);
for (const [label, o] of methods) {
  await time(
    `portfolio ${label}`,
    `${P} x ${D - 60}`,
    () => (weights = constructPortfolio(input, o).weights),
  );
}
await time(
  "backtestWeights (bps + sqrt impact)",
  `${P} x ${D - 60}`,
  () =>
    backtestWeights({
      dates: dates.slice(60),
      symbols,
      weights: weights.subarray(60 * P),
      returns: outcomes.subarray(60 * P),
      dailyVol: dailyVol.subarray(60 * P),
      adv: adv.subarray(60 * P),
    }),
);

const out = fileURLToPath(
  new URL(`./results/moe-${new Date().toISOString().slice(0, 10)}.json`, import.meta.url),
);
writeFileSync(out, JSON.stringify({ runs, backend, load: Deno.loadavg(), rows }, null, 2) + "\n");
console.log(`wrote ${out}; load average ${Deno.loadavg().map((v) => v.toFixed(1)).join(" ")}`);
