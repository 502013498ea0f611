/**
 * Declarative, versioned feature sets: a named list of features with parameters, computed per symbol on
 * OHLCV columns. A trained model records `featureSetId(set)` (`name@version`) and `featureSetHash(set)`.
 * Every registered function is scale-free (returns, ratios, z-scores, bounded oscillators in [0, 1]) and uses
 * only inputs at or before each index.
 * @module
 */
import type { IsoDate } from "../core/mod.ts";
import { nanArray } from "./_util.ts";
import { bollinger, donchian } from "./bands.ts";
import { dayOfWeekColumn, daysToMonthEnd, monthColumn, sessionsToMonthEnd } from "./calendar_features.ts";
import { indexReturn, relativeReturn, vixChange, vixLevel } from "./market_context.ts";
import { cci, macd, rsi, stochastic, williamsR } from "./momentum.ts";
import { ema, sma, wma } from "./moving_averages.ts";
import { distanceToHigh, distanceToLow, gap, logReturn, simpleReturn } from "./returns.ts";
import { rollingZScore } from "./rolling.ts";
import { adx } from "./trend.ts";
import {
  atr,
  closeToCloseVol,
  garmanKlassVol,
  parkinsonVol,
  rogersSatchellVol,
  yangZhangVol,
} from "./volatility.ts";
import { mfi, obvFlow, relativeVolume, volumeZScore } from "./volume.ts";

/** OHLCV columns of one symbol, ascending dates. `dates` (optional) feeds the calendar features. */
export interface OhlcvColumns {
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
  /** Session dates of the rows; calendar features are NaN without them. */
  dates?: readonly IsoDate[];
}

/** Optional market context aligned to the same dates (NaN where missing). */
export interface MarketContext {
  /** Index close (e.g. ^GSPC or SPY). */
  indexClose?: Float64Array;
  /** VIX close. */
  vix?: Float64Array;
}

/** One feature: an indicator function name and its parameters. */
export interface FeatureSpec {
  /** Column name, unique in the set (e.g. `rsi_14`). */
  name: string;
  /** Function key in the feature registry (e.g. `rsi`). */
  fn: string;
  params: Record<string, number>;
}

/** A named, versioned list of features. */
export interface FeatureSet {
  name: string;
  version: string;
  features: FeatureSpec[];
}

/** A registered feature function: one column per call, NaN during warm-up. */
export type FeatureFn = (
  bars: OhlcvColumns,
  params: Record<string, number>,
  ctx?: MarketContext,
) => Float64Array;

function ratioTo(x: Float64Array, base: Float64Array): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] / base[i] - 1;
  return out;
}

function scaled(x: Float64Array, k: number): Float64Array {
  for (let i = 0; i < x.length; i++) x[i] *= k;
  return x;
}

/** Intermediate results shared by features of one `computeFeatures` call (e.g. ADX for `adx` and `di_diff`). */
let memoBars: OhlcvColumns | undefined;
const memoCache = new Map<string, unknown>();

function memo<T>(bars: OhlcvColumns, key: string, f: () => T): T {
  if (bars !== memoBars) return f();
  let v = memoCache.get(key) as T | undefined;
  if (v === undefined) memoCache.set(key, v = f());
  return v;
}

const adxOf = (b: OhlcvColumns, n: number) => memo(b, `adx:${n}`, () => adx(b.high, b.low, b.close, n));
const macdOf = (b: OhlcvColumns, p: Record<string, number>) => {
  const f = p.fast ?? 12, s = p.slow ?? 26, g = p.signal ?? 9;
  return memo(b, `macd:${f}:${s}:${g}`, () => macd(b.close, f, s, g, true));
};
const stochOf = (b: OhlcvColumns, p: Record<string, number>) => {
  const n = p.window ?? 14, d = p.smooth ?? 3;
  return memo(b, `stoch:${n}:${d}`, () => stochastic(b.high, b.low, b.close, n, d));
};
const bollOf = (b: OhlcvColumns, p: Record<string, number>) => {
  const n = p.window ?? 20, k = p.k ?? 2;
  return memo(b, `bb:${n}:${k}`, () => bollinger(b.close, n, k));
};

