import { equal, ok, throws } from "node:assert/strict";
import { normalRng } from "../core/mod.ts";
import { ModelError } from "../core/mod.ts";
import {
  forwardMean,
  HAR_SPECS,
  type HarSpec,
  harxDesign,
  harxFit,
  harxFitExpanding,
  harxFitPanel,
  harxPredict,
  type RealizedInputs,
} from "./harx.ts";
import { harFit, harPredict, logHarFit, logHarPredict } from "./har.ts";

/** A log-HAR-type process with semivariances, an implied variance and leverage, all with known coefficients. */
function simulate(n: number, seed: number): RealizedInputs & { truth: number[] } {
  const z = normalRng(seed);
  const rv = new Float64Array(n), rsNeg = new Float64Array(n), iv = new Float64Array(n).fill(NaN);
  const ret = new Float64Array(n), rq = new Float64Array(n);
  const truth = [-0.2, 0.25, 0.15, 0.2, 0.2, 0.15, -20]; // const, rs-, rs+, w, m, iv, lev (log rv near -9)
  let lrv = Math.log(1e-4);
  const lagged: number[] = [];
  for (let t = 0; t < n; t++) {
    rv[t] = Math.exp(lrv);
    const share = 0.5 + 0.2 * Math.tanh(z());
    rsNeg[t] = share * rv[t];
    ret[t] = 0.01 * z(); // not scaled by rv: a leverage feedback through rv would explode
    rq[t] = rv[t] * rv[t] * (1 + 0.3 * Math.abs(z()));
    iv[t] = rv[t] * Math.exp(0.2 + 0.3 * z()); // a noisy forward-looking measure known at t
    lagged.push(rv[t]);
    if (t >= 21) {
      const w = lagged.slice(-5).reduce((s, v) => s + v, 0) / 5,
        m = lagged.slice(-22).reduce((s, v) => s + v, 0) / 22;
      const x = [
        1,
        Math.log(rsNeg[t]),
        Math.log(rv[t] - rsNeg[t]),
        Math.log(w),
        Math.log(m),
        Math.log(iv[t]),
        Math.min(ret[t], 0),
      ];
      lrv = x.reduce((s, v, j) => s + v * truth[j], 0) + 0.3 * z();
    } else lrv = Math.log(1e-4) + 0.3 * z();
  }
  return { rv, rsNeg, iv, ret, rq, truth };
}

Deno.test("harx: OLS on the shar-iv-lev terms recovers the planted coefficients", () => {
  const inp = simulate(20_000, 3);
  const p = harxFit(inp, HAR_SPECS["shar-iv-lev"], 1);
  inp.truth.forEach((b, j) =>
    ok(Math.abs(p.beta[j] - b) < 0.08 * Math.max(1, Math.abs(b)), `beta ${j}: ${p.beta[j]} vs ${b}`)
  );
  ok(Math.abs(p.s2 - 0.09) < 0.01, `residual variance ${p.s2}`);
  // the forecast is exp(fit + s2/2), a mean of a lognormal
  const t = 15_000, cols = harxDesign(inp, p.spec);
  const fit = p.beta[0] + cols.reduce((s, c, j) => s + p.beta[j + 1] * c[t], 0);
  ok(Math.abs(harxPredict(p, inp, t) - Math.exp(fit + p.s2 / 2)) < 1e-15);
});

Deno.test("harx: expanding re-estimation equals a fresh fit at every end", () => {
  const inp = simulate(3000, 5);
  const ends = [400, 401, 900, 1500, 2999];
  for (const [name, spec] of Object.entries(HAR_SPECS) as [string, HarSpec][]) {
    for (const h of [1, 5, 22]) {
      const exp = harxFitExpanding(inp, spec, h, ends);
      ends.forEach((e, k) => {
        const one = harxFit(inp, spec, h, e);
        equal(exp[k].n, one.n, `${name} h${h} end ${e}`);
        one.beta.forEach((b, j) =>
          ok(Math.abs(exp[k].beta[j] - b) <= 1e-6 * (Math.abs(b) + 1e-8), `${name} ${j}`)
        );
      });
    }
  }
  throws(() => harxFitExpanding(inp, HAR_SPECS["har-rv"], 1, [500, 400]), RangeError);
});

Deno.test("harx: har-rv and log-HAR through the generic path match the hand formulas", () => {
  const inp = simulate(2000, 9), rv = inp.rv;
  const p = harFit(rv, 1);
  const t = 1500;
  const w = (rv[t] + rv[t - 1] + rv[t - 2] + rv[t - 3] + rv[t - 4]) / 5;
  let m = 0;
  for (let k = 0; k < 22; k++) m += rv[t - k];
  m /= 22;
  const want = Math.max(p.floor, p.beta[0] + p.beta[1] * rv[t] + p.beta[2] * w + p.beta[3] * m);
  ok(Math.abs(harPredict(p, rv, t) - want) < 1e-18);
  const lp = logHarFit(rv, 5, 1800);
  const f = lp.beta[0] + lp.beta[1] * Math.log(rv[t]) + lp.beta[2] * Math.log(w) + lp.beta[3] * Math.log(m);
  ok(Math.abs(logHarPredict(lp, rv, t) / Math.exp(f + lp.s2 / 2) - 1) < 1e-12);
  // the target of h = 5 is the mean of the next five
  equal(forwardMean(rv, 10, 5), (rv[11] + rv[12] + rv[13] + rv[14] + rv[15]) / 5);
  ok(Number.isNaN(forwardMean(rv, rv.length - 3, 5)));
});

Deno.test("harx: missing inputs, HARQ's insanity filter, pooled fits", () => {
  const inp = simulate(1500, 11);
  throws(() => harxFit({ rv: inp.rv }, HAR_SPECS["har-rv-iv"], 1), ModelError);
  throws(() => harxFit({ rv: inp.rv, iv: inp.iv!.slice(0, 10) }, HAR_SPECS["har-rv-iv"], 1), RangeError);
  const q = harxFit(inp, HAR_SPECS.harq, 1);
  ok(q.lo > 0 && q.hi > q.lo && q.mean > q.lo && q.mean < q.hi);
  // a wild day: the linear HARQ forecast leaves the sample range and is replaced by the sample mean
  const wild: RealizedInputs = { ...inp, rv: inp.rv.slice(), rq: inp.rq!.slice() };
  wild.rv[1000] = 1;
  wild.rq![1000] = 1;
  const f = harxPredict(q, wild, 1000);
  ok(f === q.mean || (f >= q.lo && f <= q.hi), `${f}`);
  // a missing regressor gives NaN, not a number
  const gap: RealizedInputs = { ...inp, iv: inp.iv!.slice() };
  gap.iv![700] = NaN;
  ok(Number.isNaN(harxPredict(harxFit(gap, HAR_SPECS["har-rv-iv"], 1), gap, 700)));
  // pooling two halves of one series (decisions up to 699, then from 700) equals one fit over the whole
  const a = harxFitPanel([{ inputs: inp, to: 700 }, { inputs: inp, from: 700 }], HAR_SPECS["har-log"], 1);
  const b = harxFit(inp, HAR_SPECS["har-log"], 1);
  equal(a.n, b.n);
  a.beta.forEach((v, j) => ok(Math.abs(v - b.beta[j]) < 1e-9 * (1 + Math.abs(v))));
});
