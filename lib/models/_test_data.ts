/**
 * Test helper: fabricates small `Dataset`s by hand, with a planted signal or none, so model tests do not depend
 * on the dataset builder. Column 0 (`ret_20`) drives `P(up)` / `P(down)` through a multinomial logistic link
 * when `strength > 0`; other columns are noise. With `strength = 0` labels are independent of every feature.
 * @module
 */
import { closeTime, mulberry32, normalRng, sessions } from "../core/mod.ts";
import { type Dataset, Segment, type SymbolSeries } from "../dataset/mod.ts";

/** The date segments of `dates[from..]`: `nTrain` train sessions, then `nValid` valid ones, the rest test. */
function segmentsOf(
  dates: string[],
  from: number,
  nTrain: number,
  nValid: number,
  purge: number,
): Dataset["segments"] {
  const valid = from + nTrain, test = valid + nValid;
  return {
    train: [dates[from], dates[valid - 1]],
    valid: [dates[valid], dates[test - 1]],
    test: [dates[test], dates[dates.length - 1]],
    purge,
    embargo: 0,
  };
}

/** Options of {@link fabricateDataset}. */
export interface FabricateOptions {
  nSymbols?: number;
  nDays?: number;
  nFeatures?: number;
  /** Logit slope of column 0: `logit(up) = s * x0`, `logit(down) = -s * x0`, `logit(neutral) = 0`. */
  strength?: number;
  seed?: number;
  /** Leading sessions per symbol whose features are NaN (warm-up). */
  warmup?: number;
  /** Drive the logits by `|x0| - 0.8` instead of `x0` (a signal a linear model cannot see). */
  nonlinear?: boolean;
}

/** Fabricated dataset plus the row index sets of each segment. */
export interface Fabricated {
  ds: Dataset;
  train: Int32Array;
  valid: Int32Array;
  test: Int32Array;
}

/**
 * Builds a dataset of `nSymbols x nDays` rows (symbol-major). Segments split the sessions 60/20/20 by date.
 * Daily returns have GARCH-free constant volatility 1%; the label's class fixes the sign of the next return.
 */
