import { deepEqual, equal, ok, throws } from "node:assert/strict";
import {
  forwardOpenReturn,
  forwardReturn,
  forwardVariance,
  levelOutcome,
  levelOutcomes,
  trailingVol,
  trendLabels,
} from "./labels.ts";

/** Closes from simple returns, starting at 100. */
function fromReturns(rs: number[]): Float64Array {
  const c = new Float64Array(rs.length + 1);
  c[0] = 100;
  for (let i = 0; i < rs.length; i++) c[i + 1] = c[i] * (1 + rs[i]);
  return c;
}

function sampleStd(xs: number[]): number {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

Deno.test("trend labels: neutral band is k * sigma20 known at t", () => {
  const hist = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 0.01 : -0.012));
  const sigma = sampleStd(hist);
  const band = 0.25 * sigma;
  for (
    const [next, want] of [
      [band * 0.9, 1],
      [-band * 0.9, 1],
      [band * 1.1, 2],
      [-band * 1.1, 0],
      [0, 1],
    ] as const
  ) {
    const close = fromReturns([...hist, next]);
    const lab = trendLabels(close, 0.25);
    equal(lab[20], want, `next return ${next}`);
    equal(lab[21], -1, "last session has no next day");
    for (let t = 0; t < 20; t++) equal(lab[t], -1, "sigma20 unknown before 20 returns");
  }
  // sigma uses returns up to t only: a huge return at t+1 does not widen the band at t
  const close = fromReturns([...hist, 0.5]);
  equal(trendLabels(close)[20], 2);
  const vol = trailingVol(close);
  ok(Math.abs(vol[20] - sigma) < 1e-12);
  // k = 0 -> no neutral except r == 0
  equal(trendLabels(fromReturns([...hist, 1e-6]), 0)[20], 2);
});

Deno.test("forward returns and forward variance over h sessions", () => {
  const lr = [0.01, -0.02, 0.03, 0, 0.01, -0.005];
  const close = new Float64Array(lr.length + 1);
  close[0] = 50;
  for (let i = 0; i < lr.length; i++) close[i + 1] = close[i] * Math.exp(lr[i]);
  const v1 = forwardVariance(close, 1), v2 = forwardVariance(close, 2), v5 = forwardVariance(close, 5);
  for (let t = 0; t < close.length; t++) {
    const e1 = t + 1 < close.length ? lr[t] ** 2 : NaN;
    const e2 = t + 2 < close.length ? (lr[t] ** 2 + lr[t + 1] ** 2) / 2 : NaN;
    const e5 = t + 5 < close.length ? lr.slice(t, t + 5).reduce((a, b) => a + b * b, 0) / 5 : NaN;
    for (const [got, want] of [[v1[t], e1], [v2[t], e2], [v5[t], e5]]) {
      if (Number.isNaN(want)) ok(Number.isNaN(got), `t=${t} should be NaN`);
      else ok(Math.abs(got - want) < 1e-15, `t=${t}: ${got} vs ${want}`);
    }
  }
  const fr = forwardReturn(close);
  ok(Math.abs(fr[0] - (Math.exp(0.01) - 1)) < 1e-14);
  ok(Number.isNaN(fr[6]));
  const open = Float64Array.from([10, 11, 12.1, 10]);
  const fo = forwardOpenReturn(open);
  ok(Math.abs(fo[0] - 0.1) < 1e-12);
  ok(Math.abs(fo[1] - (10 / 12.1 - 1)) < 1e-12);
  ok(Number.isNaN(fo[2]) && Number.isNaN(fo[3]));
  // a missing close blanks every window that contains it
  const gap = close.slice();
  gap[3] = NaN;
  const vg = forwardVariance(gap, 2);
  ok(Number.isFinite(vg[0]) && Number.isNaN(vg[1]) && Number.isNaN(vg[2]) && Number.isNaN(vg[3]));
  ok(Number.isFinite(vg[4]));
  throws(() => forwardVariance(close, 0), RangeError);
});

function bars(lows: number[], highs: number[], closes: number[]) {
  return { low: Float64Array.from(lows), high: Float64Array.from(highs), close: Float64Array.from(closes) };
}

Deno.test("support touch-and-hold: touch within 10 sessions, close 5 after the touch decides", () => {
  //          t=0  1   2   3   4     5   6   7   8   9   10  11  12
  const closes = [100, 99, 98, 97, 96, 96, 97, 97, 98, 97, 99, 99, 99];
  const lows = closes.map((c) => c - 1);
  lows[4] = 94.5; // touches 95 at index 4
  const held = levelOutcome(bars(lows, closes.map((c) => c + 1), closes), 0, 95, "support");
  deepEqual(held, { touched: 1, touchIndex: 4, held: 1 });
  const broke = closes.slice();
  broke[9] = 94;
  deepEqual(levelOutcome(bars(lows, closes.map((c) => c + 1), broke), 0, 95, "support"), {
    touched: 1,
    touchIndex: 4,
    held: 0,
  });
  // exactly at the level is not "back above"
  broke[9] = 95;
  equal(levelOutcome(bars(lows, closes.map((c) => c + 1), broke), 0, 95, "support").held, 0);
  // hold lag runs past the end: unknown
  deepEqual(levelOutcome(bars(lows.slice(0, 8), closes.slice(0, 8), closes.slice(0, 8)), 0, 95, "support"), {
    touched: 1,
    touchIndex: 4,
    held: -1,
  });
  // a statistic's rule (fullWindow): the touch window runs past the 8 sessions, so unknown despite the touch
  deepEqual(
    levelOutcome(bars(lows.slice(0, 8), closes.slice(0, 8), closes.slice(0, 8)), 0, 95, "support", {
      fullWindow: true,
    }),
    { touched: -1, touchIndex: -1, held: -1 },
  );
});

Deno.test("resistance outcomes, no-touch and unknown windows", () => {
  const n = 30;
  const closes = Array.from({ length: n }, () => 100);
  const highs = closes.map((c) => c + 1), lows = closes.map((c) => c - 1);
  // never reaches 110 in 10 sessions -> not touched (window fully observed)
  deepEqual(levelOutcome(bars(lows, highs, closes), 0, 110, "resistance"), {
    touched: 0,
    touchIndex: -1,
    held: -1,
  });
  // window runs past the end without a touch -> unknown
  equal(levelOutcome(bars(lows, highs, closes), n - 5, 110, "resistance").touched, -1);
  // touch on day 11 is outside the 10-session window
  highs[11] = 111;
  equal(levelOutcome(bars(lows, highs, closes), 0, 110, "resistance").touched, 0);
  equal(levelOutcome(bars(lows, highs, closes), 1, 110, "resistance").touchIndex, 11);
  // after touching resistance at 11, close at 16 above the level -> broke
  closes[16] = 112;
  equal(levelOutcome(bars(lows, highs, closes), 1, 110, "resistance").held, 0);
  closes[16] = 109;
  equal(levelOutcome(bars(lows, highs, closes), 1, 110, "resistance").held, 1);
  const v = levelOutcomes(bars(lows, highs, closes), [0, 1], [110, 110], "resistance");
  deepEqual([...v.touched], [0, 1]);
  deepEqual([...v.held], [-1, 1]);
  // custom windows
  equal(levelOutcome(bars(lows, highs, closes), 0, 110, "resistance", { touchWindow: 11 }).touched, 1);
  throws(() => levelOutcome(bars(lows, highs, closes), n, 110, "resistance"), RangeError);
});
