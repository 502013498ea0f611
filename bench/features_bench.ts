/**
 * Feature benchmark: throughput of each indicator (values/s) on one long real series (the closes, highs, ... of
 * all 505 tickers of `sp500-5yr-ohlcv` concatenated, twice: 1,238,058 points), then the full default feature
 * set for all 505 tickers (with ^GSPC/^VIX context and calendar columns) and its per-day cross-sectional ranks.
 * The data is read through the product's CSV source (`lib/sources`, via `lib/evaluate`'s loaders). Prints a table and writes bench/results/features-<date>.json.
 * Run: `deno task bench:features [--runs 5] [--json path]` (= `deno run -A --v8-flags=--expose-gc
 * bench/features_bench.ts`: with `--expose-gc` a full GC runs before each measurement). `--runs` is a positive
 * integer; `--help` prints the usage, a bad flag or value is refused (exit 2) before any work. Not a timed test.
 * On a shared machine look at the `min` column too: it is the least disturbed run.
 * @module
 */
import { median, SHARED_DATA as SHARED } from "../scripts/_bench.ts";
import { benchResultsFile, intFlag, toolArgs, toolCheck } from "../scripts/_args.ts";
import { writeFileSync } from "node:fs";
import * as F from "@lib/features/mod.ts";
import { loadAllSp500, loadMarket } from "@lib/evaluate/mod.ts";

const { values } = toolArgs("bench:features", {
  runs: { type: "string", default: "5" },
  json: { type: "string" },
});
const runs = toolCheck(() => intFlag("runs", values.runs));
const jsonOut = await benchResultsFile("features", values.json);

/** Median seconds per call over `runs` timed calls (after one warm-up call), at least 0.15 s of calls. */
const gc = (globalThis as { gc?: () => void }).gc;

function time(f: () => unknown): { median: number; min: number; reps: number } {
  f();
  gc?.();
  const ts: number[] = [];
  const start = performance.now();
  while (ts.length < runs || (performance.now() - start < 150 && ts.length < 200)) {
    const t = performance.now();
    f();
    ts.push((performance.now() - t) / 1000);
  }
  return { median: median(ts), min: Math.min(...ts), reps: ts.length };
}

const t0 = performance.now();
const series = await loadAllSp500(SHARED);
const parseS = (performance.now() - t0) / 1000;
const market = await loadMarket(SHARED);
const gspc = new Map(market.dates.map((d, i) => [d, market.indexClose![i]]));
const vix = new Map(market.dates.map((d, i) => [d, market.vix![i]]));
let bars = 0;
for (const s of series.values()) bars += s.close.length;
console.log(`parsed ${series.size} tickers, ${bars} bars in ${parseS.toFixed(3)} s`);

// One long series: every ticker concatenated, twice.
function concat(k: keyof F.OhlcvColumns & string): Float64Array {
  const out = new Float64Array(2 * bars);
  let o = 0;
  for (let rep = 0; rep < 2; rep++) {
    for (const s of series.values()) {
      out.set(s[k] as Float64Array, o);
      o += s.close.length;
    }
  }
  return out;
}
const O = concat("open"), H = concat("high"), L = concat("low"), C = concat("close"), V = concat("volume");
const D: string[] = [];
for (let rep = 0; rep < 2; rep++) for (const s of series.values()) for (const d of s.dates) D.push(d);
const N = C.length;
const dayIds = new Map<string, number>();
const groups = Int32Array.from(D, (d) => dayIds.get(d) ?? (dayIds.set(d, dayIds.size), dayIds.size - 1));

const SIMPLE = new Set(["sma_20", "ema_20", "log_return_1", "simple_return_5"]);
const indicators: [string, () => unknown][] = [
  ["sma_20", () => F.sma(C, 20)],
  ["ema_20", () => F.ema(C, 20)],
  ["log_return_1", () => F.logReturn(C, 1)],
  ["simple_return_5", () => F.simpleReturn(C, 5)],
  ["wma_20", () => F.wma(C, 20)],
  ["rolling_sum_20", () => F.rollingSum(V, 20)],
  ["rolling_std_20", () => F.rollingStd(C, 20)],
  ["rolling_zscore_20", () => F.rollingZScore(C, 20)],
  ["rolling_min_20", () => F.rollingMin(L, 20)],
  ["rolling_max_20", () => F.rollingMax(H, 20)],
  ["rsi_14", () => F.rsi(C, 14)],
  ["macd_12_26_9", () => F.macd(C, 12, 26, 9, true)],
  ["bollinger_20", () => F.bollinger(C, 20, 2)],
  ["atr_14", () => F.atr(H, L, C, 14)],
  ["adx_14", () => F.adx(H, L, C, 14)],
  ["stochastic_14_3_3", () => F.stochastic(H, L, C, 14, 3, 3)],
  ["williams_r_14", () => F.williamsR(H, L, C, 14)],
  ["cci_20", () => F.cci(H, L, C, 20)],
  ["obv", () => F.obv(C, V)],
  ["mfi_14", () => F.mfi(H, L, C, V, 14)],
  ["roc_10", () => F.roc(C, 10)],
  ["donchian_20", () => F.donchian(H, L, 20)],
  ["vol_close_20", () => F.closeToCloseVol(C, 20)],
  ["vol_parkinson_20", () => F.parkinsonVol(H, L, 20)],
  ["vol_garman_klass_20", () => F.garmanKlassVol(O, H, L, C, 20)],
  ["vol_rogers_satchell_20", () => F.rogersSatchellVol(O, H, L, C, 20)],
  ["vol_yang_zhang_20", () => F.yangZhangVol(O, H, L, C, 20)],
  ["volume_zscore_20", () => F.volumeZScore(V, 20, true)],
  ["relative_volume_20", () => F.relativeVolume(V, 20)],
  ["gap", () => F.gap(O, C)],
  ["distance_to_high_60", () => F.distanceToHigh(C, H, 60)],
  ["day_of_week", () => F.dayOfWeekColumn(D)],
  ["sessions_to_month_end", () => F.sessionsToMonthEnd(D)],
  ["cross_sectional_rank", () => F.crossSectionalRank(C, groups)],
];

