import { deepEqual, equal, ok, throws } from "node:assert/strict";
import {
  applyLimits,
  constructPortfolio,
  DUST_WEIGHT,
  type PortfolioInput,
  type PortfolioOptions,
  topkDropoutStep,
} from "./portfolio.ts";
import { mulberry32, normalRng } from "../core/mod.ts";

const near = (a: number, b: number, tol = 1e-12) => ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

/** A one-factor market (correlation rho between names), daily sd sigma, random edges. */
function market(T: number, S: number, seed: number, rho = 0.3, sigma = 0.015): PortfolioInput {
  const g = normalRng(seed), u = mulberry32(seed + 1);
  const history = new Float64Array(T * S), edge = new Float64Array(T * S), dailyVol = new Float64Array(T * S);
  for (let t = 0; t < T; t++) {
    const f = g();
    for (let s = 0; s < S; s++) {
      history[t * S + s] = sigma * (Math.sqrt(rho) * f + Math.sqrt(1 - rho) * g());
      edge[t * S + s] = u() < 0.05 ? NaN : 0.1 * g();
      dailyVol[t * S + s] = sigma;
    }
  }
  const dates = Array.from(
    { length: T },
    (_, t) =>
      `2020-${String(1 + Math.floor(t / 28)).padStart(2, "0")}-${String(1 + t % 28).padStart(2, "0")}`,
  );
  return { dates, symbols: Array.from({ length: S }, (_, s) => `S${s}`), edge, dailyVol, history };
}

Deno.test("topkDropoutStep follows Qlib's TopkDropoutStrategy", () => {
  const score = [9, 8, 7, 6, 5, 4, 3, 2, 1, 0];
  const all = () => true;
  const age = new Array(10).fill(5);
  // empty book: buy the top k
  deepEqual(topkDropoutStep(score, all, [], age, 3, 1, 1).sort(), [0, 1, 2]);
  // held {0, 5, 9}: candidates = best n_drop + k - |held| = 1 non-held (1); comb = 0,1,5,9 -> worst 1 = 9 sold; buy 1
  deepEqual(topkDropoutStep(score, all, [0, 5, 9], age, 3, 1, 1).sort(), [0, 1, 5]);
  // with n_drop 2: candidates 1,2; comb 0,1,2,5,9 -> worst two 5,9 sold; buy 1,2
  deepEqual(topkDropoutStep(score, all, [0, 5, 9], age, 3, 2, 1).sort(), [0, 1, 2]);
  // a held name better than every candidate is never sold for a worse one
  deepEqual(topkDropoutStep([1, 9, 8, 0], all, [1, 2, 0], [5, 5, 5, 5], 3, 1, 1).sort(), [0, 1, 2]);
  // minimum holding period: 9 is too young to sell
  const young = [5, 5, 5, 5, 5, 5, 5, 5, 5, 0];
  deepEqual(topkDropoutStep(score, all, [0, 5, 9], young, 3, 1, 2).sort(), [0, 5, 9]);
  // a held name no longer eligible leaves at once and is replaced
  deepEqual(topkDropoutStep(score, (s) => s !== 5, [0, 5, 9], age, 3, 1, 1).sort(), [0, 1, 2]);
  // fewer eligible names than topK + nDrop (a small universe): a name within the top k is kept, day after day
  // (Qlib's rule sold the whole book every other day here: every name is among the nDrop worst of four)
  const small = [0.3, 0.2, -0.1, -0.4], four = [5, 5, 5, 5];
  let book: number[] = [];
  for (let day = 0; day < 4; day++) {
    book = topkDropoutStep(small, (s) => small[s] > 0, book, four, 50, 5, 1).sort();
    deepEqual(book, [0, 1], `day ${day}`);
  }
  // the worst held name beyond the top k still makes room for a better one
  deepEqual(topkDropoutStep(small, all, [2, 3], four, 3, 2, 1).sort(), [0, 1, 2]);
});

Deno.test("applyLimits: per-name, gross and net limits hold exactly, only by shrinking", () => {
  const w = new Float64Array([0.5, 0.3, -0.05, 0.2, NaN]);
  applyLimits(w, 0.25, 0.6, [-0.2, 0.3]);
  ok(w.every((v) => Math.abs(v) <= 0.25));
  ok(w.reduce((a, v) => a + Math.abs(v), 0) <= 0.6 + 1e-15);
  near(w.reduce((a, v) => a + v, 0), 0.3);
  equal(w[4], 0);
  ok(w[2] < 0);
});

