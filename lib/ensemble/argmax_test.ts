import { deepEqual, equal } from "node:assert/strict";
import { accuracy, argmaxRows } from "./argmax.ts";

Deno.test("argmaxRows: plain maxima, neutral ties and down/up deadlocks", () => {
  const p = new Float64Array([0.5, 0.2, 0.3, 0.4, 0.4, 0.2, 0.45, 0.1, 0.45, 0.2, 0.2, 0.6]);
  deepEqual(Array.from(argmaxRows(p)), [0, 1, 1, 2]);
  equal(accuracy(p, new Int8Array([0, 0, -1, 2])), 2 / 3);
});