function scaledCopy(x: Float64Array, k: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] * k;
  return out;
}

function datesOr(b: OhlcvColumns, f: (d: readonly IsoDate[]) => Float64Array): Float64Array {
  return b.dates ? f(b.dates) : nanArray(b.close.length);
}

/** Registry of feature functions by key. Every function uses only data up to each index (no look-ahead). */
export const FEATURE_FUNCTIONS: Record<string, FeatureFn> = {
  // returns
  log_return: (b, p) => logReturn(b.close, p.horizon ?? 1),
  simple_return: (b, p) => simpleReturn(b.close, p.horizon ?? 1),
  gap: (b) => gap(b.open, b.close),
  dist_high: (b, p) => distanceToHigh(b.close, b.high, p.window ?? 60),
  dist_low: (b, p) => distanceToLow(b.close, b.low, p.window ?? 60),
  // moving averages (price relative to its average)
  sma_ratio: (b, p) => ratioTo(b.close, sma(b.close, p.window ?? 20)),
  ema_ratio: (b, p) => ratioTo(b.close, ema(b.close, p.window ?? 20)),
  wma_ratio: (b, p) => ratioTo(b.close, wma(b.close, p.window ?? 20)),
  ma_cross: (b, p) => ratioTo(sma(b.close, p.fast ?? 5), sma(b.close, p.slow ?? 20)),
  zscore_close: (b, p) => rollingZScore(b.close, p.window ?? 20),
  // momentum, oscillators in [0, 1]
  rsi: (b, p) => scaled(rsi(b.close, p.window ?? 14), 0.01),
  macd_line: (b, p) => scaledCopy(macdOf(b, p).macd, 0.01),
  macd_signal: (b, p) => scaledCopy(macdOf(b, p).signal, 0.01),
  macd_hist: (b, p) => scaledCopy(macdOf(b, p).hist, 0.01),
  stoch_k: (b, p) => stochOf(b, p).fastK.slice(),
  stoch_d: (b, p) => stochOf(b, p).fastD.slice(),
  williams_r: (b, p) => williamsR(b.high, b.low, b.close, p.window ?? 14),
  cci: (b, p) => scaled(cci(b.high, b.low, b.close, p.window ?? 20), 0.01),
  // trend
  adx: (b, p) => scaledCopy(adxOf(b, p.window ?? 14).adx, 0.01),
  di_diff: (b, p) => {
    const a = adxOf(b, p.window ?? 14);
    const out = new Float64Array(a.plusDi.length);
    for (let i = 0; i < out.length; i++) out[i] = (a.plusDi[i] - a.minusDi[i]) / 100;
    return out;
  },
  // bands and channels
  bb_pctb: (b, p) => bollOf(b, p).pctB.slice(),
  bb_width: (b, p) => bollOf(b, p).width.slice(),
  donchian_pos: (b, p) => {
    const d = donchian(b.high, b.low, p.window ?? 20);
    const out = d.mid;
    for (let i = 0; i < out.length; i++) {
      const r = d.high[i] - d.low[i];
      out[i] = r > 0 ? (b.close[i] - d.low[i]) / r : r === 0 ? 0.5 : NaN;
    }
    return out;
  },
  // volatility (daily units)
  realized_vol: (b, p) => closeToCloseVol(b.close, p.window ?? 20),
  vol_ratio: (b, p) => ratioTo(closeToCloseVol(b.close, p.fast ?? 5), closeToCloseVol(b.close, p.slow ?? 20)),
  atr_ratio: (b, p) => {
    const a = atr(b.high, b.low, b.close, p.window ?? 14);
    for (let i = 0; i < a.length; i++) a[i] /= b.close[i];
    return a;
  },
  vol_parkinson: (b, p) => parkinsonVol(b.high, b.low, p.window ?? 20),
  vol_garman_klass: (b, p) => garmanKlassVol(b.open, b.high, b.low, b.close, p.window ?? 20),
  vol_rogers_satchell: (b, p) => rogersSatchellVol(b.open, b.high, b.low, b.close, p.window ?? 20),
  vol_yang_zhang: (b, p) => yangZhangVol(b.open, b.high, b.low, b.close, p.window ?? 20),
  // volume
  obv_flow: (b, p) => obvFlow(b.close, b.volume, p.window ?? 20),
  mfi: (b, p) => scaled(mfi(b.high, b.low, b.close, b.volume, p.window ?? 14), 0.01),
  volume_zscore: (b, p) => volumeZScore(b.volume, p.window ?? 20, (p.log ?? 1) !== 0),
  relative_volume: (b, p) => relativeVolume(b.volume, p.window ?? 20),
  // calendar (needs bars.dates)
  day_of_week: (b) => datesOr(b, dayOfWeekColumn),
  month: (b) => datesOr(b, monthColumn),
  days_to_month_end: (b) => datesOr(b, daysToMonthEnd),
  sessions_to_month_end: (b) => datesOr(b, sessionsToMonthEnd),
  // market context (needs ctx; NaN columns without it)
  index_return: (b, p, ctx) =>
    ctx?.indexClose ? indexReturn(ctx.indexClose, p.horizon ?? 1) : nanArray(b.close.length),
  relative_return: (b, p, ctx) =>
    ctx?.indexClose ? relativeReturn(b.close, ctx.indexClose, p.horizon ?? 1) : nanArray(b.close.length),
  vix_level: (b, _p, ctx) => ctx?.vix ? vixLevel(ctx.vix) : nanArray(b.close.length),
  vix_change: (b, p, ctx) => ctx?.vix ? vixChange(ctx.vix, p.horizon ?? 1) : nanArray(b.close.length),
};