Deno.test("portfolio constraints hold exactly for every method and day", () => {
  const x = market(120, 40, 1);
  const cases: PortfolioOptions[] = [
    { method: "topk-dropout", topK: 8, nDrop: 2, maxWeight: 0.15, maxGross: 1, targetVol: 0.2 },
    { method: "long-short", topK: 6, nDrop: 1, maxWeight: 0.1, maxGross: 1.5, netRange: [-0.05, 0.05] },
    { method: "kelly", maxWeight: 0.05, maxGross: 0.8, netRange: [-0.1, 0.3], targetVol: 0.08 },
    { method: "kelly", longOnly: true, maxWeight: 0.2, maxGross: 1 },
    { method: "always-long", maxWeight: 0.03, maxGross: 1, targetVol: 0.12 },
    { method: "topk-dropout", topK: 5, weighting: "kelly", kellyFraction: 0.5, maxWeight: 0.3 },
    { method: "tilt", tilt: 1.5, maxWeight: 0.06, maxGross: 1, targetVol: 0.15 },
    { method: "long-short", topK: 6, maxWeight: 0.1, maxGross: 1.5, netRange: [-0.05, 0.05], rebalance: 0.3 },
  ];
  for (const o of cases) {
    const r = constructPortfolio(x, o);
    const S = x.symbols.length;
    let prev = new Set<number>();
    for (let t = 0; t < x.dates.length; t++) {
      let g = 0, n = 0;
      const now = new Set<number>();
      for (let s = 0; s < S; s++) {
        const v = r.weights[t * S + s];
        ok(Math.abs(v) <= o.maxWeight! + 1e-15, `${o.method} |w| ${v}`);
        if (v !== 0) ok(Number.isFinite(x.edge[t * S + s]), "no position without a view");
        if (
          (o.method === "topk-dropout" || o.longOnly || o.method === "always-long" || o.method === "tilt") &&
          v < 0
        ) {
          ok(false, "short");
        }
        g += Math.abs(v);
        n += v;
        if (v !== 0) now.add(s);
      }
      ok(g <= (o.maxGross ?? 1) + 1e-12, `${o.method} gross ${g}`);
      const [lo, hi] = o.netRange ?? [-1, 1];
      ok(n >= lo - 1e-12 && n <= hi + 1e-12, `${o.method} net ${n}`);
      near(r.gross[t], g, 1e-12);
      if (o.method === "topk-dropout") {
        ok(now.size <= o.topK!);
        // after the first day at most nDrop names leave by rank, plus names that lost their (positive) view
        if (t > 0) {
          const left = [...prev].filter((s) => !now.has(s) && x.edge[t * S + s] > 0);
          ok(left.length <= (o.nDrop ?? 1), `${left.length} names dropped on day ${t}`);
        }
      }
      if (o.method === "long-short" && now.size) ok(Math.abs(n) <= 0.05 + 1e-12);
      prev = now;
    }
  }
});

Deno.test("volatility targeting hits the target from the covariance estimate; the risk model warms up first", () => {
  const x = market(400, 30, 4, 0.3, 0.015);
  const r = constructPortfolio({ ...x, firstDecision: 300 }, {
    method: "always-long",
    targetVol: 0.1,
    maxGross: 3,
    maxWeight: 1,
  });
  // equal weights on ~28 names with correlation 0.3 and sd 1.5%: vol at gross 1 is about
  // 0.015 * sqrt(0.3 + 0.7/28) * sqrt(252) = 13.6%, so the book scales to ~0.74 gross and sits on the target
  for (let t = 300; t < 400; t++) near(r.exAnteVol[t], 0.1, 1e-9);
  const g = r.gross.slice(300).reduce((a, b) => a + b, 0) / 100;
  ok(g > 0.6 && g < 0.9, `mean gross ${g}`);
  for (let t = 0; t < 300; t++) equal(r.gross[t], 0);
  // scale mode never exceeds maxGross, cap mode never scales up
  const capped = constructPortfolio({ ...x, firstDecision: 300 }, {
    method: "always-long",
    targetVol: 0.5,
    maxGross: 1.2,
    maxWeight: 1,
  });
  ok(Math.max(...capped.gross) <= 1.2 + 1e-12);
  const cap = constructPortfolio({ ...x, firstDecision: 300 }, {
    method: "always-long",
    targetVol: 0.5,
    volTargeting: "cap",
    maxWeight: 1,
  });
  for (let t = 300; t < 400; t++) near(cap.gross[t], 1, 1e-12);
});

