import { deepEqual, equal, ok, throws } from "node:assert/strict";
import {
  closeTime,
  DataValidationError,
  LookaheadError,
  mulberry32,
  type NewsItem,
  nyTime,
  sessions,
} from "../core/mod.ts";
import { FEATURE_FUNCTIONS, type FeatureSet } from "../features/mod.ts";
import { loadMarket, loadSp500 } from "./_test_sp500.ts";
import { buildDataset } from "./build.ts";
import { rowsOf } from "./rows.ts";
import { segmentsFor, TREND_SEGMENTS } from "./segments.ts";
import { Segment, type SymbolSeries } from "./types.ts";

/** A small feature set of registry functions whose warm-up is known (20 sessions). */
const SMALL: FeatureSet = {
  name: "test-small",
  version: "1",
  features: [
    { name: "ret_1", fn: "log_return", params: { horizon: 1 } },
    { name: "ret_5", fn: "log_return", params: { horizon: 5 } },
    { name: "vol_20", fn: "realized_vol", params: { window: 20 } },
  ],
};
const WARMUP = 20;

function walk(symbol: string, dates: string[], seed: number): SymbolSeries {
  const rnd = mulberry32(seed);
  const n = dates.length;
  const s: SymbolSeries = {
    symbol,
    dates,
    open: new Float64Array(n),
    high: new Float64Array(n),
    low: new Float64Array(n),
    close: new Float64Array(n),
    adjClose: new Float64Array(n),
    volume: new Float64Array(n).fill(1e6),
    knownAt: Float64Array.from(dates, closeTime),
  };
  let p = 100;
  for (let i = 0; i < n; i++) {
    const o = p * (1 + (rnd() - 0.5) * 0.01);
    p = o * (1 + (rnd() - 0.5) * 0.04);
    s.open[i] = o;
    s.close[i] = s.adjClose[i] = p;
    s.high[i] = Math.max(o, p) * 1.005;
    s.low[i] = Math.min(o, p) * 0.995;
  }
  return s;
}

const DATES = sessions("2019-01-02", "2020-06-30");
const SPEC = segmentsFor(DATES, { purge: 2, embargo: 1 });

function market(): Map<string, SymbolSeries> {
  return new Map(["A", "B", "C"].map((s, k) => [s, walk(s, DATES, 7 + k)]));
}

Deno.test("a bar whose knownAt is after its decision time cannot reach a row", () => {
  const series = market();
  const b = series.get("B")!;
  b.knownAt![200] = closeTime(b.dates[200]) + 1;
  throws(() => buildDataset({ series, featureSet: SMALL, segments: SPEC }), (e: unknown) => {
    ok(e instanceof LookaheadError);
    ok((e as Error).message.includes(`B bar ${b.dates[200]}`));
    return true;
  });
});

Deno.test("an extra record assigned to a session before it was known is refused; as-of records wait", () => {
  const series = market();
  const d = DATES[150];
  const late = { symbol: "A", date: d, knownAt: closeTime(d) + 60_000, value: 1 };
  throws(
    () =>
      buildDataset({ series, featureSet: SMALL, segments: SPEC, extras: [{ name: "x", records: [late] }] }),
    LookaheadError,
  );
  // the same record without an assigned date joins as of its knownAt: first usable the next session
  const early = { symbol: "A", knownAt: nyTime(DATES[100], 12), value: 5 };
  const ds = buildDataset({
    series,
    featureSet: SMALL,
    segments: SPEC,
    extras: [{
      name: "x",
      records: [early, { symbol: "A", knownAt: late.knownAt, value: 7 }, {
        symbol: "B",
        knownAt: 0,
        value: 1,
      }, { symbol: "C", knownAt: 0, value: 1 }],
    }],
  });
  const xi = ds.featureNames.indexOf("x"), F = ds.featureNames.length;
  for (let r = 0; r < ds.n; r++) {
    if (ds.symbol[r] !== "A") continue;
    const want = ds.date[r] <= d ? 5 : 7;
    equal(ds.X[r * F + xi], want, ds.date[r]);
  }
  ok(!ds.date.some((x, r) => ds.symbol[r] === "A" && x < DATES[100]), "rows before the first record dropped");
});