/** `name@version` of a feature set: what a trained model records. */
export function featureSetId(set: FeatureSet): string {
  return `${set.name}@${set.version}`;
}

/** Canonical text of a spec list: features in order, each param list sorted by key. */
function canonical(features: readonly FeatureSpec[]): string {
  return JSON.stringify(
    features.map((f) => [f.name, f.fn, Object.keys(f.params).sort().map((k) => [k, f.params[k]])]),
  );
}

/**
 * Stable 64-bit FNV-1a hash (16 hex digits) of the spec list (names, functions, parameters, in order;
 * parameter key order does not matter). Same specs -> same hash on every platform and run.
 */
export function featureSetHash(set: FeatureSet): string {
  const bytes = new TextEncoder().encode(canonical(set.features));
  let h = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n, mask = 0xffffffffffffffffn;
  for (const b of bytes) h = ((h ^ BigInt(b)) * prime) & mask;
  return h.toString(16).padStart(16, "0");
}

/** Throws `RangeError` on an empty set, duplicate column names, unknown functions or non-finite params. */
export function validateFeatureSet(set: FeatureSet): void {
  const seen = new Set<string>();
  if (set.features.length === 0) throw new RangeError(`feature set ${featureSetId(set)} is empty`);
  for (const f of set.features) {
    if (seen.has(f.name)) throw new RangeError(`duplicate feature name ${f.name} in ${featureSetId(set)}`);
    seen.add(f.name);
    if (!FEATURE_FUNCTIONS[f.fn]) {
      throw new RangeError(`unknown feature function ${f.fn} in ${featureSetId(set)}`);
    }
    for (const [k, v] of Object.entries(f.params)) {
      if (!Number.isFinite(v)) throw new RangeError(`feature ${f.name}: param ${k} is not finite`);
    }
  }
}

/** Computes every feature of `set` for one symbol: one column per feature, NaN during warm-up. */
export function computeFeatures(set: FeatureSet, bars: OhlcvColumns, ctx?: MarketContext): Float64Array[] {
  memoBars = bars; // features of this call share intermediates (ADX, MACD, stochastic, Bollinger)
  memoCache.clear();
  try {
    return set.features.map((f) => {
      const fn = FEATURE_FUNCTIONS[f.fn];
      if (!fn) throw new RangeError(`unknown feature function ${f.fn} in ${set.name}@${set.version}`);
      return fn(bars, f.params, ctx);
    });
  } finally {
    memoBars = undefined;
    memoCache.clear();
  }
}

