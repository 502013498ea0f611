import { equal, ok, throws } from "node:assert/strict";
import { mulberry32 } from "../core/mod.ts";
import { type CsrMatrix, fitSoftmax, softmaxProbs } from "./softmax.ts";

/** A separable-ish 4-class problem: class = argmax of 4 noisy linear scores of 5 features. */
function problem(n: number, seed: number) {
  const r = mulberry32(seed), p = 5, K = 4;
  const X = new Float64Array(n * p), y = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) X[i * p + j] = r() * 2 - 1;
    let best = 0, bestS = -Infinity;
    for (let k = 0; k < K; k++) {
      const s = X[i * p + (k % p)] * (k + 1) + 0.3 * (r() - 0.5);
      if (s > bestS) [best, bestS] = [k, s];
    }
    y[i] = best;
  }
  return { X, y, p, K, n };
}

Deno.test("softmax solver: converges and says so; an iteration cap is reported as not converged", () => {
  const { X, y, p, K, n } = problem(2000, 1);
  const fit = fitSoftmax({ dense: X, rows: n, cols: p }, y, { classes: K, l2: 1e-3 });
  ok(fit.report.converged, JSON.stringify(fit.report));
  ok(fit.report.reason === "gradient" || fit.report.reason === "objective");
  ok(fit.report.gradNorm < 1e-4, `gradient ${fit.report.gradNorm}`);
  const pr = softmaxProbs({ dense: X, rows: n, cols: p }, fit.weights, K);
  let right = 0;
  for (let i = 0; i < n; i++) {
    let b = 0;
    for (let k = 1; k < K; k++) if (pr[i * K + k] > pr[i * K + b]) b = k;
    if (b === y[i]) right++;
  }
  ok(right / n > 0.85, `accuracy ${right / n}`);
  const capped = fitSoftmax({ dense: X, rows: n, cols: p }, y, { classes: K, l2: 1e-3, maxIter: 2 });
  equal(capped.report.converged, false);
  equal(capped.report.reason, "max-iterations");
  ok(capped.report.value > fit.report.value);
});

Deno.test("softmax solver: a sparse design gives the dense design's fit", () => {
  const { X, y, p, K, n } = problem(500, 2);
  const ptr = new Int32Array(n + 1), idx: number[] = [], val: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) {
      if (X[i * p + j] !== 0) {
        idx.push(j);
        val.push(X[i * p + j]);
      }
    }
    ptr[i + 1] = idx.length;
  }
  const S: CsrMatrix = { ptr, idx: Int32Array.from(idx), val: Float64Array.from(val), rows: n };
  const a = fitSoftmax({ dense: X, rows: n, cols: p }, y, { classes: K, l2: 1e-2 });
  const b = fitSoftmax({ sparse: S, cols: p }, y, { classes: K, l2: 1e-2 });
  for (let i = 0; i < a.weights.length; i++) ok(Math.abs(a.weights[i] - b.weights[i]) < 1e-9);
  throws(() => fitSoftmax({ dense: X, rows: n, cols: p }, y, { classes: 3, l2: 0 }), RangeError);
  throws(() => fitSoftmax({ dense: X, rows: n, cols: p }, y, { classes: K, l2: -1 }), RangeError);
});
