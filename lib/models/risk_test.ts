import { equal, ok, throws } from "node:assert/strict";
import { mulberry32, normalRng } from "../core/mod.ts";
import { ModelError } from "../core/mod.ts";
import { stdTQuantile, stdTSample, stdTTailMean } from "./distributions.ts";
import { empiricalTail, fitStdT, historicalRisk, riskMetricsRisk, stdTTail, volScaledRisk } from "./risk.ts";
import { kupiec, varHits } from "./var_backtest.ts";

Deno.test("fitStdT recovers scale and degrees of freedom", () => {
  const rand = mulberry32(9);
  const z = Float64Array.from({ length: 20_000 }, () => 1.3 * stdTSample(5, rand));
  const f = fitStdT(z);
  ok(Math.abs(f.scale - 1.3) < 0.03 && Math.abs(f.nu - 5) < 0.5, JSON.stringify(f));
  const g = fitStdT(z, { nu: 8, scale: 1 });
  ok(
    Math.abs(g.nu - f.nu) < 0.05 && Math.abs(g.scale - f.scale) < 0.005,
    "a warm start finds the same optimum",
  );
  throws(() => fitStdT([1, 2, 3]), ModelError);
  const t = stdTTail(0.01, f);
  ok(Math.abs(t.q - f.scale * stdTQuantile(0.01, f.nu)) < 1e-12 && t.tailMean < t.q);
});

Deno.test("empiricalTail: linear-interpolation quantile (numpy default) and the mean at or below it", () => {
  const x = [5, 1, 4, 2, 3, NaN];
  const t = empiricalTail(x, 0.25); // sorted 1..5, position 1.0 -> 2
  equal(t.q, 2);
  equal(t.tailMean, 1.5);
  const u = empiricalTail(x, 0.1); // position 0.4 -> 1.4
  ok(Math.abs(u.q - 1.4) < 1e-12 && u.tailMean === 1);
});

Deno.test("volScaledRisk: correct volatility forecasts give nominal coverage for the t and FHS tails", () => {
  const rand = mulberry32(17), n = 12_000, nu = 6;
  const sigma = Float64Array.from({ length: n }, (_, t) => 0.01 * (1 + 0.8 * Math.sin(t / 40)));
  const r = Float64Array.from(sigma, (s) => s * stdTSample(nu, rand));
  const { t, fhs, fits } = volScaledRisk(r, [{ start: 4000, end: n, zFrom: 0, mu: 0, sigma }], [0.01, 0.025]);
  ok(Math.abs(fits[0].nu - nu) < 1.2 && Math.abs(fits[0].scale - 1) < 0.05, JSON.stringify(fits[0]));
  for (const p of [t, fhs]) {
    ok(Number.isNaN(p.var_[0][3999]) && p.var_[0][4000] > 0);
    for (const [k, a] of [0.01, 0.025].entries()) {
      const test = kupiec(varHits(r.subarray(4000), p.var_[k].subarray(4000)), a);
      ok(test.pValue > 0.01, `${p.method} ${a}: ${JSON.stringify(test)}`);
      ok(p.es[k][5000] > p.var_[k][5000]);
    }
  }
  // the parametric tail is the fitted t's
  const f = fits[0];
  ok(Math.abs(t.var_[0][5000] + sigma[5000] * f.scale * stdTQuantile(0.01, f.nu)) < 1e-15);
  ok(Math.abs(t.es[0][5000] + sigma[5000] * f.scale * stdTTailMean(0.01, f.nu)) < 1e-15);
  // the FHS tail: hits are residuals below the quantile, each drawn loss lies beyond the VaR
  const ft = fhs.tails[0];
  ok(Math.abs(ft.hitProb(5000) - 0.01) < 0.002 && ft.hitProb(10) === 0);
  for (let k = 0; k < 50; k++) ok(ft.tailLoss(5000, rand) >= fhs.var_[0][5000]);
  ok(t.tails[1].hitProb(5000) === 0.025 && t.tails[1].tailLoss(5000, rand) >= t.var_[1][5000]);
});

Deno.test("riskmetrics and historical simulation: causal, positive, ES beyond VaR", () => {
  const z = normalRng(3), r = Float64Array.from({ length: 1500 }, () => 0.01 * z());
  const rm = riskMetricsRisk(r, 600, 1500), hs = historicalRisk(r, 600, 1500, [0.01, 0.025], 500);
  for (const p of [rm, hs]) {
    ok(Number.isNaN(p.var_[0][599]) && p.var_[0][600] > 0 && p.es[0][600] >= p.var_[0][600], p.method);
  }
  // no look-ahead: changing r[t] and later leaves the forecast for r[t] unchanged
  const r2 = r.slice();
  r2[1000] = -0.5;
  ok(historicalRisk(r2, 600, 1500).var_[0][1000] === hs.var_[0][1000]);
  ok(riskMetricsRisk(r2, 600, 1500).var_[0][1000] === rm.var_[0][1000]);
  ok(historicalRisk(r2, 600, 1500).var_[0][1001] > hs.var_[0][1001]);
  // the sliding sorted window equals a fresh sort of the last 500 finite returns (with a gap of NaNs)
  const r3 = r.slice();
  r3.fill(NaN, 700, 720);
  const h3 = historicalRisk(r3, 600, 1500, [0.01, 0.025], 500);
  for (const t of [600, 701, 730, 1100, 1499]) {
    const w = Array.from(r3.subarray(0, t)).filter(Number.isFinite).slice(-500);
    const tl = empiricalTail(w, 0.025);
    ok(h3.var_[1][t] === -tl.q && h3.es[1][t] === -tl.tailMean, `t=${t}`);
  }
});
