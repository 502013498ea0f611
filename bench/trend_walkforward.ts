/**
 * Walk-forward run of the trend models on all 505 tickers of `sp500-5yr-ohlcv` (^GSPC/^VIX context): folds
 * from `walkForwardSplits` (expanding window, test windows of 126 sessions ending at the protocol's last test
 * day). Per fold the dataset is rebuilt with train = the fold's training sessions (its last 63 sessions are
 * a validation segment nobody fits on), purge 2; every model fits on train with its own inner purged slice for
 * early stopping, and is scored on the fold's test window: daily IC / RankIC of P(up) - P(down) and the top-k
 * (k = 50) long-only excess over equal weight.
 *
 * `deno run -A bench/trend_walkforward.ts [--models logistic,gbdt,tcn] [--folds 4] [--json FILE]`
 * (default: every trend model but the majority/momentum baselines; writes bench/results/walkforward-<date>.json).
 * `--models` names known trend models, `--folds` is a positive integer (and at most what fits in the data, each
 * fold training on 126 sessions or more: checked after loading it, before TensorFlow starts); a bad flag or value
 * is refused with exit 2 before any work.
 * @module
 */
import { benchResultsFile, intFlag, toolArgs, toolCheck } from "../scripts/_args.ts";
import { ConfigError } from "@lib/core/mod.ts";
import { buildDataset, rowsOf, Segment, TREND_SEGMENTS, walkForwardSplits } from "@lib/dataset/mod.ts";
import { loadAllSp500, loadMarket } from "@lib/evaluate/mod.ts";
import { topkExcess } from "@lib/backtest/mod.ts";
import { createTrendModel, dailyIc, initTensorflow, TREND_MODEL_NAMES } from "@lib/models/mod.ts";
import { SHARED_DATA as SHARED } from "../scripts/_bench.ts";

const { values } = toolArgs("bench:walkforward", {
  models: { type: "string" },
  folds: { type: "string", default: "4" },
  json: { type: "string" },
});
const models = toolCheck(() => {
  const list = values.models?.split(",") ??
    TREND_MODEL_NAMES.filter((m) => m !== "majority" && m !== "momentum");
  for (const m of list) {
    if (!TREND_MODEL_NAMES.includes(m)) {
      throw new ConfigError(
        `--models: unknown model ${JSON.stringify(m)} (known: ${TREND_MODEL_NAMES.join(", ")})`,
      );
    }
  }
  if (new Set(list).size < list.length) {
    throw new ConfigError(`--models: a model is named twice in ${values.models}`);
  }
  return list;
});
const nFolds = toolCheck(() => intFlag("folds", values.folds));
const out = await benchResultsFile("walkforward", values.json);
const seed = 42;

const [series, market] = await Promise.all([loadAllSp500(SHARED), loadMarket(SHARED)]);
const dates = [...new Set([...series.values()].flatMap((s) => s.dates))].sort()
  .filter((d) => d >= TREND_SEGMENTS.train[0] && d <= TREND_SEGMENTS.test[1]);
const step = 126, purge = 2, valid = 63;
const splits = toolCheck(() => {
  // the first fold trains on at least `step` sessions before its `valid` validation sessions (see the loop below)
  const maxFolds = Math.floor((dates.length - purge - valid - step) / step);
  if (nFolds > maxFolds) {
    throw new ConfigError(
      `--folds: at most ${maxFolds} folds of ${step} sessions fit in the ${dates.length} sessions ${
        dates[0]
      }..${dates.at(-1)} (each fold training on ${step} sessions or more), got ${nFolds}`,
    );
  }
  return walkForwardSplits(dates, { minTrain: dates.length - nFolds * step, step, purge });
});
const { backend } = await initTensorflow();
console.log(`load ${Deno.loadavg()[0].toFixed(1)}; tfjs ${backend}; ${series.size} tickers; folds:`);
for (const f of splits) {
  console.log(`  fold ${f.fold}: train ${f.train[0]}..${f.train[1]}, test ${f.test[0]}..${f.test[1]}`);
}

interface FoldResult {
  fold: number;
  test: [string, string];
  model: string;
  ic: number;
  rankIc: number;
  rankIcIr: number;
  topkExcessAnn: number;
  fitS: number;
  predictS: number;
}
const results: FoldResult[] = [];
for (const f of splits) {
  const validStart = dates[f.trainEnd - 63];
  const ds = buildDataset({
    series,
    market,
    labelHorizon: 2,
    segments: {
      train: [f.train[0], dates[f.trainEnd - 64]],
      valid: [validStart, f.train[1]],
      test: f.test,
      purge: 2,
      embargo: 0,
    },
  });
  const train = rowsOf(ds, Segment.TRAIN), test = rowsOf(ds, Segment.TEST);
  for (const name of models) {
    const m = createTrendModel(name, seed);
    let t0 = performance.now();
    await m.fit(ds, train);
    const fitS = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const p = await m.predict(ds, test);
    const predictS = (performance.now() - t0) / 1000;
    const score = Float64Array.from(test, (_, k) => p[3 * k + 2] - p[3 * k]);
    const d = Array.from(test, (i) => ds.date[i]);
    const ic = dailyIc(score, Float64Array.from(test, (i) => ds.labels.fwdReturn[i]), d);
    const tk = topkExcess(
      score,
      Float64Array.from(test, (i) => ds.labels.fwdOpenReturn[i]),
      d,
      Array.from(test, (i) => ds.symbol[i]),
      {
        k: 50,
      },
    );
    const r: FoldResult = {
      fold: f.fold,
      test: f.test,
      model: name,
      ic: ic.ic.mean,
      rankIc: ic.rankIc.mean,
      rankIcIr: ic.rankIc.ir,
      topkExcessAnn: tk.annExcess,
      fitS,
      predictS,
    };
    results.push(r);
    console.log(
      `fold ${f.fold} ${name.padEnd(12)} IC ${r.ic.toFixed(4)} RankIC ${r.rankIc.toFixed(4)} (IR ${
        r.rankIcIr.toFixed(3)
      }) top50 excess ${(100 * r.topkExcessAnn).toFixed(1)}%/yr  fit ${fitS.toFixed(0)} s predict ${
        predictS.toFixed(1)
      } s`,
    );
  }
}
console.log("\nmean over folds:");
for (const name of models) {
  const rs = results.filter((r) => r.model === name);
  const mean = (k: keyof FoldResult) => rs.reduce((a, r) => a + (r[k] as number), 0) / rs.length;
  console.log(
    `  ${name.padEnd(12)} IC ${mean("ic").toFixed(4)} RankIC ${mean("rankIc").toFixed(4)} top50 excess ${
      (100 * mean("topkExcessAnn")).toFixed(1)
    }%/yr; folds with RankIC > 0: ${rs.filter((r) => r.rankIc > 0).length}/${rs.length}`,
  );
}
await Deno.writeTextFile(out, JSON.stringify({ backend, seed, splits, results }, null, 2) + "\n");
console.log(`wrote ${out}`);
