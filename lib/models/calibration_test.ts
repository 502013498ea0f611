import { deepEqual, equal, ok, throws } from "node:assert/strict";
import {
  calibrationError,
  EdgeCalibrator,
  edgeReliability,
  isotonicFit,
  isotonicPredict,
  logLoss,
  PlattScaler,
  ProbabilityCalibrator,
  reliabilityDiagram,
  standardizedOutcome,
  VolatilityCalibrator,
} from "./calibration.ts";
import { mulberry32, normalRng } from "../core/mod.ts";

const near = (a: number, b: number, tol = 1e-12) => ok(Math.abs(a - b) <= tol, `${a} != ${b} (tol ${tol})`);

Deno.test("isotonic regression: pool adjacent violators by hand, ties and weights", () => {
  const f = isotonicFit([1, 2, 3, 4], [1, 3, 2, 4]);
  deepEqual(f, { x: [1, 2, 3, 4], y: [1, 2.5, 2.5, 4] });
  near(isotonicPredict(f, 2.5), 2.5);
  near(isotonicPredict(f, 1.5), 1.75); // interpolated between knots
  equal(isotonicPredict(f, -5), 1);
  equal(isotonicPredict(f, 9), 4);
  // weights: (3 x 3 + 1 x 1) / 4 = 2.5 ... y = [3, 1] w = [3, 1] -> pooled 2.5
  deepEqual(isotonicFit([1, 2], [3, 1], [3, 1]).y, [2.5, 2.5]);
  // ties in x are averaged
  deepEqual(isotonicFit([1, 1, 2], [0, 1, 2]), { x: [1, 2], y: [0.5, 2] });
  ok(Number.isNaN(isotonicPredict({ x: [], y: [] }, 1)));
});

/** Rows whose true class probabilities are `p`; the model reports `p^power` renormalized (over-confident for power > 1). */
function miscalibrated(n: number, seed: number, power: number, shift = 0) {
  const u = mulberry32(seed), K = 3;
  const reported = new Float64Array(n * K), labels = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    const raw = [u() + 0.2, u() + 0.2 + shift, u() + 0.2];
    const s = raw.reduce((a, b) => a + b, 0);
    const p = raw.map((v) => v / s);
    const c = u();
    labels[i] = c < p[0] ? 0 : c < p[0] + p[1] ? 1 : 2;
    const q = p.map((v) => v ** power), qs = q.reduce((a, b) => a + b, 0);
    for (let k = 0; k < K; k++) reported[i * K + k] = q[k] / qs;
  }
  return { reported, labels };
}

Deno.test("temperature scaling undoes over-confidence and improves ECE and log loss out of sample", () => {
  const cal = miscalibrated(6000, 1, 3), test = miscalibrated(6000, 2, 3);
  const c = new ProbabilityCalibrator(3, "temperature").fit(cal.reported, cal.labels);
  ok(c.invTemperature > 0.2 && c.invTemperature < 0.5, `1/T ${c.invTemperature}`); // the truth is 1/3
  const before = calibrationError(test.reported, test.labels, 3),
    after = calibrationError(c.apply(test.reported), test.labels, 3);
  ok(after < before / 2, `top-label ECE ${before} -> ${after}`);
  ok(logLoss(c.apply(test.reported), test.labels, 3) < logLoss(test.reported, test.labels, 3));
  const cw0 = calibrationError(test.reported, test.labels, 3, { kind: "classwise" });
  const cw1 = calibrationError(c.apply(test.reported), test.labels, 3, { kind: "classwise" });
  ok(cw1 < cw0, `classwise ECE ${cw0} -> ${cw1}`);
  // argmax is unchanged by temperature scaling
  const q = c.apply(test.reported);
  for (let i = 0; i < 100; i++) {
    const am = (a: Float64Array) => [0, 1, 2].reduce((b, k) => (a[i * 3 + k] > a[i * 3 + b] ? k : b), 0);
    equal(am(q), am(test.reported));
  }
  // exact reload
  const r = ProbabilityCalibrator.fromJSON(JSON.parse(JSON.stringify(c)));
  deepEqual(r.apply(test.reported), q);
});

