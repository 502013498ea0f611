import { deepEqual, equal, notDeepEqual, ok, rejects, throws } from "node:assert/strict";
import {
  closeTime,
  DataSourceError,
  isSession,
  nextSession,
  nyDate,
  sessionForKnownAt,
} from "../core/mod.ts";
import type { Bar } from "../core/mod.ts";
import { createSyntheticMarket, nullMarket } from "./synthetic.ts";
import type { SyntheticMarket } from "./synthetic.ts";

async function allBars(m: SyntheticMarket): Promise<Map<string, Bar[]>> {
  return await m.bars({ symbols: m.symbols, from: m.dates[0], to: m.dates[m.dates.length - 1] });
}

/** Log close-to-close returns; index t is the return of session t (t >= 1), NaN at 0. */
function logReturns(bars: Bar[]): Float64Array {
  const r = new Float64Array(bars.length).fill(NaN);
  for (let t = 1; t < bars.length; t++) r[t] = Math.log(bars[t].close / bars[t - 1].close);
  return r;
}

function moments(x: number[]): { mean: number; sd: number; kurt: number } {
  const n = x.length;
  const mean = x.reduce((a, b) => a + b, 0) / n;
  let m2 = 0, m4 = 0;
  for (const v of x) {
    const d = v - mean;
    m2 += d * d;
    m4 += d * d * d * d;
  }
  m2 /= n;
  m4 /= n;
  return { mean, sd: Math.sqrt(m2), kurt: m4 / (m2 * m2) };
}

/** Autocorrelations of x at lags 1..maxLag. */
function acf(x: number[], maxLag: number): number[] {
  const { mean } = moments(x);
  const d = x.map((v) => v - mean);
  const den = d.reduce((a, v) => a + v * v, 0);
  const out: number[] = [];
  for (let k = 1; k <= maxLag; k++) {
    let s = 0;
    for (let t = k; t < d.length; t++) s += d[t] * d[t - k];
    out.push(s / den);
  }
  return out;
}

/** OLS slope of y on x with its standard error. */
function ols(x: number[], y: number[]): { slope: number; se: number; n: number } {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n, my = y.reduce((a, b) => a + b, 0) / n;
  let sxx = 0, sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i] - mx) ** 2;
    sxy += (x[i] - mx) * (y[i] - my);
  }
  const slope = sxy / sxx;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (y[i] - my - slope * (x[i] - mx)) ** 2;
  return { slope, se: Math.sqrt(sse / (n - 2) / sxx), n };
}

Deno.test("synthetic: same seed gives identical bars and news, another seed different ones", async () => {
  const a = createSyntheticMarket({ seed: 7, newsEffect: 0.01 });
  const b = createSyntheticMarket({ seed: 7, newsEffect: 0.01 });
  const c = createSyntheticMarket({ seed: 8, newsEffect: 0.01 });
  const req = { symbols: a.symbols, from: a.dates[0], to: a.dates[a.dates.length - 1] };
  deepEqual(await a.bars(req), await b.bars(req));
  deepEqual(await a.news(req), await b.news(req));
  notDeepEqual((await a.bars(req)).get("SYN00"), (await c.bars(req)).get("SYN00"));
  equal(a.symbols.length, 20);
  equal(a.symbols[0], "SYN00");
  equal(a.symbols[19], "SYN19");
  // the same seed gives the same noise whether effects are planted or not: only the planted shift differs
  const quiet = createSyntheticMarket({ seed: 7, newsEffect: 0 });
  const shifted = a.truth.tickers.SYN00.logReturn, base = quiet.truth.tickers.SYN00.logReturn;
  const shiftBySession = new Float64Array(a.dates.length);
  for (const e of a.truth.tickers.SYN00.news) {
    if (e.affects) shiftBySession[a.dates.indexOf(e.affects)] += e.shift;
  }
  for (let t = 0; t < base.length; t++) ok(Math.abs(shifted[t] - base[t] - shiftBySession[t]) < 1e-12);
});

