import { equal, ok, throws } from "node:assert/strict";
import { backtestWeights } from "./weights.ts";
import { averageDollarVolume, resolveCosts, tradeCost } from "./costs.ts";
import { alwaysLongVolTargeted } from "./baselines.ts";
import { normalRng } from "../core/mod.ts";

const near = (a: number, b: number, tol = 1e-15) => ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

Deno.test("weights backtest: drifted book, turnover and fixed costs by hand", () => {
  const r = backtestWeights({
    dates: ["2024-01-02", "2024-01-03", "2024-01-04"],
    symbols: ["A", "B"],
    weights: new Float64Array([0.5, 0.5, 0.5, 0.5, 0.5, NaN]),
    returns: new Float64Array([0.1, -0.1, 0.02, 0.0, 0.01, 0.03]),
  }, { costBps: 10, impact: 0 });
  // day 0: buy 0.5 + 0.5 -> cost 1 x 10 bps; gross pnl 0.05 - 0.05 = 0
  near(r.turnover[0], 1);
  near(r.costs[0], 0.001);
  near(r.gross[0], 0);
  // drift: A 0.5 * 1.1 / 1 = 0.55, B 0.5 * 0.9 = 0.45 -> rebalance to 0.5/0.5 trades 0.05 + 0.05
  near(r.turnover[1], 0.1, 1e-15);
  near(r.returns[1], 0.5 * 0.02 - 0.1 * 0.001, 1e-15);
  // day 2: B's weight is NaN -> sold; A drifted 0.5 * 1.02 / 1.01
  const hA = 0.5 * 1.02 / 1.01;
  near(r.turnover[2], Math.abs(0.5 - hA) + 0.5 * 1.0 / 1.01, 1e-15);
  near(r.gross[2], 0.5 * 0.01);
  near(r.net[2], 0.5);
  equal(r.metrics.days, 3);
  near(r.exposure[0], 1);
});

Deno.test("square-root impact grows with order size relative to ADV", () => {
  const c = resolveCosts({ costBps: 5, impact: 1, capital: 1e7 });
  const small = tradeCost(0.01, 1e7, 0.02, 1e8, c), big = tradeCost(0.04, 1e7, 0.02, 1e8, c);
  near(small.fixed, 0.01 * 5e-4);
  near(small.impact, 0.01 * 0.02 * Math.sqrt(1e5 / 1e8));
  // 4x the order: 4x the notional and 2x the price impact
  near(big.impact / small.impact, 8, 1e-12);
  equal(tradeCost(0.01, 1e7, 0.02, NaN, c).impact, 0);
  throws(() => resolveCosts({ capital: 0 }), RangeError);
  const adv = averageDollarVolume(new Float64Array([10, 20, 30]), new Float64Array([1, 2, 3]), 2);
  ok(Number.isNaN(adv[0]));
  near(adv[1], (10 + 40) / 2);
  near(adv[2], (40 + 90) / 2);
  // the simulator prices it and counts unpriced trades
  const r = backtestWeights({
    dates: ["2024-01-02"],
    symbols: ["A", "B"],
    weights: new Float64Array([0.5, 0.5]),
    returns: new Float64Array([0, 0]),
    dailyVol: new Float64Array([0.02, 0.02]),
    adv: new Float64Array([1e8, NaN]),
  }, { costBps: 0, impact: 1, capital: 1e7 });
  near(r.impact[0], 0.5 * 0.02 * Math.sqrt(0.5 * 1e7 / 1e8));
  equal(r.unpricedTrades, 1);
});

Deno.test("always long, volatility-targeted: realized volatility near the target, fully long in calm", () => {
  const g = normalRng(21), T = 900, S = 20;
  const hist = new Float64Array(T * S), vol = new Float64Array(T * S);
  for (let t = 0; t < T; t++) {
    const sd = t < 600 ? 0.008 : 0.03; // a calm then a stressed regime
    const f = g();
    for (let s = 0; s < S; s++) {
      hist[t * S + s] = 0.0003 + sd * (0.6 * f + 0.8 * g());
      vol[t * S + s] = sd;
    }
  }
  const ret = new Float64Array(T * S).fill(NaN);
  ret.set(hist.subarray(2 * S), 0); // decision t earns session t+2's move (a stand-in for open-to-open)
  const dates = Array.from(
    { length: T },
    (_, t) => new Date(Date.UTC(2010, 0, 1 + t)).toISOString().slice(0, 10),
  );
  const { portfolio, result } = alwaysLongVolTargeted(
    {
      dates,
      symbols: Array.from({ length: S }, (_, s) => `S${s}`),
      history: hist,
      dailyVol: vol,
      returns: ret,
      firstDecision: 100,
    },
    { portfolio: { targetVol: 0.1 }, costs: { costBps: 5, impact: 0 } },
  );
  // calm: equal-weight vol 0.008 * sqrt(0.36 + 0.64/20) * sqrt(252) = 8% < 10% -> fully invested
  for (let t = 150; t < 600; t++) near(portfolio.gross[t], 1, 1e-9);
  // stressed: about a third of the book
  const g2 = portfolio.gross.slice(650, 880).reduce((a, b) => a + b, 0) / 230;
  ok(g2 > 0.28 && g2 < 0.4, `stressed gross ${g2}`);
  const stressed = result.returns.slice(560, 770);
  const sd = Math.sqrt(stressed.reduce((a, v) => a + v * v, 0) / stressed.length) * Math.sqrt(252);
  ok(sd > 0.08 && sd < 0.125, `realized vol in stress ${sd}`);
});
