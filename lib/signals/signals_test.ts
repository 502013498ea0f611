import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { signalsFromMoe, signalsFromProbs } from "./signals.ts";
import type { MoeOutput } from "../moe/mod.ts";

const rows = {
  symbol: ["AAA", "BBB"],
  date: ["2024-01-02", "2024-01-02"],
  knownAt: [1704229200000, 1704229200000],
};

Deno.test("signalsFromMoe: actions, sizes and per-expert contributions", () => {
  const moe: MoeOutput = {
    n: 2,
    expertNames: ["trend", "level", "volatility"],
    score: new Float64Array([0.3, -0.02]),
    gates: new Float64Array([0.5, 0.3, 0.2, 0.2, 0.3, 0.5]),
    expertScores: new Float64Array([0.6, 0.1, -0.15, 0.1, -0.1, 0]),
  };
  const sig = signalsFromMoe(rows, moe, {
    threshold: 0.1,
    fullScore: 0.5,
    forecastVol: new Float64Array([0.3, 0.2]),
  });
  equal(sig[0].action, "buy");
  ok(Math.abs(sig[0].size - 0.25) < 1e-12); // conviction 0.5 x (0.15/0.3)
  ok(Math.abs(sig[0].confidence - 0.6) < 1e-12);
  deepEqual(sig[0].contributions.map((c) => c.expert), ["trend", "level", "volatility"]);
  ok(Math.abs(sig[0].contributions.reduce((a, c) => a + c.weight, 0) - 1) < 1e-12);
  equal(sig[0].contributions[0].score, 0.6);
  equal(sig[1].action, "hold");
  equal(sig[1].size, 0);
  equal(sig[0].knownAt, rows.knownAt[0]);
  equal(sig[0].source, "moe");
});

Deno.test("signalsFromProbs: score P(up)-P(down), long-only sells are flat", () => {
  const probs = new Float64Array([0.1, 0.3, 0.6, 0.6, 0.3, 0.1]);
  const sig = signalsFromProbs(rows, probs, "ensemble:soft", {
    threshold: 0.1,
    fullScore: 0.9,
    longOnly: true,
    targetVol: 0,
  });
  deepEqual(sig.map((s) => s.action), ["buy", "sell"]);
  ok(Math.abs(sig[0].size - 0.5) < 1e-12); // conviction (0.5-0.1)/(0.9-0.1), no vol targeting
  equal(sig[1].size, 0);
  equal(sig[1].contributions[0].expert, "ensemble:soft");
  throws(() => signalsFromProbs({ ...rows, symbol: ["AAA"] }, probs, "x"), RangeError);
});