Deno.test("synthetic: OHLC consistent, volume positive, real sessions, knownAt = close, returns match truth", async () => {
  const m = createSyntheticMarket({ seed: 3, newsEffect: 0.02, levelStrength: 0.7 });
  const bars = await allBars(m);
  equal(m.dates.length, 1000);
  equal(m.dates[0], "2015-01-02");
  for (let t = 1; t < m.dates.length; t++) equal(m.dates[t], nextSession(m.dates[t - 1]));
  for (const [sym, series] of bars) {
    equal(series.length, 1000);
    const truth = m.truth.tickers[sym];
    for (let t = 0; t < series.length; t++) {
      const b = series[t];
      ok(isSession(b.date));
      equal(b.knownAt, closeTime(b.date));
      ok(b.low <= Math.min(b.open, b.close) && b.high >= Math.max(b.open, b.close), `${sym} ${b.date}`);
      ok(b.low > 0 && b.volume >= 1 && Number.isInteger(b.volume));
      equal(b.adjClose, b.close);
      if (t > 0) ok(Math.abs(Math.log(b.close / series[t - 1].close) - truth.logReturn[t]) < 1e-9);
    }
  }
  // volume is correlated with |return|
  const x: number[] = [], y: number[] = [];
  for (const series of bars.values()) {
    const r = logReturns(series);
    const lv = series.map((b) => Math.log(b.volume));
    const mv = lv.reduce((a, b) => a + b, 0) / lv.length;
    for (let t = 1; t < series.length; t++) {
      x.push(Math.abs(r[t]));
      y.push(lv[t] - mv);
    }
  }
  const fit = ols(x, y);
  ok(fit.slope > 5 * fit.se, `volume vs |return| slope ${fit.slope} se ${fit.se}`);
});

Deno.test("synthetic: fat tails with Student-t innovations, ~normal kurtosis without", async () => {
  const kurtOf = async (m: SyntheticMarket) => {
    const ks: number[] = [];
    for (const series of (await allBars(m)).values()) ks.push(moments([...logReturns(series).slice(1)]).kurt);
    return ks.reduce((a, b) => a + b, 0) / ks.length;
  };
  const fat = await kurtOf(nullMarket(11));
  // kurtosis of n=999 normal draws has sd sqrt(24/n) ~ 0.155 per ticker
  ok(fat > 3 + 5 * 0.155, `mean kurtosis ${fat}`);
  const gauss = await kurtOf(nullMarket(11, { df: Infinity, garch: false }));
  ok(Math.abs(gauss - 3) < 0.3, `gaussian mean kurtosis ${gauss}`);
});

Deno.test("synthetic: volatility clustering with GARCH (squared-return autocorrelation), none without", async () => {
  const lb = async (m: SyntheticMarket) => {
    let significant = 0, rho1 = 0;
    const bars = await allBars(m);
    for (const series of bars.values()) {
      const r = [...logReturns(series).slice(1)];
      const n = r.length;
      const rho = acf(r.map((v) => v * v), 10);
      const q = n * (n + 2) * rho.reduce((a, p, k) => a + p * p / (n - k - 1), 0);
      if (q > 23.21) significant++; // chi2(10) 99% quantile
      rho1 += rho[0] / bars.size;
    }
    return { significant, rho1 };
  };
  const garch = await lb(nullMarket(5, { garch: { alpha: [0.1, 0.12], beta: [0.84, 0.86] } }));
  ok(garch.significant >= 15, `Ljung-Box significant in ${garch.significant}/20 tickers`);
  // without clustering the mean lag-1 acf over 20 tickers has sd ~ 1/sqrt(999 * 20) ~ 0.007 (doubled for the
  // shared market factor): 0.05 is over 3 sd
  ok(garch.rho1 > 0.05, `mean lag-1 acf of r^2 ${garch.rho1}`);
  const flat = await lb(nullMarket(5, { garch: false, df: Infinity }));
  ok(flat.significant <= 3, `no clustering planted, yet ${flat.significant}/20 significant`);
  ok(Math.abs(flat.rho1) < 0.05, `flat mean lag-1 acf ${flat.rho1}`);
});