/**
 * Like {@link computeFeatures}, as one row-major `rows x features` matrix (row `i` = bar `i`), the layout of
 * `Dataset.X`.
 */
export function computeFeatureMatrix(set: FeatureSet, bars: OhlcvColumns, ctx?: MarketContext): Float64Array {
  const cols = computeFeatures(set, bars, ctx);
  const k = cols.length, n = bars.close.length;
  const X = new Float64Array(n * k);
  for (let j = 0; j < k; j++) {
    const c = cols[j];
    for (let i = 0; i < n; i++) X[i * k + j] = c[i];
  }
  return X;
}

/** The first feature set (`fmai-core@0`), kept so models trained on it can be rebuilt. */
export const FMAI_CORE_V0: FeatureSet = {
  name: "fmai-core",
  version: "0",
  features: [
    { name: "ret_1", fn: "log_return", params: { horizon: 1 } },
    { name: "ret_5", fn: "log_return", params: { horizon: 5 } },
    { name: "ret_20", fn: "log_return", params: { horizon: 20 } },
    { name: "vol_20", fn: "realized_vol", params: { window: 20 } },
  ],
};

/**
 * `fmai-alpha@1`: 42 scale-free features (returns, trend, momentum, volatility, volume, calendar, market
 * context). `ret_1/5/20` and `vol_20` are unchanged from `fmai-core@0`. Market-context columns are NaN without a
 * `MarketContext`, calendar columns NaN without `bars.dates`.
 */
export const FMAI_ALPHA_V1: FeatureSet = {
  name: "fmai-alpha",
  version: "1",
  features: [
    // returns
    { name: "ret_1", fn: "log_return", params: { horizon: 1 } },
    { name: "ret_5", fn: "log_return", params: { horizon: 5 } },
    { name: "ret_20", fn: "log_return", params: { horizon: 20 } },
    { name: "ret_60", fn: "log_return", params: { horizon: 60 } },
    { name: "gap", fn: "gap", params: {} },
    { name: "dist_high_60", fn: "dist_high", params: { window: 60 } },
    { name: "dist_low_60", fn: "dist_low", params: { window: 60 } },
    // trend / moving averages
    { name: "sma_ratio_5", fn: "sma_ratio", params: { window: 5 } },
    { name: "sma_ratio_20", fn: "sma_ratio", params: { window: 20 } },
    { name: "sma_ratio_60", fn: "sma_ratio", params: { window: 60 } },
    { name: "ema_ratio_12", fn: "ema_ratio", params: { window: 12 } },
    { name: "ma_cross_5_20", fn: "ma_cross", params: { fast: 5, slow: 20 } },
    { name: "zscore_20", fn: "zscore_close", params: { window: 20 } },
    { name: "adx_14", fn: "adx", params: { window: 14 } },
    { name: "di_diff_14", fn: "di_diff", params: { window: 14 } },
    // momentum
    { name: "rsi_14", fn: "rsi", params: { window: 14 } },
    { name: "macd", fn: "macd_line", params: { fast: 12, slow: 26, signal: 9 } },
    { name: "macd_hist", fn: "macd_hist", params: { fast: 12, slow: 26, signal: 9 } },
    { name: "stoch_k_14", fn: "stoch_k", params: { window: 14 } },
    { name: "stoch_d_14", fn: "stoch_d", params: { window: 14, smooth: 3 } },
    { name: "wpr_14", fn: "williams_r", params: { window: 14 } },
    { name: "cci_20", fn: "cci", params: { window: 20 } },
    // bands
    { name: "bb_pctb_20", fn: "bb_pctb", params: { window: 20, k: 2 } },
    { name: "bb_width_20", fn: "bb_width", params: { window: 20, k: 2 } },
    { name: "donchian_pos_20", fn: "donchian_pos", params: { window: 20 } },
    // volatility
    { name: "vol_20", fn: "realized_vol", params: { window: 20 } },
    { name: "vol_ratio_5_20", fn: "vol_ratio", params: { fast: 5, slow: 20 } },
    { name: "atr_ratio_14", fn: "atr_ratio", params: { window: 14 } },
    { name: "vol_gk_20", fn: "vol_garman_klass", params: { window: 20 } },
    { name: "vol_yz_20", fn: "vol_yang_zhang", params: { window: 20 } },
    // volume
    { name: "obv_flow_20", fn: "obv_flow", params: { window: 20 } },
    { name: "mfi_14", fn: "mfi", params: { window: 14 } },
    { name: "volume_z_20", fn: "volume_zscore", params: { window: 20, log: 1 } },
    { name: "rel_volume_20", fn: "relative_volume", params: { window: 20 } },
    // calendar
    { name: "day_of_week", fn: "day_of_week", params: {} },
    { name: "month", fn: "month", params: {} },
    { name: "sessions_to_month_end", fn: "sessions_to_month_end", params: {} },
    // market context
    { name: "index_ret_1", fn: "index_return", params: { horizon: 1 } },
    { name: "rel_ret_5", fn: "relative_return", params: { horizon: 5 } },
    { name: "rel_ret_20", fn: "relative_return", params: { horizon: 20 } },
    { name: "vix", fn: "vix_level", params: {} },
    { name: "vix_chg_5", fn: "vix_change", params: { horizon: 5 } },
  ],
};

