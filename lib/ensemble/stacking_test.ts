import { ok, throws } from "node:assert/strict";
import { Stacking } from "./stacking.ts";
import { SoftVoting } from "./soft.ts";
import { accuracy } from "./argmax.ts";
import { ModelError, mulberry32 } from "../core/mod.ts";

/** Labels, a model that is right 70% of the time but reports classes mirrored (down<->up), and a noise model. */
function make(n: number, seed: number) {
  const r = mulberry32(seed);
  const y = new Int8Array(n), mirrored = new Float64Array(3 * n), noise = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    y[i] = Math.floor(r() * 3);
    const guess = r() < 0.7 ? y[i] : Math.floor(r() * 3);
    const shown = 2 - guess; // mirrored: says up when it means down
    for (let c = 0; c < 3; c++) mirrored[3 * i + c] = c === shown ? 0.6 : 0.2;
    const u = [r(), r(), r()], s = u[0] + u[1] + u[2];
    for (let c = 0; c < 3; c++) noise[3 * i + c] = u[c] / s;
  }
  return { y, probs: [mirrored, noise] };
}

Deno.test("stacking: the meta-model learns to un-mirror a good model and ignore noise (held-out rows)", () => {
  const val = make(3000, 1), test = make(3000, 2);
  const s = new Stacking();
  throws(() => s.combine(test.probs), ModelError);
  s.fit(val.probs, val.y);
  const accStack = accuracy(s.combine(test.probs), test.y);
  const accSoft = accuracy(new SoftVoting().combine(test.probs), test.y);
  // Un-mirrored accuracy is 0.7 + 0.3/3 = 0.8; soft voting follows the mirrored model (about 0.1 on down/up).
  ok(accStack > 0.76, `stacking accuracy ${accStack}`);
  ok(accSoft < 0.45, `soft accuracy ${accSoft}`);
  const row = s.combine(test.probs).subarray(0, 3);
  ok(Math.abs(row[0] + row[1] + row[2] - 1) < 1e-12);
});

Deno.test("stacking: row subsampling (maxRows) still learns; K mismatch throws", () => {
  const val = make(4000, 3), test = make(2000, 4);
  const s = new Stacking({ maxRows: 1000 });
  s.fit(val.probs, val.y);
  ok(accuracy(s.combine(test.probs), test.y) > 0.74);
  throws(() => s.combine([test.probs[0]]), RangeError);
});
