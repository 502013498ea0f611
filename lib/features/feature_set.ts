/**
 * Declarative, versioned feature sets: a named list of features with parameters, computed per symbol on
 * OHLCV columns. A trained model records the `name@version` it used.
 * @module
 */

/** OHLCV columns of one symbol, ascending dates. */
export interface OhlcvColumns {
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
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

function logReturn(close: Float64Array, h: number): Float64Array {
  const out = new Float64Array(close.length).fill(NaN);
  for (let i = h; i < close.length; i++) out[i] = Math.log(close[i] / close[i - h]);
  return out;
}

function realizedVol(close: Float64Array, n: number): Float64Array {
  const out = new Float64Array(close.length).fill(NaN);
  let s = 0, s2 = 0;
  const r = logReturn(close, 1);
  for (let i = 1; i < close.length; i++) {
    s += r[i];
    s2 += r[i] * r[i];
    if (i > n) {
      s -= r[i - n];
      s2 -= r[i - n] * r[i - n];
    }
    if (i >= n) out[i] = Math.sqrt(Math.max(0, (s2 - (s * s) / n) / (n - 1)));
  }
  return out;
}

type FeatureFn = (bars: OhlcvColumns, params: Record<string, number>, ctx?: MarketContext) => Float64Array;

/** Registry of feature functions by key. Every function uses only data up to each index (no look-ahead). */
export const FEATURE_FUNCTIONS: Record<string, FeatureFn> = {
  log_return: (b, p) => logReturn(b.close, p.horizon ?? 1),
  realized_vol: (b, p) => realizedVol(b.close, p.window ?? 20),
};

/** Computes every feature of `set` for one symbol: one column per feature, NaN during warm-up. */
export function computeFeatures(set: FeatureSet, bars: OhlcvColumns, ctx?: MarketContext): Float64Array[] {
  return set.features.map((f) => {
    const fn = FEATURE_FUNCTIONS[f.fn];
    if (!fn) throw new RangeError(`unknown feature function ${f.fn} in ${set.name}@${set.version}`);
    return fn(bars, f.params, ctx);
  });
}

/** The default feature set used by the pipeline. */
export const DEFAULT_FEATURE_SET: FeatureSet = {
  name: "fmai-core",
  version: "0",
  features: [
    { name: "ret_1", fn: "log_return", params: { horizon: 1 } },
    { name: "ret_5", fn: "log_return", params: { horizon: 5 } },
    { name: "ret_20", fn: "log_return", params: { horizon: 20 } },
    { name: "vol_20", fn: "realized_vol", params: { window: 20 } },
  ],
};
