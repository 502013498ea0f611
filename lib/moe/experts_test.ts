import { ok, throws } from "node:assert/strict";
import { levelExpertScores, trendExpertScores, volatilityExpertScores } from "./experts.ts";

const f = (...v: number[]) => new Float64Array(v);
const near = (a: number, b: number) => ok(Math.abs(a - b) < 1e-12, `${a} != ${b}`);

Deno.test("trend expert: P(up) - P(down)", () => {
  const s = trendExpertScores(f(0.1, 0.3, 0.6, 0.5, 0.4, 0.1));
  near(s[0], 0.5);
  near(s[1], -0.4);
  throws(() => trendExpertScores(f(1, 2)), RangeError);
});

Deno.test("level expert: near strong support is bullish, near resistance bearish, missing levels count 0", () => {
  // Close 100, daily vol 1%: support at 99 is 1 sigma away, resistance at 103 is 3 sigma away.
  const s = levelExpertScores({
    close: f(100, 100, 100, 100),
    support: f(99, NaN, 99, 99),
    supportStrength: f(0.8, 0, 0.8, 0.5),
    resistance: f(103, 100.5, NaN, 99.9),
    resistanceStrength: f(0.9, 1, 0, 0.5),
    dailyVol: f(0.01, 0.01, 0.01, NaN),
  });
  near(s[0], 0.8 * Math.exp(-1 / 1.5) - 0.9 * Math.exp(-3 / 1.5));
  near(s[1], -Math.exp(-0.5 / 1.5));
  near(s[2], 0.8 * Math.exp(-1 / 1.5));
  near(s[3], 0); // no vol -> no distance unit -> 0
  ok(s[0] > 0 && s[1] < 0);
});

Deno.test("volatility expert: risk-off when forecast vol is above its history", () => {
  const s = volatilityExpertScores(f(0.4, 0.1, 0.2, NaN), f(0.2, 0.2, 0.2, 0.2));
  near(s[0], -Math.tanh(Math.log(2)));
  near(s[1], Math.tanh(Math.log(2)));
  near(s[2], 0);
  near(s[3], 0);
});
