import { deepEqual, ok } from "node:assert/strict";
import { MajorityVoting } from "./majority.ts";
import { argmaxRows } from "./argmax.ts";

const rows = (...r: number[][]) => new Float64Array(r.flat());

Deno.test("majority voting: two up votes beat one down vote; output is vote shares with a half-vote bonus", () => {
  const p = new MajorityVoting().combine([
    rows([0.1, 0.3, 0.6]),
    rows([0.2, 0.3, 0.5]),
    rows([0.9, 0.05, 0.05]), // confident down, but outvoted
  ]);
  const d = 3.5;
  ok([1 / d, 0, 2.5 / d].every((v, i) => Math.abs(p[i] - v) < 1e-12));
  deepEqual(Array.from(argmaxRows(p)), [2]);
});

Deno.test("majority voting: ties broken by summed probability, then toward neutral", () => {
  const m = new MajorityVoting();
  // Row 0: one down vote (0.5) vs one up vote (0.8): tie 1-1, summed P(up)=1.0 > P(down)=0.6 -> up.
  // Row 1: exact down/up deadlock with equal sums -> neutral.
  // Row 2: three models, three different classes; summed P(down) 1.1 > P(up) 1.05 > P(neutral) -> down.
  const a = rows([0.5, 0.3, 0.2], [0.6, 0, 0.4], [0.5, 0.2, 0.3]);
  const b = rows([0.1, 0.1, 0.8], [0.4, 0, 0.6], [0.3, 0.4, 0.3]);
  const c = rows([0.4, 0.3, 0.3], [0.5, 0.5, 0], [0.3, 0.25, 0.45]);
  deepEqual(Array.from(argmaxRows(m.combine([a, b]))).slice(0, 2), [2, 1]);
  deepEqual(Array.from(argmaxRows(m.combine([a, b, c])))[2], 0);
  // Row 1 with c: c's 0.5/0.5 down/neutral tie is a neutral vote -> 1 down, 1 up, 1 neutral; sums
  // down 1.5, neutral 0.5, up 1.0 -> down.
  deepEqual(Array.from(argmaxRows(m.combine([a, b, c])))[1], 0);
});
