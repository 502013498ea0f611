import { equal, ok } from "node:assert/strict";
import { scoreDay } from "./scorecard.ts";

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
