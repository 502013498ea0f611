import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { createEnsemble, ENSEMBLE_METHODS, ensembleFromJSON, fitEnsembles } from "./registry.ts";

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

Deno.test("registry: every fitted method round-trips through JSON with identical combined probabilities", () => {
  const r = (k: number) => {
    let x = k * 7919 + 1;
    return () => ((x = (x * 48271) % 2147483647) / 2147483647);
  };
  const n = 400, rand = r(3);
  const probs = [0, 1, 2].map(() => {
    const p = new Float64Array(3 * n);
    for (let i = 0; i < n; i++) {
      const a = rand() + 0.1, b = rand() + 0.1, c = rand() + 0.1, s = a + b + c;
      p.set([a / s, b / s, c / s], 3 * i);
    }
    return p;
  });
  const y = Int8Array.from({ length: n }, (_, i) => (i % 7 === 0 ? -1 : Math.floor(rand() * 3)));
  for (const { name, method } of fitEnsembles(probs, y)) {
    const back = ensembleFromJSON(JSON.parse(JSON.stringify(method.toJSON())));
    equal(back.name, name);
    const a = method.combine(probs), b = back.combine(probs);
    for (let i = 0; i < a.length; i++) ok(Object.is(a[i], b[i]), `${name} value ${i}: ${a[i]} vs ${b[i]}`);
  }
  throws(() => ensembleFromJSON({ method: "nope" as "soft" }), RangeError);
});
