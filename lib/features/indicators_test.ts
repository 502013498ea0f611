import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { loadTicker } from "./_test_data.ts";
import { cci, rsi, stochastic, williamsR } from "./momentum.ts";
import { ema, sma, wilderSum, wma } from "./moving_averages.ts";
import { rollingMax, rollingMeanAbsDev, rollingMin, rollingStd, rollingSum } from "./rolling.ts";
import { adx } from "./trend.ts";
import { bollinger } from "./bands.ts";
import { distanceToHigh, distanceToLow, gap, logReturn, simpleReturn } from "./returns.ts";
import { mfi, obv, obvFlow, relativeVolume, volumeZScore } from "./volume.ts";
import { mulberry32 } from "../core/mod.ts";

function naiveWindow(x: Float64Array, n: number, f: (w: number[]) => number): Float64Array {
  const out = new Float64Array(x.length).fill(NaN);
  for (let i = n - 1; i < x.length; i++) {
    const w = Array.from(x.subarray(i - n + 1, i + 1));
    if (w.every((v) => !Number.isNaN(v))) out[i] = f(w);
  }
  return out;
}

function close(a: Float64Array, b: Float64Array, tol: number, what: string): void {
  equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) || Number.isNaN(b[i])) {
      equal(Number.isNaN(a[i]), Number.isNaN(b[i]), `${what}: NaN mismatch at ${i}`);
      continue;
    }
    const den = Math.max(Math.abs(a[i]), Math.abs(b[i]), 1e-300);
    ok(Math.abs(a[i] - b[i]) / den <= tol, `${what}: ${a[i]} vs ${b[i]} at ${i}`);
  }
}

const mean = (w: number[]) => w.reduce((s, v) => s + v, 0) / w.length;
const sd = (w: number[]) => {
  const m = mean(w);
  return Math.sqrt(w.reduce((s, v) => s + (v - m) ** 2, 0) / (w.length - 1));
};

Deno.test("rolling functions match naive windows on data with ties and NaN gaps", () => {
  const r = mulberry32(7);
  const x = Float64Array.from({ length: 3000 }, () => Math.round(r() * 20));
  for (const i of [10, 11, 500, 1700, 2999]) x[i] = NaN;
  for (const n of [1, 3, 20]) {
    close(rollingMax(x, n), naiveWindow(x, n, (w) => Math.max(...w)), 0, `max ${n}`);
    close(rollingMin(x, n), naiveWindow(x, n, (w) => Math.min(...w)), 0, `min ${n}`);
    close(sma(x, n), naiveWindow(x, n, mean), 1e-12, `sma ${n}`);
    close(rollingSum(x, n), naiveWindow(x, n, (w) => w.reduce((s, v) => s + v, 0)), 1e-12, `sum ${n}`);
    const wts = (w: number[]) => w.reduce((s, v, k) => s + (k + 1) * v, 0) / ((n * (n + 1)) / 2);
    close(wma(x, n), naiveWindow(x, n, wts), 1e-12, `wma ${n}`);
    if (n > 1) close(rollingStd(x, n), naiveWindow(x, n, sd), 1e-9, `sd ${n}`);
  }
  const mad = (w: number[]) => mean(w.map((v) => Math.abs(v - mean(w))));
  close(rollingMeanAbsDev(x, 20), naiveWindow(x, 20, mad), 1e-12, "mad");
});

Deno.test("rolling std stays accurate over a million points with a large mean", () => {
  const r = mulberry32(3);
  const len = 1_000_000;
  const x = Float64Array.from({ length: len }, (_, i) => 1e4 + Math.sin(i / 50) * 0.01 + r() * 1e-3);
  const s = rollingStd(x, 20);
  for (const i of [19, 12_345, len - 1]) {
    const want = sd(Array.from(x.subarray(i - 19, i + 1)));
    ok(Math.abs(s[i] - want) / want < 1e-9, `at ${i}: ${s[i]} vs ${want}`);
  }
});

Deno.test("EMA seeds with the SMA, resets on NaN before the seed and skips NaN after it", () => {
  const x = Float64Array.from([NaN, 1, NaN, 3, 4, 5, NaN, 6]);
  const e = ema(x, 2);
  // the seed needs 2 consecutive valid values: (3 + 4) / 2 at index 4
  deepEqual(Array.from(e.subarray(0, 4)).map(Number.isNaN), [true, true, true, true]);
  equal(e[4], 3.5);
  equal(e[5], (2 / 3) * 5 + (1 / 3) * 3.5);
  ok(Number.isNaN(e[6]));
  equal(e[7], (2 / 3) * 6 + (1 / 3) * e[5]);
  // wilderSum seeds with the first n-1 values (TTR): (1 + 2) * 2/3 + 3 for n = 3 on [1, 2, 3]
  equal(wilderSum(Float64Array.from([1, 2, 3]), 3)[2], 3 * (2 / 3) + 3);
});

Deno.test("degenerate windows give finite defaults (documented differences from TTR)", () => {
  const flat = new Float64Array(60).fill(10);
  const v = new Float64Array(60).fill(1000);
  equal(rsi(flat, 14)[30], 50);
  equal(stochastic(flat, flat, flat, 14).fastK[30], 0.5);
  equal(williamsR(flat, flat, flat, 14)[30], 0.5);
  equal(cci(flat, flat, flat, 20)[30], 0);
  equal(adx(flat, flat, flat, 14).dx[30], 0);
  equal(mfi(flat, flat, flat, v, 14)[30], 50);
  ok(Number.isNaN(bollinger(flat, 20).pctB[30]));
  ok(Number.isNaN(volumeZScore(v, 20)[30]));
  equal(relativeVolume(v, 20)[30], 1);
  equal(obvFlow(flat, v, 20)[30], 0);
  equal(obv(flat, v)[30], 1000);
});

Deno.test("returns, gaps and distances on real data match their definitions", () => {
  const b = loadTicker("AAPL", 300);
  const lr = logReturn(b.close, 5), sr = simpleReturn(b.close, 5), g = gap(b.open, b.close);
  const dh = distanceToHigh(b.close, b.high, 60), dl = distanceToLow(b.close, b.low, 60);
  ok(Number.isNaN(lr[4]) && Number.isNaN(g[0]) && Number.isNaN(dh[58]));
  for (let i = 60; i < 300; i++) {
    ok(Math.abs(Math.exp(lr[i]) - 1 - sr[i]) < 1e-12);
    equal(g[i], b.open[i] / b.close[i - 1] - 1);
    ok(dh[i] <= 0 && dl[i] >= 0);
    equal(dh[i], b.close[i] / Math.max(...b.high.subarray(i - 59, i + 1)) - 1);
  }
});

Deno.test("bad arguments throw RangeError", () => {
  const x = new Float64Array(10);
  throws(() => sma(x, 0), RangeError);
  throws(() => sma(x, 2.5), RangeError);
  throws(() => rollingStd(x, 1), RangeError);
  throws(() => ema(x, 3, { ratio: 1.5 }), RangeError);
  throws(() => gap(x, new Float64Array(9)), RangeError);
});