export function fabricateDataset(opts: FabricateOptions = {}): Fabricated {
  const nSym = opts.nSymbols ?? 20, nDays = opts.nDays ?? 500, p = opts.nFeatures ?? 6;
  const s = opts.strength ?? 1.5, warm = opts.warmup ?? 5;
  const u = mulberry32(opts.seed ?? 1);
  const z = normalRng((opts.seed ?? 1) * 7919 + 13);
  const dates = sessions("2015-01-02", "2030-12-31").slice(0, nDays);
  const n = nSym * nDays;
  const X = new Float64Array(n * p);
  const trend = new Int8Array(n);
  const fwd = new Float64Array(n), fwdOpen = new Float64Array(n);
  const v1 = new Float64Array(n), v5 = new Float64Array(n), v22 = new Float64Array(n);
  const symbol: string[] = [], date: string[] = [];
  const decisionTime = new Float64Array(n);
  const seriesIndex = new Int32Array(n);
  const segment = new Uint8Array(n);
  const series = new Map<string, SymbolSeries>();
  const nTrain = Math.floor(nDays * 0.6), nValid = Math.floor(nDays * 0.2);
  const train: number[] = [], valid: number[] = [], test: number[] = [];
  for (let k = 0; k < nSym; k++) {
    const sym = `S${String(k).padStart(3, "0")}`;
    const close = new Float64Array(nDays);
    const open = new Float64Array(nDays), high = new Float64Array(nDays), low = new Float64Array(nDays);
    close[0] = 100;
    for (let t = 0; t < nDays; t++) {
      const i = k * nDays + t;
      for (let j = 0; j < p; j++) X[i * p + j] = t < warm ? NaN : z();
      const x0 = t < warm ? 0 : opts.nonlinear ? Math.abs(X[i * p]) - 0.8 : X[i * p];
      const e = [Math.exp(-s * x0), 1, Math.exp(s * x0)];
      const tot = e[0] + e[1] + e[2];
      const r = u() * tot;
      const cls = r < e[0] ? 0 : r < e[0] + e[1] ? 1 : 2;
      const mag = cls === 1 ? 0.001 * u() : 0.0025 + 0.01 * Math.abs(z());
      const ret = cls === 0 ? -mag : cls === 2 ? mag : (u() < 0.5 ? -mag : mag);
      symbol.push(sym);
      date.push(dates[t]);
      decisionTime[i] = closeTime(dates[t]);
      seriesIndex[i] = t;
      if (t < nDays - 1) {
        trend[i] = cls;
        fwd[i] = ret;
        close[t + 1] = close[t] * (1 + ret);
      } else {
        trend[i] = -1;
        fwd[i] = NaN;
      }
      fwdOpen[i] = NaN;
      v1[i] = v5[i] = v22[i] = NaN;
      const seg = t < nTrain ? Segment.TRAIN : t < nTrain + nValid ? Segment.VALID : Segment.TEST;
      segment[i] = seg;
      if (t < nDays - 1) (seg === Segment.TRAIN ? train : seg === Segment.VALID ? valid : test).push(i);
    }
    for (let t = 0; t < nDays; t++) {
      open[t] = t === 0 ? close[0] : close[t - 1];
      high[t] = Math.max(open[t], close[t]) * (1 + 0.003 * u());
      low[t] = Math.min(open[t], close[t]) * (1 - 0.003 * u());
    }
    series.set(sym, {
      symbol: sym,
      dates,
      open,
      high,
      low,
      close,
      adjClose: close.slice(),
      volume: new Float64Array(nDays).fill(1e6),
    });
  }
  const featureNames = ["ret_20", ...Array.from({ length: p - 1 }, (_, j) => `noise_${j + 1}`)];
  const ds: Dataset = {
    featureSet: { name: "fabricated", version: "1" },
    featureNames,
    n,
    X,
    symbol,
    date,
    decisionTime,
    seriesIndex,
    segment,
    segments: segmentsOf(dates, 0, nTrain, nValid, 0),
    labels: { trend, fwdReturn: fwd, fwdOpenReturn: fwdOpen, fwdVar1: v1, fwdVar5: v5, fwdVar22: v22 },
    series,
  };
  return { ds, train: Int32Array.from(train), valid: Int32Array.from(valid), test: Int32Array.from(test) };
}

/** Shares of the classes `[down, neutral, up]` among the labeled `rows`. */
export function classShares(labels: Int8Array, rows: Int32Array): [number, number, number] {
  const c = [0, 0, 0];
  let m = 0;
  for (const i of rows) {
    if (labels[i] < 0) continue;
    c[labels[i]]++;
    m++;
  }
  return [c[0] / m, c[1] / m, c[2] / m];
}

/** Options of {@link fabricateSequenceDataset}. */
export interface FabricateSequenceOptions {
  nSymbols?: number;
  nDays?: number;
  /** Logit slope of the planted driver (0: labels independent of the past). */
  strength?: number;
  /** The driver is the return `lag` sessions before the decision session (default 4). */
  lag?: number;
  seed?: number;
  /** First session with a row (earlier sessions are history for the windows). Default 40. */
  warmup?: number;
}

/**
 * A dataset whose next-day class depends on the price path only: `logit(up) = s * x`, `logit(down) = -s * x`
 * with `x = r[t - lag] / 1%`, the daily return `lag` sessions before the decision session `t` (a pattern a
 * sequence model sees in its window but no single lag-0 value shows). Every daily return is drawn from its
 * class (as in {@link fabricateDataset}); volume is lognormal noise. Rows start at `warmup`; the feature
 * table holds two noise columns. Segments split the row sessions 60/20/20 by date.
 */
