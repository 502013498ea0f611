/**
 * Option-implied features of one chain snapshot (all expirations observed at one `knownAt`): at-the-money
 * implied volatility, 25-delta skew, term slope and the put/call volume ratio. They describe what the options
 * market expected at the chain's observation time, so a feature row at decision time `t` may use a snapshot only
 * when its `knownAt <= t` (join with `lib/dataset`'s `joinAsOf`).
 *
 * Implied volatility per contract: the quote's own IV when the source gives a usable one (`impliedVolatility`
 * finite; Yahoo's placeholders are already NaN), else Black-Scholes inverted from the bid/ask mid when both are
 * positive, else from the last trade when it happened within `maxTradeAgeMs` of the chain's latest trade (the
 * session the prices describe; Yahoo's chains recorded before the open carry bid = ask = 0 and placeholder IVs,
 * so the last trades of the previous session are the only prices, and their maturity counts from that latest
 * trade, while the features stay stamped with the observation time `knownAt`). Only out-of-the-money contracts are used (puts below the forward,
 * calls above), as a volatility surface is built. European Black-Scholes with a flat rate and no dividends is an
 * approximation for American single-stock options, stated as such.
 *
 * - `atmIv`: IV of the nearest expiration at log-moneyness `ln(K / F) = 0`, linear in log-moneyness between the
 *   two contracts around the forward.
 * - `skew25`: IV of the 25-delta put minus IV of the 25-delta call (nearest expiration), each interpolated in
 *   delta; positive when downside protection is dearer.
 * - `termSlope`: ATM IV of the farthest collected expiration minus that of the nearest, per year between the
 *   two expirations' closes (NaN with one expiration).
 * - `putCallVolume`: total put volume / total call volume over the snapshot.
 * @module
 */
import normalCdf from "@stdlib/stats-base-dists-normal-cdf";
import type { Instant, OptionQuote } from "../core/mod.ts";
import { closeTime } from "../core/mod.ts";

const YEAR_MS = 365.25 * 86_400_000;

/** Standard normal CDF (stdlib). */
function ncdf(x: number): number {
  return normalCdf(x, 0, 1);
}

/** Black-Scholes `d1 = (ln(s/k) + (r + v^2/2) t) / (v sqrt(t))`. */
function d1Of(s: number, k: number, t: number, r: number, v: number): number {
  return (Math.log(s / k) + (r + 0.5 * v * v) * t) / (v * Math.sqrt(t));
}

/** Black-Scholes price of a European option (spot `s`, strike `k`, years `t`, rate `r`, volatility `v`). */
export function blackScholes(
  right: "call" | "put",
  s: number,
  k: number,
  t: number,
  r: number,
  v: number,
): number {
  if (!(t > 0) || !(v > 0)) {
    return Math.max(0, right === "call" ? s - k * Math.exp(-r * t) : k * Math.exp(-r * t) - s);
  }
  const d1 = d1Of(s, k, t, r, v), d2 = d1 - v * Math.sqrt(t);
  const df = Math.exp(-r * t);
  return right === "call" ? s * ncdf(d1) - k * df * ncdf(d2) : k * df * ncdf(-d2) - s * ncdf(-d1);
}

/** Black-Scholes delta (call in (0, 1), put in (-1, 0)). */
export function blackScholesDelta(
  right: "call" | "put",
  s: number,
  k: number,
  t: number,
  r: number,
  v: number,
): number {
  const d1 = d1Of(s, k, t, r, v);
  return right === "call" ? ncdf(d1) : ncdf(d1) - 1;
}

/**
 * Implied volatility by bisection on `[1e-4, 5]` until the bracket is under 1e-7 (the price is increasing in
 * volatility); NaN when the price is outside the no-arbitrage bounds or the option has no time value left.
 */
export function impliedVol(
  right: "call" | "put",
  price: number,
  s: number,
  k: number,
  t: number,
  r = 0,
): number {
  if (!(price > 0 && s > 0 && k > 0 && t > 0)) return NaN;
  let lo = 1e-4, hi = 5;
  if (price <= blackScholes(right, s, k, t, r, lo) || price >= blackScholes(right, s, k, t, r, hi)) {
    return NaN;
  }
  for (let i = 0; i < 100; i++) {
    const mid = 0.5 * (lo + hi);
    if (blackScholes(right, s, k, t, r, mid) < price) lo = mid;
    else hi = mid;
    if (hi - lo < 1e-7) break;
  }
  return 0.5 * (lo + hi);
}

/** Options of {@link chainFeatures}. */
export interface ChainFeatureOptions {
  /** Underlying price; default the chain's own `underlying` (the first quote that has one). */
  underlying?: number;
  /** Continuously compounded risk-free rate (default 0). */
  rate?: number;
  /** A last trade older than this before the chain's latest trade is stale and not used (default 1 hour). */
  maxTradeAgeMs?: number;
}

/** Features of one chain snapshot (NaN where the chain cannot give one). */
export interface ChainFeatures {
  knownAt: Instant;
  atmIv: number;
  skew25: number;
  termSlope: number;
  putCallVolume: number;
  /** Expirations with at least one usable implied volatility. */
  expiries: number;
  /** Contracts whose implied volatility was used, by where it came from. */
  ivFrom: { quote: number; mid: number; last: number };
}

interface Point {
  k: number; // log-moneyness ln(K / F)
  delta: number;
  iv: number;
  right: "call" | "put";
}

