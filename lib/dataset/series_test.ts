import { deepEqual, equal, ok, throws } from "node:assert/strict";
import {
  type Bar,
  closeTime,
  type CorporateAction,
  DataValidationError,
  nyTime,
  sessions,
} from "../core/mod.ts";
import {
  adjustedReturns,
  adjustForActions,
  barsToSeriesMap,
  forwardAdjust,
  toSeries,
  totalReturnSeries,
} from "./series.ts";

function bar(date: string, close: number, symbol = "X"): Bar {
  return {
    symbol,
    date,
    open: close,
    high: close * 1.01,
    low: close * 0.99,
    close,
    adjClose: close,
    volume: 1000,
    knownAt: closeTime(date),
  };
}

Deno.test("toSeries sorts, keeps knownAt, rejects duplicates and bad closes", () => {
  const s = toSeries([bar("2020-01-03", 11), bar("2020-01-02", 10), bar("2020-01-06", 12)]);
  deepEqual(s.dates, ["2020-01-02", "2020-01-03", "2020-01-06"]);
  deepEqual([...s.close], [10, 11, 12]);
  equal(s.knownAt![0], closeTime("2020-01-02"));
  throws(() => toSeries([bar("2020-01-02", 10), bar("2020-01-02", 11)]), DataValidationError);
  throws(() => toSeries([bar("2020-01-02", NaN)]), DataValidationError);
  throws(() => toSeries([bar("2020-01-02", 1), bar("2020-01-03", 1, "Y")]), DataValidationError);
  throws(() => toSeries([{ ...bar("2020-01-02", 1), date: "2020-1-2" }]), DataValidationError);
  const m = barsToSeriesMap([
    bar("2020-01-02", 1, "A"),
    bar("2020-01-02", 2, "B"),
    bar("2020-01-03", 3, "A"),
  ]);
  deepEqual([...m.keys()], ["A", "B"]);
  equal(m.get("A")!.close.length, 2);
});

// raw prices: a 2:1 split on day 3 halves the price, a 1.0 dividend on day 5
const DATES = sessions("2021-03-01", "2021-03-10"); // 8 sessions
const RAW = [100, 102, 104, 52, 53, 52.5, 53, 54];
const SPLIT: CorporateAction = {
  symbol: "X",
  date: DATES[3],
  kind: "split",
  value: 2,
  knownAt: nyTime(DATES[0], 8), // announced before
};
const DIV: CorporateAction = {
  symbol: "X",
  date: DATES[5],
  kind: "dividend",
  value: 1,
  knownAt: nyTime(DATES[1], 8),
};

Deno.test("adjustedReturns: total returns from raw closes, only actions known by that close", () => {
  const s = toSeries(DATES.map((d, i) => bar(d, RAW[i])));
  const r = adjustedReturns(s, [SPLIT, DIV]);
  ok(Number.isNaN(r[0]));
  ok(Math.abs(r[3] - (52 * 2 / 104 - 1)) < 1e-15);
  ok(Math.abs(r[5] - ((52.5 + 1) / 53 - 1)) < 1e-15);
  ok(Math.abs(r[1] - (102 / 100 - 1)) < 1e-15);
  // a split that becomes public only after the ex-date's close is not applied on that day (no look-ahead)
  const late = { ...SPLIT, knownAt: closeTime(DATES[3]) + 60_000 };
  const r2 = adjustedReturns(s, [late]);
  ok(Math.abs(r2[3] - (52 / 104 - 1)) < 1e-15);
  // forward adjustment reproduces the returns and never changes earlier values
  const fa = forwardAdjust(s, [SPLIT, DIV]);
  for (let i = 1; i < 8; i++) ok(Math.abs(fa.close[i] / fa.close[i - 1] - 1 - r[i]) < 1e-12, `day ${i}`);
  equal(fa.close[0], 100);
  // volume on the first bar's share count: a 2-for-1 split's doubled share count is halved back
  equal(fa.volume[2], 1000);
  equal(fa.volume[4], 500);
  const prefix = forwardAdjust(toSeries(DATES.slice(0, 5).map((d, i) => bar(d, RAW[i]))), [SPLIT, DIV]);
  for (let i = 0; i < 5; i++) equal(prefix.close[i], fa.close[i]);
});

Deno.test("adjustForActions back-adjusts only for actions known and effective at asOf", () => {
  const s = toSeries(DATES.map((d, i) => bar(d, RAW[i])));
  // before the split's ex-date opens: series truncated, nothing adjusted even though the split is announced
  const a1 = adjustForActions(s, [SPLIT, DIV], closeTime(DATES[2]));
  deepEqual([...a1.close], RAW.slice(0, 3));
  // after the split: earlier prices halved, volume doubled
  const a2 = adjustForActions(s, [SPLIT, DIV], closeTime(DATES[4]));
  deepEqual([...a2.close], [50, 51, 52, 52, 53]);
  equal(a2.volume[0], 2000);
  equal(a2.volume[4], 1000);
  // dividend: earlier prices times 1 - D / close(day before ex-date)
  const a3 = adjustForActions(s, [SPLIT, DIV], closeTime(DATES[7]));
  const m = 1 - 1 / 53;
  ok(Math.abs(a3.close[0] - 50 * m) < 1e-12);
  ok(Math.abs(a3.close[4] - 53 * m) < 1e-12);
  equal(a3.close[5], 52.5);
  // an action not yet public at asOf is ignored
  const a4 = adjustForActions(s, [{ ...SPLIT, knownAt: closeTime(DATES[7]) + 1 }], closeTime(DATES[7]));
  deepEqual([...a4.close], RAW);
});

Deno.test("totalReturnSeries: prices scaled by adjClose/close; untouched when there is nothing to adjust", () => {
  const s = {
    symbol: "X",
    dates: ["2020-01-02", "2020-01-03", "2020-01-06"],
    open: Float64Array.of(10, 10.2, 9.9),
    high: Float64Array.of(10.5, 10.4, 10),
    low: Float64Array.of(9.8, 10, 9.7),
    close: Float64Array.of(10, 10.3, 9.8),
    // a 0.3 dividend goes ex on the third bar: the vendor back-adjusts the first two by (1 - 0.3/10.3)
    adjClose: Float64Array.of(10 * (1 - 0.3 / 10.3), 10.3 * (1 - 0.3 / 10.3), 9.8),
    volume: Float64Array.of(1, 1, 1),
  };
  const t = totalReturnSeries(s);
  // the vendor's multiplicative convention: close / (previous close - dividend)
  const totalRet = 9.8 / (10.3 - 0.3) - 1;
  ok(Math.abs(t.close[2] / t.close[1] - 1 - totalRet) < 1e-12);
  ok(Math.abs(t.open[1] - 10.2 * (1 - 0.3 / 10.3)) < 1e-12);
  const plain = { ...s, adjClose: s.close };
  equal(totalReturnSeries(plain), plain);
  equal(s.close[0], 10, "the input is not mutated");
});
