/**
 * EVALUATION.md section 3, support and resistance on `sp500-5yr-ohlcv`'s test segment (2017-01-03..2018-02-07).
 * Each stock-day `t` every method names the nearest support below and resistance above the close of `t`:
 * ours (`SwingLevelModel`), classic floor pivots (S1/R1 from session `t`'s H/L/C, the prior session of `t+1`),
 * and for each of them distance-matched random levels. Event: the price touches the level within 10 sessions;
 * it holds if the close 5 sessions after the touch is back on the original side (`levelOutcome`).
 *
 * Distance-matched random levels: per stock, side and method, the relative distances `|close - level| / close`
 * of the method's levels are permuted across that stock's test days (seeded) and placed on the same side of
 * each day's close. The random set therefore has exactly the method's distance distribution (per stock, so
 * also its volatility regime) but no information about where the level is. Lift = hold rate / hold rate of
 * the method's matched random levels.
 * @module
 */
import { mulberry32, shuffleInPlace } from "../core/mod.ts";
import { levelOutcome, type LevelOutcomeOptions, type SymbolSeries, TREND_SEGMENTS } from "../dataset/mod.ts";
import { atr, floorPivots, SwingLevelModel } from "../models/mod.ts";
import { type Figure, lineFigure, type Table } from "../report/mod.ts";
import { loadSp500, SP500_DIR, withSurvivorshipNote } from "./data.ts";
import { type EvalContext, type Metric, metricRecorder, type SectionResult } from "./types.ts";

/** Level methods: ours, the floor-pivot baseline, and the random levels matched to each. */
export const LEVEL_METHODS = ["swing", "floor-pivots", "random@swing", "random@floor-pivots"] as const;
/** A level method. */
export type LevelMethod = typeof LEVEL_METHODS[number];
/** Sides. */
export type LevelSide = "support" | "resistance";

/** Distance buckets in ATR(14) units (lower bounds). */
export const ATR_BUCKETS = [0, 0.5, 1, 1.5, 2, 3, 5] as const;

/** One evaluated level. */
export interface LevelEvent {
  symbol: string;
  t: number;
  side: LevelSide;
  method: LevelMethod;
  level: number;
  /** Distance from the close in ATR(14) units at `t`. */
  distAtr: number;
  /** 1 touched, 0 not, -1 unknown (window runs past the data). */
  touched: number;
  /** 1 held, 0 broke, -1 unknown or not touched. */
  held: number;
}

/** Nearest support/resistance of the methods at `t` (NaN where a method has none). */
export function nearestLevels(
  model: SwingLevelModel,
  s: SymbolSeries,
  t: number,
): Record<"swing" | "floor-pivots", { support: number; resistance: number }> {
  const sw = model.levels(s, t);
  const fp = floorPivots(s.high[t], s.low[t], s.close[t]);
  const c = s.close[t];
  return {
    swing: { support: sw.supports[0]?.price ?? NaN, resistance: sw.resistances[0]?.price ?? NaN },
    // S1 <= close <= R1 always; a level exactly at the close is not "below"/"above" it
    "floor-pivots": { support: fp.s1 < c ? fp.s1 : NaN, resistance: fp.r1 > c ? fp.r1 : NaN },
  };
}

/** All level events of one series over its indices with dates in [from, to]. */
export function levelEvents(
  s: SymbolSeries,
  from: string,
  to: string,
  rand: () => number,
  model = new SwingLevelModel(),
  opts: LevelOutcomeOptions = {},
): LevelEvent[] {
  const out: LevelEvent[] = [];
  const ts: number[] = [];
  for (let t = 0; t < s.dates.length; t++) if (s.dates[t] >= from && s.dates[t] <= to) ts.push(t);
  const base: Record<string, { t: number; level: number }[]> = {};
  for (const t of ts) {
    if (!(s.close[t] > 0)) continue;
    const lv = nearestLevels(model, s, t);
    for (const m of ["swing", "floor-pivots"] as const) {
      for (const side of ["support", "resistance"] as const) {
        const level = lv[m][side];
        if (!Number.isFinite(level)) continue;
        (base[`${m}|${side}`] ??= []).push({ t, level });
      }
    }
  }
  // a day whose touch window runs past the data is unknown, touched or not: counting the ones touched early in
  // it (and not the others) raised the touch rates (right-censoring; the swing support rate by 0.011)
  const rule = { ...opts, fullWindow: true };
  const add = (method: LevelMethod, side: LevelSide, t: number, level: number) => {
    const o = levelOutcome(s, t, level, side, rule);
    const a = atr(s, t);
    out.push({
      symbol: s.symbol,
      t,
      side,
      method,
      level,
      distAtr: Math.abs(s.close[t] - level) / a,
      touched: o.touched,
      held: o.held,
    });
  };
  for (const m of ["swing", "floor-pivots"] as const) {
    for (const side of ["support", "resistance"] as const) {
      const ev = base[`${m}|${side}`] ?? [];
      for (const e of ev) add(m, side, e.t, e.level);
      // distance-matched random: permute the relative distances across this stock's days
      const rel = ev.map((e) => Math.abs(s.close[e.t] - e.level) / s.close[e.t]);
      shuffleInPlace(rel, rand);
      ev.forEach((e, k) => {
        const c = s.close[e.t];
        add(`random@${m}`, side, e.t, side === "support" ? c * (1 - rel[k]) : c * (1 + rel[k]));
      });
    }
  }
  return out;
}

