import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { computeMetrics } from "./metrics.ts";

const near = (a: number, b: number) => ok(Math.abs(a - b) < 1e-12, `${a} != ${b}`);

Deno.test("metrics: hand-computed Sharpe, Sortino, drawdown, annualized return", () => {
  const R = new Float64Array([0.01, -0.02, 0.03, -0.01]);
  const m = computeMetrics(R, { turnover: 0.1, hitRate: 0.5, trades: 3, exposure: 1 }, 252);
  const mean = 0.0025;
  const sd = Math.sqrt(((0.0075) ** 2 + (0.0225) ** 2 + (0.0275) ** 2 + (0.0125) ** 2) / 3);
  near(m.sharpe, mean / sd * Math.sqrt(252));
  near(m.sortino, mean / Math.sqrt((0.0004 + 0.0001) / 4) * Math.sqrt(252));
  near(m.annVol, sd * Math.sqrt(252));
  const total = 1.01 * 0.98 * 1.03 * 0.99 - 1;
  near(m.totalReturn, total);
  near(m.annReturn, Math.pow(1 + total, 252 / 4) - 1);
  near(m.maxDrawdown, -0.02); // peak 1.01 -> 0.9898
  near(m.annTurnover, 25.2);
});

import {
  activeMetrics,
  bootstrapSharpe,
  deflatedSharpeOfSet,
  deflatedSharpeRatio,
  expectedMaxSharpe,
  moments,
  normalCdf,
  normalQuantile,
  probabilisticSharpeRatio,
} from "./metrics.ts";
import { normalRng } from "../core/mod.ts";

const close = (a: number, b: number, tol: number, what = "") =>
  ok(Math.abs(a - b) <= tol, `${what} ${a} != ${b} (tol ${tol})`);

Deno.test("normal cdf and quantile match published values", () => {
  // values from R: pnorm(1), pnorm(-2), pnorm(1.96), pnorm(-8), qnorm(0.975), qnorm(0.01), qnorm(1e-10)
  close(normalCdf(0), 0.5, 1e-15);
  close(normalCdf(1), 0.8413447460685429, 1e-14);
  close(normalCdf(-2), 0.02275013194817921, 1e-15);
  close(normalCdf(1.96), 0.9750021048517795, 1e-14);
  close(normalCdf(-8) / 6.220960574271785e-16, 1, 1e-7); // relative, deep tail
  close(normalQuantile(0.975), 1.959963984540054, 1e-12);
  close(normalQuantile(0.01), -2.326347874040841, 1e-12);
  close(normalQuantile(1e-10), -6.361340902404056, 1e-9);
  for (const p of [1e-6, 0.02, 0.3, 0.5, 0.77, 0.999]) {
    close(normalCdf(normalQuantile(p)), p, 1e-14 + p * 1e-12);
  }
  ok(normalQuantile(0) === -Infinity && normalQuantile(1) === Infinity && Number.isNaN(normalQuantile(2)));
});

Deno.test("moments: hand-computed skewness and kurtosis", () => {
  const m = moments([1, 2, 3, 10]);
  // mean 4; deviations -3 -2 -1 6: m2 = 50/4, m3 = (-27-8-1+216)/4 = 45, m4 = (81+16+1+1296)/4 = 348.5
  near(m.mean, 4);
  near(m.sd, Math.sqrt(50 / 3));
  near(m.skew, 45 / 12.5 ** 1.5);
  near(m.kurtosis, 348.5 / 12.5 ** 2);
});

Deno.test("deflated Sharpe ratio reproduces the numerical example of Bailey & Lopez de Prado (2014)", () => {
  // Annualized SR 2.5 over 5 years of daily data (250 a year), 100 trials whose annualized Sharpe ratios have
  // variance 1/2, skewness -3, kurtosis 10: the paper reports SR0 = 0.1132 (per day) and DSR = 0.9004.
  const { dsr, sr0 } = deflatedSharpeRatio({
    sharpe: 2.5 / Math.sqrt(250),
    n: 1250,
    trials: 100,
    trialVariance: 0.5 / 250,
    skew: -3,
    kurtosis: 10,
  });
  close(sr0, 0.1132, 5e-5, "SR0");
  close(dsr, 0.9004, 5e-4, "DSR");
  // one trial: no deflation, DSR = PSR against 0
  equal(expectedMaxSharpe(1, 0.3), 0);
  near(
    deflatedSharpeRatio({ sharpe: 0.1, n: 500, trials: 1, trialVariance: 0 }).dsr,
    probabilisticSharpeRatio(0.1, 0, 500),
  );
  // PSR by hand: SR 0.1, benchmark 0, n 101, normal: Φ(0.1 * 10 / sqrt(1 + 0.5 * 0.01))
  near(probabilisticSharpeRatio(0.1, 0, 101), normalCdf(1 / Math.sqrt(1.005)));
});

