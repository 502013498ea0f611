import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import type { Bar, Prediction, Signal } from "../core/mod.ts";
import { barsToSeriesMap, buildDataset, segmentsFor } from "../dataset/mod.ts";
import { FMAI_CORE_V0 } from "../features/mod.ts";
import { backtest } from "../backtest/mod.ts";
import type { Metric } from "../evaluate/mod.ts";
import { createSyntheticMarket } from "../sources/mod.ts";
import { ALL_SCHEMAS, type Row, type TableSchema } from "../store/mod.ts";
import {
  backtestFrame,
  backtestFromFrame,
  backtestMetricsFrame,
  backtestMetricsFromFrame,
  barsFrame,
  barsFromFrame,
  checkFrame,
  contributionsFrame,
  datasetFrame,
  datasetFromFrame,
  daysToIso,
  describeFrame,
  displayFrame,
  frameFromParquet,
  frameToBytes,
  frameToRows,
  isoToDays,
  metricsFrame,
  metricsFromFrame,
  pl,
  PREDICTION_FRAMES,
  predictionsFrame,
  predictionsFromFrame,
  reportTableFrame,
  rowsToFrame,
  seriesFrame,
  seriesFromFrame,
  SIGNALS_FRAME,
  signalsFrame,
  signalsFromFrame,
  tableFrameSchema,
  toFrame,
} from "./mod.ts";

const dtypes = (df: pl.DataFrame) => df.getColumns().map((s) => `${s.name}:${String(s.dtype)}`);

Deno.test("dates: ISO <-> days since epoch, malformed dates refused", () => {
  equal(isoToDays("1970-01-01"), 0);
  equal(isoToDays("2020-02-29"), 18321);
  equal(daysToIso(18321), "2020-02-29");
  equal(daysToIso(-1), "1969-12-31");
  throws(() => isoToDays("2021-02-29"), RangeError);
  throws(() => isoToDays("2021-1-02"), RangeError);
});

Deno.test("toFrame: fixed dtypes even when empty or all missing; NaN becomes null", () => {
  const schema = [["s", "str"], ["x", "f64"], ["n", "i64"], ["d", "date"], ["t", "datetime"]] as const;
  const full = toFrame(schema, {
    s: ["a", null],
    x: new Float64Array([1.5, NaN]),
    n: [3, null],
    d: ["2020-01-02", null],
    t: [1577998800000, NaN],
  });
  const empty = toFrame(schema, { s: [], x: new Float64Array(0), n: [], d: [], t: [] });
  const missing = toFrame(schema, { s: [null], x: [null], n: [null], d: [null], t: [null] });
  deepStrictEqual(dtypes(empty), dtypes(full));
  deepStrictEqual(dtypes(missing), dtypes(full));
  deepStrictEqual(dtypes(full), [
    "s:DataType(String)",
    "x:DataType(Float64)",
    "n:DataType(Int64)",
    "d:DataType(Date)",
    "t:DataType(Datetime(ms,UTC))",
  ]);
  equal(full.getColumn("x").nullCount(), 1);
  // repeated strings go through a dictionary and a native gather: same values, nulls kept
  const many = Array.from({ length: 1000 }, (_, i) => (i % 7 === 0 ? null : `s${i % 5}`));
  deepStrictEqual(toFrame([["s", "str"]], { s: many }).getColumn("s").toArray(), many);
  equal(full.getColumn("x").isNotNull().sum(), 1);
  throws(() => toFrame(schema, { s: ["a"], x: [1], n: [1.5], d: ["2020-01-02"], t: [0] }), /not an integer/);
  throws(() => toFrame(schema, { s: ["a"], x: [1], n: [1], d: ["2020-01-02"] }), /missing column t/);
  throws(
    () => toFrame(schema, { s: ["a"], x: [1, 2], n: [1], d: ["2020-01-02"], t: [0] }),
    /2 values, not 1/,
  );
});

