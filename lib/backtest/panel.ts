/**
 * Dates x symbols panels (row-major `T x S` Float64Array) and helpers to build them.
 * @module
 */
import type { IsoDate, Signal } from "../core/mod.ts";

/** A `T x S` panel: `values[t * S + s]` is symbol `symbols[s]` on date `dates[t]`; NaN where missing. */
export interface Panel {
  dates: IsoDate[];
  symbols: string[];
  values: Float64Array;
}

/**
 * Scatters per-row values (e.g. dataset rows `(symbol[i], date[i])`) into a panel. Dates and symbols default to
 * the sorted distinct values seen; cells never written stay NaN. Rows whose date or symbol is not in the given
 * axes are skipped.
 */
export function toPanel(
  symbol: readonly string[],
  date: readonly IsoDate[],
  values: ArrayLike<number>,
  axes: { dates?: IsoDate[]; symbols?: string[] } = {},
): Panel {
  const n = values.length;
  if (symbol.length !== n || date.length !== n) {
    throw new RangeError(`toPanel: ${symbol.length} symbols, ${date.length} dates, ${n} values`);
  }
  const dates = axes.dates ?? [...new Set(date)].sort();
  const symbols = axes.symbols ?? [...new Set(symbol)].sort();
  const di = new Map(dates.map((d, i) => [d, i]));
  const si = new Map(symbols.map((s, i) => [s, i]));
  const S = symbols.length;
  const out = new Float64Array(dates.length * S).fill(NaN);
  for (let i = 0; i < n; i++) {
    const t = di.get(date[i]), s = si.get(symbol[i]);
    if (t !== undefined && s !== undefined) out[t * S + s] = values[i];
  }
  return { dates, symbols, values: out };
}

/** Target positions (`Signal.size`) as a panel; a missing signal is NaN (treated as flat by the backtest). */
export function positionsFromSignals(
  signals: readonly Signal[],
  axes: { dates?: IsoDate[]; symbols?: string[] } = {},
): Panel {
  return toPanel(signals.map((s) => s.symbol), signals.map((s) => s.date), signals.map((s) => s.size), axes);
}

/**
 * What a position decided at the close of session `t` earns when filled at the next open and held one session:
 * `r[t] = open[t + 2] / open[t + 1] - 1` (the same as `Labels.fwdOpenReturn`); NaN for the last two sessions.
 */
export function openToOpenReturns(open: Float64Array): Float64Array {
  const n = open.length;
  const r = new Float64Array(n).fill(NaN);
  for (let t = 0; t + 2 < n; t++) r[t] = open[t + 2] / open[t + 1] - 1;
  return r;
}
