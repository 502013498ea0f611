import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { normalRng } from "../core/mod.ts";
import {
  defaultHacLag,
  dieboldMariano,
  modelConfidenceSet,
  neweyWestVariance,
  qlikeLosses,
} from "./forecast_tests.ts";

Deno.test("Newey-West: lag 0 is the variance; AR(1) long-run variance approaches sigma^2 / (1 - phi)^2", () => {
  const x = [1, 2, 3, 4];
  ok(Math.abs(neweyWestVariance(x, 0) - 1.25) < 1e-12);
  const z = normalRng(3), n = 200_000, phi = 0.5, a = new Float64Array(n);
  for (let t = 1; t < n; t++) a[t] = phi * a[t - 1] + z();
  const lrv = neweyWestVariance(a, 60);
  ok(Math.abs(lrv / 4 - 1) < 0.08, `long-run variance ${lrv} (4 expected)`);
  equal(defaultHacLag(1758, 1), 7);
  equal(defaultHacLag(1758, 22), 21);
});

Deno.test("Diebold-Mariano: equal losses are not rejected, a worse forecast is", () => {
  const z = normalRng(11), n = 1500;
  const rv = Float64Array.from({ length: n }, () => Math.exp(z()));
  const good = rv.map((v) => v * Math.exp(0.3 * z()));
  const same = rv.map((v) => v * Math.exp(0.3 * z()));
  const bad = rv.map((v) => v * Math.exp(0.6 * z()));
  const lg = qlikeLosses(rv, good), ls = qlikeLosses(rv, same), lb = qlikeLosses(rv, bad);
  const eq = dieboldMariano(lg, ls);
  ok(eq.pValue > 0.01, `equal forecasts p ${eq.pValue}`);
  const d = dieboldMariano(lg, lb, { h: 1 });
  ok(d.stat < -5 && d.pValue < 1e-6 && d.meanDiff < 0, JSON.stringify(d));
  const r = dieboldMariano(lb, lg);
  ok(Math.abs(r.stat + d.stat) < 1e-12, "antisymmetric");
  throws(() => dieboldMariano([1, 2], [1]), RangeError);
  ok(Number.isNaN(dieboldMariano([1, 2, 3], [1, 2, 3]).pValue));
  // no variance in the differences: identical losses are no evidence (p 1), a constant gap all of it (p 0)
  const ones = new Array(20).fill(1);
  deepEqual(dieboldMariano(ones, ones), {
    meanDiff: 0,
    stat: 0,
    pValue: 1,
    n: 20,
    lag: dieboldMariano(ones, ones).lag,
  });
  const gap = dieboldMariano(ones.map((v) => v + 0.5), ones);
  deepEqual([gap.stat, gap.pValue, gap.meanDiff], [Infinity, 0, 0.5]);
});

Deno.test("Diebold-Mariano: overlapping h-step losses (an MA(h - 1) under the null) are rejected near 5% at 5%", () => {
  // equal-weight sums of h normal shocks: the loss differences of two equally good h-step forecasts whose
  // targets overlap; with Bartlett weights at lag h - 1 alone a 5% test rejected 10.7% (h 22) and 6.9% (h 5)
  const z = normalRng(5), sims = 1000;
  for (const [h, n, most] of [[22, 500, 0.075], [5, 1000, 0.065]]) {
    let rejected = 0;
    for (let s = 0; s < sims; s++) {
      const e = Array.from({ length: n + h }, z);
      const d = Array.from({ length: n }, (_, t) => e.slice(t, t + h).reduce((a, v) => a + v, 0));
      if (dieboldMariano(d, new Array(n).fill(0), { h }).pValue < 0.05) rejected++;
    }
    ok(
      rejected / sims <= most && rejected / sims >= 0.025,
      `h ${h}: ${rejected / sims} of true nulls rejected at 5%`,
    );
  }
});

Deno.test("model confidence set: keeps the equally good, removes the clearly worse", () => {
  const z = normalRng(21), n = 1200;
  const base = Float64Array.from({ length: n }, () => z() ** 2);
  const L = [0, 0, 0.5, 0.02].map((shift) => base.map((v) => v + shift + 0.3 * z() ** 2));
  const m = modelConfidenceSet(L, { alpha: 0.1, resamples: 500, seed: 1 });
  ok(m.included[0] && m.included[1], JSON.stringify(Array.from(m.pValues)));
  ok(!m.included[2] && m.pValues[2] < 0.01);
  equal(m.order[0], 2); // the worst goes first
  equal(m.order.length, 4);
  equal(Math.max(...m.pValues), 1);
  throws(() => modelConfidenceSet([base]), RangeError);
});
