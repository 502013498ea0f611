import { deepEqual, equal, ok } from "node:assert/strict";
import { mulberry32, sessions } from "../core/mod.ts";
import {
  ALWAYS_LONG,
  backtestBook,
  baselineBacktests,
  type BookOptions,
  type BookPanels,
  bookPanels,
  buildBook,
  BUY_AND_HOLD,
  settledEnd,
} from "./book.ts";
import type { Dataset, SymbolSeries } from "../dataset/mod.ts";

/** Four names over 90 sessions (10 of risk warm-up) that all fall 3% a day on sessions 40-44. */
function panels(): BookPanels {
  const dates = sessions("2020-01-02", "2020-06-30").slice(0, 90);
  const T = dates.length, S = 4, rnd = mulberry32(7);
  const history = new Float64Array(T * S), returns = new Float64Array(T * S);
  for (let t = 0; t < T; t++) {
    for (let s = 0; s < S; s++) {
      history[t * S + s] = t >= 40 && t < 45 ? -0.03 : 0.01 * (rnd() - 0.5);
    }
  }
  // the traded return of a decision at t: open t+1 -> open t+2, here the next session's return
  for (let t = 0; t + 1 < T; t++) for (let s = 0; s < S; s++) returns[t * S + s] = history[(t + 1) * S + s];
  for (let s = 0; s < S; s++) returns[(T - 1) * S + s] = NaN;
  const cell = Int32Array.from({ length: (T - 10) * S }, (_, k) => 10 * S + k);
  return {
    dates,
    symbols: ["A", "B", "C", "D"],
    first: 10,
    cell,
    history,
    dailyVol: new Float64Array(T * S).fill(NaN),
    returns,
    adv: new Float64Array(T * S).fill(1e9),
    carried: new Int32Array(0),
    carriedFrom: new Int32Array(0),
  };
}

const grossOf = (w: Float64Array, S: number) =>
  Array.from(
    { length: w.length / S },
    (_, t) => w.subarray(t * S, t * S + S).reduce((a, x) => a + Math.abs(x), 0),
  );

Deno.test("book: the spec's drawdown brake halves the book once its settled drawdown passes the threshold; hooks are fresh per book", () => {
  const p = panels(), S = 4;
  const edge = Float64Array.from(p.cell, (_, k) => [0.1, 0.05, 0.02, -0.01][k % S]);
  const base: BookOptions = { method: "topk-dropout", topK: 2, nDrop: 1, targetVol: 0.1, maxWeight: 1 };
  const braked: BookOptions = { ...base, riskLimits: { drawdownBrake: { threshold: 0.03, scale: 0.5 } } };
  const free = grossOf(buildBook(p, edge, base).weights, S);
  const once = buildBook(p, edge, braked).weights;
  const limited = grossOf(once, S);
  // the first falling day is earned by the decision of day 39 and settled at the close of day 41: until then
  // nothing changes
  for (let t = 0; t <= 40; t++) ok(Math.abs(limited[t] - free[t]) < 1e-12, `day ${t}`);
  const halved = limited.map((g, t) => free[t] > 0 && Math.abs(g - free[t] / 2) < 1e-12 ? t : -1).filter((
    t,
  ) => t >= 0);
  equal(halved[0], 41, `the brake engages once the fall is settled: ${halved}`);
  ok(limited.every((g, t) => g <= free[t] + 1e-12), "a limit only scales down");
  // the same options build the same book again: each book gets hooks of its own (no state carried over)
  deepEqual(buildBook(p, edge, braked).weights, once);
  // the always-long baseline is braked too
  const al = (o: BookOptions) => baselineBacktests(p, o, { costBps: 5 }).get(ALWAYS_LONG)!.metrics.exposure;
  ok(al(braked) < al(base), `always-long exposure ${al(braked)} < ${al(base)}`);
  equal(baselineBacktests(p, braked, { costBps: 5 }).size, 2);
});

Deno.test("book: equal edges on a day decide exactly 0 under top-k dropout (its daily centering), a hold", () => {
  const p = panels(), S = 4;
  // three names at 0.1 (the fourth without a view): their summed mean is 2e-17 off 0.1, a decision edge that
  // read as a sell
  equal((0.1 + 0.1 + 0.1) / 3 === 0.1, false, "the mean does round off");
  const edge = Float64Array.from(p.cell, (_, k) => (k % S === 3 ? NaN : 0.1));
  const r = buildBook(p, edge, { method: "topk-dropout", topK: 2, nDrop: 1, targetVol: 0, maxWeight: 1 });
  const decided = Array.from(r.decision).filter(Number.isFinite);
  ok(decided.length > 100, `${decided.length} decisions`);
  ok(
    decided.every((d) => d === 0),
    `every decision exactly 0: ${decided.filter((d) => d !== 0).slice(0, 3)}`,
  );
  ok(r.weights.every((w) => w === 0), "no dispersion: nothing held");
});

