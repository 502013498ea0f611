/**
 * The polars path vs the typed-array path for one research job: the feature table of every ticker of
 * `sp500-5yr-ohlcv` (505 tickers, 619,029 bars: the CSV source leaves out the 11 rows with a missing price), written as Parquet.
 *
 * Both paths start from the same bars Parquet file (written once by the parent from the product's CSV source)
 * and end with a zstd Parquet file of `symbol, date, known_at` and the same 12 features (log returns 1/5/20/60,
 * gap, distance to the 60-day high, close/SMA 5/20/60, 20-day z-score, 20-day realized vol, relative volume):
 * - typed: polars reads the file, `lib/frames` turns it into typed series, `lib/features` computes the columns
 *   (Float64Array), `lib/frames` builds the frame, polars writes it;
 * - polars: polars reads the file, computes the same columns as window expressions (`.over("symbol")`) and
 *   writes them.
 * The parent checks that the two files hold the same values where both are finite (and fails above 1e-9). Each path
 * runs `--runs` times (default 3), each in a fresh process, so peak memory (VmHWM) is its own; the table shows
 * median wall time per phase and the median peak RSS and its growth over the process after imports. The
 * typed path with the full default feature set (42 features) is a third row, for scale.
 *
 * Run: `deno task bench:frames [--runs 3] [--json PATH]` (`--runs` a positive integer; `--help` prints the usage,
 * a bad flag or value is refused with exit 2 before any work). Not a timed test; writes
 * bench/results/frames-<date>.json (or `--json`). `--child PATH IN OUT` (first) is the internal child mode.
 * @module
 */
import { fileURLToPath } from "node:url";
import { median, SHARED_DATA as SHARED } from "../scripts/_bench.ts";
import { benchResultsFile, intFlag, toolArgs, toolCheck } from "../scripts/_args.ts";
import { writeFileSync } from "node:fs";
import { computeFeatures, DEFAULT_FEATURE_SET, type FeatureSet } from "@lib/features/mod.ts";
import {
  barsFrame,
  column,
  frameFromParquet,
  frameToBytes,
  pl,
  seriesFromFrame,
  toFrame,
} from "@lib/frames/mod.ts";
import { csvPresets } from "@lib/sources/mod.ts";

/** The 12 features both paths compute: these columns of the default feature set, with its parameters. */
const BENCH_NAMES = [
  "ret_1",
  "ret_5",
  "ret_20",
  "ret_60",
  "gap",
  "dist_high_60",
  "sma_ratio_5",
  "sma_ratio_20",
  "sma_ratio_60",
  "zscore_20",
  "vol_20",
  "rel_volume_20",
];
export const BENCH_SET: FeatureSet = {
  name: "bench-frames",
  version: "1",
  features: DEFAULT_FEATURE_SET.features.filter((f) => BENCH_NAMES.includes(f.name)),
};

/** The same 12 features as polars expressions over each symbol's rows (sorted by symbol, date). */
function polarsFeatures(): pl.Expr[] {
  if (BENCH_SET.features.length !== BENCH_NAMES.length) {
    throw new Error("a bench feature left the default set");
  }
  const c = pl.col("close"), over = (e: pl.Expr, name: string) => e.over("symbol").alias(name);
  const logRet = (h: number) => c.div(c.shift(h)).log();
  const sma = (n: number) => c.rollingMean(n);
  const std = (x: pl.Expr, n: number) => x.rollingStd({ windowSize: n, ddof: 1 });
  return [
    over(logRet(1), "ret_1"),
    over(logRet(5), "ret_5"),
    over(logRet(20), "ret_20"),
    over(logRet(60), "ret_60"),
    over(pl.col("open").div(c.shift(1)).sub(1), "gap"),
    over(c.div(pl.col("high").rollingMax(60)).sub(1), "dist_high_60"),
    over(c.div(sma(5)).sub(1), "sma_ratio_5"),
    over(c.div(sma(20)).sub(1), "sma_ratio_20"),
    over(c.div(sma(60)).sub(1), "sma_ratio_60"),
    over(c.sub(sma(20)).div(std(c, 20)), "zscore_20"),
    over(std(logRet(1), 20), "vol_20"),
    over(pl.col("volume").div(pl.col("volume").shift(1).rollingMean(20)), "rel_volume_20"),
  ];
}

