import { equal, ok, throws } from "node:assert/strict";
import { mulberry32 } from "../core/mod.ts";
import {
  chisqCdf,
  chisqSf,
  normalCdf,
  normalQuantile,
  normalTailMean,
  stdTCdf,
  stdTQuantile,
  stdTSample,
  stdTTailMean,
  tQuantile,
} from "./distributions.ts";

const near = (a: number, b: number, tol: number, what: string) =>
  ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

Deno.test("distributions: reference values (normal, t, chi-squared)", () => {
  near(normalQuantile(0.975), 1.959963984540054, 1e-12, "z 97.5%");
  near(normalCdf(-1.959963984540054), 0.025, 1e-12, "Phi");
  near(tQuantile(0.01, 5), -3.364929998907218, 1e-9, "t5 1%");
  near(stdTQuantile(0.01, 5), -3.364929998907218 * Math.sqrt(3 / 5), 1e-9, "standardized t5 1%");
  near(stdTCdf(stdTQuantile(0.025, 7), 7), 0.025, 1e-10, "cdf(quantile)");
  near(chisqCdf(3.841458820694124, 1), 0.95, 1e-10, "chi2(1)");
  near(chisqCdf(5.991464547107979, 2), 0.95, 1e-10, "chi2(2)");
  // the upper tail keeps its digits far beyond 1 - cdf (scipy chi2.sf)
  near(chisqSf(3.841458820694124, 1), 0.05, 1e-10, "sf chi2(1)");
  near(chisqSf(79.2667358121484, 1) / 5.426572506952e-19, 1, 1e-9, "sf chi2(1) far tail");
  near(chisqSf(100, 2) / Math.exp(-50), 1, 1e-12, "sf chi2(2) far tail");
  equal(chisqSf(Infinity, 1), 0);
  equal(chisqCdf(Infinity, 2), 1);
  // normal ES at 97.5% = phi(1.96) / 0.025 = 2.3378
  near(normalTailMean(0.025), -2.337802, 1e-6, "normal tail mean");
  throws(() => stdTQuantile(0.01, 2), RangeError);
});

Deno.test("distributions: standardized t tail mean and sampler agree with simulation", () => {
  const rand = mulberry32(5), nu = 5, n = 400_000;
  const x = Float64Array.from({ length: n }, () => stdTSample(nu, rand));
  let m = 0, v = 0;
  for (const a of x) m += a / n;
  for (const a of x) v += (a - m) ** 2 / n;
  ok(Math.abs(m) < 0.01 && Math.abs(v - 1) < 0.03, `mean ${m}, variance ${v}`);
  const q = stdTQuantile(0.025, nu);
  let below = 0, tail = 0;
  for (const a of x) {
    if (a <= q) {
      below++;
      tail += a;
    }
  }
  near(below / n, 0.025, 0.0015, "share below the quantile");
  near(tail / below, stdTTailMean(0.025, nu), 0.05, "tail mean");
  // the t tail is heavier than the normal one at 99%
  ok(stdTTailMean(0.01, nu) < normalTailMean(0.01) * 0.99);
});