Deno.test("book: the last decision days without a known traded return are not backtested (they were flat days)", () => {
  const p = panels(), S = 4, T = p.dates.length;
  // the data ends: the last two decisions' traded returns (open t+1 -> open t+2) are unknown; one name's also the
  // day before (a scored day still: another name has its return)
  for (let s = 0; s < S; s++) p.returns[(T - 2) * S + s] = NaN;
  p.returns[(T - 3) * S + 1] = NaN;
  equal(settledEnd(p), T - 2);
  const edge = Float64Array.from(p.cell, (_, k) => [0.1, 0.05, 0.02, -0.01][k % S]);
  const options: BookOptions = { method: "topk-dropout", topK: 2, nDrop: 1, targetVol: 0.1, maxWeight: 1 };
  const bt = backtestBook(p, buildBook(p, edge, options).weights, { costBps: 5 });
  deepEqual(bt.dates, p.dates.slice(p.first, T - 2));
  for (const [name, r] of baselineBacktests(p, options, { costBps: 5 })) {
    deepEqual(r.dates, p.dates.slice(p.first, T - 2), name);
  }
  // buy-and-hold is invested every scored day (with B's return known the day before the end too)
  p.returns[(T - 3) * S + 1] = 0.001;
  const bh = baselineBacktests(p, options, { costBps: 5 }).get(BUY_AND_HOLD)!.metrics.exposure;
  ok(bh > 0.9999, `buy-and-hold exposure ${bh} (two flat days of 80 made it 0.975)`);
  // no known return at all: every day, as before
  const none = { ...p, returns: new Float64Array(T * S).fill(NaN) };
  equal(settledEnd(none), T);
});

Deno.test("book: the drawdown brake reads the settled equity after the costs the backtest books", () => {
  const p = panels(), S = 4, T = p.dates.length;
  // traded returns all 0: only the costs of a book that swaps its names every day can draw it down
  p.returns.fill(0);
  for (let s = 0; s < S; s++) p.returns[(T - 1) * S + s] = NaN;
  const edge = Float64Array.from(p.cell, (_, k) => {
    const t = Math.floor(k / S), s = k % S;
    return (s + t) % 2 === 0 ? 0.1 : -0.1; // A, C one day, B, D the next
  });
  const base: BookOptions = { method: "topk-dropout", topK: 2, nDrop: 2, targetVol: 0, maxWeight: 0.5 };
  const costs = { costBps: 50, impact: 0 };
  const brake = { drawdownBrake: { threshold: 0.05, scale: 0.5 } };
  const free = buildBook(p, edge, base);
  const bt = backtestBook(p, free.weights, costs);
  // the costs draw the book down past 5% (gross returns are all 0: before costs there is no drawdown)
  ok(Math.min(...bt.drawdown) < -0.05, `after-cost drawdown ${Math.min(...bt.drawdown)}`);
  const gross = grossOf(free.weights, S);
  const pre = grossOf(buildBook(p, edge, { ...base, riskLimits: brake }).weights, S);
  deepEqual(pre, gross, "before costs: nothing to brake");
  const post = grossOf(buildBook(p, edge, { ...base, riskLimits: brake, costs }).weights, S);
  // engaged from the first day whose settled record (decisions up to t - 2) is 5% down after costs
  const eq = bt.equity, first = p.first;
  let peak = 1, want = -1;
  for (let t = first + 2; t < T && want < 0; t++) {
    const e = eq[t - 2 - first];
    peak = Math.max(peak, e);
    if (1 - e / peak >= 0.05) want = t;
  }
  ok(want > 0, "the backtest's equity crosses the threshold");
  const engaged = post.findIndex((g, t) => t >= first && gross[t] > 0 && Math.abs(g - gross[t] / 2) < 1e-12);
  equal(engaged, want);
  for (let t = 0; t < want; t++) ok(Math.abs(post[t] - gross[t]) < 1e-12, `day ${t}: not braked before`);
});

Deno.test("book: a name held into a session it has no bar on is carried through it, not sold and bought back", () => {
  const days = sessions("2020-01-02", "2020-03-31").slice(0, 40), rnd = mulberry32(3);
  const hole = days[20];
  const bDays = days.filter((d) => d !== hole);
  const bars = (dates: string[]) =>
    ({
      dates,
      close: Float64Array.from(dates, (_, i) => 100 + i),
      volume: new Float64Array(dates.length).fill(1e6),
    }) as unknown as SymbolSeries;
  const series = new Map([["A", bars(days)], ["B", bars(bDays)]]);
  const symbol = [...days.map(() => "A"), ...bDays.map(() => "B")], date = [...days, ...bDays];
  const fwdOpenReturn = Float64Array.from(date, () => 0.01 * (rnd() - 0.5));
  const ds = { series, labels: { fwdOpenReturn } } as unknown as Dataset;
  const rows = Int32Array.from(date, (_, r) => r);
  const p = bookPanels(ds, { rows, symbol, date, dailyVol: new Float64Array(rows.length).fill(0.01) });
  const t = p.dates.indexOf(hole), S = 2, b = t * S + 1;
  deepEqual([...p.carried, ...p.carriedFrom], [b, b - S]);
  deepEqual([p.returns[b], p.dailyVol[b], p.adv[b]], [0, p.dailyVol[b - S], p.adv[b - S]]);
  // B is the better name every day: held throughout, its weight on the hole day as the day before
  const edge = Float64Array.from(symbol, (s) => (s === "B" ? 0.1 : -0.1));
  const w =
    buildBook(p, edge, { method: "topk-dropout", topK: 1, nDrop: 1, targetVol: 0, maxWeight: 1 }).weights;
  ok(w[b - S] > 0, `B held before the hole: ${w[b - S]}`);
  equal(w[b], w[b - S]);
  equal(w[b + S], w[b - S]);
  const bt = backtestBook(p, w, { costBps: 5 });
  const turnover = bt.turnover;
  ok(
    turnover[t - p.first] < 1e-9 && turnover[t + 1 - p.first] < 1e-9,
    `${turnover[t - p.first]}, ${turnover[t + 1 - p.first]}`,
  );
  // the always-long baseline holds B through it too (it sold and bought back B there)
  const al = baselineBacktests(p, { targetVol: 0, maxWeight: 1 }, { costBps: 5 }).get(ALWAYS_LONG)!;
  ok(
    al.turnover[t - p.first] < 1e-3 && al.turnover[t + 1 - p.first] < 1e-3,
    `${al.turnover.slice(t - 2, t + 3)}`,
  );
});