function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"));
  return m ? Number(m[1]) / 1024 : NaN;
}
const rssMb = () => Deno.memoryUsage().rss / 2 ** 20;

interface PathRun {
  read: number;
  convert: number;
  features: number;
  frame: number;
  write: number;
  total: number;
  rows: number;
  bytes: number;
  baseRss: number;
  peakRss: number;
}

/** One path in this process: reads `input`, writes `output`; returns seconds per phase and memory. */
function runPath(path: "typed" | "polars" | "typed-full", input: string, output: string): PathRun {
  const baseRss = rssMb();
  const t0 = performance.now();
  const bars = frameFromParquet(Deno.readFileSync(input));
  const t1 = performance.now();
  let df: pl.DataFrame, t2: number, tc = t1;
  if (path === "polars") {
    df = bars.sort(["symbol", "date"]).select("symbol", "date", "known_at", ...polarsFeatures());
    t2 = performance.now();
  } else {
    const set = path === "typed" ? BENCH_SET : DEFAULT_FEATURE_SET;
    const series = seriesFromFrame(bars.sort(["symbol", "date"]));
    tc = performance.now();
    const cols = [...series.values()].map((s) => computeFeatures(set, s));
    t2 = performance.now();
    const n = [...series.values()].reduce((a, s) => a + s.dates.length, 0);
    const symbol = new Array<string>(n), date = new Array<string>(n), knownAt = new Float64Array(n);
    const out = set.features.map(() => new Float64Array(n));
    let o = 0, k = 0;
    for (const s of series.values()) {
      const m = s.dates.length;
      for (let i = 0; i < m; i++) (symbol[o + i] = s.symbol, date[o + i] = s.dates[i]);
      knownAt.set(s.knownAt!, o);
      cols[k++].forEach((c, j) => out[j].set(c, o));
      o += m;
    }
    const schema = [
      ["symbol", "str"],
      ["date", "date"],
      ["known_at", "datetime"],
      ...set.features.map((f) => [f.name, "f64"] as const),
    ] as const;
    df = toFrame(schema, {
      symbol,
      date,
      known_at: knownAt,
      ...Object.fromEntries(set.features.map((f, j) => [f.name, out[j]])),
    });
  }
  const t3 = performance.now();
  const bytes = frameToBytes(df, "parquet");
  Deno.writeFileSync(output, bytes);
  const t4 = performance.now();
  return {
    read: (t1 - t0) / 1000,
    convert: (tc - t1) / 1000,
    features: (t2 - tc) / 1000,
    frame: (t3 - t2) / 1000,
    write: (t4 - t3) / 1000,
    total: (t4 - t0) / 1000,
    rows: df.height,
    bytes: bytes.length,
    baseRss,
    peakRss: peakRssMb(),
  };
}

/**
 * Max difference of two feature files where both values are finite, relative to max(1, |value|) (absolute for
 * small values: near-zero ratios differ by a few ulps of their running sums), and the count compared.
 */
function compare(a: string, b: string): { maxRel: number; compared: number; onlyOne: number } {
  const x = frameFromParquet(Deno.readFileSync(a)), y = frameFromParquet(Deno.readFileSync(b));
  if (x.height !== y.height) throw new Error(`row counts differ: ${x.height} vs ${y.height}`);
  let maxRel = 0, compared = 0, onlyOne = 0;
  for (const f of BENCH_SET.features) {
    const u = column(x, f.name, "f64"), v = column(y, f.name, "f64");
    for (let i = 0; i < u.length; i++) {
      const p = u[i], q = v[i];
      if (Number.isFinite(p) && Number.isFinite(q)) {
        compared++;
        maxRel = Math.max(maxRel, Math.abs(p - q) / Math.max(1, Math.abs(p), Math.abs(q)));
      } else if (Number.isFinite(p) !== Number.isFinite(q)) onlyOne++;
    }
  }
  return { maxRel, compared, onlyOne };
}

