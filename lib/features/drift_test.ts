import { equal, ok } from "node:assert/strict";
import { mulberry32 } from "../core/mod.ts";
import { driftBaseline, driftReference, psi } from "./drift.ts";

function normals(n: number, mean: number, sd: number, seed: number): Float64Array {
  const r = mulberry32(seed);
  return Float64Array.from({ length: n }, () => {
    const u = Math.max(1e-12, r()), v = r();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  });
}

Deno.test("drift: PSI is near 0 for the same distribution and large for a shifted one", () => {
  const ref = driftReference(normals(20_000, 0, 1, 1), 10)!;
  equal(ref.shares.length, 10);
  ok(Math.abs(ref.shares.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  const same = psi(ref, normals(5_000, 0, 1, 2));
  ok(same < 0.01, `same distribution: ${same}`);
  const shifted = psi(ref, normals(5_000, 1, 1, 3));
  ok(shifted > 0.25, `shifted by one sd: ${shifted}`);
  const wider = psi(ref, normals(5_000, 0, 2, 4));
  ok(wider > 0.1 && wider > same, `twice the spread: ${wider}`);
  ok(Number.isNaN(psi(ref, [NaN])));
  equal(driftReference([1, 2, 3], 10), null);
  const tied = driftReference(new Array(100).fill(1).concat(new Array(100).fill(2)), 10)!;
  equal(tied.edges.length, 2, "repeated values give fewer bins");
});

Deno.test("drift: the baseline of a persistent series is larger than that of an independent one", () => {
  const n = 4000;
  const iid = normals(n, 0, 1, 5);
  const walk = new Float64Array(n);
  const e = normals(n, 0, 1, 6);
  for (let i = 1; i < n; i++) walk[i] = 0.98 * walk[i - 1] + e[i];
  const win = (x: Float64Array) => Array.from({ length: 30 }, (_, k) => x.subarray(k * 120, k * 120 + 200));
  const a = driftBaseline(driftReference(iid)!, win(iid))!;
  const b = driftBaseline(driftReference(walk)!, win(walk))!;
  equal(a.windows, 30);
  ok(a.max < 0.3, `iid windows stay close: ${a.max}`);
  ok(b.q90 > 2 * a.q90, `a persistent series strays further: ${b.q90} vs ${a.q90}`);
  ok(a.q90 <= a.max);
});