Deno.test("deflated Sharpe of a set: many unskilled strategies deflate to low DSR, a real edge survives", () => {
  const rets: Float64Array[] = [];
  for (let k = 0; k < 20; k++) {
    const g = normalRng(100 + k);
    rets.push(Float64Array.from({ length: 750 }, () => 0.01 * g()));
  }
  const skilled = normalRng(999);
  rets.push(Float64Array.from({ length: 750 }, () => 0.0015 + 0.01 * skilled())); // SR ≈ 2.4 a year
  const { dsr } = deflatedSharpeOfSet(rets);
  ok(dsr[20] > 0.95, `skilled DSR ${dsr[20]}`);
  ok(Math.max(...dsr.slice(0, 20)) < 0.9, `unskilled DSRs ${dsr.slice(0, 20).map((d) => d.toFixed(2))}`);
});

Deno.test("bootstrap Sharpe interval: seeded, matches the iid standard error, covers about 95%", () => {
  const g = normalRng(5);
  const x = Float64Array.from({ length: 1000 }, () => 0.0005 + 0.01 * g());
  const a = bootstrapSharpe(x, { meanBlock: 1 }), b = bootstrapSharpe(x, { meanBlock: 1 });
  deepEqual(a, b);
  const m = moments(x), sr = m.mean / m.sd;
  const se = Math.sqrt(252 * (1 + sr * sr / 2) / 1000); // Lo (2002), iid returns
  close(a.se / se, 1, 0.1, "bootstrap se / analytic se");
  ok(a.lo < a.sharpe && a.sharpe < a.hi);
  close(a.hi - a.lo, 2 * 1.96 * se, 0.15 * 2 * 1.96 * se, "width");
  // coverage of the true annualized Sharpe 0.05 * sqrt(252) over 100 independent series
  const truth = 0.05 * Math.sqrt(252);
  let cover = 0;
  for (let k = 0; k < 100; k++) {
    const gk = normalRng(1000 + k);
    const y = Float64Array.from({ length: 250 }, () => 0.0005 + 0.01 * gk());
    const ci = bootstrapSharpe(y, { reps: 400, seed: k });
    if (ci.lo <= truth && truth <= ci.hi) cover++;
  }
  ok(cover >= 88 && cover <= 99, `coverage ${cover}/100`);
  throws(() => bootstrapSharpe(x, { level: 1 }), RangeError);
  // a book that never moves has no Sharpe ratio, so no interval (it was [0, 0] around an undefined Sharpe)
  const flat = bootstrapSharpe(new Float64Array(277));
  ok(Number.isNaN(flat.sharpe) && Number.isNaN(flat.lo) && Number.isNaN(flat.hi) && Number.isNaN(flat.se));
  // a book flat on most days: resamples without variance have no Sharpe and are left out, not counted as 0
  const rare = new Float64Array(40);
  rare[3] = 0.01;
  rare[30] = 0.012;
  const r = bootstrapSharpe(rare, { reps: 400, meanBlock: 1 });
  ok(r.lo > 0, `both moves are gains: every resample with a Sharpe has a positive one (lo ${r.lo})`);
});

Deno.test("deflated Sharpe of a set: the trials are the strategies with a Sharpe ratio", () => {
  const g = normalRng(7);
  const rets = [0, 1, 2].map(() => Float64Array.from({ length: 300 }, () => 0.0003 + 0.01 * g()));
  const flat = new Float64Array(300);
  const withFlat = deflatedSharpeOfSet([...rets, flat, flat]), without = deflatedSharpeOfSet(rets);
  equal(withFlat.sr0, without.sr0, "books that never move add no trial");
  deepEqual(withFlat.dsr.slice(0, 3), without.dsr);
  ok(Number.isNaN(withFlat.dsr[3]));
});

Deno.test("active metrics: excess return, tracking error, information ratio by hand", () => {
  const r = [0.02, -0.01, 0.03, NaN], b = [0.01, 0.0, 0.01, 0.02];
  const a = activeMetrics(r, b, 252);
  // differences 0.01, -0.01, 0.02: mean 0.02/3, sd sqrt(((1/3)^2 + (4/3)^2 + (4/3)^2... ) computed directly
  const d = [0.01, -0.01, 0.02], mu = 0.02 / 3;
  const sd = Math.sqrt(d.reduce((s, v) => s + (v - mu) ** 2, 0) / 2);
  near(a.excessReturn, mu * 252);
  near(a.trackingError, sd * Math.sqrt(252));
  near(a.informationRatio, (mu * 252) / (sd * Math.sqrt(252)));
  near(a.excessAnnReturn, (1.02 * 0.99 * 1.03) ** 84 - (1.01 * 1.0 * 1.01) ** 84);
  throws(() => activeMetrics([1], [1, 2]), RangeError);
});
