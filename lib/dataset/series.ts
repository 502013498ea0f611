/**
 * Bars -> columnar series, and corporate actions applied without look-ahead.
 *
 * Rule: a feature at decision time `t` (the close of session `t`) is computed on prices adjusted only for
 * the actions known by `t`. Two ways keep to it:
 * - `adjustedReturns` / `forwardAdjust`: each day's return uses the raw close plus the adjustment for the action
 *   effective (ex-date) on that day, applied only when the action's `knownAt <= close(day)`. No value at index
 *   `i` depends on anything after the close of `i`. The forward-adjusted price index has the same returns as a
 *   back-adjusted series, so scale-free features (returns, RSI, volatility) are the same.
 * - `adjustForActions(series, actions, asOf)`: the series as seen at `asOf` (bars up to the last close at or
 *   before `asOf`), back-adjusted for the actions with `knownAt <= asOf` whose ex-date has opened by `asOf`.
 *
 * Both assume raw (as traded) prices. A vendor series that is already split-adjusted (like
 * `sp500-5yr-ohlcv`) must not be adjusted again for the same splits.
 * @module
 */
import {
  type Bar,
  closeTime,
  type CorporateAction,
  DataValidationError,
  type Instant,
  lowerBound,
  openTime,
} from "../core/mod.ts";
import type { SymbolSeries } from "./types.ts";

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * One symbol's bars as a columnar series, sorted by date. Throws `DataValidationError` on mixed symbols, a bad
 * date, a duplicate date, or a close that is not a positive finite number; other missing prices stay NaN.
 * `adjClose` falls back to `close` when not finite. The bars' `knownAt` are kept in `series.knownAt`.
 */
export function toSeries(bars: Bar[]): SymbolSeries {
  if (bars.length === 0) throw new DataValidationError("no bars", { where: "toSeries" });
  const symbol = bars[0].symbol;
  const order = bars.map((_, i) => i);
  for (const b of bars) {
    if (b.symbol !== symbol) {
      throw new DataValidationError(`mixed symbols ${symbol} and ${b.symbol}`, { where: "toSeries" });
    }
    if (typeof b.date !== "string" || !DATE_RE.test(b.date)) {
      throw new DataValidationError(`bad date ${JSON.stringify(b.date)}`, { where: `toSeries ${symbol}` });
    }
  }
  order.sort((a, b) => (bars[a].date < bars[b].date ? -1 : bars[a].date > bars[b].date ? 1 : 0));
  const n = bars.length;
  const s: SymbolSeries = {
    symbol,
    dates: new Array<string>(n),
    open: new Float64Array(n),
    high: new Float64Array(n),
    low: new Float64Array(n),
    close: new Float64Array(n),
    adjClose: new Float64Array(n),
    volume: new Float64Array(n),
    knownAt: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const b = bars[order[i]];
    if (i > 0 && b.date === s.dates[i - 1]) {
      throw new DataValidationError(`duplicate date ${b.date}`, { where: `toSeries ${symbol}` });
    }
    if (!(Number.isFinite(b.close) && b.close > 0)) {
      throw new DataValidationError(`close ${b.close} on ${b.date} is not a positive number`, {
        where: `toSeries ${symbol}`,
      });
    }
    s.dates[i] = b.date;
    s.open[i] = num(b.open);
    s.high[i] = num(b.high);
    s.low[i] = num(b.low);
    s.close[i] = b.close;
    s.adjClose[i] = Number.isFinite(b.adjClose) ? b.adjClose : b.close;
    s.volume[i] = num(b.volume);
    s.knownAt![i] = num(b.knownAt);
  }
  return s;
}

function num(x: unknown): number {
  return typeof x === "number" ? x : NaN;
}