function interp(x: number, xs: number[], ys: number[]): number {
  // xs ascending; linear between the bracketing points, NaN outside
  for (let i = 0; i + 1 < xs.length; i++) {
    if (x >= xs[i] && x <= xs[i + 1]) {
      const w = xs[i + 1] === xs[i] ? 0.5 : (x - xs[i]) / (xs[i + 1] - xs[i]);
      return ys[i] + w * (ys[i + 1] - ys[i]);
    }
  }
  return NaN;
}

/** Features of one snapshot: every quote must share one `symbol` and one `knownAt`. */
export function chainFeatures(quotes: readonly OptionQuote[], opts: ChainFeatureOptions = {}): ChainFeatures {
  if (!quotes.length) throw new RangeError("chainFeatures: empty chain");
  const at = quotes[0].knownAt, sym = quotes[0].symbol;
  for (const q of quotes) {
    if (q.knownAt !== at || q.symbol !== sym) {
      throw new RangeError(
        "chainFeatures: quotes from more than one snapshot (symbol and knownAt must agree)",
      );
    }
  }
  const s = opts.underlying ?? quotes.find((q) => (q.underlying ?? 0) > 0)?.underlying ?? NaN;
  const r = opts.rate ?? 0, maxAge = opts.maxTradeAgeMs ?? 3_600_000;
  let lastTrade = -Infinity;
  for (const q of quotes) {
    if (q.lastTradeAt !== undefined && q.lastTradeAt <= at) lastTrade = Math.max(lastTrade, q.lastTradeAt);
  }
  const ivFrom = { quote: 0, mid: 0, last: 0 };
  let putVol = 0, callVol = 0;
  for (const q of quotes) {
    if (q.right === "put") putVol += q.volume > 0 ? q.volume : 0;
    else callVol += q.volume > 0 ? q.volume : 0;
  }
  const byExpiry = new Map<string, Point[]>();
  if (s > 0) {
    for (const q of quotes) {
      const quoted = (Number.isFinite(q.impliedVolatility) && q.impliedVolatility > 0) ||
        (q.bid > 0 && q.ask > 0 && q.ask >= q.bid);
      const t = (closeTime(q.expiry) - (quoted ? at : lastTrade)) / YEAR_MS;
      if (!(t > 0)) continue;
      const f = s * Math.exp(r * t), k = Math.log(q.strike / f);
      if ((q.right === "put" && k > 0) || (q.right === "call" && k < 0)) continue; // out of the money only
      let iv = NaN, from: keyof typeof ivFrom | null = null;
      if (Number.isFinite(q.impliedVolatility) && q.impliedVolatility > 0) {
        iv = q.impliedVolatility;
        from = "quote";
      } else if (quoted) {
        iv = impliedVol(q.right, 0.5 * (q.bid + q.ask), s, q.strike, t, r);
        from = "mid";
      } else if (q.last > 0 && q.lastTradeAt !== undefined && lastTrade - q.lastTradeAt <= maxAge) {
        iv = impliedVol(q.right, q.last, s, q.strike, t, r);
        from = "last";
      }
      if (!(iv > 0) || !from) continue;
      ivFrom[from]++;
      const delta = blackScholesDelta(q.right, s, q.strike, t, r, iv);
      const list = byExpiry.get(q.expiry) ?? [];
      list.push({ k, delta, iv, right: q.right });
      byExpiry.set(q.expiry, list);
    }
  }
  const expiries = [...byExpiry.keys()].sort();
  const atmOf = (e: string) => {
    const pts = byExpiry.get(e)!.slice().sort((a, b) => a.k - b.k);
    return interp(0, pts.map((p) => p.k), pts.map((p) => p.iv));
  };
  let atmIv = NaN, skew25 = NaN, termSlope = NaN;
  if (expiries.length) {
    const near = expiries[0];
    atmIv = atmOf(near);
    const pts = byExpiry.get(near)!;
    const puts = pts.filter((p) => p.right === "put").sort((a, b) => a.delta - b.delta);
    const calls = pts.filter((p) => p.right === "call").sort((a, b) => a.delta - b.delta);
    const p25 = interp(-0.25, puts.map((p) => p.delta), puts.map((p) => p.iv));
    const c25 = interp(0.25, calls.map((p) => p.delta), calls.map((p) => p.iv));
    skew25 = p25 - c25;
    if (expiries.length > 1) {
      const far = expiries.at(-1)!;
      // per year between the two expirations' closes: not from any one contract's maturity, which counts from the
      // snapshot or from its last trade (the last contract of an expiry in input order set it, 14% off)
      termSlope = (atmOf(far) - atmIv) / ((closeTime(far) - closeTime(near)) / YEAR_MS);
    }
  }
  return {
    knownAt: at,
    atmIv,
    skew25,
    termSlope,
    putCallVolume: callVol > 0 ? putVol / callVol : NaN,
    expiries: expiries.length,
    ivFrom,
  };
}

/** Splits stored quotes into snapshots (one per symbol and `knownAt`) and computes each one's features. */
export function chainFeatureSeries(
  quotes: readonly OptionQuote[],
  opts: ChainFeatureOptions = {},
): Map<string, ChainFeatures[]> {
  const groups = new Map<string, OptionQuote[]>();
  for (const q of quotes) {
    const key = `${q.symbol}\u0000${q.knownAt}`;
    const g = groups.get(key);
    if (g) g.push(q);
    else groups.set(key, [q]);
  }
  const out = new Map<string, ChainFeatures[]>();
  for (const g of groups.values()) {
    const list = out.get(g[0].symbol) ?? [];
    list.push(chainFeatures(g, opts));
    out.set(g[0].symbol, list);
  }
  for (const list of out.values()) list.sort((a, b) => a.knownAt - b.knownAt);
  return out;
}