const rows: Record<string, unknown>[] = [];
console.log(
  `\nindicator throughput on one series of ${N.toLocaleString("en-US")} points (median of >= ${runs} runs)`,
);
console.log(
  "indicator".padEnd(24) + "ms/call".padStart(9) + "M values/s".padStart(12) + "best ms".padStart(9) +
    "best M/s".padStart(10),
);
for (const [name, f] of indicators) {
  const t = time(f);
  const mvps = N / t.median / 1e6;
  rows.push({
    name,
    points: N,
    seconds: t.median,
    minSeconds: t.min,
    reps: t.reps,
    valuesPerSecond: N / t.median,
    bestValuesPerSecond: N / t.min,
  });
  const best = N / t.min / 1e6;
  const goal = mvps >= 50
    ? "  simple: >= 50M"
    : best >= 50
    ? "  simple: >= 50M in best run only"
    : "  simple: < 50M";
  console.log(
    name.padEnd(24) + (t.median * 1e3).toFixed(2).padStart(9) + mvps.toFixed(1).padStart(12) +
      (t.min * 1e3).toFixed(2).padStart(9) + best.toFixed(1).padStart(10) + (SIMPLE.has(name) ? goal : ""),
  );
}

// Full feature set on every ticker.
const ctxs = new Map<string, F.MarketContext>();
for (const [k, s] of series) {
  ctxs.set(k, {
    indexClose: Float64Array.from(s.dates, (d) => gspc.get(d) ?? NaN),
    vix: Float64Array.from(s.dates, (d) => vix.get(d) ?? NaN),
  });
}
const sets: [string, F.FeatureSet][] = [["fmai-core@0", F.FMAI_CORE_V0], [
  F.featureSetId(F.DEFAULT_FEATURE_SET),
  F.DEFAULT_FEATURE_SET,
]];
const full: Record<string, unknown>[] = [];
console.log(
  `\nfull feature sets on ${series.size} tickers (${bars.toLocaleString("en-US")} bars), ${runs} runs`,
);
for (const [label, set] of sets) {
  let cols: Float64Array[][] = [];
  const compute = () => {
    cols = [];
    for (const [k, s] of series) cols.push(F.computeFeatures(set, s, ctxs.get(k)));
  };
  const t = time(compute);
  const k = set.features.length;
  // Cross-sectional ranks of every feature per day over the whole panel (grouping prepared once, not timed).
  const panelDays = new Int32Array(bars);
  {
    let o = 0;
    for (const s of series.values()) for (const d of s.dates) panelDays[o++] = dayIds.get(d)!;
  }
  const col = new Float64Array(bars);
  const rank = F.crossSectionalRanker(panelDays);
  const r = time(() => {
    for (let j = 0; j < k; j++) {
      let o = 0;
      for (const c of cols) {
        col.set(c[j], o);
        o += c[j].length;
      }
      rank(col);
    }
  });
  full.push({
    set: label,
    hash: F.featureSetHash(set),
    features: k,
    tickers: series.size,
    bars,
    values: bars * k,
    seconds: t.median,
    minSeconds: t.min,
    valuesPerSecond: (bars * k) / t.median,
    rankSeconds: r.median,
  });
  console.log(
    `${label.padEnd(16)} ${String(k).padStart(3)} features: ${t.median.toFixed(3)} s (min ${
      t.min.toFixed(3)
    } s), ` +
      `${((bars * k) / t.median / 1e6).toFixed(1)} M values/s; per-day ranks of all columns ${
        r.median.toFixed(3)
      } s`,
  );
}

const result = {
  bench: "features",
  date: new Date().toISOString(),
  deno: Deno.version.deno,
  v8: Deno.version.v8,
  cpus: navigator.hardwareConcurrency,
  gcBetweenRuns: gc !== undefined,
  loadavg: Deno.loadavg(),
  data: "sp500-5yr-ohlcv/all_stocks_5yr.csv.gz",
  parseSeconds: parseS,
  runs,
  indicators: rows,
  featureSets: full,
};
writeFileSync(jsonOut, JSON.stringify(result, null, 2) + "\n");
console.log(`\nwrote ${jsonOut}`);