/** Groups bars by symbol (a map of bar lists or one flat list) into series; see `toSeries`. */
export function barsToSeriesMap(bars: Map<string, Bar[]> | Iterable<Bar>): Map<string, SymbolSeries> {
  const groups = new Map<string, Bar[]>();
  if (bars instanceof Map) {
    for (const [k, v] of bars) groups.set(k, v);
  } else {
    for (const b of bars) {
      let g = groups.get(b.symbol);
      if (!g) groups.set(b.symbol, g = []);
      g.push(b);
    }
  }
  const out = new Map<string, SymbolSeries>();
  for (const [sym, list] of groups) {
    const s = toSeries(list);
    if (s.symbol !== sym) {
      throw new DataValidationError(`bars of ${s.symbol} filed under ${sym}`, { where: "barsToSeriesMap" });
    }
    out.set(sym, s);
  }
  return out;
}

function actionsOf(series: SymbolSeries, actions: CorporateAction[]): CorporateAction[] {
  const out = actions.filter((a) => a.symbol === series.symbol);
  for (const a of out) {
    if (!(Number.isFinite(a.value) && a.value > 0)) {
      throw new RangeError(`corporate action ${a.kind} ${a.symbol} ${a.date}: value must be > 0`);
    }
  }
  return out;
}

/**
 * Per-day multiplicative return adjustment: the total return of day `i` is
 * `(close[i] * splitRatio + dividend) / close[i-1] - 1` for the actions whose ex-date is `dates[i]` and whose
 * `knownAt <= close(dates[i])`. Returns `[ratio, dividend]` per day (1 and 0 when none).
 */
function dailyFactors(
  series: SymbolSeries,
  actions: CorporateAction[],
  decisionTime: (d: string) => Instant,
): { ratio: Float64Array; dividend: Float64Array } {
  const n = series.dates.length;
  const ratio = new Float64Array(n).fill(1), dividend = new Float64Array(n);
  for (const a of actionsOf(series, actions)) {
    const i = lowerBound(series.dates, a.date);
    if (i >= n || series.dates[i] !== a.date || i === 0) continue; // not a session of this series
    if (a.knownAt > decisionTime(a.date)) continue; // not known at that close: the raw jump stays in
    if (a.kind === "split") ratio[i] *= a.value;
    else dividend[i] += a.value;
  }
  return { ratio, dividend };
}

/**
 * Daily simple total returns from raw closes, adjusted for splits and dividends effective that day and known by
 * that day's close (`decisionTime`, default the session close). `out[0]` is NaN. Uses no future information.
 */
export function adjustedReturns(
  series: SymbolSeries,
  actions: CorporateAction[],
  decisionTime: (d: string) => Instant = closeTime,
): Float64Array {
  const { ratio, dividend } = dailyFactors(series, actions, decisionTime);
  const c = series.close, n = c.length;
  const out = new Float64Array(n);
  out[0] = NaN;
  for (let i = 1; i < n; i++) out[i] = (c[i] * ratio[i] + dividend[i]) / c[i - 1] - 1;
  return out;
}

/**
 * Forward-adjusted series: prices scaled so that close-to-close ratios are the total returns of
 * `adjustedReturns` (the first bar keeps its raw prices; volume is divided by the cumulative split ratio).
 * Value `i` uses only actions known by the close of `i`, so features computed on it have no look-ahead.
 * `adjClose` is set to the adjusted close.
 */
export function forwardAdjust(
  series: SymbolSeries,
  actions: CorporateAction[],
  decisionTime: (d: string) => Instant = closeTime,
): SymbolSeries {
  const { ratio, dividend } = dailyFactors(series, actions, decisionTime);
  const n = series.close.length;
  const out = cloneSeries(series, n);
  let f = 1, split = 1;
  for (let i = 0; i < n; i++) {
    if (i > 0 && (ratio[i] !== 1 || dividend[i] !== 0)) {
      // price factor so that adj[i]/adj[i-1] = (c[i]*ratio + div)/c[i-1]
      f *= (series.close[i] * ratio[i] + dividend[i]) / series.close[i];
      split *= ratio[i];
    }
    out.open[i] = series.open[i] * f;
    out.high[i] = series.high[i] * f;
    out.low[i] = series.low[i] * f;
    out.close[i] = series.close[i] * f;
    out.adjClose[i] = out.close[i];
    out.volume[i] = series.volume[i] / split;
  }
  return out;
}

