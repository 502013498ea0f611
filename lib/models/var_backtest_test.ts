import { equal, ok } from "node:assert/strict";
import { normalRng } from "../core/mod.ts";
import { normalQuantile, normalTailMean } from "./distributions.ts";
import {
  acerbiSzekelyZ2,
  backtestVarEs,
  christoffersenIndependence,
  conditionalCoverage,
  kupiec,
  varHits,
} from "./var_backtest.ts";

Deno.test("Kupiec: textbook values (250 days, 99% VaR)", () => {
  const hits = (x: number, n = 250) => Array.from({ length: n }, (_, i) => (i < x ? 1 : 0));
  const k5 = kupiec(hits(5), 0.01);
  ok(Math.abs(k5.lr - 1.9568) < 1e-3, `${k5.lr}`); // Jorion's table: LR = 1.96 for 5 exceptions
  ok(k5.pValue > 0.15 && k5.pValue < 0.17);
  ok(kupiec(hits(8), 0.01).pValue < 0.01);
  const k0 = kupiec(hits(0), 0.01);
  ok(Math.abs(k0.lr - -2 * 250 * Math.log(0.99)) < 1e-9);
  equal(kupiec([-1, -1, 1, 0], 0.01).n, 2); // skipped days ignored
});

Deno.test("Christoffersen: clustered hits are rejected, spread hits are not", () => {
  const n = 1000, spread = new Array(n).fill(0), clustered = new Array(n).fill(0);
  for (let i = 50; i < n; i += 100) spread[i] = 1;
  for (const i of [100, 101, 102, 500, 501, 502, 503, 800, 801, 802]) clustered[i] = 1;
  ok(christoffersenIndependence(spread).pValue > 0.3);
  const c = christoffersenIndependence(clustered);
  ok(c.pValue < 1e-6 && c.n11 === 7, JSON.stringify(c));
  // hand computation of the independence LR for a short sequence
  const seq = [0, 0, 1, 1, 0, 0, 0, 1, 0, 0];
  const n00 = 4, n01 = 2, n10 = 2, n11 = 1, p01 = 2 / 6, p11 = 1 / 3, p = 3 / 9;
  const l0 = (n00 + n10) * Math.log(1 - p) + (n01 + n11) * Math.log(p);
  const l1 = n00 * Math.log(1 - p01) + n01 * Math.log(p01) + n10 * Math.log(1 - p11) + n11 * Math.log(p11);
  ok(Math.abs(christoffersenIndependence(seq).lr - -2 * (l0 - l1)) < 1e-12);
  const cc = conditionalCoverage(seq, 0.1);
  ok(Math.abs(cc.lr - (kupiec(seq, 0.1).lr + christoffersenIndependence(seq).lr)) < 1e-12);
});

Deno.test("Acerbi-Szekely Z2: near zero and not rejected for correct forecasts, rejected when risk is halved", () => {
  const z = normalRng(4), n = 2000, alpha = 0.025, sigma = 0.01;
  const r = Float64Array.from({ length: n }, () => sigma * z());
  const v = new Float64Array(n).fill(-sigma * normalQuantile(alpha));
  const es = new Float64Array(n).fill(-sigma * normalTailMean(alpha));
  // the normal's tail beyond its alpha quantile, for a forecast of scale `k * sigma`
  const tail = (k: number) => ({
    hitProb: () => alpha,
    tailLoss: (_t: number, rand: () => number) => -k * sigma * normalQuantile(alpha * (1 - rand())),
  });
  const good = acerbiSzekelyZ2(r, v, es, alpha, tail(1), { sims: 400, seed: 1 });
  ok(Math.abs(good.z2) < 0.3 && good.pValue > 0.05, JSON.stringify(good));
  const half = acerbiSzekelyZ2(r, v.map((x) => x / 2), es.map((x) => x / 2), alpha, tail(0.5), {
    sims: 400,
    seed: 1,
  });
  ok(half.z2 > 1 && half.pValue < 0.01, JSON.stringify(half));
  // no realized hit: Z2 = -1, which no simulated history falls below
  const zero = acerbiSzekelyZ2(new Float64Array(n), v, es, alpha, tail(1), { sims: 2000, seed: 3 });
  ok(zero.z2 === -1 && zero.pValue === 1, "no hits: Z2 = -1, never exceeded");
  ok(Number.isNaN(acerbiSzekelyZ2(r, v, es, alpha).pValue));
  const all = backtestVarEs(r, v, es, alpha, tail(1), { sims: 50, seed: 2 });
  equal(all.kupiec.hits, Array.from(varHits(r, v)).filter((h) => h === 1).length);
  ok(all.kupiec.pValue > 0.01 && all.conditionalCoverage.pValue > 0.01);
});