Deno.test("news after the close lands on the next session's row", () => {
  const series = market();
  const d = DATES[120], next = DATES[121];
  const mk = (id: string, t: number, s: number): NewsItem => ({
    id,
    knownAt: t,
    publishedAt: t,
    symbols: ["A"],
    headline: id,
    source: "t",
    sentiment: s,
  });
  const news = [mk("during", nyTime(d, 11), 0.6), mk("after", nyTime(d, 16, 5), -0.9)];
  const ds = buildDataset({ series, featureSet: SMALL, segments: SPEC, news });
  const F = ds.featureNames.length, c = ds.featureNames.indexOf("news_count_1");
  const s = ds.featureNames.indexOf("news_sent_1"), dec = ds.featureNames.indexOf("news_sent_decay");
  const row = (sym: string, date: string) => ds.date.findIndex((x, r) => x === date && ds.symbol[r] === sym);
  const rd = row("A", d), rn = row("A", next);
  equal(ds.X[rd * F + c], 1);
  equal(ds.X[rd * F + s], 0.6);
  equal(ds.X[rn * F + c], 1);
  equal(ds.X[rn * F + s], -0.9);
  ok(Math.abs(ds.X[rn * F + dec] - (-0.9 + 0.5 * 0.6)) < 1e-12);
  equal(ds.X[row("B", next) * F + c], 0);
  equal(ds.X[row("A", DATES[119]) * F + c], 0);
  for (let r = 0; r < ds.n; r++) ok(ds.decisionTime[r] === closeTime(ds.date[r]));
});

Deno.test("market-wide news (no symbols) fills the mkt_news_* columns of every symbol's rows, only when asked", () => {
  const series = market();
  const d = DATES[120], next = DATES[121];
  const mk = (id: string, t: number, s: number, symbols: string[] = []): NewsItem => ({
    id,
    knownAt: t,
    publishedAt: t,
    symbols,
    headline: id,
    source: "t",
    sentiment: s,
  });
  const news = [
    mk("during", nyTime(d, 11), 0.6),
    mk("after", nyTime(d, 16, 5), -0.9),
    mk("after2", nyTime(d, 20), -0.3),
    mk("about A", nyTime(d, 12), 0.8, ["A"]),
  ];
  // off by default: no mkt_news_* column, and market-wide items do not count as any symbol's news
  const off = buildDataset({ series, featureSet: SMALL, segments: SPEC, news });
  ok(!off.featureNames.some((n) => n.startsWith("mkt_news")));
  const ds = buildDataset({ series, featureSet: SMALL, segments: SPEC, news, marketNews: true });
  deepEqual(ds.featureNames.filter((n) => n.startsWith("mkt_news")), [
    "mkt_news_count_1",
    "mkt_news_sent_1",
    "mkt_news_count_5",
    "mkt_news_sent_decay",
  ]);
  ok(ds.featureGroups.news.includes("mkt_news_sent_1"));
  const F = ds.featureNames.length, col = (n: string) => ds.featureNames.indexOf(n);
  const row = (sym: string, date: string) => ds.date.findIndex((x, r) => x === date && ds.symbol[r] === sym);
  for (const sym of ["A", "B"]) {
    const rd = row(sym, d), rn = row(sym, next);
    equal(ds.X[rd * F + col("mkt_news_count_1")], 1, `${sym}: the item before the close counts on ${d}`);
    equal(ds.X[rd * F + col("mkt_news_sent_1")], 0.6);
    equal(ds.X[rn * F + col("mkt_news_count_1")], 2, `${sym}: the two after the close count on ${next}`);
    ok(Math.abs(ds.X[rn * F + col("mkt_news_sent_1")] - -0.6) < 1e-12);
    equal(ds.X[rn * F + col("mkt_news_count_5")], 3);
    ok(Math.abs(ds.X[rn * F + col("mkt_news_sent_decay")] - (-1.2 + 0.5 * 0.6)) < 1e-12);
    equal(ds.X[row(sym, DATES[119]) * F + col("mkt_news_count_5")], 0);
  }
  // the per-symbol columns are unchanged by the market-wide items
  equal(ds.X[row("A", d) * F + col("news_count_1")], 1);
  equal(ds.X[row("B", d) * F + col("news_count_1")], 0);
  equal(off.X[row("A", d) * off.featureNames.length + off.featureNames.indexOf("news_sent_1")], 0.8);
  // present (all 0) when no market-wide item is given; refused without news
  const none = buildDataset({
    series,
    featureSet: SMALL,
    segments: SPEC,
    news: news.slice(3),
    marketNews: true,
  });
  const j = none.featureNames.indexOf("mkt_news_count_5");
  ok(j >= 0);
  for (let r = 0; r < none.n; r++) equal(none.X[r * none.featureNames.length + j], 0);
  throws(
    () => buildDataset({ series, featureSet: SMALL, segments: SPEC, marketNews: true }),
    /marketNews needs news/,
  );
});