Deno.test("synthetic: truth variance is the conditional variance of the returns", async () => {
  const m = nullMarket(9);
  let s = 0, n = 0, cRv = 0;
  const a: number[] = [], b: number[] = [];
  for (const [sym, series] of await allBars(m)) {
    const r = logReturns(series), v = m.truth.tickers[sym].variance;
    for (let t = 1; t < series.length; t++) {
      s += r[t] * r[t] / v[t];
      n++;
      a.push(Math.log(v[t]));
      b.push(Math.log(r[t] * r[t] + 1e-12));
    }
  }
  cRv = ols(a, b).slope;
  ok(Math.abs(s / n - 1) < 0.1, `mean r^2/variance ${s / n}`);
  ok(cRv > 0.5, `log r^2 on log variance slope ${cRv}`);
});

Deno.test("synthetic: regimes switch and the stressed regime is more volatile", () => {
  const m = createSyntheticMarket({ seed: 2 });
  const stressed = m.truth.regime.reduce((a, b) => a + b, 0);
  ok(stressed > 0 && stressed < m.dates.length, `stressed sessions ${stressed}`);
  const v = [[0, 0], [0, 0]];
  m.truth.marketReturn.forEach((r, t) => {
    v[m.truth.regime[t]][0] += r * r;
    v[m.truth.regime[t]][1]++;
  });
  ok(v[1][0] / v[1][1] > 2 * v[0][0] / v[0][1]);
  equal(nullMarket(2).truth.regime.reduce((a, b) => a + b, 0), 0);
});

/** News regression from public data only: next-session return after the item is first usable. */
async function newsSlope(m: SyntheticMarket, lag: 0 | 1) {
  const bars = await allBars(m);
  const idx = new Map(m.dates.map((d, i) => [d, i]));
  const items = await m.news({ symbols: m.symbols, from: m.dates[0], to: m.dates[m.dates.length - 1] });
  const truth = new Map(m.truth.news.map((e) => [e.id, e.sentiment]));
  const x: number[] = [], y: number[] = [];
  for (const it of items) {
    equal(it.knownAt, it.publishedAt);
    const usable = sessionForKnownAt(it.knownAt);
    const target = lag === 1 ? nextSession(usable) : usable;
    const t = idx.get(target);
    if (t === undefined || t === 0) continue;
    const s = bars.get(it.symbols[0])!;
    x.push(truth.get(it.id)!);
    y.push(Math.log(s[t].close / s[t - 1].close));
  }
  return ols(x, y);
}

Deno.test("synthetic: planted news effect is measurable from public data; null market shows none", async () => {
  const planted = createSyntheticMarket({ seed: 21, newsEffect: 0.02 });
  const fit = await newsSlope(planted, 1);
  ok(fit.n > 500, `news items ${fit.n}`);
  ok(Math.abs(fit.slope - 0.02) < 4 * fit.se, `slope ${fit.slope} se ${fit.se}`);
  ok(fit.slope > 6 * fit.se);
  // the item does not move the session at whose close it becomes usable (no effect before it is known)
  const same = await newsSlope(planted, 0);
  ok(Math.abs(same.slope) < 4 * same.se, `same-session slope ${same.slope} se ${same.se}`);
  const none = await newsSlope(nullMarket(21), 1);
  ok(Math.abs(none.slope) < 4 * none.se, `null slope ${none.slope} se ${none.se}`);
  // ground truth agrees with the public timing rule; ids are unique
  for (const e of planted.truth.news) {
    equal(e.usableOn, sessionForKnownAt(e.publishedAt));
    if (e.affects) equal(e.affects, nextSession(e.usableOn));
    equal(e.afterClose, e.publishedAt > closeTime(nyDate(e.publishedAt)));
  }
  equal(new Set(planted.truth.news.map((e) => e.id)).size, planted.truth.news.length);
});