/** The default feature set used by the pipeline: {@link FMAI_ALPHA_V1}. */
export const DEFAULT_FEATURE_SET: FeatureSet = FMAI_ALPHA_V1;

/** The market-context series each context feature function reads (functions not listed need none). */
export const CONTEXT_INPUTS: Readonly<Record<string, keyof MarketContext>> = {
  index_return: "indexClose",
  relative_return: "indexClose",
  vix_level: "vix",
  vix_change: "vix",
};

/**
 * `set` without the features whose market context is not at hand (e.g. no VIX series: `vix`, `vix_chg_5`
 * dropped). Decided by what the run is given, never by the data's values: the same inputs give the same
 * feature list whatever the symbols' order or history length. The version gains `-ctx` when a feature is left
 * out.
 */
export function featureSetFor(
  set: FeatureSet,
  available: { [K in keyof MarketContext]?: boolean },
): FeatureSet {
  const keep = set.features.filter((f) => {
    const need = CONTEXT_INPUTS[f.fn];
    return need === undefined || available[need] === true;
  });
  return keep.length === set.features.length
    ? set
    : { ...set, version: `${set.version}-ctx`, features: keep };
}

/**
 * Sessions of history the set needs before every feature is finite (its warm-up), measured on a synthetic
 * random-walk series with full context, so it depends on the set alone. Cached per set.
 */
export function featureWarmup(set: FeatureSet): number {
  const key = `${featureSetId(set)}:${featureSetHash(set)}`;
  const hit = warmups.get(key);
  if (hit !== undefined) return hit;
  const n = 600;
  const close = new Float64Array(n), open = new Float64Array(n), high = new Float64Array(n);
  const low = new Float64Array(n), volume = new Float64Array(n), index = new Float64Array(n);
  const vix = new Float64Array(n);
  let p = 100, seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  const dates: string[] = [];
  for (let i = 0, d = Date.UTC(2001, 0, 2); i < n; d += 86_400_000) {
    const wd = new Date(d).getUTCDay();
    if (wd === 0 || wd === 6) continue;
    dates.push(new Date(d).toISOString().slice(0, 10));
    open[i] = p;
    p *= 1 + 0.02 * rnd();
    close[i] = p;
    high[i] = Math.max(open[i], p) * 1.01;
    low[i] = Math.min(open[i], p) * 0.99;
    volume[i] = 1e6 * (1.5 + rnd());
    index[i] = 1000 * (1 + 0.001 * i + 0.01 * rnd());
    vix[i] = 20 + 5 * rnd();
    i++;
  }
  const cols = computeFeatures(set, { open, high, low, close, volume, dates }, { indexClose: index, vix });
  let w = 0;
  for (const c of cols) {
    let i = 0;
    while (i < n && !Number.isFinite(c[i])) i++;
    w = Math.max(w, i);
  }
  warmups.set(key, w);
  return w;
}

const warmups = new Map<string, number>();