Deno.test("a planted look-ahead feature in the feature set makes the builder throw", () => {
  FEATURE_FUNCTIONS.__shifted_test = (b) => {
    const out = new Float64Array(b.close.length).fill(NaN);
    for (let i = 1; i + 1 < out.length; i++) out[i] = Math.log(b.close[i + 1] / b.close[i]);
    return out;
  };
  try {
    const leaky: FeatureSet = {
      ...SMALL,
      features: [...SMALL.features, { name: "tomorrow", fn: "__shifted_test", params: {} }],
    };
    throws(() => buildDataset({ series: market(), featureSet: leaky, segments: SPEC }), (e: unknown) => {
      ok(e instanceof LookaheadError);
      ok(/tomorrow/.test((e as Error).message));
      return true;
    });
  } finally {
    delete FEATURE_FUNCTIONS.__shifted_test;
  }
});

Deno.test("purge shorter than the label horizon is refused; long labels never read a later segment", () => {
  throws(
    () => buildDataset({ series: market(), featureSet: SMALL, segments: { ...SPEC, purge: 0 } }),
    LookaheadError,
  );
  throws(
    () => buildDataset({ series: market(), featureSet: SMALL, segments: SPEC, labelHorizon: 5 }),
    LookaheadError,
  );
  const ds = buildDataset({ series: market(), featureSet: SMALL, segments: SPEC });
  let blanked = 0;
  for (let r = 0; r < ds.n; r++) {
    const seg = ds.segment[r];
    if (seg !== Segment.TRAIN && seg !== Segment.VALID) continue;
    const limit = seg === Segment.TRAIN ? SPEC.valid[0] : SPEC.test[0];
    const dates = ds.series.get(ds.symbol[r])!.dates, i = ds.seriesIndex[r];
    for (
      const [h, v] of [[1, ds.labels.fwdVar1[r]], [5, ds.labels.fwdVar5[r]], [22, ds.labels.fwdVar22[r]]]
    ) {
      if (Number.isFinite(v)) ok(dates[i + h] < limit, `${ds.date[r]} h=${h}`);
      else blanked++;
    }
    ok(ds.labels.trend[r] >= 0);
  }
  ok(blanked > 0);
  // per symbol: purge 2 before each later segment, embargo 1 after it
  const a = [...Array(ds.n).keys()].filter((r) => ds.symbol[r] === "A");
  equal(a.filter((r) => ds.segment[r] === Segment.PURGED).length, 2 * (2 + 1));
});

Deno.test("a label whose horizon spans bars missing from its symbol is blanked, the others kept; what a held position earns is booked across the hole", () => {
  const full = market(), b = full.get("B")!;
  // B has no bar on sessions 100-101 (A and C traded): its rows around the hole lose the labels that span it
  const keep = [...b.dates.keys()].filter((i) => i !== 100 && i !== 101);
  const pick = (a: Float64Array) => Float64Array.from(keep, (i) => a[i]);
  const holed: SymbolSeries = {
    ...b,
    dates: keep.map((i) => b.dates[i]),
    open: pick(b.open),
    high: pick(b.high),
    low: pick(b.low),
    close: pick(b.close),
    adjClose: pick(b.adjClose),
    volume: pick(b.volume),
    knownAt: pick(b.knownAt!),
  };
  const ds = buildDataset({ series: new Map([...full, ["B", holed]]), featureSet: SMALL, segments: SPEC });
  const row = (sym: string, date: string) =>
    [...Array(ds.n).keys()].find((r) => ds.symbol[r] === sym && ds.date[r] === date);
  const L = ds.labels;
  // B's last bar before the hole (session 99): its next bar is session 102, three sessions on
  const before = row("B", DATES[99])!;
  deepEqual([L.trend[before], L.fwdReturn[before], L.fwdVar5[before]], [-1, NaN, NaN]);
  // a position decided at 99 fills at B's next open (102) and earns 102 -> 103
  equal(L.fwdOpenReturn[before], b.open[103] / b.open[102] - 1);
  // session 98: next-day labels are whole (99 is there); its position, filled at 99, earns 99 -> 102
  const r98 = row("B", DATES[98])!;
  ok(L.trend[r98] >= 0 && Number.isFinite(L.fwdReturn[r98]) && Number.isFinite(L.fwdVar1[r98]));
  ok(Number.isNaN(L.fwdVar22[r98]));
  equal(L.fwdOpenReturn[r98], b.open[102] / b.open[99] - 1);
  // every move of B's opens is booked once: the rows' returns compound to the first fill -> the last exit
  const rowsB = [...Array(ds.n).keys()].filter((r) =>
    ds.symbol[r] === "B" && Number.isFinite(L.fwdOpenReturn[r])
  )
    .filter((r) => ds.date[r] >= DATES[90] && ds.date[r] <= DATES[110]);
  const growth = rowsB.reduce((g, r) => g * (1 + L.fwdOpenReturn[r]), 1);
  ok(Math.abs(growth - b.open[112] / b.open[91]) < 1e-9, `${growth} vs ${b.open[112] / b.open[91]}`);
  // from session 102 on, nothing of the hole is ahead
  const r102 = row("B", DATES[102])!;
  ok(L.trend[r102] >= 0 && Number.isFinite(L.fwdOpenReturn[r102]) && Number.isFinite(L.fwdVar22[r102]));
  // A, which traded every session, keeps every label there
  const a99 = row("A", DATES[99])!;
  ok(L.trend[a99] >= 0 && Number.isFinite(L.fwdOpenReturn[a99]) && Number.isFinite(L.fwdVar22[a99]));
});

