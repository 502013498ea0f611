import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { signalsFromProbs } from "./signals.ts";

const rows = {
  symbol: ["AAA", "BBB"],
  date: ["2024-01-02", "2024-01-02"],
  knownAt: [1704229200000, 1704229200000],
};

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
