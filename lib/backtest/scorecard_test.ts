import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { scorecardTotals, scoreDay } from "./scorecard.ts";

Deno.test("scorecard: hits, round-trip costs, IC, and symbols without a return left out", () => {
  const r = new Map([["A", 0.02], ["B", -0.01], ["C", 0.005], ["D", NaN]]);
  const d = scoreDay(
    [
      { symbol: "A", size: 0.5, score: 0.8 },
      { symbol: "B", size: 0.5, score: -0.2 },
      { symbol: "C", size: 0, score: 0.1 },
      { symbol: "D", size: 1, score: 1 },
      { symbol: "E", size: 1, score: 1 },
    ],
    r,
    5,
  );
  equal(d.n, 3);
  equal(d.traded, 2);
  equal(d.hits, 1);
  const want = (0.5 * 0.02 - 0.001 * 0.5 + 0.5 * -0.01 - 0.001 * 0.5 + 0) / 3;
  ok(Math.abs(d.pnl - want) < 1e-15, `${d.pnl} vs ${want}`);
  equal(d.ic, 1, "scores rank the returns exactly");
  ok(Number.isNaN(scoreDay([{ symbol: "A", size: 1, score: 1 }], r, 0).ic));
  equal(scoreDay([], r, 5).pnl, 0);
});

Deno.test("scorecard: the book's return after the turnover from the previous book, and equal weight beside it", () => {
  const r = new Map([["A", 0.02], ["B", -0.01], ["C", 0.005]]);
  const today = [
    { symbol: "A", size: 0.5, score: 0.8 },
    { symbol: "B", size: 0.25, score: -0.2 },
    { symbol: "C", size: 0, score: 0.1 },
    { symbol: "E", size: 0.25, score: 1 }, // no return: traded, earns nothing
  ];
  // from cash: every size is bought
  const cash = scoreDay(today, r, 10);
  ok(Math.abs(cash.turnover - 1) < 1e-15);
  const gross = 0.5 * 0.02 + 0.25 * -0.01;
  ok(Math.abs(cash.bookPnl - (gross - 0.001 * 1)) < 1e-15, `${cash.bookPnl}`);
  ok(Math.abs(cash.benchmark - (0.02 - 0.01 + 0.005) / 3) < 1e-15);
  // from yesterday's book: A unchanged, B added to, C sold, D (not signalled today) sold
  const prev = new Map([["A", 0.5], ["B", 0.1], ["C", 0.2], ["D", 0.2]]);
  const d = scoreDay(today, r, 10, prev);
  const turnover = 0 + 0.15 + 0.2 + 0.25 + 0.2;
  ok(Math.abs(d.turnover - turnover) < 1e-15, `${d.turnover}`);
  ok(Math.abs(d.bookPnl - (gross - 0.001 * turnover)) < 1e-15);
  // the per-signal figures do not depend on the previous book
  equal(d.pnl, cash.pnl);
  equal(d.n, 3);
  ok(Number.isNaN(scoreDay([{ symbol: "Z", size: 1, score: 1 }], r, 0).benchmark), "no return known");
  throws(
    () => scoreDay([{ symbol: "A", size: 1, score: 1 }, { symbol: "A", size: 0, score: 0 }], r, 0),
    RangeError,
  );
});

Deno.test("scorecard totals: compounded book and benchmark, Sharpe and drawdown, ICIR; days without a book left out", () => {
  const day = (bookPnl: number | null, ic: number | null, benchmark: number | null = 0.001) => ({
    n: 4,
    traded: 2,
    hits: 1,
    pnl: 0.001,
    ic,
    bookPnl,
    turnover: bookPnl === null ? null : 0.2,
    benchmark: bookPnl === null ? null : benchmark,
  });
  const t = scorecardTotals([day(null, 0.1), day(0.01, 0.3), day(-0.02, null), day(0.015, 0.2)]);
  equal(t.days, 4);
  equal(t.signals, 16);
  equal(t.hitRate, 0.5);
  ok(Math.abs(t.pnl - 0.004) < 1e-15);
  equal(t.bookDays, 3, "the day scored before the book was recorded is left out of the book");
  ok(Math.abs(t.bookReturn! - (1.01 * 0.98 * 1.015 - 1)) < 1e-15);
  ok(Math.abs(t.benchmarkReturn! - (1.001 ** 3 - 1)) < 1e-15);
  const m = (0.01 - 0.02 + 0.015) / 3;
  const sd = Math.sqrt(((0.01 - m) ** 2 + (-0.02 - m) ** 2 + (0.015 - m) ** 2) / 2);
  ok(Math.abs(t.bookSharpe! - m / sd * Math.sqrt(252)) < 1e-12);
  ok(Math.abs(t.bookMaxDrawdown! - (0.98 - 1)) < 1e-15, "from the peak after the first day");
  ok(Math.abs(t.meanTurnover! - 0.2) < 1e-15);
  ok(Math.abs(t.meanIc! - 0.2) < 1e-15);
  ok(Math.abs(t.icir! - 0.2 / 0.1) < 1e-12, "mean 0.2 over sample sd 0.1");
  const old = scorecardTotals([day(null, 0.1)]);
  deepEqual(
    [
      old.bookDays,
      old.bookReturn,
      old.benchmarkReturn,
      old.bookSharpe,
      old.bookMaxDrawdown,
      old.meanTurnover,
    ],
    [0, null, null, null, null, null],
  );
  equal(old.icir, null, "one IC has no spread");
  equal(scorecardTotals([]).hitRate, null);
});