Deno.test("dataset on real sp500 tickers: rows, no NaN features, segments, labels", async () => {
  const syms = ["AAPL", "MSFT", "JPM", "XOM", "JNJ", "APTV", "BHF"];
  const series = await loadSp500(syms);
  const ds = buildDataset({ series, featureSet: SMALL, segments: TREND_SEGMENTS });
  // rows: every bar after the warm-up (all inside the protocol range)
  let want = 0;
  for (const s of series.values()) want += Math.max(0, s.dates.length - WARMUP);
  equal(ds.n, want);
  deepEqual(ds.featureNames, ["ret_1", "ret_5", "vol_20", "rank_ret_1", "rank_ret_5", "rank_vol_20"]);
  for (const v of ds.X) ok(Number.isFinite(v));
  const F = ds.featureNames.length;
  for (let r = 0; r < ds.n; r++) for (let f = 3; f < 6; f++) ok(ds.X[r * F + f] >= 0 && ds.X[r * F + f] <= 1);
  // segment coverage
  const tr = rowsOf(ds, Segment.TRAIN), va = rowsOf(ds, Segment.VALID), te = rowsOf(ds, Segment.TEST);
  ok(tr.length > 0 && va.length > 0 && te.length > 0);
  equal(tr.length + va.length + te.length + rowsOf(ds, Segment.PURGED).length, ds.n);
  const aapl = [...Array(ds.n).keys()].filter((r) => ds.symbol[r] === "AAPL");
  equal(
    aapl.filter((r) => ds.segment[r] === Segment.TEST).length,
    sessions("2017-01-03", "2018-02-07").length,
  );
  deepEqual(aapl.filter((r) => ds.segment[r] === Segment.PURGED).map((r) => ds.date[r]), [
    "2016-06-29",
    "2016-06-30",
    "2016-12-29",
    "2016-12-30",
  ]);
  for (const r of te) ok(ds.date[r] >= "2017-01-03");
  for (const r of va) ok(ds.date[r] >= "2016-07-01" && ds.date[r] <= "2016-12-28");
  // values agree with the raw series
  const s = series.get("JPM")!;
  for (const r of [...Array(ds.n).keys()].filter((r) => ds.symbol[r] === "JPM").slice(0, 300)) {
    const i = ds.seriesIndex[r];
    ok(Math.abs(ds.X[r * F] - Math.log(s.close[i] / s.close[i - 1])) < 1e-15);
    if (i + 1 < s.close.length) {
      ok(Math.abs(ds.labels.fwdReturn[r] - (s.close[i + 1] / s.close[i] - 1)) < 1e-15);
    }
  }
  // early close: decision at 13:00 New York
  const bf = ds.date.indexOf("2017-11-24");
  equal(ds.decisionTime[bf], nyTime("2017-11-24", 13));
  // trend classes: all present, neutral share plausible for k = 0.25 (about 20% for normal returns)
  const counts = [0, 0, 0];
  for (const r of te) counts[ds.labels.trend[r]]++;
  const share = counts[1] / te.length;
  ok(counts[0] > 0 && counts[2] > 0 && share > 0.1 && share < 0.35, `neutral share ${share}`);
  // APTV (44 bars) yields 24 rows, all in test
  equal(ds.symbol.filter((x) => x === "APTV").length, 44 - WARMUP);
});

