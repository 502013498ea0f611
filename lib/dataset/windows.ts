/**
 * The raw-window view of a dataset, beside its feature table: per row (symbol, decision session `t`) the
 * normalized OHLCV window of the last `length` sessions up to `t` (lib/features `writeWindow`: log of price /
 * close at `t`, log of volume / its mean over the window), read from the builder's point-in-time series
 * (`ds.series`, the same bars and corporate-action adjustment the features see, every bar checked
 * `knownAt <= decision time` by the builder).
 *
 * Optionally each window position is z-scored across the symbols of the row's date (Qlib's cross-sectional
 * normalization: the model then sees how a stock's recent path differs from the others' on the same day).
 *
 * Guarded like the features: creating a view runs the truncation test ({@link assertWindowsNoLookahead}) on
 * the dataset's longest series, and the window scaler is fitted through `fitScaler`, which throws
 * `LookaheadError` for a row after the train segment.
 * @module
 */
import {
  DEFAULT_WINDOW_LENGTH,
  type OhlcvColumns,
  WINDOW_CHANNELS,
  windowMatrix,
  writeWindow,
} from "../features/mod.ts";
import { assertNoLookaheadRows, type NoLookaheadOptions } from "./lookahead.ts";
import { fitScaler, type Scaler } from "./scaler.ts";
import type { Dataset, SymbolSeries } from "./types.ts";

/** Windows of dataset rows. */
export interface WindowView {
  /** Sessions per window. */
  readonly length: number;
  /** Channel names, in storage order. */
  readonly channels: readonly string[];
  /** Values per row: `length * channels.length`. */
  readonly width: number;
  /** Value names per row position: `<channel>_<lag>` (lag 0 = the decision session). */
  readonly names: string[];
  /**
   * Windows of `rows`, row-major `rows.length x length x channels` (time-major, oldest first). With
   * `crossSection`, every value is z-scored against the same position's mean and standard deviation over all
   * rows of the row's date (the cross-section known at that decision time; no later data).
   */
  fill(rows: Int32Array, out?: Float32Array, opts?: { crossSection?: boolean }): Float32Array;
}

/** Options of {@link windowView}. */
export interface WindowViewOptions {
  /** Sessions per window (default 60). */
  length?: number;
  /** Truncation trials of the look-ahead check (default 4). */
  trials?: number;
}

/**
 * The truncation test on windows: every window of index `j <= t` must be the same on the series cut after
 * `t` as on the full series. Throws `LookaheadError` otherwise.
 */
export function assertWindowsNoLookahead(
  series: OhlcvColumns,
  length = DEFAULT_WINDOW_LENGTH,
  opts: Omit<NoLookaheadOptions, "name" | "ctx"> = {},
  windowFn: (cols: OhlcvColumns, length: number) => Float64Array = windowMatrix,
): void {
  assertNoLookaheadRows((c) => windowFn(c, length), length * WINDOW_CHANNELS.length, series, {
    ...opts,
    name: `ohlcv window (${length} sessions)`,
  });
}

const views = new WeakMap<Dataset, Map<number, WindowView>>();

function longestSeries(ds: Dataset): SymbolSeries | undefined {
  let best: SymbolSeries | undefined;
  for (const s of ds.series.values()) if (!best || s.dates.length > best.dates.length) best = s;
  return best;
}

/**
 * The window view of a dataset (memoized per dataset and length). The first call for a dataset runs
 * {@link assertWindowsNoLookahead} on its longest series.
 */
export function windowView(ds: Dataset, opts: WindowViewOptions = {}): WindowView {
  const length = opts.length ?? DEFAULT_WINDOW_LENGTH;
  if (!(Number.isInteger(length) && length >= 2 && length <= 1000)) {
    throw new RangeError(`window length must be an integer in 2..1000, got ${length}`);
  }
  let byLen = views.get(ds);
  if (!byLen) views.set(ds, byLen = new Map());
  const hit = byLen.get(length);
  if (hit) return hit;
  const longest = longestSeries(ds);
  if (longest) assertWindowsNoLookahead(longest, length, { trials: opts.trials ?? 4 });
  const C = WINDOW_CHANNELS.length, width = length * C;
  const names: string[] = [];
  for (let j = 0; j < length; j++) for (const c of WINDOW_CHANNELS) names.push(`${c}_${length - 1 - j}`);
  const raw = (rows: ArrayLike<number>, o: Float32Array) => {
    for (let k = 0; k < rows.length; k++) {
      const r = rows[k];
      if (!(r >= 0 && r < ds.n)) throw new RangeError(`row ${r} outside the dataset`);
      const s = ds.series.get(ds.symbol[r]);
      if (!s) throw new RangeError(`no series for ${ds.symbol[r]}`);
      writeWindow(s, ds.seriesIndex[r], length, o, k * width);
    }
  };
  // per-date cross-sectional mean and 1/std of every window position, computed on first use
  let byDate: Map<string, number[]> | null = null;
  const stats = new Map<string, Float32Array>();
  const dayStats = (d: string): Float32Array => {
    let st = stats.get(d);
    if (st) return st;
    if (!byDate) {
      byDate = new Map();
      for (let i = 0; i < ds.n; i++) {
        let a = byDate.get(ds.date[i]);
        if (!a) byDate.set(ds.date[i], a = []);
        a.push(i);
      }
    }
    const rows = byDate.get(d)!, x = new Float32Array(rows.length * width);
    raw(rows, x);
    st = new Float32Array(2 * width);
    for (let j = 0; j < width; j++) {
      let m = 0;
      for (let k = 0; k < rows.length; k++) m += x[k * width + j];
      m /= rows.length;
      let v = 0;
      for (let k = 0; k < rows.length; k++) v += (x[k * width + j] - m) ** 2;
      const sd = Math.sqrt(v / rows.length);
      st[j] = m;
      st[width + j] = sd > 1e-8 ? 1 / sd : 0;
    }
    stats.set(d, st);
    return st;
  };
  const view: WindowView = {
    length,
    channels: WINDOW_CHANNELS,
    width,
    names,
    fill(rows: Int32Array, out?: Float32Array, opts: { crossSection?: boolean } = {}): Float32Array {
      const o = out ?? new Float32Array(rows.length * width);
      if (o.length < rows.length * width) throw new RangeError("window buffer too small");
      raw(rows, o);
      if (opts.crossSection) {
        for (let k = 0; k < rows.length; k++) {
          const st = dayStats(ds.date[rows[k]]), b = k * width;
          for (let j = 0; j < width; j++) o[b + j] = (o[b + j] - st[j]) * st[width + j];
        }
      }
      return o;
    },
  };
  byLen.set(length, view);
  return view;
}

/**
 * Z-score parameters per window position (`length x channels` of them), fitted on `rows` through
 * `fitScaler`: a row dated after `until` (default the end of the train segment) is a `LookaheadError`.
 */
export function fitWindowScaler(
  ds: Dataset,
  view: WindowView,
  rows: Int32Array,
  opts: { until?: string; crossSection?: boolean } = {},
): Scaler {
  const X = Float64Array.from(view.fill(rows, undefined, { crossSection: opts.crossSection }));
  const sub = {
    featureNames: view.names,
    X,
    n: rows.length,
    date: Array.from(rows, (r) => ds.date[r]),
    symbol: Array.from(rows, (r) => ds.symbol[r]),
    segments: ds.segments,
  };
  return fitScaler(sub, Int32Array.from({ length: rows.length }, (_, i) => i), opts);
}
