import { deepEqual, equal, ok } from "node:assert/strict";
import { type Bar, barKnownAt, closeTime, type CorporateAction, nyTime } from "../core/mod.ts";
import { marketFromSeries, publishedCloses, realizedVolStandIn, universeIndex } from "./market.ts";
import { toSeries } from "./series.ts";
import type { SymbolSeries } from "./types.ts";

const bar = (symbol: string, date: string, close: number): Bar => ({
  symbol,
  date,
  open: close,
  high: close,
  low: close,
  close,
  adjClose: close,
  volume: 0,
  knownAt: barKnownAt(symbol, date),
});

Deno.test("marketFromSeries: the VIX joined on the index's dates with its own publication times", () => {
  const days = ["2018-01-02", "2018-01-03", "2018-01-04", "2018-01-05"];
  const index = publishedCloses("^GSPC", days.map((d, i) => bar("^GSPC", d, 2700 + i)));
  // the VIX misses one session and has one the index does not
  const vix = publishedCloses(
    "^VIX",
    ["2018-01-02", "2018-01-04", "2018-01-05", "2018-01-08"].map((d, i) => bar("^VIX", d, 10 + i)),
  );
  const m = marketFromSeries(index, vix);
  deepEqual(m.dates, days);
  deepEqual([...m.indexClose!], [2700, 2701, 2702, 2703]);
  deepEqual([...m.knownAt!], days.map((d) => closeTime(d)), "an index prints at the close");
  deepEqual([...m.vix!].map((v) => Number.isNaN(v) ? null : v), [10, null, 11, 12]);
  // 16:15 New York: a 16:00 decision sees the previous session's VIX; the missing day keeps its would-be time
  deepEqual([...m.vixKnownAt!], days.map((d) => closeTime(d) + 15 * 60_000));
  // a series in the VIX's role under another name (a file VIX.csv, stamped at the close) is public at 16:15 too
  const named = publishedCloses("VIX", days.map((d, i) => bar("VIX", d, 10 + i)));
  ok(named.knownAt[0] === closeTime(days[0]), "stamped at the close by its source");
  deepEqual([...marketFromSeries(index, named).vixKnownAt!], days.map((d) => closeTime(d) + 15 * 60_000));
});

Deno.test("marketFromSeries: without a VIX, the index's realized-volatility stand-in, known with the index", () => {
  const days: string[] = [];
  for (let n = 0; days.length < 30; n++) {
    const d = new Date(Date.UTC(2018, 0, 2 + n)), iso = d.toISOString().slice(0, 10);
    if (d.getUTCDay() % 6 !== 0 && iso !== "2018-01-15" && iso !== "2018-02-19") days.push(iso);
  }
  const close = days.map((_, i) => 100 * Math.exp(0.01 * (i % 2 ? 1 : -1) * i / 10));
  const m = marketFromSeries(publishedCloses("SPY", days.map((d, i) => bar("SPY", d, close[i]))), null);
  const sd = realizedVolStandIn(Float64Array.from(close));
  deepEqual(
    [...m.vix!].map((v) => Number.isNaN(v) ? null : v),
    [...sd].map((v) => Number.isNaN(v) ? null : v),
  );
  equal(m.vix!.slice(0, 20).every(Number.isNaN), true, "20 sessions of warm-up");
  ok(m.vix![25] > 0);
  deepEqual([...m.vixKnownAt!], [...m.knownAt!]);
});

Deno.test("universeIndex: the mean one-session log return of the names that traded that day and the one before", () => {
  const days = ["2018-01-02", "2018-01-03", "2018-01-04", "2018-01-05", "2018-01-08"];
  const series = (symbol: string, dates: string[], close: number[]) =>
    ({ symbol, dates, close: Float64Array.from(close) }) as unknown as SymbolSeries;
  // B misses 01-03 and 01-04: back on 01-05 its +21% since 01-02 spans three sessions and is not one day's move
  const idx = universeIndex(
    new Map([
      ["A", series("A", days, [100, 101, 102, 103, 104])],
      ["B", series("B", [days[0], days[3], days[4]], [50, 60.5, 61])],
    ]),
  );
  deepEqual(idx.dates, days);
  const r = Array.from(idx.indexClose.slice(1), (c, i) => Math.log(c / idx.indexClose[i]));
  const ln = Math.log;
  const want = [ln(101 / 100), ln(102 / 101), ln(103 / 102), (ln(104 / 103) + ln(61 / 60.5)) / 2];
  r.forEach((x, i) => ok(Math.abs(x - want[i]) < 1e-12, `${days[i + 1]}: ${x} vs ${want[i]}`));
});

Deno.test("universeIndex: a split or dividend known by the ex-date's close moves the index by the total return", () => {
  const days = ["2018-01-02", "2018-01-03", "2018-01-04", "2018-01-05"];
  const a = toSeries(days.map((d, i) => bar("A", d, [100, 101, 102, 103][i])));
  // B splits 2-for-1 on 01-04 (raw 52 -> 26.5) and pays 0.5 on 01-05
  const b = toSeries(days.map((d, i) => bar("B", d, [50, 52, 26.5, 26][i])));
  const known = nyTime(days[0], 8);
  const actions: CorporateAction[] = [
    { symbol: "B", date: days[2], kind: "split", value: 2, knownAt: known },
    { symbol: "B", date: days[3], kind: "dividend", value: 0.5, knownAt: known },
  ];
  const idx = universeIndex(new Map([["A", a], ["B", b]]), actions);
  const r = Array.from(idx.indexClose.slice(1), (c, i) => Math.log(c / idx.indexClose[i]));
  const ln = Math.log;
  const want = [
    (ln(101 / 100) + ln(52 / 50)) / 2,
    (ln(102 / 101) + ln(26.5 * 2 / 52)) / 2,
    (ln(103 / 102) + ln(26.5 / 26.5)) / 2,
  ];
  r.forEach((x, i) => ok(Math.abs(x - want[i]) < 1e-12, `${days[i + 1]}: ${x} vs ${want[i]}`));
  // a split made public only after the ex-date's close leaves that day's raw jump in, as the features do
  const late = universeIndex(new Map([["A", a], ["B", b]]), [{
    ...actions[0],
    knownAt: closeTime(days[2]) + 1,
  }]);
  ok(Math.abs(ln(late.indexClose[2] / late.indexClose[1]) - (ln(102 / 101) + ln(26.5 / 52)) / 2) < 1e-12);
  // without actions: the raw closes, bit for bit as before
  deepEqual(
    universeIndex(new Map([["A", a]])).indexClose,
    universeIndex(new Map([["A", a]]), actions).indexClose,
  );
});
