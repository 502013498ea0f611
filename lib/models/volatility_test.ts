import { equal, ok, rejects, throws } from "node:assert/strict";
import { fabricateDataset } from "./_test_data.ts";
import { mulberry32, normalRng } from "../core/mod.ts";
import { Garch11Model, garchFilter, garchFit, garchForecast, type GarchParams } from "./garch.ts";
import { EwmaModel, ewmaVariance } from "./ewma.ts";
import { harFit, harPredict, HarRvModel, logHarFit, logHarPredict } from "./har.ts";
import { mincerZarnowitzR2, qlike } from "./metrics.ts";
import { ModelError } from "../core/mod.ts";

function simulateGarch(p: GarchParams, n: number, seed: number): { r: Float64Array; v: Float64Array } {
  const z = normalRng(seed), r = new Float64Array(n), v = new Float64Array(n);
  let s2 = p.omega / (1 - p.alpha - p.beta);
  for (let t = 0; t < n; t++) {
    v[t] = s2;
    r[t] = Math.sqrt(s2) * z();
    s2 = p.omega + p.alpha * r[t] * r[t] + p.beta * s2;
  }
  return { r, v };
}

const TRUE: GarchParams = { omega: 2e-6, alpha: 0.08, beta: 0.9 };

/** A fabricated dataset whose prices follow GARCH(1,1) paths; returns the true conditional variances too. */
function garchDataset(nSymbols: number, nDays: number, seed: number) {
  const f = fabricateDataset({ nSymbols, nDays, nFeatures: 1, seed });
  const trueVar = new Map<string, Float64Array>();
  let k = 0;
  for (const [sym, s] of f.ds.series) {
    const { r, v } = simulateGarch(TRUE, nDays, seed * 100 + k++);
    const u = normalRng(seed * 1000 + k);
    s.close[0] = 100;
    for (let t = 1; t < nDays; t++) s.close[t] = s.close[t - 1] * Math.exp(r[t]);
    for (let t = 0; t < nDays; t++) {
      s.open[t] = t ? s.close[t - 1] : 100;
      const sd = Math.sqrt(v[t]);
      s.high[t] = Math.max(s.open[t], s.close[t]) * Math.exp(0.5 * sd * Math.abs(u()));
      s.low[t] = Math.min(s.open[t], s.close[t]) * Math.exp(-0.5 * sd * Math.abs(u()));
    }
    s.adjClose.set(s.close);
    trueVar.set(sym, v);
  }
  return { ...f, trueVar };
}

Deno.test("garch: filter and forecast match hand computation", () => {
  const p = { omega: 0.1, alpha: 0.1, beta: 0.8 };
  const v = garchFilter(p, Float64Array.from([1, 2]), 1);
  ok(Math.abs(v[1] - 1.0) < 1e-12 && Math.abs(v[2] - 1.3) < 1e-12);
  ok(Math.abs(garchForecast(p, 1, 2, 1) - 1.3) < 1e-12);
  ok(Math.abs(garchForecast(p, 1, 2, 2) - (1.3 + 1.27) / 2) < 1e-12);
  ok(Math.abs(garchForecast(p, 1, 2, 5000) - 1.0) < 1e-3); // unconditional variance omega / (1 - a - b) = 1
  throws(() => garchForecast(p, 1, 1, 0), RangeError);
});

Deno.test("garch: QMLE recovers simulated GARCH(1,1) parameters", () => {
  const { r } = simulateGarch(TRUE, 6000, 101);
  const t0 = performance.now();
  const p = garchFit(r);
  const ms = performance.now() - t0;
  const q = garchFit(r, { targeting: false });
  console.log(`garchFit n=6000: ${ms.toFixed(0)} ms`, p, q);
  // asymptotic SEs at n = 6000 are about 0.01 (alpha) and 0.012 (beta): tolerance ~3 SE
  for (const x of [p, q]) {
    ok(Math.abs(x.alpha - TRUE.alpha) < 0.03, `alpha ${x.alpha}`);
    ok(Math.abs(x.beta - TRUE.beta) < 0.04, `beta ${x.beta}`);
    ok(x.alpha > 0 && x.beta > 0 && x.alpha + x.beta < 1);
  }
  ok(
    Math.abs(q.omega / (1 - q.alpha - q.beta) / 1e-4 - 1) < 0.35,
    `uncond ${q.omega / (1 - q.alpha - q.beta)}`,
  );
});

