import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { backtest, buyAndHold } from "./backtest.ts";
import { openToOpenReturns, positionsFromSignals, toPanel } from "./panel.ts";
import { gaussian, mulberry32, type Signal } from "../core/mod.ts";

const near = (a: number, b: number, tol = 1e-12) => ok(Math.abs(a - b) < tol, `${a} != ${b}`);

Deno.test("backtest: a position decided at t fills at the open of t+1 and earns open t+1 -> open t+2, net of costs", () => {
  // Close-to-close, day 0 -> 1 is +20% (100 -> 120): a position decided at the close of day 0 must NOT earn it.
  const open = new Float64Array([100, 101, 111.1, 99.99, 99.99]);
  const close = new Float64Array([100, 120, 100, 100, 100]);
  const r = openToOpenReturns(open);
  near(r[0], 0.1);
  near(r[1], 99.99 / 111.1 - 1);
  near(r[2], 0);
  ok(Number.isNaN(r[3]) && Number.isNaN(r[4]));
  ok(close[1] / close[0] - 1 > 0.19); // the return a look-ahead would (wrongly) book
  const dates = ["d0", "d1", "d2", "d3", "d4"];
  const bt = backtest({ dates, symbols: ["X"], positions: new Float64Array([1, 1, 0, 1, 1]), returns: r }, {
    costBps: 10,
  });
  const c = 0.001;
  near(bt.returns[0], 0.1 - c); // buy 1 unit at open d1
  near(bt.returns[1], r[1]); // hold, no cost
  near(bt.returns[2], -c); // sell at open d3
  near(bt.returns[3], 0); // return unknown -> forced flat, no trade
  near(bt.returns[4], 0);
  near(bt.equity[4], (1.1 - c) * (1 + r[1]) * (1 - c));
  near(bt.metrics.totalReturn, bt.equity[4] - 1);
  equal(bt.metrics.trades, 1);
  near(bt.metrics.turnover, 2 / 5);
  near(bt.metrics.hitRate, 1 / 2);
  near(bt.metrics.exposure, 2 / 5);
  near(bt.metrics.maxDrawdown, (1 + r[1]) * (1 - c) - 1);
});

Deno.test("backtest: equal capital per symbol, shorts, flips and inactive symbols", () => {
  // 2 symbols x 3 days; B has no return on day 2 (delisted): forced flat, its closing cost still charged.
  const returns = new Float64Array([0.02, -0.01, 0.01, 0.03, -0.02, NaN]);
  const positions = new Float64Array([1, -1, -0.5, -1, -0.5, -1]);
  const bt = backtest({ dates: ["a", "b", "c"], symbols: ["A", "B"], positions, returns }, { costBps: 5 });
  const c = 5e-4;
  near(bt.returns[0], (0.02 + 0.01 - c * 2) / 2);
  near(bt.returns[1], (-0.5 * 0.01 + -1 * 0.03 - c * 1.5) / 2);
  near(bt.returns[2], (-0.5 * -0.02 - c * 1) / 1);
  equal(bt.metrics.trades, 3); // A enters long, B enters short, A flips to short
  throws(() => backtest({ dates: ["a"], symbols: ["A", "B"], positions, returns }), RangeError);
});

Deno.test("backtest null test: random positions on a random walk earn about -costs", () => {
  const r = mulberry32(7), T = 1000, S = 50;
  const returns = new Float64Array(T * S), positions = new Float64Array(T * S);
  for (let s = 0; s < S; s++) {
    let o = 100;
    const opens = new Float64Array(T + 2);
    for (let t = 0; t < T + 2; t++) opens[t] = o *= Math.exp(0.015 * gaussian(r));
    const rs = openToOpenReturns(opens);
    for (let t = 0; t < T; t++) {
      returns[t * S + s] = rs[t];
      positions[t * S + s] = Math.floor(r() * 3) - 1;
    }
  }
  const dates = Array.from({ length: T }, (_, t) => String(t).padStart(5, "0"));
  const bt = backtest({ dates, symbols: Array.from({ length: S }, (_, s) => `S${s}`), positions, returns });
  const mean = (a: Float64Array) => a.reduce((x, y) => x + y, 0) / a.length;
  const se = (a: Float64Array) => {
    const m = mean(a);
    return Math.sqrt(a.reduce((x, y) => x + (y - m) ** 2, 0) / (a.length - 1) / a.length);
  };
  // Gross P&L has mean 0: within 4 standard errors.
  ok(Math.abs(mean(bt.gross)) < 4 * se(bt.gross), `gross mean ${mean(bt.gross)} se ${se(bt.gross)}`);
  // Net = gross - cost x turnover: E|Δp| for i.i.d. uniform {-1,0,1} is 8/9 per symbol-day.
  near(mean(bt.costs), 5e-4 * bt.metrics.turnover, 1e-15);
  ok(Math.abs(bt.metrics.turnover - 8 / 9) < 0.02, `turnover ${bt.metrics.turnover}`);
  const excess = new Float64Array(bt.returns.map((x) => x + 5e-4 * 8 / 9));
  ok(Math.abs(mean(excess)) < 4 * se(bt.returns), `net mean ${mean(bt.returns)} vs -costs ${-5e-4 * 8 / 9}`);
  ok(Math.abs(bt.metrics.hitRate - 0.5) < 0.01, `hit rate ${bt.metrics.hitRate}`);
});

Deno.test("buy-and-hold benchmark: equal initial capital, drifting weights, one entry cost", () => {
  const returns = new Float64Array([0.1, 0, 0, -0.1, 0.05, NaN]); // 3 days x 2 symbols
  const bh = buyAndHold({ dates: ["a", "b", "c"], symbols: ["A", "B"], returns }, { costBps: 5 });
  const c = 5e-4;
  near(bh.equity[0], (1 - c) * 2.1 / 2);
  near(bh.equity[1], (1 - c) * (1.1 + 0.9) / 2);
  near(bh.equity[2], (1 - c) * (1.1 * 1.05 + 0.9) / 2); // B delisted: its capital stays in cash
  equal(bh.metrics.trades, 2);
  near(bh.metrics.turnover, 1 / 3);
});

Deno.test("toPanel and positionsFromSignals scatter rows into dates x symbols (NaN where missing)", () => {
  const p = toPanel(["B", "A", "A"], ["2024-01-03", "2024-01-02", "2024-01-03"], [1, 2, 3]);
  deepEqual(p.dates, ["2024-01-02", "2024-01-03"]);
  deepEqual(p.symbols, ["A", "B"]);
  deepEqual(Array.from(p.values).map((v) => (Number.isNaN(v) ? null : v)), [2, null, 3, 1]);
  const sig = (symbol: string, date: string, size: number): Signal => ({
    symbol,
    date,
    size,
    knownAt: 0,
    action: "buy",
    confidence: 1,
    contributions: [],
    source: "t",
  });
  const q = positionsFromSignals([sig("A", "d1", 0.5)], { dates: ["d0", "d1"], symbols: ["A"] });
  ok(Number.isNaN(q.values[0]) && q.values[1] === 0.5);
});
