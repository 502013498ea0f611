import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { SoftVoting } from "./soft.ts";
import { argmaxRows } from "./argmax.ts";
import { TrendIndex } from "../core/mod.ts";

const close = (a: ArrayLike<number>, b: number[], tol = 1e-12) =>
  ok(b.every((v, i) => Math.abs(a[i] - v) < tol), `${Array.from(a)} != ${b}`);

Deno.test("soft voting: the seed's example, in class order [down, neutral, up], is up with [0.1, 0.3, 0.6]", () => {
  // Seed vectors are [P(up), P(neutral), P(down)]: [0.7,0.2,0.1], [0.6,0.3,0.1], [0.5,0.4,0.1]. Reordered:
  const m = [[0.1, 0.2, 0.7], [0.1, 0.3, 0.6], [0.1, 0.4, 0.5]].map((r) => new Float64Array(r));
  const p = new SoftVoting().combine(m);
  close(p, [0.1, 0.3, 0.6]);
  equal(argmaxRows(p)[0], TrendIndex.up);
});

Deno.test("soft voting: row-wise mean over several rows; mismatched shapes throw", () => {
  const a = new Float64Array([0.2, 0.2, 0.6, 0.5, 0.4, 0.1]);
  const b = new Float64Array([0.6, 0.2, 0.2, 0.7, 0.2, 0.1]);
  const p = new SoftVoting().combine([a, b]);
  close(p, [0.4, 0.2, 0.4, 0.6, 0.3, 0.1]);
  deepEqual(Array.from(argmaxRows(p)), [1, 0]); // down/up tie -> neutral (hold)
  throws(() => new SoftVoting().combine([a, new Float64Array(3)]), RangeError);
  throws(() => new SoftVoting().combine([]), TypeError);
});
