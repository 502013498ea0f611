import { equal, ok, throws } from "node:assert/strict";
import { closeTime, nyTime, type OptionQuote } from "../core/mod.ts";
import {
  blackScholes,
  blackScholesDelta,
  chainFeatures,
  chainFeatureSeries,
  impliedVol,
} from "./options_chain.ts";

const AT = nyTime("2025-02-21", 15, 59); // observation time
const YEAR_MS = 365.25 * 86_400_000;

/** A chain priced by Black-Scholes on a smile `iv(k) = a + b k + c k^2` (k = ln K/F), quoted with a bid/ask. */
function chain(
  expiries: string[],
  atm: (e: string) => number,
  s = 100,
  how: "mid" | "last" | "quote" = "mid",
) {
  const out: OptionQuote[] = [];
  for (const e of expiries) {
    const t = (closeTime(e) - AT) / YEAR_MS;
    for (let K = 70; K <= 130; K += 2.5) {
      for (const right of ["call", "put"] as const) {
        const k = Math.log(K / s), iv = atm(e) - 0.3 * k + 0.5 * k * k;
        const p = blackScholes(right, s, K, t, 0, iv);
        out.push({
          symbol: "X",
          contract: `X${e}${right[0]}${K}`,
          expiry: e,
          strike: K,
          right,
          bid: how === "mid" ? p * 0.99 : 0,
          ask: how === "mid" ? p * 1.01 : 0,
          last: p,
          volume: right === "put" ? 30 : 20,
          openInterest: 0,
          impliedVolatility: how === "quote" ? iv : NaN,
          knownAt: AT,
          underlying: s,
          lastTradeAt: AT - 60_000,
        });
      }
    }
  }
  return out;
}

Deno.test("Black-Scholes: put-call parity, delta bounds, implied volatility inverts the price", () => {
  const c = blackScholes("call", 100, 95, 0.5, 0.02, 0.3), p = blackScholes("put", 100, 95, 0.5, 0.02, 0.3);
  ok(Math.abs(c - p - (100 - 95 * Math.exp(-0.01))) < 1e-6);
  ok(Math.abs(impliedVol("call", c, 100, 95, 0.5, 0.02) - 0.3) < 1e-6);
  ok(Math.abs(impliedVol("put", p, 100, 95, 0.5, 0.02) - 0.3) < 1e-6);
  ok(Number.isNaN(impliedVol("call", 200, 100, 95, 0.5))); // above the spot: no volatility gives it
  ok(Number.isNaN(impliedVol("put", 0, 100, 95, 0.5)));
  const d = blackScholesDelta("put", 100, 90, 0.25, 0, 0.25);
  ok(d < 0 && d > -0.5);
});

Deno.test("chainFeatures: ATM IV, 25-delta skew and term slope of a planted smile", () => {
  const q = chain(["2025-03-21", "2025-06-20"], (e) => (e === "2025-03-21" ? 0.2 : 0.26));
  const f = chainFeatures(q);
  ok(Math.abs(f.atmIv - 0.2) < 0.002, `atm ${f.atmIv}`); // quotes at mid: the smile's value at k = 0
  ok(f.skew25 > 0.02 && f.skew25 < 0.08, `skew ${f.skew25}`); // -0.3 slope: the 25-delta put is dearer
  const years = (closeTime("2025-06-20") - closeTime("2025-03-21")) / YEAR_MS;
  ok(Math.abs(f.termSlope - 0.06 / years) < 0.02, `term slope ${f.termSlope}`);
  equal(f.expiries, 2);
  ok(Math.abs(f.putCallVolume - 1.5) < 1e-12);
  ok(f.ivFrom.mid > 20 && f.ivFrom.last === 0 && f.ivFrom.quote === 0);
  // one expiration: no term slope; quoted IVs are used as given
  const one = chainFeatures(chain(["2025-03-21"], () => 0.2, 100, "quote"));
  ok(Number.isNaN(one.termSlope) && one.ivFrom.quote > 0 && Math.abs(one.atmIv - 0.2) < 0.002);
  // last trades: used when fresh, ignored when stale
  const last = chain(["2025-03-21"], () => 0.2, 100, "last");
  ok(Math.abs(chainFeatures(last).atmIv - 0.2) < 0.002);
  // one contract traded days before the rest: it is left out
  const stale = last.map((x, i) => (i === 3 ? { ...x, lastTradeAt: AT - 3 * 86_400_000 } : x));
  equal(chainFeatures(stale).ivFrom.last, chainFeatures(last).ivFrom.last - 1);
  throws(() => chainFeatures([]), RangeError);
  throws(() => chainFeatures([q[0], { ...q[1], knownAt: AT + 1 }]), RangeError);
});

Deno.test("chainFeatures: the term slope is per year between the expirations' closes, whatever quote comes last", () => {
  // a chain observed before the open: every IV from last trades of 2.5 days before; the far expiration also has
  // one deep in-the-money put with a two-sided quote (not used: in the money), last in input order
  const traded = chain(["2025-02-28", "2025-03-21"], (e) => (e === "2025-02-28" ? 0.3 : 0.25), 100, "last")
    .map((x) => ({ ...x, lastTradeAt: AT - 60 * 3_600_000 }));
  const itm: OptionQuote = {
    ...traded.at(-1)!,
    contract: "XITM",
    strike: 130,
    right: "put",
    bid: 29.5,
    ask: 30.5,
  };
  const clean = chainFeatures(traded).termSlope;
  ok(Number.isFinite(clean) && clean < 0, `${clean}`);
  equal(chainFeatures([...traded, itm]).termSlope, clean);
  equal(chainFeatures([itm, ...traded].reverse()).termSlope, clean);
  // and without any trade time: the quoted contract alone does not set a maturity
  const untimed = [...traded, itm].map((x) => ({ ...x, lastTradeAt: undefined }));
  ok(Number.isNaN(chainFeatures(untimed).termSlope) || chainFeatures(untimed).termSlope !== 0);
});

Deno.test("chainFeatureSeries: one feature row per snapshot, in knownAt order", () => {
  const a = chain(["2025-03-21"], () => 0.2),
    b = chain(["2025-03-21"], () => 0.3).map((x) => ({ ...x, knownAt: AT - 86_400_000 }));
  const s = chainFeatureSeries([...a, ...b]).get("X")!;
  equal(s.length, 2);
  ok(s[0].knownAt < s[1].knownAt && s[0].atmIv > s[1].atmIv);
});