/** Touch rate, hold rate and counts of a set of events. */
export function levelRates(ev: readonly LevelEvent[]): {
  n: number;
  touchRate: number;
  holdRate: number;
  touched: number;
  decided: number;
} {
  let known = 0, touched = 0, decided = 0, held = 0;
  for (const e of ev) {
    if (e.touched >= 0) {
      known++;
      if (e.touched === 1) touched++;
    }
    if (e.held >= 0) {
      decided++;
      if (e.held === 1) held++;
    }
  }
  return {
    n: ev.length,
    touchRate: known ? touched / known : NaN,
    holdRate: decided ? held / decided : NaN,
    touched,
    decided,
  };
}

function bucketOf(d: number): number {
  let b = -1;
  for (let k = 0; k < ATR_BUCKETS.length; k++) if (d >= ATR_BUCKETS[k]) b = k;
  return b;
}

/** Section 3 of EVALUATION.md. */
export async function levelsSection(ctx: EvalContext): Promise<SectionResult> {
  const t0 = performance.now(), timings: Record<string, number> = {};
  const series = await loadSp500(ctx);
  timings.load_ms = performance.now() - t0;
  const [from, to] = TREND_SEGMENTS.test;
  const segment = `test ${from}..${to}`;
  const data = `${SP500_DIR}/all_stocks_5yr.csv.gz`;
  const rand = mulberry32(ctx.seed ^ 0x51ed270b);
  const model = new SwingLevelModel();
  const t1 = performance.now();
  const events: LevelEvent[] = [];
  for (const s of series.values()) events.push(...levelEvents(s, from, to, rand, model));
  timings.levels_ms = performance.now() - t1;
  ctx.log?.(`levels: ${series.size} tickers, ${events.length} level events`);

  const metrics: Metric[] = [], rows: (string | number)[][] = [];
  const record = metricRecorder("levels", ctx.seed, metrics);
  const push = (name: string, method: string, value: number, hib: boolean | undefined) =>
    record(name, method, value, segment, data, hib);
  const sides = ["support", "resistance", "combined"] as const;
  const rates = new Map<string, ReturnType<typeof levelRates>>();
  for (const m of LEVEL_METHODS) {
    for (const side of sides) {
      rates.set(
        `${m}|${side}`,
        levelRates(events.filter((e) => e.method === m && (side === "combined" || e.side === side))),
      );
    }
  }
  for (const m of LEVEL_METHODS) {
    for (const side of sides) {
      const r = rates.get(`${m}|${side}`)!;
      const rnd = m.startsWith("random@") ? null : rates.get(`random@${m}|${side}`)!;
      const lift = rnd ? r.holdRate / rnd.holdRate : NaN;
      push(`touch_rate_${side}`, m, r.touchRate, undefined);
      push(`hold_rate_${side}`, m, r.holdRate, true);
      if (rnd) push(`lift_${side}`, m, lift, true);
      rows.push([m, side, r.n, r.touchRate, r.decided, r.holdRate, rnd ? lift : ""]);
    }
  }
  const tables: Table[] = [{
    columns: [
      "method",
      "side",
      "levels",
      "touch rate",
      "touched+decided",
      "hold rate",
      "lift vs matched random",
    ],
    rows,
    caption:
      `Nearest support/resistance per stock-day, ${series.size} tickers, ${segment}; touch within 10 sessions, hold = close 5 sessions after the touch back on the original side`,
  }];
  // hold rate by distance bucket (combined sides)
  const labels = ATR_BUCKETS.map((
    b,
    k,
  ) => (k + 1 < ATR_BUCKETS.length ? `${b}-${ATR_BUCKETS[k + 1]}` : `${b}+`));
  const bucketRows: (string | number)[][] = [];
  const figSeries = LEVEL_METHODS.map((m) => {
    const held = new Float64Array(ATR_BUCKETS.length), dec = new Float64Array(ATR_BUCKETS.length);
    for (const e of events) {
      if (e.method !== m || e.held < 0) continue;
      const b = bucketOf(e.distAtr);
      if (b < 0) continue;
      dec[b]++;
      held[b] += e.held;
    }
    const y = Float64Array.from(held, (h, k) => (dec[k] >= 30 ? h / dec[k] : NaN));
    bucketRows.push([
      m,
      ...Array.from(y, (v, k) => (Number.isFinite(v) ? `${v.toFixed(3)} (${dec[k]})` : `- (${dec[k]})`)),
    ]);
    return { name: m, x: labels, y };
  });
  const figures: Figure[] = [
    lineFigure("Support/resistance: hold rate by distance from the close (ATR(14) units)", figSeries, {
      yTitle: "P(hold | touch)",
      yTickFormat: ".0%",
    }),
  ];
  tables.push({
    columns: ["method", ...labels.map((l) => `${l} ATR`)],
    rows: bucketRows,
    caption:
      "Hold rate (decided touches) by distance bucket, both sides; buckets with < 30 decided touches blank",
  });
  const notes = [
    "Random levels are distance-matched per stock, side and method: the method's relative distances permuted across the stock's test days (seeded), same side of the close.",
    "floor-pivots: S1/R1 of session t's high/low/close, i.e. the prior session of t+1, as the levels for t+1 onward.",
    "Days near the end of the data whose 10-session touch window or 5-session hold lag runs past 2018-02-07 count as unknown and are excluded from the rates.",
  ];
  timings.total_ms = performance.now() - t0;
  return withSurvivorshipNote({
    section: "levels",
    title: "3. Support and resistance",
    metrics,
    figures,
    tables,
    notes,
    timings,
  });
}