/** Share of sessions whose return moves away from the nearest planted level (near vs far from it). */
async function reversalRates(m: SyntheticMarket, levels: Record<string, number[]>, band: number) {
  let nearN = 0, nearRev = 0, farN = 0, farRev = 0;
  for (const [sym, series] of await allBars(m)) {
    const lv = levels[sym];
    for (let t = 1; t < series.length; t++) {
      const p = series[t - 1].close;
      let best = lv[0];
      for (const l of lv) if (Math.abs(p / l - 1) < Math.abs(p / best - 1)) best = l;
      const dist = Math.abs(p / best - 1);
      const dir = p >= best ? 1 : -1;
      const rev = Math.sign(series[t].close - p) === dir ? 1 : 0;
      if (dist < band) {
        nearN++;
        nearRev += rev;
      } else if (dist > 3 * band) {
        farN++;
        farRev += rev;
      }
    }
  }
  return { nearN, near: nearRev / nearN, far: farRev / farN };
}

Deno.test("synthetic: reversals are more frequent near planted levels, not without them", async () => {
  const planted = createSyntheticMarket({ seed: 4, levelStrength: 0.8 });
  const levels: Record<string, number[]> = {};
  for (const s of planted.symbols) {
    levels[s] = planted.truth.tickers[s].levels;
    equal(levels[s].length, 6);
    ok(planted.truth.tickers[s].levelHits.every((h) => levels[s].includes(h.level)));
  }
  const band = planted.truth.options.levelBand;
  const p = await reversalRates(planted, levels, band);
  ok(p.nearN > 300, `near-level sessions ${p.nearN}`);
  // binomial sd of a rate over >= 300 sessions is <= 0.03
  ok(p.near > p.far + 0.15, `near ${p.near} far ${p.far}`);
  const twin = createSyntheticMarket({ seed: 4, levelStrength: 0 });
  deepEqual(twin.truth.tickers.SYN00.levels, []);
  const q = await reversalRates(twin, levels, band);
  ok(q.nearN > 100);
  ok(Math.abs(q.near - q.far) < 3 * Math.sqrt(0.25 / q.nearN) + 0.02, `twin near ${q.near} far ${q.far}`);
});

Deno.test("synthetic: errors for unknown symbols, empty ranges, bad options", async () => {
  const m = createSyntheticMarket({ symbols: 3, sessions: 50 });
  await rejects(
    m.bars({ symbols: ["SYN00", "NOPE"], from: m.dates[0], to: m.dates[10] }),
    (e: unknown) =>
      e instanceof DataSourceError && e.symbol === "NOPE" && e.userError && /NOPE/.test(e.message),
  );
  await rejects(
    m.bars({ symbols: ["SYN00"], from: "2015-03-01", to: "2015-02-01" }),
    /^InputError: empty date range/,
  );
  await rejects(m.bars({ symbols: ["SYN00"], from: "2015-01-03", to: "2015-01-04" }), /empty date range/);
  await rejects(m.bars({ symbols: ["SYN00"], from: "2020-01-01", to: "2020-02-01" }), /empty date range/);
  await rejects(m.news({ symbols: ["X"], from: m.dates[0], to: m.dates[1] }), DataSourceError);
  const part = await m.bars({ symbols: ["SYN01"], from: m.dates[5], to: m.dates[9] });
  deepEqual(part.get("SYN01")!.map((b) => b.date), m.dates.slice(5, 10));
  throws(() => createSyntheticMarket({ df: 2 }), RangeError);
  throws(() => createSyntheticMarket({ garch: { alpha: [0.2, 0.2], beta: [0.9, 0.9] } }), RangeError);
  throws(() => createSyntheticMarket({ symbols: 0 }), RangeError);
  throws(() => createSyntheticMarket({ levelStrength: 2 }), RangeError);
});

Deno.test("synthetic: 20 tickers x 1,000 sessions generate fast", () => {
  createSyntheticMarket({ seed: 99, sessions: 10 }); // warm up the calendar
  const t0 = performance.now();
  const m = createSyntheticMarket({ seed: 100, newsEffect: 0.02, levelStrength: 0.5 });
  const ms = performance.now() - t0;
  console.log(`synthetic: 20 x 1000 generated in ${ms.toFixed(0)} ms`);
  equal(m.dates.length, 1000);
  ok(ms < 5000, `took ${ms} ms`); // goal well under 1 s; the bound only catches pathological slowness
});
