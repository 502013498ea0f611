/**
 * Dataset build benchmark: all 505 tickers of `sp500-5yr-ohlcv` (619,029 bars, read through `lib/sources`) with the trend protocol
 * segments, for the small `fmai-core@0` and the default feature set (with ^GSPC/^VIX market context).
 * Run: `deno task bench:dataset [--runs 3] [--json out.json]` (`--runs` a positive integer; `--help` prints the
 * usage, a bad flag or value is refused with exit 2 before any work). Not a timed test.
 * The gzipped CSV is read by the dataset folder's private test reader (node:zlib), not by `lib/sources`.
 * @module
 */
import { median, SHARED_DATA as SHARED } from "../scripts/_bench.ts";
import { intFlag, outFileFlag, toolArgs, toolCheck } from "../scripts/_args.ts";
import { DEFAULT_FEATURE_SET, type FeatureSet, FMAI_CORE_V0 } from "@lib/features/mod.ts";
import { buildDataset, TREND_SEGMENTS } from "@lib/dataset/mod.ts";
import { mulberry32, type NewsItem } from "@lib/core/mod.ts";
import { cpuUsage } from "node:process";
import { loadAllSp500, loadMarket } from "@lib/evaluate/mod.ts";

const { values } = toolArgs("bench:dataset", {
  runs: { type: "string", default: "3" },
  json: { type: "string" },
});
const runs = toolCheck(() => intFlag("runs", values.runs));
const jsonOut = values.json === undefined
  ? undefined
  : await toolCheck(() => outFileFlag("json", values.json!));

let t0 = performance.now();
const series = await loadAllSp500(SHARED);
const parseS = (performance.now() - t0) / 1000;
let bars = 0;
for (const s of series.values()) bars += s.dates.length;
t0 = performance.now();
const market = await loadMarket(SHARED);
const marketS = (performance.now() - t0) / 1000;
const load = Deno.loadavg()[0];
console.log(`load average ${load.toFixed(2)} on ${navigator.hardwareConcurrency} CPUs`);
console.log(
  `parse: ${series.size} symbols, ${bars} bars in ${parseS.toFixed(3)} s; market ${marketS.toFixed(3)} s`,
);

// synthetic news: 100k items at random instants over the period, seeded
const rnd = mulberry32(42);
const syms = [...series.keys()];
const t0News = Date.UTC(2013, 1, 8), t1News = Date.UTC(2018, 1, 7);
const news: NewsItem[] = Array.from({ length: 100_000 }, (_, i) => {
  const t = t0News + rnd() * (t1News - t0News);
  return {
    id: `n${i}`,
    knownAt: t,
    publishedAt: t,
    symbols: [syms[Math.floor(rnd() * syms.length)]],
    headline: "",
    source: "bench",
    sentiment: rnd() < 0.8 ? rnd() * 2 - 1 : undefined,
  };
});

const results: Record<string, unknown>[] = [];
for (
  const [label, set] of [
    ["fmai-core@0", FMAI_CORE_V0],
    [`default ${DEFAULT_FEATURE_SET.name}@${DEFAULT_FEATURE_SET.version}`, DEFAULT_FEATURE_SET],
    [
      `default ${DEFAULT_FEATURE_SET.name}@${DEFAULT_FEATURE_SET.version} + 100k news items`,
      DEFAULT_FEATURE_SET,
    ],
  ] as [string, FeatureSet][]
) {
  const times: number[] = [], cpu: number[] = [];
  let n = 0, F = 0;
  for (let k = 0; k < runs; k++) {
    const t = performance.now(), c = cpuUsage();
    const withNews = label.includes("news") ? news : undefined;
    const ds = buildDataset({ series, featureSet: set, segments: TREND_SEGMENTS, market, news: withNews });
    times.push((performance.now() - t) / 1000);
    const dc = cpuUsage(c);
    cpu.push((dc.user + dc.system) / 1e6);
    n = ds.n;
    F = ds.featureNames.length;
  }
  const med = median(times);
  const row = {
    featureSet: label,
    rows: n,
    features: F,
    medianS: +med.toFixed(3),
    runsS: times.map((x) => +x.toFixed(3)),
    cpuMedianS: +median(cpu).toFixed(3),
    rowsPerS: Math.round(n / med),
    valuesPerS: Math.round((n * F) / med),
  };
  results.push(row);
  console.log(
    `${label}: ${n} rows x ${F} features, median ${med.toFixed(3)} s of ${runs} (${
      row.runsS.join(", ")
    }), cpu ${row.cpuMedianS.toFixed(3)} s, ${(row.rowsPerS / 1e3).toFixed(0)}k rows/s`,
  );
}
if (jsonOut) {
  await Deno.writeTextFile(jsonOut, JSON.stringify({ loadAvg: load, parseS, bars, results }, null, 2));
}