Deno.test("checkFrame names the missing, unexpected or mistyped column", () => {
  const schema = [["a", "f64"], ["b", "str"]] as const;
  checkFrame(toFrame(schema, { a: [1], b: ["x"] }), schema);
  throws(() => checkFrame(pl.DataFrame({ a: [1] }), schema, "t"), /t: columns missing b/);
  throws(() => checkFrame(pl.DataFrame({ a: [1], b: ["x"], c: [2] }), schema), /unexpected c/);
  throws(() => checkFrame(pl.DataFrame({ b: ["x"], a: [1] }), schema), /out of order/);
  throws(
    () => checkFrame(pl.DataFrame({ a: ["1"], b: ["x"] }), schema),
    /column a is .*String.*want.*Float64/,
  );
  ok(describeFrame(pl.DataFrame({ a: [1] })).includes("a: Float64"));
});

/** Random rows for any table schema (about a fifth of the non-key values NULL). */
function randomRows(t: TableSchema, n: number, seed: number): Row[] {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  return Array.from({ length: n }, (_, i) => {
    const r: Row = {};
    for (const [c, type] of Object.entries(t.columns)) {
      const nullable = !t.key.includes(c) && rnd() < 0.2;
      if (nullable) r[c] = null;
      else if (type === "text") r[c] = `${c}-${i}-${Math.floor(rnd() * 1e6)}\u00e9"`;
      else if (type === "date") r[c] = daysToIso(15000 + i);
      else if (type === "int") r[c] = Math.floor(rnd() * 2 ** 44) + 1_000_000_000_000;
      else r[c] = (rnd() - 0.5) * 10 ** Math.floor(rnd() * 12 - 4);
    }
    return r;
  });
}

Deno.test("store tables: rows -> frame -> rows and -> Parquet -> rows are the identity for every table", () => {
  for (const t of ALL_SCHEMAS) {
    const rows = randomRows(t, 257, t.name.length);
    const df = rowsToFrame(t, rows);
    deepStrictEqual(df.columns, Object.keys(t.columns));
    deepStrictEqual(frameToRows(t, df), rows, t.name);
    const back = frameFromParquet(frameToBytes(df, "parquet"));
    deepStrictEqual(dtypes(back), dtypes(df));
    deepStrictEqual(frameToRows(t, back), rows, `${t.name} via Parquet`);
    deepStrictEqual(dtypes(rowsToFrame(t, [])), dtypes(df), `${t.name} empty`);
  }
  const bars = ALL_SCHEMAS.find((t) => t.name === "bars")!;
  deepStrictEqual(Object.fromEntries(tableFrameSchema(bars)), {
    symbol: "str",
    date: "date",
    open: "f64",
    high: "f64",
    low: "f64",
    close: "f64",
    adj_close: "f64",
    volume: "f64",
    known_at: "datetime",
  });
  throws(() => frameToRows(bars, pl.DataFrame({ symbol: ["A"] })), /table bars: columns missing/);
});

Deno.test("CSV bytes: header, ISO dates, UTC datetimes", () => {
  const bars = ALL_SCHEMAS.find((t) => t.name === "bars")!;
  const csv = new TextDecoder().decode(frameToBytes(
    rowsToFrame(bars, [{
      symbol: "AAPL",
      date: "2020-01-02",
      open: 1,
      high: 2,
      low: 0.5,
      close: 1.5,
      adj_close: null,
      volume: 100,
      known_at: Date.UTC(2020, 0, 2, 21),
    }]),
    "csv",
  ));
  const [head, line] = csv.trim().split("\n");
  equal(head, "symbol,date,open,high,low,close,adj_close,volume,known_at");
  ok(line.startsWith("AAPL,2020-01-02,1.0,2.0,0.5,1.5,,100.0,2020-01-02T21:00:00.000"), line);
});

async function market() {
  const mk = createSyntheticMarket({ symbols: 4, sessions: 300, seed: 7 });
  const req = { symbols: mk.symbols, from: mk.dates[0], to: mk.dates[mk.dates.length - 1] };
  return { mk, bars: await mk.bars(req), news: await mk.news(req) };
}