/**
 * The series as seen at `asOf`: bars whose close is at or before `asOf`, back-adjusted (classic vendor style:
 * the last bar keeps raw prices) for splits and dividends with `knownAt <= asOf` whose ex-date opened by
 * `asOf`. Splits divide earlier prices by the ratio (volume multiplied); a dividend `D` on ex-date `d`
 * multiplies earlier prices by `1 - D / close(d-1)`.
 */
export function adjustForActions(
  series: SymbolSeries,
  actions: CorporateAction[],
  asOf: Instant,
  decisionTime: (d: string) => Instant = closeTime,
): SymbolSeries {
  let n = series.dates.length;
  while (n > 0 && decisionTime(series.dates[n - 1]) > asOf) n--;
  const out = cloneSeries(series, n);
  const priceF = new Float64Array(n).fill(1), volF = new Float64Array(n).fill(1);
  for (const a of actionsOf(series, actions)) {
    if (a.knownAt > asOf || openTime(a.date) > asOf) continue;
    const i = lowerBound(series.dates, a.date); // first bar on/after the ex-date; earlier bars get adjusted
    if (i === 0 || i > n) continue;
    if (a.kind === "split") {
      for (let j = 0; j < i; j++) {
        priceF[j] /= a.value;
        volF[j] *= a.value;
      }
    } else {
      const prev = series.close[i - 1];
      const m = 1 - a.value / prev;
      if (!(m > 0)) throw new RangeError(`dividend ${a.value} of ${a.symbol} on ${a.date} >= previous close`);
      for (let j = 0; j < i; j++) priceF[j] *= m;
    }
  }
  for (let j = 0; j < n; j++) {
    out.open[j] *= priceF[j];
    out.high[j] *= priceF[j];
    out.low[j] *= priceF[j];
    out.close[j] *= priceF[j];
    out.adjClose[j] = out.close[j];
    out.volume[j] *= volF[j];
  }
  return out;
}

/**
 * The series in total-return prices from its own adjusted closes: every price scaled by `adjClose / close` of
 * its bar, so close-to-close and open-to-open ratios include dividends (and splits) the vendor adjusted for.
 * Vendors back-adjust, so the levels use later information: for LABELS only, never features. Returns the
 * series itself when `adjClose` equals `close` everywhere (no adjustment to apply) or is not finite.
 */
export function totalReturnSeries(s: SymbolSeries): SymbolSeries {
  const n = s.close.length;
  let differs = false;
  for (let i = 0; i < n && !differs; i++) {
    const a = s.adjClose[i], c = s.close[i];
    if (Number.isFinite(a) && a > 0 && Math.abs(a / c - 1) > 1e-9) differs = true;
  }
  if (!differs) return s;
  const out = cloneSeries(s, n);
  for (let i = 0; i < n; i++) {
    const a = s.adjClose[i], c = s.close[i];
    const f = Number.isFinite(a) && a > 0 && c > 0 ? a / c : 1;
    out.open[i] = s.open[i] * f;
    out.high[i] = s.high[i] * f;
    out.low[i] = s.low[i] * f;
    out.close[i] = c * f;
    out.adjClose[i] = out.close[i];
  }
  return out;
}

/**
 * The series in the total-return prices the labels read (look ahead by design: for LABELS and realized outcomes
 * only, never features): forward-adjusted with every one of `actions` (the symbol's splits and dividends) when
 * there are any, else by the vendor's adjusted closes ({@link totalReturnSeries}).
 */
export function labelPrices(s: SymbolSeries, actions: CorporateAction[]): SymbolSeries {
  return actions.length ? forwardAdjust(s, actions, () => Infinity) : totalReturnSeries(s);
}

/** A copy of the first `n` bars of a series. */
export function cloneSeries(s: SymbolSeries, n = s.dates.length): SymbolSeries {
  const out: SymbolSeries = {
    symbol: s.symbol,
    dates: s.dates.slice(0, n),
    open: s.open.slice(0, n),
    high: s.high.slice(0, n),
    low: s.low.slice(0, n),
    close: s.close.slice(0, n),
    adjClose: s.adjClose.slice(0, n),
    volume: s.volume.slice(0, n),
  };
  if (s.knownAt) out.knownAt = s.knownAt.slice(0, n);
  return out;
}
