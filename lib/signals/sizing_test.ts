import { deepEqual, equal, ok, throws } from "node:assert/strict";
import {
  actionOf,
  positionsFromScores,
  resolveSizing,
  scoreScale,
  scoresFromProbs,
  sizeOf,
  standardizeScores,
} from "./sizing.ts";

const near = (a: number, b: number) => ok(Math.abs(a - b) < 1e-12, `${a} != ${b}`);

Deno.test("sizing: dead band, linear conviction ramp, vol targeting and the cap", () => {
  const s = resolveSizing({ threshold: 0.1, fullScore: 0.5, targetVol: 0.15, maxPosition: 1 });
  equal(sizeOf(0.1, 0.15, s), 0); // inside the dead band
  equal(sizeOf(-0.05, 0.15, s), 0);
  near(sizeOf(0.3, 0.15, s), 0.5); // conviction (0.3-0.1)/(0.5-0.1) = 0.5, vol at target
  near(sizeOf(-0.3, 0.30, s), -0.25); // twice the target vol -> half the size
  near(sizeOf(0.9, 0.05, s), 1); // conviction 1 x scale 3 -> capped at 1
  near(sizeOf(0.3, NaN, s), 0.5); // no forecast -> no vol scaling
  equal(sizeOf(NaN, 0.15, s), 0);
  deepEqual([actionOf(0.2, 0.1), actionOf(-0.2, 0.1), actionOf(0.1, 0.1)], ["buy", "sell", "hold"]);
});

Deno.test("sizing: long-only clips shorts to flat; bad options throw", () => {
  const p = positionsFromScores(new Float64Array([0.3, -0.3, 0]), undefined, {
    threshold: 0.1,
    longOnly: true,
  });
  near(p[0], 0.5);
  ok(Object.is(p[1], 0) && p[2] === 0);
  const ls = positionsFromScores(new Float64Array([0.3, -0.3]), new Float64Array([0.15, 0.15]), {
    threshold: 0.1,
  });
  near(ls[1], -0.5);
  throws(() => resolveSizing({ threshold: 0.5, fullScore: 0.4 }), RangeError);
  throws(() => positionsFromScores(new Float64Array(2), new Float64Array(1)), RangeError);
  deepEqual(Array.from(scoresFromProbs(new Float64Array([0.1, 0.3, 0.6]))).map((v) => +v.toFixed(12)), [0.5]);
});

Deno.test("scores are standardized by their validation scale", () => {
  const valid = Float64Array.from([0.02, -0.02, 0.02, -0.02]);
  const s = scoreScale(valid);
  equal(Math.round(s * 1e6) / 1e6, 0.02);
  deepEqual(Array.from(standardizeScores(Float64Array.from([0.04, -0.02, 1, NaN]), s)), [1, -0.5, 1, NaN]);
  equal(scoreScale([NaN]), 0);
  const same = Float64Array.from([0.3]);
  equal(standardizeScores(same, 0), same);
});
