import { ok } from "node:assert/strict";
import { backtest, buyAndHold } from "./backtest.ts";
import { openToOpenReturns } from "./panel.ts";
import { csvPresets } from "../sources/mod.ts";
import { mulberry32 } from "../core/mod.ts";

const DIR = new URL("../../../shared/data/sp500-5yr-ohlcv/", import.meta.url);

/** Open-to-open return panel (dates x symbols) of the S&P 500 five-year file (505 tickers, 1,259 sessions). */
async function loadPanel() {
  const src = csvPresets.sp500_5yr(DIR);
  const all = await src.bars({ symbols: await src.listSymbols!(), from: "2013-01-01", to: "2018-12-31" });
  const bySym = new Map(
    [...all].map(([s, b]) => [s, { dates: b.map((x) => x.date), open: b.map((x) => x.open) }]),
  );
  const dates = [...new Set([...bySym.values()].flatMap((e) => e.dates))].sort();
  const di = new Map(dates.map((d, i) => [d, i]));
  const symbols = [...bySym.keys()].sort();
  const T = dates.length, S = symbols.length;
  const returns = new Float64Array(T * S).fill(NaN);
  symbols.forEach((sym, s) => {
    const e = bySym.get(sym)!;
    const r = openToOpenReturns(Float64Array.from(e.open));
    e.dates.forEach((d, j) => (returns[di.get(d)! * S + s] = r[j]));
  });
  return { dates, symbols, returns };
}

Deno.test("real data (S&P 500 2013-2018): buy-and-hold is plausible; random positions earn about -costs", async () => {
  const { dates, symbols, returns } = await loadPanel();
  ok(dates.length === 1259 && symbols.length === 505, `${dates.length} x ${symbols.length}`);
  const bh = buyAndHold({ dates, symbols, returns });
  // Equal-weight S&P 500 members, Feb 2013 - Feb 2018 (a bull market, survivorship-biased universe).
  ok(
    bh.metrics.annReturn > 0.08 && bh.metrics.annReturn < 0.3,
    `buy-and-hold ann. return ${bh.metrics.annReturn}`,
  );
  ok(
    bh.metrics.maxDrawdown < -0.05 && bh.metrics.maxDrawdown > -0.4,
    `max drawdown ${bh.metrics.maxDrawdown}`,
  );
  // Daily-rebalanced all-long through the simulator: close to buy-and-hold, one entry per symbol.
  const ones = new Float64Array(returns.length).fill(1);
  const longAll = backtest({ dates, symbols, positions: ones, returns });
  ok(Math.abs(longAll.metrics.annReturn - bh.metrics.annReturn) < 0.05, `${longAll.metrics.annReturn}`);
  ok(longAll.metrics.trades >= 505 && longAll.metrics.trades < 560, `entries ${longAll.metrics.trades}`);
  // Null test on real prices: i.i.d. random positions in {-1, 0, 1} have no edge: net ≈ -cost x turnover.
  const rand = mulberry32(12345);
  const randomPos = new Float64Array(returns.length).map(() => Math.floor(rand() * 3) - 1);
  const bt = backtest({ dates, symbols, positions: randomPos, returns });
  const R = bt.returns, n = R.length;
  const mean = R.reduce((x, y) => x + y, 0) / n;
  const se = Math.sqrt(R.reduce((x, y) => x + (y - mean) ** 2, 0) / (n - 1) / n);
  const cost = 5e-4 * bt.metrics.turnover;
  ok(Math.abs(mean + cost) < 4 * se, `net mean ${mean} vs -costs ${-cost} (se ${se})`);
});
