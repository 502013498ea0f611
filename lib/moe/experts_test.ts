import { ok, throws } from "node:assert/strict";
import {
  crossFitEdges,
  DEFAULT_EXPERTS,
  ExpertCalibration,
  EXPERTS,
  marketExpertScores,
  momentumExpertScores,
  newsExpertScores,
  reversalExpertScores,
} from "./experts.ts";
import { deepEqual, equal } from "node:assert/strict";

const f = (...v: number[]) => new Float64Array(v);
const near = (a: number, b: number) => ok(Math.abs(a - b) < 1e-12, `${a} != ${b}`);
import { normalRng } from "../core/mod.ts";

Deno.test("raw scores of the market, reversal, momentum and news experts", () => {
  const r = reversalExpertScores(f(0.02, -0.01, 0.01), f(0.01, 0.01, 0));
  near(r[0], -0.02 / (0.01 * Math.sqrt(5)));
  near(r[1], 0.01 / (0.01 * Math.sqrt(5)));
  ok(Number.isNaN(r[2]));
  const m = momentumExpertScores(f(0.1), f(0.02), f(0.01));
  near(m[0], 0.08 / (0.01 * Math.sqrt(55)));
  throws(() => momentumExpertScores(f(0.1), f(0.02), f(0.01), { lookback: 5, skip: 5 }), RangeError);
  deepEqual(Array.from(marketExpertScores(f(0.01, NaN))), [1, NaN]);
  const n = newsExpertScores({ sentiment: f(0.5, -0.4, 0.3, NaN), count: f(1, 3, 0, 2) });
  near(n[0], 0.5 * (1 - Math.exp(-1)));
  near(n[1], -0.4 * (1 - Math.exp(-3)));
  equal(n[2], 0);
  equal(n[3], 0);
  // the news expert is off by default
  const news = EXPERTS.find((e) => e.name === "news")!;
  ok(!news.enabledByDefault && !DEFAULT_EXPERTS.includes("news"));
});

Deno.test("expert calibration: market = the mean outcome, others = centred information; reliability; exact reload", () => {
  const g = normalRng(2), n = 20000;
  const x = Float64Array.from({ length: n }, () => g()), y = Float64Array.from({ length: n }, () => g());
  const z = Float64Array.from(x, (v) => 0.03 + 0.05 * v + g()); // drift 0.03, x informative, y not
  const names = ["market", "x", "y"];
  const c = new ExpertCalibration(names).fit([marketExpertScores(z), x, y], z);
  const [mkt, ex, ey] = c.edges([marketExpertScores(z), x, y]);
  near(mkt[0], c.calibrator("market").params.mean);
  ok(Math.abs(mkt[0] - 0.03) < 0.02);
  ok(Math.abs(c.calibrator("x").params.b - 0.05) < 0.01);
  // centred: the information experts carry no drift
  ok(
    Math.abs(ex.reduce((a, b) => a + b, 0) / n) < 1e-3 && Math.abs(ey.reduce((a, b) => a + b, 0) / n) < 1e-3,
  );
  const rel = c.reliability([marketExpertScores(z), x, y], z);
  ok(rel[1].ic > 0.03 && Math.abs(rel[2].ic) < 0.03, `ICs ${rel.map((r) => r.ic)}`);
  const back = ExpertCalibration.fromJSON(JSON.parse(JSON.stringify(c)));
  deepEqual(back.edges([marketExpertScores(z), x, y]), [mkt, ex, ey]);
  throws(() => new ExpertCalibration(["a", "a"]), RangeError);
});

Deno.test("crossFitEdges: each block's edges come from the other blocks only", () => {
  const n = 500, rowDay = Int32Array.from({ length: n }, (_, i) => Math.floor(i / 5)); // 100 days
  const x = Float64Array.from({ length: n }, (_, i) => (i * 7919) % 9 - 4);
  // the outcome follows x on the first half of the days and -x on the second
  const z = Float64Array.from(x, (v, i) => (rowDay[i] < 50 ? v : -v));
  const [oof] = crossFitEdges(["x"], [x], z, rowDay, { folds: 2 });
  // fold 0's slope comes from fold 1 (where x points the wrong way): floored to ~0
  ok(Math.abs(oof[0]) < 1e-3, `out-of-fold edge ${oof[0]}`);
  // fold 1's comes from fold 0 (z = x exactly): slope 1 around fold 0's mean of x
  const mx = x.slice(0, 250).reduce((a, b) => a + b, 0) / 250;
  near(oof[499], x[499] - mx);
  throws(() => crossFitEdges(["x"], [x], z, rowDay, { folds: 1 }), RangeError);
});

import { LevelBounceModel } from "../models/mod.ts";
import { levelBounceScores } from "./experts.ts";

Deno.test("level expert: the bounce model's score per row", () => {
  const m = LevelBounceModel.fromJSON({
    kind: "level-bounce",
    touch: [-1, 0, 0, 1], // P(touch) = σ(1 - d)
    hold: [0, 0, 0, 0, 0.5], // P(hold) = σ(0.5)
    events: { touch: 100, hold: 50 },
    touchRate: 0.5,
    holdRate: 0.6,
  });
  const s = levelBounceScores(m, [
    {
      supportDist: 0.5,
      supportStrength: 0.5,
      supportTouches: 2,
      resistanceDist: NaN,
      resistanceStrength: NaN,
      resistanceTouches: NaN,
    },
    {
      supportDist: 1,
      supportStrength: 0.5,
      supportTouches: 2,
      resistanceDist: 1,
      resistanceStrength: 0.5,
      resistanceTouches: 2,
    },
  ]);
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  near(s[0], sig(0.5) * (2 * sig(0.5) - 1));
  near(s[1], 0); // the same level on both sides cancels
});
