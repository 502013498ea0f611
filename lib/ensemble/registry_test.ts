import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { createEnsemble, ENSEMBLE_METHODS } from "./registry.ts";

Deno.test("registry: the six methods by name; each fits and combines to rows summing to 1", () => {
  deepEqual(ENSEMBLE_METHODS.map((m) => m.name), [
    "majority",
    "weighted",
    "soft",
    "stacking",
    "bma",
    "threshold",
  ]);
  const a = new Float64Array([0.2, 0.3, 0.5, 0.6, 0.3, 0.1, 0.3, 0.4, 0.3]);
  const b = new Float64Array([0.1, 0.3, 0.6, 0.5, 0.2, 0.3, 0.2, 0.5, 0.3]);
  const y = new Int8Array([2, 0, 1]);
  for (const { name } of ENSEMBLE_METHODS) {
    const m = createEnsemble(name);
    equal(m.name, name);
    m.fit([a, b], y);
    const p = m.combine([a, b]);
    equal(p.length, 9);
    for (let i = 0; i < 3; i++) ok(Math.abs(p[3 * i] + p[3 * i + 1] + p[3 * i + 2] - 1) < 1e-9, name);
  }
  throws(() => createEnsemble("avg"), RangeError);
});
