import { equal, ok, throws } from "node:assert/strict";
import { mulberry32 } from "../core/mod.ts";
import { topkExcess } from "./topk.ts";

Deno.test("topkExcess: hand-checked two days, turnover and costs", () => {
  // day 1: scores pick B, C (returns .03, .01) vs mean of .00,.03,.01,-.04 = 0 -> excess .02
  // day 2: picks A, C (.02, .00) vs mean (.02 + .04 + .00 - .02)/4 = .01 -> excess 0; one name changed
  const dates = ["d1", "d1", "d1", "d1", "d2", "d2", "d2", "d2"];
  const ids = ["A", "B", "C", "D", "A", "B", "C", "D"];
  const score = [0.1, 0.9, 0.5, 0.2, 0.8, 0.1, 0.6, 0.3];
  const ret = [0, 0.03, 0.01, -0.04, 0.02, 0.04, 0, -0.02];
  const r = topkExcess(score, ret, dates, ids, { k: 2, costBps: 10, periodsPerYear: 1 });
  equal(r.days, 2);
  ok(Math.abs(r.daily[0] - 0.02) < 1e-12 && Math.abs(r.daily[1]) < 1e-12);
  ok(Math.abs(r.annExcess - 0.01) < 1e-12);
  ok(Math.abs(r.turnover - 0.75) < 1e-12); // (1 + 0.5) / 2
  // costs: day 1 2 x 10 bps x 1, day 2 2 x 10 bps x 0.5
  ok(Math.abs(r.annExcessNet - (0.01 - (0.002 + 0.001) / 2)) < 1e-12);
  throws(() => topkExcess(score, ret, dates, ids, { k: 0 }), RangeError);
  // a constant score ranks nothing: no day counts
  const flat = topkExcess(score.map(() => 0.3), ret, dates, ids, { k: 2 });
  equal(flat.days, 0);
  ok(Number.isNaN(flat.annExcess) && Number.isNaN(flat.ir));
});

Deno.test("topkExcess: a random score earns about nothing; the return itself as score earns a lot", () => {
  const u = mulberry32(3), n = 200, days = 250;
  const dates: string[] = [], ids: string[] = [], ret: number[] = [], rnd: number[] = [];
  for (let d = 0; d < days; d++) {
    for (let s = 0; s < n; s++) {
      dates.push(`d${String(d).padStart(3, "0")}`);
      ids.push(`S${s}`);
      ret.push((u() - 0.5) * 0.04);
      rnd.push(u());
    }
  }
  const r0 = topkExcess(rnd, ret, dates, ids, { k: 20 });
  ok(Math.abs(r0.ir) < 3, `random score IR ${r0.ir}`);
  ok(r0.turnover > 0.8);
  const r1 = topkExcess(ret, ret, dates, ids, { k: 20 });
  ok(r1.annExcess > 3 && r1.ir > 10, `oracle ${r1.annExcess} ${r1.ir}`);
});