Deno.test("default feature set with market context on real data", async () => {
  const series = await loadSp500(["AAPL", "XOM"]);
  throws(() => buildDataset({ series, segments: TREND_SEGMENTS }), (e: Error) => {
    ok(e instanceof DataValidationError && /never finite.*missing market context/.test(e.message), e.message);
    return true;
  });
  // a volume column of 0 throughout (an index before its volume was recorded) is the user's data, said so
  const noVolume = new Map(
    [...series].map(([k, s]) => [k, { ...s, volume: new Float64Array(s.volume.length) }]),
  );
  const mkt = await loadMarket();
  throws(
    () => buildDataset({ series: noVolume, segments: TREND_SEGMENTS, market: mkt }),
    (e: Error) => {
      ok(
        e instanceof DataValidationError &&
          /volume_z_20.*a volume of 0 or one value throughout/.test(e.message),
      );
      return true;
    },
  );
  const ds = buildDataset({ series, segments: TREND_SEGMENTS, market: mkt });
  ok(ds.n > 2000);
  for (const v of ds.X) ok(Number.isFinite(v));
  ok(ds.featureNames.includes("vix") && ds.featureNames.includes("rank_ret_1"));
});

Deno.test("context series join by their own publication time: the VIX close (16:15) is used the next session", async () => {
  const series = await loadSp500(["AAPL"]);
  const m = await loadMarket();
  const VIXONLY: FeatureSet = {
    name: "vix",
    version: "1",
    features: [{ name: "vix", fn: "vix_level", params: {} }],
  };
  const ds = buildDataset({
    series,
    featureSet: VIXONLY,
    segments: TREND_SEGMENTS,
    market: m,
    rankFeatures: [],
  });
  const at = new Map(m.dates.map((d, i) => [d, i]));
  let checked = 0;
  for (let r = 0; r < ds.n; r += 97) {
    const i = at.get(ds.date[r])!;
    equal(ds.X[r], m.vix[i - 1] / 100, `${ds.date[r]}: the previous session's VIX`);
    checked++;
  }
  ok(checked > 10);
  // a VIX series without publication times is refused; one claiming 16:00 would be used the same day
  throws(
    () =>
      buildDataset({
        series,
        featureSet: VIXONLY,
        segments: TREND_SEGMENTS,
        market: { ...m, vixKnownAt: undefined },
      }),
    /vixKnownAt/,
  );
  const early = buildDataset({
    series,
    featureSet: VIXONLY,
    segments: TREND_SEGMENTS,
    market: { ...m, vixKnownAt: Float64Array.from(m.dates, (d) => closeTime(d)) },
    rankFeatures: [],
  });
  equal(early.X[0], m.vix[at.get(early.date[0])!] / 100);
});

Deno.test("a point-in-time universe keeps a symbol's rows only while it is a member", async () => {
  const series = await loadSp500(["AAPL", "XOM"]);
  const membership = [
    { symbol: "AAPL", from: "2014-01-01", to: "2015-06-30" },
    { symbol: "AAPL", from: "2017-01-01", to: null },
    { symbol: "XOM", from: "2000-01-01", to: null },
  ];
  const all = buildDataset({ series, featureSet: SMALL, segments: TREND_SEGMENTS });
  const pit = buildDataset({ series, featureSet: SMALL, segments: TREND_SEGMENTS, membership });
  const aaplDates = pit.date.filter((_, i) => pit.symbol[i] === "AAPL");
  ok(
    aaplDates.length > 0 &&
      aaplDates.every((d) => (d >= "2014-01-01" && d <= "2015-06-30") || d >= "2017-01-01"),
  );
  equal(pit.symbol.filter((x) => x === "XOM").length, all.symbol.filter((x) => x === "XOM").length);
  ok(pit.n < all.n);
  // features of a member row are the same as without the universe (history before joining is used)
  const key = (ds: typeof all, i: number) => `${ds.symbol[i]}|${ds.date[i]}`;
  const F = all.featureNames.length, idx = new Map(Array.from({ length: all.n }, (_, i) => [key(all, i), i]));
  for (let i = 0; i < pit.n; i += 50) {
    const j = idx.get(key(pit, i))!;
    deepEqual([...pit.X.subarray(i * F, i * F + 3)], [...all.X.subarray(j * F, j * F + 3)]);
  }
});