Deno.test("Garch11Model / EwmaModel / HarRvModel on a GARCH dataset: track the true variance, no look-ahead", async () => {
  const { ds, train, test, trueVar } = garchDataset(4, 1500, 7);
  const garch = new Garch11Model(), ewma = new EwmaModel(), har = new HarRvModel();
  await rejects(() => garch.predict(ds, test, 1), ModelError);
  for (const m of [garch, ewma, har]) await m.fit(ds, train);
  const tv = Float64Array.from(test, (i) => trueVar.get(ds.symbol[i])![ds.seriesIndex[i] + 1]);
  const results: Record<string, { qlike: number; r2: number }> = {};
  for (const m of [garch, ewma, har]) {
    const f = await m.predict(ds, test, 1);
    ok(f.every((x) => x > 0), `${m.name} forecasts positive`);
    results[m.name] = { qlike: qlike(tv, f), r2: mincerZarnowitzR2(tv, f) };
  }
  console.log("vs true conditional variance:", JSON.stringify(results));
  ok(results.garch11.r2 > 0.8, `garch r2 ${results.garch11.r2}`);
  ok(results.garch11.qlike < results.ewma.qlike, "garch beats ewma on its own process");
  ok(results.ewma.r2 > 0.5 && results["har-rv"].r2 > 0.3);
  // the forecast at a row equals the plain-array functions on returns up to that row
  const row = test[10], sym = ds.symbol[row], t = ds.seriesIndex[row];
  const close = ds.series.get(sym)!.close;
  const r = Float64Array.from({ length: t }, (_, k) => Math.log(close[k + 1] / close[k]));
  const p = garch.toJSON().params[sym];
  const v = garchFilter(p, r);
  const want = garchForecast(p, v[t - 1], r[t - 1], 5);
  const got = (await garch.predict(ds, Int32Array.of(row), 5))[0];
  ok(Math.abs(got / want - 1) < 1e-12, `${got} vs ${want}`);
  // look-ahead: changing prices after t changes no forecast at t
  const before = await Promise.all([garch, ewma, har].map((m) => m.predict(ds, Int32Array.of(row), 5)));
  for (let k = t + 1; k < close.length; k++) {
    close[k] *= 1.5;
    ds.series.get(sym)!.adjClose[k] *= 1.5;
    ds.series.get(sym)!.high[k] *= 2;
  }
  const after = await Promise.all([garch, ewma, har].map((m) => m.predict(ds, Int32Array.of(row), 5)));
  for (let k = 0; k < 3; k++) equal(after[k][0], before[k][0]);
  // serialization
  const g2 = Garch11Model.fromJSON(JSON.parse(JSON.stringify(garch.toJSON())));
  equal((await g2.predict(ds, Int32Array.of(row), 5))[0], after[0][0]);
  const h2 = HarRvModel.fromJSON(JSON.parse(JSON.stringify(har.toJSON())));
  equal((await h2.predict(ds, Int32Array.of(row), 5))[0], after[2][0]);
});

Deno.test("ewma: hand-computed recursion and causal warm-up", () => {
  const v = ewmaVariance(Float64Array.from([0.01, -0.02, 0.03]), 0.94, 1e-4);
  ok(Math.abs(v[1] - 1e-4) < 1e-15 && Math.abs(v[2] - 1.18e-4) < 1e-15 && Math.abs(v[3] - 1.6492e-4) < 1e-15);
  const w = ewmaVariance(Float64Array.from([0.01, -0.02, 0.03]), 0.94, undefined, 2);
  ok(Number.isNaN(w[0]));
  ok(Math.abs(w[1] - 1e-4) < 1e-15 && Math.abs(w[2] - 2.5e-4) < 1e-15);
  ok(Math.abs(w[3] - (0.94 * 2.5e-4 + 0.06 * 9e-4)) < 1e-15);
  throws(() => ewmaVariance(new Float64Array(3), 1), RangeError);
});

Deno.test("har: OLS recovers the coefficients of a simulated HAR process", () => {
  const b = [0.1, 0.4, 0.3, 0.2], n = 6000, z = normalRng(5);
  const rv = new Float64Array(n).fill(1);
  for (let t = 21; t < n - 1; t++) {
    let w = 0, m = 0;
    for (let k = 0; k < 22; k++) {
      if (k < 5) w += rv[t - k];
      m += rv[t - k];
    }
    rv[t + 1] = b[0] + b[1] * rv[t] + b[2] * w / 5 + b[3] * m / 22 + 0.1 * z();
  }
  const p = harFit(rv, 1);
  for (let i = 0; i < 4; i++) ok(Math.abs(p.beta[i] - b[i]) < 0.06, `beta[${i}] ${p.beta[i]} vs ${b[i]}`);
  const t = 100;
  let w = 0, m = 0;
  for (let k = 0; k < 22; k++) {
    if (k < 5) w += rv[t - k];
    m += rv[t - k];
  }
  const want = p.beta[0] + p.beta[1] * rv[t] + p.beta[2] * w / 5 + p.beta[3] * m / 22;
  ok(Math.abs(harPredict(p, rv, t) - want) < 1e-12);
  ok(Number.isNaN(harPredict(p, rv, 20)));
  const p5 = harFit(rv, 5);
  ok(p5.beta[1] < p.beta[1], "daily weight shrinks with the horizon");
});

Deno.test("logHarFit recovers a planted log-linear relation", () => {
  let x = 1e-4;
  const rv = new Float64Array(3000);
  const rand = mulberry32(7);
  for (let t = 0; t < rv.length; t++) {
    x = Math.exp(-9 * 0.3 + 0.7 * Math.log(x) + 0.3 * (rand() - 0.5));
    rv[t] = x;
  }
  const p = logHarFit(rv, 1, rv.length - 1);
  ok(Math.abs(p.beta[1] + p.beta[2] + p.beta[3] - 0.7) < 0.1, `${p.beta}`);
  ok(logHarPredict(p, rv, 2000) > 0);
  ok(Number.isNaN(logHarPredict(p, rv, 5)));
  throws(() => logHarFit(rv.slice(0, 40), 1, 39), ModelError);
});
