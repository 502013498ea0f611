import { ok } from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { backtest, buyAndHold } from "./backtest.ts";
import { openToOpenReturns } from "./panel.ts";

const FILE = new URL("../../../shared/data/sp500-5yr-ohlcv/all_stocks_5yr.csv.gz", import.meta.url);

/** Open-to-open return panel (dates x symbols) of the S&P 500 five-year file (505 tickers, 1,259 sessions). */
function loadPanel() {
  const text = new TextDecoder().decode(gunzipSync(Deno.readFileSync(FILE)));
  const lines = text.split("\n");
  ok(lines[0].trim() === "date,open,high,low,close,volume,Name", `header ${lines[0]}`);
  const bySym = new Map<string, { dates: string[]; open: number[] }>();
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i];
    if (!l) continue;
    const f = l.split(",");
    let e = bySym.get(f[6]);
    if (!e) bySym.set(f[6], e = { dates: [], open: [] });
    e.dates.push(f[0]);
    e.open.push(f[1] === "" ? NaN : Number(f[1]));
  }
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

Deno.test("real data (S&P 500 2013-2018): buy-and-hold is plausible; random positions earn about -costs", () => {
  const { dates, symbols, returns } = loadPanel();
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
  let a = 12345;
  const rand = () => ((a = (Math.imul(a, 1103515245) + 12345) >>> 0) / 4294967296);
  const randomPos = new Float64Array(returns.length).map(() => Math.floor(rand() * 3) - 1);
  const bt = backtest({ dates, symbols, positions: randomPos, returns });
  const R = bt.returns, n = R.length;
  const mean = R.reduce((x, y) => x + y, 0) / n;
  const se = Math.sqrt(R.reduce((x, y) => x + (y - mean) ** 2, 0) / (n - 1) / n);
  const cost = 5e-4 * bt.metrics.turnover;
  ok(Math.abs(mean + cost) < 4 * se, `net mean ${mean} vs -costs ${-cost} (se ${se})`);
});