Deno.test("Kelly sizing: f = fraction x edge / sigma, capped; a constant predictor does not trade at full size", () => {
  const x = market(50, 4, 7);
  x.edge.fill(0.02);
  x.dailyVol.fill(0.02);
  const r = constructPortfolio(x, {
    method: "kelly",
    kellyFraction: 0.25,
    targetVol: 0,
    maxWeight: 1,
    maxGross: 4,
  });
  for (let t = 0; t < 50; t++) for (let s = 0; s < 4; s++) near(r.weights[t * 4 + s], 0.25 * 0.02 / 0.02);
  // the same constant view through a ranking method: no cross-sectional information, no trade
  const top = constructPortfolio(x, { method: "topk-dropout", topK: 2 });
  ok(top.gross.every((g) => g === 0));
  const ls = constructPortfolio(x, { method: "long-short", topK: 1 });
  ok(ls.gross.every((g) => g === 0));
  // a weak constant edge with Kelly + vol cap: far below full size
  x.edge.fill(0.005);
  const weak = constructPortfolio(x, { method: "kelly" });
  ok(Math.max(...weak.gross) < 0.3, `gross ${Math.max(...weak.gross)}`);
  // abstaining (edge 0) holds nothing
  x.edge.fill(0);
  ok(constructPortfolio(x, { method: "kelly" }).gross.every((g) => g === 0));
});

Deno.test("risk hooks see settled P&L only and cannot break the limits", () => {
  const x = market(30, 10, 11);
  const outcomes = Float64Array.from(x.history, (v) => v * 0.9);
  const seen: number[] = [];
  let settled3 = NaN;
  const r = constructPortfolio({ ...x, outcomes }, {
    method: "topk-dropout",
    topK: 4,
    targetVol: 0,
    riskHooks: [(w, ctx) => {
      seen.push(ctx.realized.length);
      if (ctx.t === 10) settled3 = ctx.realized[3];
      w.fill(5); // tries to lever up
    }],
  });
  // decisions 0..t-2 are settled at t; realized[d] is the final weights of d times its outcome
  deepEqual(seen.slice(0, 4), [0, 0, 1, 2]);
  let want = 0;
  for (let s = 0; s < 10; s++) want += r.weights[3 * 10 + s] * outcomes[3 * 10 + s];
  near(settled3, want);
  ok(r.weights.every((v) => v <= 0.1 + 1e-15));
  ok(r.gross.every((g) => g <= 1 + 1e-12));
  throws(() => constructPortfolio(x, { topK: 0 }), RangeError);
  throws(() => constructPortfolio(x, { netRange: [0.1, 1] }), RangeError);
  throws(() => constructPortfolio({ ...x, edge: new Float64Array(3) }), RangeError);
});

Deno.test("constructPortfolio: the decision edge is the one each method selects on", () => {
  const x = market(40, 6, 11);
  x.edge[20 * 6 + 2] = NaN;
  for (const method of ["topk-dropout", "long-short", "kelly"] as const) {
    const r = constructPortfolio({ ...x, firstDecision: 5 }, {
      method,
      topK: 2,
      nDrop: 1,
      targetVol: 0,
      maxWeight: 1,
    });
    for (let t = 0; t < 40; t++) {
      const row = Array.from(x.edge.subarray(t * 6, t * 6 + 6));
      const ok6 = row.filter(Number.isFinite);
      const center = method === "long-short" ? ok6.reduce((a, b) => a + b, 0) / ok6.length : 0;
      for (let s = 0; s < 6; s++) {
        const d = r.decision[t * 6 + s], w = r.weights[t * 6 + s];
        if (t < 5 || !Number.isFinite(row[s])) {
          ok(Number.isNaN(d), `${method} ${t} ${s}: ${d}`);
          continue;
        }
        near(d, row[s] - center, 1e-15);
        // a held long was selected on a positive decision edge, a held short on a negative one
        if (w > 0) ok(d > 0, `${method} ${t} ${s}: long on ${d}`);
        if (w < 0) ok(d < 0, `${method} ${t} ${s}: short on ${d}`);
      }
    }
  }
});

