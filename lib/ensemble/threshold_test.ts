import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { ThresholdEnsemble } from "./threshold.ts";
import { argmaxRows } from "./argmax.ts";

const close = (a: ArrayLike<number>, b: number[]) =>
  ok(b.every((v, i) => Math.abs(a[i] - v) < 1e-12), `${Array.from(a)} != ${b}`);

Deno.test("threshold: acts on confident averaged rows, holds (neutral, score 0) elsewhere", () => {
  const t = new ThresholdEnsemble({ threshold: 0.6 });
  const a = new Float64Array([0.1, 0.2, 0.7, 0.3, 0.2, 0.5, 0.2, 0.6, 0.2]);
  const b = new Float64Array([0.1, 0.2, 0.7, 0.3, 0.2, 0.5, 0.2, 0.6, 0.2]);
  const p = t.combine([a, b]);
  // Row 0: up at 0.7 >= 0.6 -> kept. Row 1: up at 0.5 < 0.6 -> hold vector. Row 2: neutral argmax -> hold vector.
  close(p, [0.1, 0.2, 0.7, 0.2, 0.6, 0.2, 0.1, 0.8, 0.1]);
  deepEqual(Array.from(argmaxRows(p)), [2, 1, 1]);
  throws(() => new ThresholdEnsemble({ threshold: 0.3 }), RangeError);
});

Deno.test("threshold: tuned on validation to separate right confident rows from neutral weak ones", () => {
  // Confident rows (max 0.72) are right; weak rows (max 0.55) have neutral labels, so acting on them is wrong.
  const rows: number[][] = [], labels: number[] = [];
  for (let i = 0; i < 20; i++) {
    rows.push(i % 2 ? [0.72, 0.18, 0.1] : [0.1, 0.18, 0.72]);
    labels.push(i % 2 ? 0 : 2);
    rows.push(i % 2 ? [0.55, 0.25, 0.2] : [0.2, 0.25, 0.55]);
    labels.push(1);
  }
  const t = new ThresholdEnsemble();
  t.fit([new Float64Array(rows.flat())], new Int8Array(labels));
  ok(t.threshold > 0.55 && t.threshold <= 0.72, `threshold ${t.threshold}`);
  equal(t.threshold, 0.56); // lowest grid point achieving full accuracy
  const tp = new ThresholdEnsemble({ objective: "precision", minCoverage: 0.3 });
  tp.fit([new Float64Array(rows.flat())], new Int8Array(labels));
  equal(tp.threshold, 0.56);
});