Deno.test("bars and typed series round-trip through frames with the bars table's columns", async () => {
  const { bars } = await market();
  const list: Bar[] = [...bars.values()].flat();
  const df = barsFrame(list);
  deepStrictEqual(df.columns, [
    "symbol",
    "date",
    "open",
    "high",
    "low",
    "close",
    "adj_close",
    "volume",
    "known_at",
  ]);
  deepStrictEqual(barsFromFrame(df), list);
  const series = barsToSeriesMap(bars);
  const sf = seriesFrame(series.values());
  deepStrictEqual(dtypes(sf), dtypes(df));
  deepStrictEqual(barsFromFrame(sf), list);
  deepStrictEqual(seriesFromFrame(sf), series);
  throws(() => seriesFromFrame(sf.sort("date", true)), /not ascending/);
  // a symbol's rows need not be contiguous
  const interleaved = seriesFromFrame(sf.sort("date"));
  for (const [s, v] of series) deepStrictEqual(interleaved.get(s), v);
});

Deno.test("predictions of each kind and signals round-trip; a wrong kind is refused", () => {
  const base = { model: "m", symbol: "AAPL", date: "2020-01-02", knownAt: Date.UTC(2020, 0, 2, 21) };
  const preds: Record<string, Prediction[]> = {
    trend: [{ ...base, kind: "trend", probs: [0.2, 0.3, 0.5] }],
    volatility: [{ ...base, kind: "volatility", horizon: 5, variance: 2e-4, annualizedVol: 0.2245 }],
    levels: [
      {
        ...base,
        kind: "levels",
        close: 100,
        supports: [{ price: 98, strength: 0.7 }, { price: 95, strength: 0.2 }],
        resistances: [],
      },
    ],
  };
  for (const kind of ["trend", "volatility", "levels"] as const) {
    const df = predictionsFrame(kind, preds[kind]);
    deepStrictEqual(df.columns, PREDICTION_FRAMES[kind].map(([n]) => n));
    deepStrictEqual(predictionsFromFrame(kind, df), preds[kind]);
    deepStrictEqual(dtypes(predictionsFrame(kind, [])), dtypes(df), `${kind} empty`);
  }
  throws(() => predictionsFrame("trend", preds.levels), /a levels prediction in a trend predictions frame/);
  const { model: _model, ...at } = base;
  const signals: Signal[] = [
    {
      ...at,
      source: "moe",
      action: "buy",
      size: 0.4,
      confidence: 0.61,
      contributions: [{ expert: "trend", weight: 0.7, score: 0.2 }, {
        expert: "levels",
        weight: 0.3,
        score: -0.1,
      }],
    },
    { ...at, symbol: "MSFT", source: "moe", action: "hold", size: 0, confidence: 0.1, contributions: [] },
  ];
  const sf = signalsFrame(signals);
  deepStrictEqual(sf.columns, SIGNALS_FRAME.map(([n]) => n));
  deepStrictEqual(signalsFromFrame(sf), signals);
  const cf = contributionsFrame(signals);
  deepStrictEqual(cf.columns, [
    "symbol",
    "date",
    "source",
    "model_version",
    "expert",
    "weight",
    "score",
    "calibrated",
  ]);
  deepStrictEqual(cf.getColumn("expert").toArray(), ["trend", "levels"]);
  deepStrictEqual(cf.getColumn("calibrated").toArray(), [[], []]);
  deepStrictEqual(dtypes(contributionsFrame([])), dtypes(cf));
  deepStrictEqual(signalsFromFrame(frameFromParquet(frameToBytes(sf, "parquet"))), signals);
  deepStrictEqual(dtypes(signalsFrame([])), dtypes(sf));
});

Deno.test("a dataset's features, segments and labels round-trip; known_at is the decision time", async () => {
  const { mk, bars } = await market();
  const ds = buildDataset({
    series: barsToSeriesMap(bars),
    featureSet: FMAI_CORE_V0,
    segments: segmentsFor(mk.dates),
  });
  const df = datasetFrame(ds, { segment: true, labels: true });
  equal(df.height, ds.n);
  deepStrictEqual(df.columns.slice(0, 4), ["symbol", "date", "known_at", "segment"]);
  equal(String(df.getColumn("label_trend").dtype), "DataType(Int32)");
  const back = datasetFromFrame(df, ds.featureNames, { segment: true, labels: true });
  deepStrictEqual(back.X, ds.X);
  deepStrictEqual(back.symbol, ds.symbol);
  deepStrictEqual(back.date, ds.date);
  deepStrictEqual(back.decisionTime, ds.decisionTime);
  deepStrictEqual(back.segment, ds.segment);
  deepStrictEqual(back.labels, ds.labels);
  const features = datasetFrame(ds);
  deepStrictEqual(features.columns, ["symbol", "date", "known_at", ...ds.featureNames]);
  throws(() => datasetFromFrame(features, ds.featureNames, { labels: true }), /missing label_trend/);
});