Deno.test("temperature + bias fixes a shifted base rate; isotonic improves ECE too", () => {
  // the model under-states class 1: the truth adds 0.5 to its raw weight, the model does not know
  const cal = miscalibrated(6000, 3, 1, 0), test = miscalibrated(6000, 4, 1, 0);
  const shift = (x: { reported: Float64Array }) => {
    const out = x.reported.slice();
    for (let i = 0; i < out.length; i += 3) {
      out[i + 1] *= 0.5;
      const s = out[i] + out[i + 1] + out[i + 2];
      for (let k = 0; k < 3; k++) out[i + k] /= s;
    }
    return out;
  };
  const calP = shift(cal), testP = shift(test);
  const ece0 = calibrationError(testP, test.labels, 3, { kind: "classwise" });
  const tb = new ProbabilityCalibrator(3, "temperature-bias").fit(calP, cal.labels);
  const iso = new ProbabilityCalibrator(3, "isotonic").fit(calP, cal.labels);
  const tOnly = new ProbabilityCalibrator(3, "temperature").fit(calP, cal.labels);
  const e1 = calibrationError(tb.apply(testP), test.labels, 3, { kind: "classwise" });
  const e2 = calibrationError(iso.apply(testP), test.labels, 3, { kind: "classwise" });
  const e3 = calibrationError(tOnly.apply(testP), test.labels, 3, { kind: "classwise" });
  ok(e1 < ece0 / 2 && e1 < e3, `classwise ECE raw ${ece0}, temperature ${e3}, temperature+bias ${e1}`);
  ok(e2 < ece0 / 2, `isotonic ${e2}`);
  deepEqual(ProbabilityCalibrator.fromJSON(JSON.parse(JSON.stringify(iso))).apply(testP), iso.apply(testP));
  throws(() => new ProbabilityCalibrator(3).fit(new Float64Array(9), [0, 1, 2]), Error);
});

Deno.test("reliability diagram and ECE by hand", () => {
  const r = reliabilityDiagram([0.05, 0.15, 0.95, 0.9], [0, 1, 1, 1], 10);
  equal(r.n, 4);
  equal(r.bins[0].count, 1);
  // bins: [0.05 vs 0], [0.15 vs 1], [0.95 and 0.9 vs 1] -> (0.05 + 0.85 + 0.075 * 2) / 4
  near(r.ece, (0.05 + 0.85 + 2 * 0.075) / 4);
});

Deno.test("Platt scaling recovers the logistic link", () => {
  const g = normalRng(3), u = mulberry32(4);
  const s = Float64Array.from({ length: 20000 }, () => g());
  const y = Float64Array.from(s, (v) => (u() < 1 / (1 + Math.exp(-(2 * v - 1))) ? 1 : 0));
  const p = new PlattScaler().fit(s, y);
  near(p.a, 2, 0.12);
  near(p.b, -1, 0.08);
  deepEqual(PlattScaler.fromJSON(JSON.parse(JSON.stringify(p))).apply(s), p.apply(s));
});

Deno.test("edge calibration puts a raw score on the expected-outcome scale; reliability improves", () => {
  const g = normalRng(8);
  const make = (n: number) => {
    const x = Float64Array.from({ length: n }, () => 3 * g()); // raw score on an arbitrary scale
    const z = Float64Array.from(x, (v) => 0.02 + 0.01 * v + g()); // true edge 0.02 + 0.01 x
    return { x, z };
  };
  const cal = make(40000), test = make(40000);
  const c = new EdgeCalibrator().fit(cal.x, cal.z);
  near(c.params.b, 0.01, 0.002);
  near(c.params.a, 0.02, 0.01);
  const raw = edgeReliability(test.x, test.z), fit = edgeReliability(c.predict(test.x), test.z);
  ok(fit.error < raw.error / 10, `reliability error ${raw.error} -> ${fit.error}`);
  near(fit.slope, 1, 0.25);
  // a score pointing the wrong way gets an edge of about its mean (a negligible slope of its own sign), not a flipped one
  const flat = new EdgeCalibrator().fit(cal.x, cal.z.map((v, i) => v - 0.02 * cal.x[i]));
  ok(flat.params.b > 0 && flat.params.b < 1e-4, `floored slope ${flat.params.b}`);
  // isotonic follows a threshold effect the linear map cannot
  const thr = { x: cal.x, z: Float64Array.from(cal.x, (v) => (v > 3 ? 0.3 : 0) + g()) };
  const iso = new EdgeCalibrator({ method: "isotonic" }).fit(thr.x, thr.z);
  const e = iso.predict([0, 4.5]);
  ok(e[0] < 0.1 && e[1] > 0.15, `isotonic edges ${e}`);
  // exact reload; NaN in, NaN out
  deepEqual(EdgeCalibrator.fromJSON(JSON.parse(JSON.stringify(iso))).predict(test.x), iso.predict(test.x));
  ok(Number.isNaN(c.predict([NaN])[0]));
  throws(() => new EdgeCalibrator().fit([1, 2], [1, 2]), Error);
});

Deno.test("volatility calibration rescales a biased variance forecast to unit standardized variance", () => {
  const g = normalRng(12);
  const sd = Float64Array.from({ length: 5000 }, (_, i) => 0.01 + 0.01 * (i % 7) / 7);
  const r = Float64Array.from(sd, (s) => s * g());
  const c = new VolatilityCalibrator().fit(sd.map((s) => (s / 2) ** 2), r); // forecast is half the true sd
  near(c.scale, 4, 0.25);
  const z = standardizedOutcome(r, c.dailyVol(sd.map((s) => (s / 2) ** 2)));
  const v = z.reduce((a, b) => a + b * b, 0) / z.length;
  near(v, 1, 1e-9);
  deepEqual(VolatilityCalibrator.fromJSON(JSON.parse(JSON.stringify(c))), c);
});
