import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { WeightedVoting } from "./weighted.ts";
import { argmaxRows } from "./argmax.ts";
import { ModelError } from "../core/mod.ts";

// Validation labels: 4 rows, classes [2, 2, 0, 1]; the most common class is up (2/4 = 0.5 = chance level).
const labels = new Int8Array([2, 2, 0, 1]);
const oneHot = (cls: number[], q = 0.8) =>
  new Float64Array(cls.flatMap((c) => [0, 1, 2].map((j) => (j === c ? q : (1 - q) / 2))));

Deno.test("weighted voting: accuracy above the majority-class rate, normalized", () => {
  const perfect = oneHot([2, 2, 0, 1]); // acc 1.0 -> 0.5 above chance
  const good = oneHot([2, 2, 0, 0]); // acc 0.75 -> 0.25
  const chance = oneHot([2, 2, 2, 2]); // acc 0.5 -> 0
  const w = new WeightedVoting();
  w.fit([perfect, good, chance], labels);
  ok([2 / 3, 1 / 3, 0].every((v, k) => Math.abs(w.weights[k] - v) < 1e-12), String(w.weights));
  const p = w.combine([oneHot([0]), oneHot([0]), oneHot([2], 0.99)]);
  equal(argmaxRows(p)[0], 0); // the zero-weight model cannot swing the vote
});

Deno.test("weighted voting: equal weights when nobody beats chance; logloss weights are 1/logloss", () => {
  const w = new WeightedVoting();
  w.fit([oneHot([2, 2, 2, 2]), oneHot([1, 1, 1, 1])], labels);
  deepEqual(Array.from(w.weights), [0.5, 0.5]);
  const a = oneHot([2, 2, 0, 1], 0.8), b = oneHot([2, 2, 0, 1], 0.5);
  const wl = new WeightedVoting({ metric: "logloss" });
  wl.fit([a, b], labels);
  const la = -Math.log(0.8), lb = -Math.log(0.5);
  const wa = (1 / la) / (1 / la + 1 / lb);
  ok(Math.abs(wl.weights[0] - wa) < 1e-12 && Math.abs(wl.weights[1] - (1 - wa)) < 1e-12);
});

Deno.test("weighted voting: hard votes, fit-before-combine and K mismatch", () => {
  const w = new WeightedVoting({ vote: "hard" });
  throws(() => w.combine([oneHot([1])]), ModelError);
  w.fit([oneHot([2, 2, 0, 1]), oneHot([2, 2, 0, 0])], labels);
  const p = w.combine([oneHot([0]), oneHot([2])]);
  ok(Math.abs(p[0] - 2 / 3) < 1e-12 && Math.abs(p[2] - 1 / 3) < 1e-12 && p[1] === 0);
  throws(() => w.combine([oneHot([0])]), RangeError);
});