Deno.test("backtests (daily and metrics) and scoreboard metrics round-trip", async () => {
  const { bars } = await market();
  const series = [...barsToSeriesMap(bars).values()];
  const dates = series[0].dates;
  const T = dates.length, S = series.length;
  const returns = new Float64Array(T * S), positions = new Float64Array(T * S);
  for (let t = 0; t < T; t++) {
    for (let s = 0; s < S; s++) {
      const o = series[s].open;
      returns[t * S + s] = t + 2 < T ? o[t + 2] / o[t + 1] - 1 : NaN;
      positions[t * S + s] = (t + s) % 3 - 1;
    }
  }
  const r = backtest({ dates, symbols: series.map((s) => s.symbol), returns, positions });
  const daily = backtestFromFrame(backtestFrame(r));
  const { metrics: _m, ...rest } = r;
  deepStrictEqual(daily, { ...rest, dates: [...rest.dates] });
  const mf = backtestMetricsFrame({ moe: r.metrics, hold: { ...r.metrics, sharpe: NaN } });
  deepStrictEqual(backtestMetricsFromFrame(mf), { moe: r.metrics, hold: { ...r.metrics, sharpe: NaN } });
  equal(mf.getColumn("sharpe").nullCount(), 1);
  const metrics: Metric[] = [
    {
      section: "trend",
      name: "accuracy",
      method: "gbdt",
      value: 0.51,
      segment: "test",
      data: "x.csv",
      seed: 42,
      higherIsBetter: true,
    },
    {
      section: "trend",
      name: "null_check_z",
      method: "gbdt",
      value: NaN,
      segment: "test",
      data: "x.csv",
      seed: 42,
    },
  ];
  deepStrictEqual(metricsFromFrame(metricsFrame(metrics)), metrics);
});

Deno.test("displayFrame: dates and datetimes as text, floats rounded, still a DataFrame the kernel renders", () => {
  const df = toFrame([["d", "date"], ["t", "datetime"], ["x", "f64"], ["s", "str"], ["l", "list_f64"]], {
    d: ["2020-01-02", null],
    t: [Date.UTC(2020, 0, 2, 21, 0, 5), null],
    x: [0.123456789, null],
    s: ["a", "b"],
    l: [[0.123456, 2], []],
  });
  const shown = displayFrame(df, { digits: 4 });
  deepStrictEqual(shown.getColumn("d").toArray(), ["2020-01-02", null]);
  deepStrictEqual(shown.getColumn("t").toArray(), ["2020-01-02 21:00:05 UTC", null]);
  deepStrictEqual(shown.getColumn("x").toArray(), [0.1235, null]);
  deepStrictEqual(shown.getColumn("l").toArray(), [[0.1235, 2], []]);
  const bundle = (shown as unknown as Record<symbol, () => Record<string, unknown>>)
    [Symbol.for("Jupyter.display")]();
  ok(
    String(bundle["text/html"]).startsWith(
      "<table><thead><tr><th>d</th><th>t</th><th>x</th><th>s</th><th>l</th>",
    ),
  );
  ok("application/vnd.dataresource+json" in bundle);
});

Deno.test("report tables: numeric columns f64, others text, names made unique", () => {
  const df = reportTableFrame({
    caption: "c",
    columns: ["", "a", "a", "n"],
    rows: [["x", 1, "y", null], ["z", 2, 3, 4.5]],
  });
  deepStrictEqual(dtypes(df), [
    "column_0:DataType(String)",
    "a:DataType(Float64)",
    "a_2:DataType(String)",
    "n:DataType(Float64)",
  ]);
  deepStrictEqual(df.getColumn("a_2").toArray(), ["y", "3"]);
});
