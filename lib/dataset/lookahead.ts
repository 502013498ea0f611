/**
 * Look-ahead checks for feature functions: a feature at index `t` must not change when the data after `t` is
 * removed.
 * @module
 */
import { LookaheadError, mulberry32 } from "../core/mod.ts";
import {
  FEATURE_FUNCTIONS,
  type FeatureSet,
  type FeatureSpec,
  type MarketContext,
  type OhlcvColumns,
} from "../features/mod.ts";

/** A feature computed on one symbol's columns (and optional market context aligned to them). */
export type SeriesFeatureFn = (cols: OhlcvColumns, ctx?: MarketContext) => Float64Array;

/** Options of `assertNoLookahead`. */
export interface NoLookaheadOptions {
  /** Number of random truncation points (default 5); the last-but-one index is always checked too. */
  trials?: number;
  /** Seed of the truncation points (default 1). */
  seed?: number;
  /** Name used in the error message. */
  name?: string;
  /** Market context aligned to the series. */
  ctx?: MarketContext;
  /** Relative tolerance (default 1e-9). */
  tol?: number;
}

function same(a: number, b: number, tol: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));
}

function truncCtx(ctx: MarketContext | undefined, end: number): MarketContext | undefined {
  if (!ctx) return undefined;
  const out: MarketContext = {};
  for (const [k, v] of Object.entries(ctx)) {
    (out as Record<string, unknown>)[k] = v instanceof Float64Array ? v.subarray(0, end) : v;
  }
  return out;
}

/**
 * A function of one symbol's columns returning `width` values per index, row-major `n x width` (a window
 * view, or a feature when `width` is 1).
 */
export type SeriesRowsFn = (cols: OhlcvColumns, ctx?: MarketContext) => Float64Array;

/**
 * The truncation test: recomputes `fn` on the series (and `dates`, and the market context) truncated after
 * random indices `t` and checks that every value of every index up to `t` equals the full-series value.
 * Throws `LookaheadError` naming the first index (and column, when `width > 1`) that differs.
 */
export function assertNoLookaheadRows(
  fn: SeriesRowsFn,
  width: number,
  series: OhlcvColumns,
  opts: NoLookaheadOptions = {},
): void {
  const n = series.close.length;
  if (n < 3) return;
  const tol = opts.tol ?? 1e-9, name = opts.name ?? "feature";
  const full = fn(series, opts.ctx);
  if (full.length !== n * width) {
    throw new RangeError(`${name}: returned ${full.length} values for ${n} bars x ${width}`);
  }
  const next = mulberry32(opts.seed ?? 1);
  const ts = new Set<number>([n - 2]);
  const trials = opts.trials ?? 5;
  for (let k = 0; k < trials; k++) ts.add(1 + Math.floor(next() * (n - 2)));
  for (const t of [...ts].sort((a, b) => a - b)) {
    const end = t + 1;
    const cut: OhlcvColumns = {
      open: series.open.subarray(0, end),
      high: series.high.subarray(0, end),
      low: series.low.subarray(0, end),
      close: series.close.subarray(0, end),
      volume: series.volume.subarray(0, end),
    };
    if (series.dates) cut.dates = series.dates.slice(0, end);
    const part = fn(cut, truncCtx(opts.ctx, end));
    for (let k = 0; k < end * width; k++) {
      if (!same(part[k], full[k], tol)) {
        const j = Math.floor(k / width), c = k % width;
        const at = series.dates ? ` (${series.dates[j]})` : "";
        const col = width > 1 ? ` column ${c}` : "";
        throw new LookaheadError(
          `${name} looks ahead: value at index ${j}${at}${col} is ${full[k]} on the full series but ${
            part[k]
          } when the series ends at index ${t}`,
        );
      }
    }
  }
}

/**
 * Recomputes `featureFn` on the series (and `dates`, and the market context) truncated after random indices `t`
 * and checks that every value up to `t` equals the full-series value. Throws `LookaheadError` naming the first
 * index that differs: a feature shifted one day into the future fails.
 */
export function assertNoLookahead(
  featureFn: SeriesFeatureFn,
  series: OhlcvColumns,
  opts: NoLookaheadOptions = {},
): void {
  assertNoLookaheadRows(featureFn, 1, series, opts);
}

/** The registry function of one feature spec as a `SeriesFeatureFn`. */
export function featureFnOf(spec: FeatureSpec): SeriesFeatureFn {
  const fn = FEATURE_FUNCTIONS[spec.fn];
  if (!fn) throw new RangeError(`unknown feature function ${spec.fn}`);
  return (cols, ctx) => fn(cols, spec.params, ctx);
}

/** `assertNoLookahead` for every feature of a set. */
export function assertFeatureSetNoLookahead(
  set: FeatureSet,
  series: OhlcvColumns,
  opts: Omit<NoLookaheadOptions, "name"> = {},
): void {
  for (const f of set.features) {
    assertNoLookahead(featureFnOf(f), series, {
      ...opts,
      name: `feature ${f.name} (${set.name}@${set.version})`,
    });
  }
}
