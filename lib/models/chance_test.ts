import { equal, ok } from "node:assert/strict";
import { chanceTest } from "./chance.ts";
import { mulberry32 } from "../core/mod.ts";

Deno.test("chanceTest: random predictions score within noise, informed ones far above", () => {
  const r = mulberry32(1), n = 6000, days = Array.from({ length: n }, (_, i) => `d${Math.floor(i / 20)}`);
  const labels = Int8Array.from({ length: n }, () => (r() < 0.4 ? 1 : r() < 0.5 ? 0 : 2));
  const random = Float64Array.from({ length: 3 * n }, () => r());
  const nul = chanceTest(random, labels, days);
  ok(Math.abs(nul.z) < 3, `null z ${nul.z}`);
  ok(Math.abs(nul.accuracy - nul.chance) < 0.03);
  const informed = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) informed[3 * i + (r() < 0.5 ? labels[i] : Math.floor(r() * 3))] = 1;
  const good = chanceTest(informed, labels, days);
  ok(good.z > 10 && good.accuracy > 0.6, `informed z ${good.z}`);
  equal(good.days, 300);
});

Deno.test("chanceTest: constant prediction equals its chance exactly", () => {
  const labels = Int8Array.from([0, 1, 2, 2, -1]);
  const probs = Float64Array.from([0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1]);
  const t = chanceTest(probs, labels, ["a", "a", "b", "b", "b"]);
  equal(t.n, 4);
  equal(t.accuracy, 0.5);
  equal(t.chance, 0.5);
});
