import { ok, throws } from "node:assert/strict";
import { GatingNetwork } from "./linear_gate.ts";
import { MoeCombiner } from "./combiner.ts";
import { mulberry32 } from "../core/mod.ts";

/**
 * Two regimes told apart by condition 0 (high vs low vol, with noise); condition 1 is irrelevant noise.
 * Expert A calls the direction right 80% of the time in regime 1 and is a coin flip in regime 2; B the reverse.
 */
function regimes(n: number, seed: number) {
  const r = mulberry32(seed);
  const cond = new Float64Array(2 * n),
    ret = new Float64Array(n),
    A = new Float64Array(n),
    B = new Float64Array(n);
  const regime = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    regime[i] = r() < 0.5 ? 1 : 2;
    cond[2 * i] = (regime[i] === 1 ? 0.03 : 0.01) + 0.003 * (r() - 0.5);
    cond[2 * i + 1] = r();
    const dir = r() < 0.5 ? 1 : -1;
    ret[i] = dir * (0.001 + 0.02 * r());
    const call = (good: boolean) => (good ? (r() < 0.8 ? dir : -dir) : (r() < 0.5 ? 1 : -1)) * 0.6;
    A[i] = call(regime[i] === 1);
    B[i] = call(regime[i] === 2);
  }
  return { cond, ret, A, B, regime };
}

for (const objective of ["loglik", "pnl"] as const) {
  Deno.test(`gate (${objective}): learns to route to expert A in regime 1 and to B in regime 2`, () => {
    const tr = regimes(4000, 11), te = regimes(2000, 12);
    const moe = new MoeCombiner(["vol", "noise"], { expertNames: ["A", "B"], objective });
    moe.fit({ expertScores: [tr.A, tr.B], conditions: tr.cond }, tr.ret);
    const out = moe.predict({ expertScores: [te.A, te.B], conditions: te.cond });
    let gA1 = 0, n1 = 0, gB2 = 0, n2 = 0, hit = 0;
    for (let i = 0; i < out.n; i++) {
      const gsum = out.gates[2 * i] + out.gates[2 * i + 1];
      ok(Math.abs(gsum - 1) < 1e-12);
      if (te.regime[i] === 1) {
        gA1 += out.gates[2 * i];
        n1++;
      } else {
        gB2 += out.gates[2 * i + 1];
        n2++;
      }
      if (Math.sign(out.score[i]) === Math.sign(te.ret[i])) hit++;
    }
    ok(gA1 / n1 > 0.85, `mean gate of A in regime 1: ${gA1 / n1}`);
    ok(gB2 / n2 > 0.85, `mean gate of B in regime 2: ${gB2 / n2}`);
    // Routed perfectly the combined call is right 80% of the time; a fixed 50/50 mix only about 65%.
    ok(hit / out.n > 0.75, `combined hit rate ${hit / out.n}`);
  });
}

Deno.test("gate: weights sum to 1 per row, uniform before fit; NaN conditions are allowed", () => {
  const g = new GatingNetwork(3, 2);
  const w0 = g.weights(new Float64Array([1, 2, NaN, 4]), 2);
  ok(w0.every((v) => Math.abs(v - 1 / 3) < 1e-12));
  const r = mulberry32(5), n = 500;
  const cond = new Float64Array(2 * n).map(() => r());
  const ret = new Float64Array(n).map(() => r() - 0.5);
  const s = [0, 1, 2].map(() => new Float64Array(n).map(() => 2 * r() - 1));
  g.fit(s, cond, ret);
  cond[3] = NaN;
  const w = g.weights(cond, n);
  for (let i = 0; i < n; i++) ok(Math.abs(w[3 * i] + w[3 * i + 1] + w[3 * i + 2] - 1) < 1e-12);
  ok(w.every((v) => v > 0 && Number.isFinite(v)));
  throws(() => g.fit(s.slice(0, 2), cond, ret), RangeError);
  throws(() => g.weights(cond, n + 1), RangeError);
});

Deno.test("gate: with no condition features the gate learns a constant mix favouring the better expert", () => {
  const tr = regimes(3000, 21);
  // A is good everywhere here: use A for both regimes' good calls.
  const good = new Float64Array(tr.ret.length).map((_, i) =>
    Math.sign(tr.ret[i]) * (i % 5 === 0 ? -0.6 : 0.6)
  );
  const g = new GatingNetwork(2, 0);
  g.fit([good, tr.B], new Float64Array(0), tr.ret);
  const w = g.weights(new Float64Array(0), 1);
  ok(w[0] > 0.7, `constant gate on the good expert ${w[0]}`);
});