Deno.test("tilt: equal weight leaned on the day's edge z-scores, long only; 0 is equal weight, no dispersion too", () => {
  const x = market(60, 30, 7);
  const S = 30, o = { targetVol: 0, maxWeight: 1, maxGross: 1 };
  const flat = constructPortfolio(x, { ...o, method: "tilt", tilt: 0 });
  const eq = constructPortfolio(x, { ...o, method: "always-long" });
  for (let i = 0; i < x.edge.length; i++) near(flat.weights[i], eq.weights[i]);
  const r = constructPortfolio(x, { ...o, method: "tilt", tilt: 1 });
  for (let t = 0; t < 60; t++) {
    const names = Array.from({ length: S }, (_, s) => s).filter((s) => Number.isFinite(x.edge[t * S + s]));
    const e = names.map((s) => x.edge[t * S + s]);
    const mean = e.reduce((a, v) => a + v, 0) / e.length;
    const sd = Math.sqrt(e.reduce((a, v) => a + (v - mean) ** 2, 0) / e.length);
    const shares = e.map((v) => Math.max(0, 1 + (v - mean) / sd));
    const total = shares.reduce((a, v) => a + v, 0);
    names.forEach((s, k) => {
      near(r.weights[t * S + s], shares[k] / total);
      near(r.decision[t * S + s], e[k] - mean);
    });
    near(r.gross[t], 1);
    ok(
      names.some((s) => r.weights[t * S + s] === 0),
      "a name a standard deviation below the mean is dropped",
    );
  }
  // a day without dispersion (a constant predictor) is plain equal weight, not an empty book
  const same = { ...x, edge: x.edge.map((v) => (Number.isFinite(v) ? 0.05 : v)) };
  const c = constructPortfolio(same, { ...o, method: "tilt", tilt: 2 });
  for (let i = 0; i < x.edge.length; i++) near(c.weights[i], eq.weights[i]);
  // equal edges decide exactly 0 (hold), not the rounding of their mean: six names at 0.1, whose summed mean is
  // 1.4e-17 below it, read as sells before (a real daily run's equal edges did)
  const e6 = 0.1, six = market(3, 6, 5);
  equal([e6, e6, e6, e6, e6, e6].reduce((a, v) => a + v, 0) / 6 === e6, false, "the mean does round off");
  six.edge.fill(e6);
  for (const method of ["tilt", "long-short"] as const) {
    const d = constructPortfolio(six, { ...o, method }).decision;
    ok(d.every((v) => v === 0), `${method}: ${d}`);
  }
  throws(() => constructPortfolio(x, { method: "tilt", tilt: -1 }), /tilt -1 must be in \[0, 10\]/);
  throws(() => constructPortfolio(x, { method: "tilt", weighting: "kelly" }), /not kelly weighting/);
});

Deno.test("rebalance: the book trades that share of the way to the day's target; a name without a view is closed", () => {
  const x = market(80, 25, 11);
  const S = 25, o = { method: "tilt" as const, targetVol: 0, maxWeight: 1, maxGross: 1 };
  const full = constructPortfolio(x, o);
  const half = constructPortfolio(x, { ...o, rebalance: 0.5 });
  for (let t = 1; t < 80; t++) {
    for (let s = 0; s < S; s++) {
      const i = t * S + s;
      const blend = half.weights[i - S] + 0.5 * (full.weights[i] - half.weights[i - S]);
      // a name the target no longer holds is closed once the blend leaves dust
      const dust = full.weights[i] === 0 && Math.abs(blend) < DUST_WEIGHT;
      near(half.weights[i], Number.isFinite(x.edge[i]) && !dust ? blend : 0);
    }
  }
  const turnover = (r: typeof full) => {
    let a = 0;
    for (let i = S; i < r.weights.length; i++) a += Math.abs(r.weights[i] - r.weights[i - S]);
    return a;
  };
  ok(turnover(half) < 0.75 * turnover(full), `${turnover(half)} vs ${turnover(full)}`);
  for (const bad of [0, 1.5]) {
    throws(() => constructPortfolio(x, { ...o, rebalance: bad }), /rebalance .* must be in \(0, 1\]/);
  }
  // nothing decays for ever: every name the target dropped is closed within a few sessions
  let dustDays = 0;
  for (let i = S; i < half.weights.length; i++) {
    if (full.weights[i] === 0 && half.weights[i] !== 0) ok(Math.abs(half.weights[i]) >= DUST_WEIGHT);
    if (half.weights[i] !== 0 && Math.abs(half.weights[i]) < DUST_WEIGHT) dustDays++;
  }
  ok(dustDays < half.weights.length / 100, `${dustDays} tiny positions`);
});

Deno.test("rebalance with a risk hook that stays on: the book is the hook's factor times the book without it", () => {
  // the blend moves from the previous day's book before its hooks; from the held (braked) book it would
  // compound to 0.5 x 0.5 / (1 - 0.5 x 0.5) = 1/3 of the target under a brake at 0.5 with rebalance 0.5
  const x = market(60, 12, 5);
  const o = { method: "tilt" as const, targetVol: 0, maxWeight: 1, maxGross: 1, rebalance: 0.5 };
  const free = constructPortfolio(x, o);
  const braked = constructPortfolio(x, { ...o, riskHooks: [(w) => w.forEach((v, s) => w[s] = 0.5 * v)] });
  for (let i = 0; i < free.weights.length; i++) near(braked.weights[i], 0.5 * free.weights[i]);
  ok(free.gross.slice(10).every((g) => g > 0.5), "the free book is invested");
});
