import { fileURLToPath } from "node:url";
import { equal, ok } from "node:assert/strict";
import { levelOutcome } from "../dataset/mod.ts";
import { mulberry32 } from "../core/mod.ts";
import { levelEvents, levelRates, nearestLevels } from "./levels.ts";
import { loadAllSp500 } from "./data.ts";
import { SwingLevelModel } from "../models/mod.ts";

const s = (await loadAllSp500(fileURLToPath(new URL("../../../shared/data", import.meta.url)))).get("AAPL")!;

Deno.test("nearestLevels: supports below and resistances above the close", () => {
  const m = new SwingLevelModel();
  for (let t = 200; t < s.close.length; t += 37) {
    const lv = nearestLevels(m, s, t);
    for (const k of ["swing", "floor-pivots"] as const) {
      if (Number.isFinite(lv[k].support)) ok(lv[k].support < s.close[t]);
      if (Number.isFinite(lv[k].resistance)) ok(lv[k].resistance > s.close[t]);
    }
  }
});

Deno.test("levelEvents: random levels match the method's distances per side, outcomes as levelOutcome", () => {
  const ev = levelEvents(s, "2017-01-03", "2018-02-07", mulberry32(1));
  for (const m of ["swing", "floor-pivots"] as const) {
    for (const side of ["support", "resistance"] as const) {
      const a = ev.filter((e) => e.method === m && e.side === side);
      const b = ev.filter((e) => e.method === `random@${m}` && e.side === side);
      equal(a.length, b.length);
      ok(a.length > 100);
      const rel = (x: typeof a) =>
        x.map((e) => Math.abs(s.close[e.t] - e.level) / s.close[e.t]).sort((p, q) => p - q);
      const ra = rel(a), rb = rel(b);
      ra.forEach((v, k) => ok(Math.abs(v - rb[k]) < 1e-12));
      for (const e of b) ok(side === "support" ? e.level < s.close[e.t] : e.level > s.close[e.t]);
      ok(b.some((e, k) => e.level !== a[k].level), "random differs from the method");
    }
  }
  for (const e of ev.slice(0, 200)) {
    const o = levelOutcome(s, e.t, e.level, e.side);
    equal(e.touched, o.touched);
    equal(e.held, o.held);
  }
  const last = ev.filter((e) => e.t === s.close.length - 1);
  ok(last.every((e) => e.touched === -1 && e.held === -1), "no outcome without future data");
  // the last 10 days' touch windows run past the data: unknown, also where a touch came early in the window
  // (counting those and not the untouched ones raised the touch rate)
  const tail = ev.filter((e) => e.t >= s.close.length - 10);
  ok(tail.some((e) => levelOutcome(s, e.t, e.level, e.side).touched === 1), "touched early in a cut window");
  ok(tail.every((e) => e.touched === -1 && e.held === -1));
  const before = ev.filter((e) => e.t === s.close.length - 11);
  ok(before.length > 0 && before.every((e) => e.touched !== -1), "a full window decides");
  const r = levelRates(ev.filter((e) => e.method === "floor-pivots"));
  ok(r.touchRate > 0.5 && r.touchRate <= 1, `${r.touchRate}`);
  ok(r.holdRate > 0.2 && r.holdRate < 0.8, `${r.holdRate}`);
});

Deno.test("levelEvents: same seed -> same random levels", () => {
  const a = levelEvents(s, "2017-06-01", "2017-09-01", mulberry32(9));
  const b = levelEvents(s, "2017-06-01", "2017-09-01", mulberry32(9));
  equal(JSON.stringify(a), JSON.stringify(b));
});