export function fabricateSequenceDataset(opts: FabricateSequenceOptions = {}): Fabricated {
  const nSym = opts.nSymbols ?? 20, nDays = opts.nDays ?? 400, s = opts.strength ?? 1.5;
  const lag = opts.lag ?? 4, warm = opts.warmup ?? 40, seed = opts.seed ?? 1;
  const u = mulberry32(seed), z = normalRng(seed * 7919 + 17);
  const dates = sessions("2015-01-02", "2030-12-31").slice(0, nDays);
  const m = nDays - warm, n = nSym * m, p = 2;
  const X = new Float64Array(n * p), trend = new Int8Array(n), fwd = new Float64Array(n);
  const nanCol = () => new Float64Array(n).fill(NaN);
  const symbol: string[] = [], date: string[] = [];
  const decisionTime = new Float64Array(n), seriesIndex = new Int32Array(n), segment = new Uint8Array(n);
  const series = new Map<string, SymbolSeries>();
  const nTrain = Math.floor(m * 0.6), nValid = Math.floor(m * 0.2);
  const train: number[] = [], valid: number[] = [], test: number[] = [];
  const draw = (x: number): [number, number] => {
    const e = [Math.exp(-s * x), 1, Math.exp(s * x)], tot = e[0] + e[1] + e[2], r = u() * tot;
    const cls = r < e[0] ? 0 : r < e[0] + e[1] ? 1 : 2;
    const mag = cls === 1 ? 0.001 * u() : 0.0025 + 0.01 * Math.abs(z());
    return [cls, cls === 0 ? -mag : cls === 2 ? mag : (u() < 0.5 ? -mag : mag)];
  };
  let i = 0;
  for (let k = 0; k < nSym; k++) {
    const sym = `Q${String(k).padStart(3, "0")}`;
    const ret = new Float64Array(nDays), cls = new Int8Array(nDays).fill(-1);
    for (let t = 1; t < nDays; t++) {
      const x = t - 1 - lag >= 1 ? ret[t - 1 - lag] / 0.01 : 0; // decided at t - 1
      [cls[t], ret[t]] = draw(x);
    }
    const close = new Float64Array(nDays), open = new Float64Array(nDays);
    const high = new Float64Array(nDays), low = new Float64Array(nDays), volume = new Float64Array(nDays);
    for (let t = 0; t < nDays; t++) {
      close[t] = t === 0 ? 100 : close[t - 1] * (1 + ret[t]);
      open[t] = t === 0 ? close[0] : close[t - 1] * (1 + 0.002 * z());
      high[t] = Math.max(open[t], close[t]) * (1 + 0.003 * u());
      low[t] = Math.min(open[t], close[t]) * (1 - 0.003 * u());
      volume[t] = 1e6 * Math.exp(0.3 * z());
    }
    series.set(sym, { symbol: sym, dates, open, high, low, close, adjClose: close.slice(), volume });
    for (let t = warm; t < nDays; t++, i++) {
      X[i * p] = z();
      X[i * p + 1] = z();
      symbol.push(sym);
      date.push(dates[t]);
      decisionTime[i] = closeTime(dates[t]);
      seriesIndex[i] = t;
      const q = t - warm;
      const seg = q < nTrain ? Segment.TRAIN : q < nTrain + nValid ? Segment.VALID : Segment.TEST;
      segment[i] = seg;
      const last = t === nDays - 1 ||
        (seg !== Segment.TEST && (q + 1 === nTrain || q + 1 === nTrain + nValid));
      trend[i] = last ? -1 : cls[t + 1];
      fwd[i] = last ? NaN : ret[t + 1];
      if (!last) (seg === Segment.TRAIN ? train : seg === Segment.VALID ? valid : test).push(i);
    }
  }
  const ds: Dataset = {
    featureSet: { name: "fabricated-sequence", version: "1" },
    featureNames: ["noise_1", "noise_2"],
    n,
    X,
    symbol,
    date,
    decisionTime,
    seriesIndex,
    segment,
    segments: segmentsOf(dates, warm, nTrain, nValid, 1),
    labels: {
      trend,
      fwdReturn: fwd,
      fwdOpenReturn: nanCol(),
      fwdVar1: nanCol(),
      fwdVar5: nanCol(),
      fwdVar22: nanCol(),
    },
    series,
    labelHorizon: 1,
  };
  return { ds, train: Int32Array.from(train), valid: Int32Array.from(valid), test: Int32Array.from(test) };
}
