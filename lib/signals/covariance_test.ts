import { ok, throws } from "node:assert/strict";
import { EwmaCovariance, ledoitWolf, RollingLedoitWolf } from "./covariance.ts";
import { normalRng } from "../core/mod.ts";

const near = (a: number, b: number, tol = 1e-12) => ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

Deno.test("ledoitWolf equals the textbook formula computed naively", () => {
  const g = normalRng(3), n = 40, p = 4;
  const X = new Float64Array(n * p);
  for (let t = 0; t < n; t++) {
    const f = g();
    for (let j = 0; j < p; j++) X[t * p + j] = 0.01 * (1 + j) * (0.6 * f + 0.8 * g());
  }
  const { cov, shrinkage } = ledoitWolf(X, n, p);
  // naive: centre, S = Z'Z/n, mu = tr/p, d2 = ||S - mu I||^2/p, b2 = sum_t ||z z' - S||^2 / n^2 / p
  const mean = Array.from({ length: p }, (_, j) => {
    let s = 0;
    for (let t = 0; t < n; t++) s += X[t * p + j];
    return s / n;
  });
  const Z = (t: number, j: number) => X[t * p + j] - mean[j];
  const S = (i: number, j: number) => {
    let s = 0;
    for (let t = 0; t < n; t++) s += Z(t, i) * Z(t, j);
    return s / n;
  };
  let mu = 0;
  for (let i = 0; i < p; i++) mu += S(i, i) / p;
  let d2 = 0, b2 = 0;
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) d2 += (S(i, j) - (i === j ? mu : 0)) ** 2 / p;
  for (let t = 0; t < n; t++) {
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) b2 += (Z(t, i) * Z(t, j) - S(i, j)) ** 2;
  }
  b2 = Math.min(d2, b2 / (n * n) / p);
  const delta = b2 / d2;
  near(shrinkage, delta);
  ok(shrinkage > 0 && shrinkage < 1);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < p; j++) {
      near(cov[i * p + j], (1 - delta) * S(i, j) + (i === j ? delta * mu : 0), 1e-15);
    }
  }
  throws(() => ledoitWolf(X, n + 1, p), RangeError);
});

Deno.test("EWMA covariance: bias-corrected weights, missing values skip a pair, shrunk correlations", () => {
  const m = new EwmaCovariance(3, { halfLife: 2, minObs: 2, shrinkage: 0 });
  const rows = [[0.01, 0.02, NaN], [-0.02, -0.01, 0.03], [0.03, 0.01, -0.01]];
  for (const r of rows) m.update(r);
  const l = 0.5 ** 0.5;
  // pair (0,1): all three days; weights (1-l) l^2, (1-l) l, (1-l)
  const c01 = (l * l * 0.01 * 0.02 + l * (-0.02) * (-0.01) + 0.03 * 0.01) / (l * l + l + 1);
  const c00 = (l * l * 1e-4 + l * 4e-4 + 9e-4) / (l * l + l + 1);
  const c11 = (l * l * 4e-4 + l * 1e-4 + 1e-4) / (l * l + l + 1);
  near(m.variance(0), c00);
  near(m.correlation(0, 1), c01 / Math.sqrt(c00 * c11));
  // pair (0,2): two joint days only
  const c02 = (l * -0.02 * 0.03 + 0.03 * -0.01) / (l + 1);
  const c22 = (l * 9e-4 + 1e-4) / (l + 1);
  near(m.correlation(0, 2), c02 / Math.sqrt(c00 * c22)); // each variance over its own observed days
  const shrunk = new EwmaCovariance(3, { halfLife: 2, minObs: 2, shrinkage: 0.5 });
  for (const r of rows) shrunk.update(r);
  const rb = shrunk.meanCorrelation();
  near(shrunk.correlation(0, 1), 0.5 * m.correlation(0, 1) + 0.5 * rb);
  ok(Number.isNaN(new EwmaCovariance(2).variance(0)));
});

Deno.test("EWMA covariance: the mean correlation the shrinkage uses is the one after the last update", () => {
  const g = normalRng(5), S = 6, m = new EwmaCovariance(S, { halfLife: 5, minObs: 2, shrinkage: 0.2 });
  for (let t = 0; t < 30; t++) m.update(Array.from({ length: S }, () => 0.01 * g()));
  const calm = m.meanCorrelation();
  // a day every name falls together: the correlations jump, and the next risk query must see it
  m.update(Array.from({ length: S }, () => -0.06));
  let s = 0;
  const fresh = new EwmaCovariance(S, { halfLife: 5, minObs: 2, shrinkage: 0 });
  const g2 = normalRng(5);
  for (let t = 0; t < 30; t++) fresh.update(Array.from({ length: S }, () => 0.01 * g2()));
  fresh.update(Array.from({ length: S }, () => -0.06));
  for (let i = 1; i < S; i++) for (let j = 0; j < i; j++) s += fresh.correlation(i, j);
  const want = s / 15;
  ok(want > calm + 0.2, `the jump: ${calm} -> ${want}`);
  near(m.meanCorrelation(), want);
});

Deno.test("rolling Ledoit-Wolf recovers a common correlation", () => {
  const g = normalRng(9), S = 6, m = new RollingLedoitWolf(S, { window: 400, refitEvery: 50 });
  for (let t = 0; t < 400; t++) {
    const f = g();
    m.update(Array.from({ length: S }, () => 0.01 * (0.7 * f + Math.sqrt(1 - 0.49) * g())));
  }
  let s = 0;
  for (let i = 1; i < S; i++) for (let j = 0; j < i; j++) s += m.correlation(i, j);
  const rho = s / 15; // true correlation 0.49, shrunk a little toward 0
  ok(rho > 0.38 && rho < 0.55, `mean correlation ${rho}`);
  near(m.variance(0), m.variance(0));
  ok(m.variance(0) > 0.6e-4 && m.variance(0) < 1.4e-4);
});

Deno.test("correlations() and quadraticForm() agree with correlation() for both estimators", () => {
  const g = normalRng(4);
  for (
    const m of [
      new EwmaCovariance(5, { minObs: 3 }),
      new RollingLedoitWolf(5, { window: 30, refitEvery: 1, minObs: 3 }),
    ]
  ) {
    for (let t = 0; t < 40; t++) {
      m.update(Array.from({ length: 5 }, (_, i) => (i === 4 && t < 38 ? NaN : 0.01 * g())));
    }
    const idx = [0, 2, 4, 3], r = m.correlations(idx);
    for (let a = 0; a < 4; a++) {
      for (let b = 0; b < 4; b++) near(r[a * 4 + b], m.correlation(idx[a], idx[b]), 1e-15);
    }
    const x = [0.3, -0.2, 0.5, 0.1];
    let q = 0;
    for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) q += x[a] * x[b] * r[a * 4 + b];
    near(m.quadraticForm(idx, x), q, 1e-15);
  }
});