async function parent(): Promise<void> {
  const { values } = toolArgs("bench:frames", {
    runs: { type: "string", default: "3" },
    json: { type: "string" },
  });
  const runs = toolCheck(() => intFlag("runs", values.runs));
  const jsonOut = await benchResultsFile("frames", values.json);
  const dir = await Deno.makeTempDir({ prefix: "fmai-frames-bench-" });
  try {
    const src = csvPresets.sp500_5yr(`${SHARED}/sp500-5yr-ohlcv`);
    const symbols = (await src.listSymbols!()).sort();
    const bars = await src.bars({ symbols, from: "2000-01-01", to: "2030-12-31" });
    const input = `${dir}/bars.parquet`;
    Deno.writeFileSync(input, frameToBytes(barsFrame([...bars.values()].flat()), "parquet"));
    console.log(`input: ${bars.size} tickers -> ${input}`);
    const results: Record<string, PathRun[]> = { typed: [], polars: [], "typed-full": [] };
    for (let r = 0; r < runs; r++) {
      for (const path of Object.keys(results)) {
        const out = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-A",
            fileURLToPath(import.meta.url),
            "--child",
            path,
            input,
            `${dir}/${path}.parquet`,
          ],
          stdout: "piped",
          stderr: "inherit",
        }).output();
        if (!out.success) throw new Error(`${path} run failed`);
        results[path].push(JSON.parse(new TextDecoder().decode(out.stdout)));
      }
    }
    const same = compare(`${dir}/typed.parquet`, `${dir}/polars.parquet`);
    if (!(same.maxRel < 1e-9)) throw new Error(`the two paths disagree: max difference ${same.maxRel}`);
    const load = await Deno.readTextFile("/proc/loadavg");
    const rows = Object.entries(results).map(([path, rs]) => {
      const med = (k: keyof PathRun) => median(rs.map((r) => r[k]));
      return {
        path,
        features: path === "typed-full" ? DEFAULT_FEATURE_SET.features.length : BENCH_SET.features.length,
        rows: rs[0].rows,
        readS: med("read"),
        convertS: med("convert"),
        featuresS: med("features"),
        frameS: med("frame"),
        writeS: med("write"),
        totalS: med("total"),
        minTotalS: Math.min(...rs.map((r) => r.total)),
        baseRssMb: med("baseRss"),
        peakRssMb: med("peakRss"),
        fileMb: rs[0].bytes / 2 ** 20,
      };
    });
    const f = (x: number, d = 2) => x.toFixed(d);
    const head =
      "| path | features | rows | read s | to typed s | features s | to frame s | write s | total s (min) " +
      "| peak RSS MB | over base MB | file MB |";
    console.log(`\n${head}\n|${"---|".repeat(12)}`);
    for (const r of rows) {
      const cells = [
        r.path,
        r.features,
        r.rows,
        f(r.readS),
        f(r.convertS),
        f(r.featuresS),
        f(r.frameS),
        f(r.writeS),
      ];
      cells.push(`${f(r.totalS)} (${f(r.minTotalS)})`, f(r.peakRssMb, 0), f(r.peakRssMb - r.baseRssMb, 0));
      console.log(`| ${[...cells, f(r.fileMb, 1)].join(" | ")} |`);
    }
    const t = rows.find((r) => r.path === "typed")!, p = rows.find((r) => r.path === "polars")!;
    const typedAll = t.convertS + t.featuresS + t.frameS;
    console.log(
      `\npolars / typed: total ${f(p.totalS / t.totalS)}x; features ${
        f(p.featuresS / t.featuresS)
      }x of the ` +
        `typed compute alone, ${f(p.featuresS / typedAll)}x of it with its conversions; peak RSS ` +
        `${f(p.peakRssMb / t.peakRssMb)}x`,
    );
    console.log(
      `same values: ${same.compared} finite pairs, max difference ${same.maxRel.toExponential(2)} ` +
        `(relative to max(1, |x|)), ${same.onlyOne} finite in one file only; runs ${runs}; load average ` +
        load.split(" ").slice(0, 3).join(" "),
    );
    writeFileSync(
      jsonOut,
      JSON.stringify({ date: new Date().toISOString(), runs, loadavg: load.trim(), rows, same }, null, 2) +
        "\n",
    );
    console.log(`-> ${jsonOut}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  if (Deno.args[0] === "--child") { // the parent's own call (not a user flag): --child PATH IN OUT
    const [path, input, output] = Deno.args.slice(1);
    console.log(JSON.stringify(runPath(path as "typed" | "polars" | "typed-full", input, output)));
  } else await parent();
}
