import { ok, throws } from "node:assert/strict";
import { BayesianModelAveraging } from "./bma.ts";

const labels = new Int8Array([2, 0, 1, 2]);
// Model a puts 0.6 on the true class everywhere, model b 0.4.
const onTrue = (q: number) =>
  new Float64Array(Array.from(labels).flatMap((y) => [0, 1, 2].map((j) => (j === y ? q : (1 - q) / 2))));

Deno.test("bma: posterior weights ∝ prior × exp(nEff × mean log-likelihood)", () => {
  const a = onTrue(0.6), b = onTrue(0.4);
  for (const nEff of [1, 10, 100]) {
    const m = new BayesianModelAveraging({ nEff, prior: [1, 3] });
    m.fit([a, b], labels);
    const ua = 1 * Math.exp(nEff * Math.log(0.6)), ub = 3 * Math.exp(nEff * Math.log(0.4));
    ok(Math.abs(m.weights[0] - ua / (ua + ub)) < 1e-12, `nEff ${nEff}: ${m.weights}`);
    const p = m.combine([a, b]);
    const want = m.weights[0] * a[0] + m.weights[1] * b[0];
    ok(Math.abs(p[0] - want) < 1e-12);
  }
});

Deno.test("bma: tempering keeps weights off 0/1 for close models; bad options throw", () => {
  const a = onTrue(0.36), b = onTrue(0.35);
  const m = new BayesianModelAveraging(); // nEff 100
  m.fit([a, b], labels);
  ok(m.weights[0] > 0.5 && m.weights[0] < 0.99 && m.weights[1] > 0.01, String(m.weights));
  throws(() => new BayesianModelAveraging({ nEff: 0 }), RangeError);
  throws(() => new BayesianModelAveraging({ prior: [1] }).fit([a, b], labels), RangeError);
});
