/**
 * `charts`: for each symbol and each stored session in `[from, to]`, an SVG price chart with SMA/Bollinger/RSI
 * and the signals of the `signals` table known by then, stored as `charts/<symbol>/<date>.svg`. Point in time:
 * the chart of day `d` uses only bars and signals dated `d` or earlier. A chart is written only when its bytes
 * changed (a re-run writes nothing; a new signal re-renders the days it shows on). Bars are stored as traded, so
 * the chart of day `d` shows them in `d`'s share scale: the bars before each split of `corporate_actions` dated
 * `d` or earlier are divided by its ratio (volume multiplied), as a chart vendor shows them, so the moving
 * averages, bands and RSI do not read a split as a crash.
 * @module
 */
import type { Bar, CorporateAction, IsoDate, Signal } from "@lib/core/mod.ts";
import { renderChartSvg } from "@lib/report/mod.ts";
import { chartKey, rowToAction, rowToBar, rowToSignal, type Stores } from "@lib/store/mod.ts";
import { type CollectRequest, type CollectStep, ensureTables, type PlanRow, runUnits } from "./common.ts";

const dec = new TextDecoder();

/**
 * `bars` (ascending, as traded) in the share scale of day `asOf`: each bar is divided by the ratios of the splits
 * after its date and on or before `asOf` (its volume multiplied by them). The same array when none applies.
 */
export function splitScaledAsOf(
  bars: readonly Bar[],
  splits: readonly CorporateAction[],
  asOf: IsoDate,
): Bar[] {
  const live = splits.filter((s) => s.kind === "split" && s.date <= asOf && s.value > 0 && s.value !== 1);
  if (!live.length || !bars.length || live.every((s) => s.date <= bars[0].date)) return bars as Bar[];
  return bars.map((b) => {
    let f = 1;
    for (const s of live) if (s.date > b.date) f *= s.value;
    return f === 1 ? b : {
      ...b,
      open: b.open / f,
      high: b.high / f,
      low: b.low / f,
      close: b.close / f,
      volume: b.volume * f,
    };
  });
}

async function chartsFor(stores: Stores, req: CollectRequest, symbol: string) {
  const bars = (await stores.tables.query("bars", {
    where: { symbol, date: { lte: req.to } },
    orderBy: ["date"],
  })).map(rowToBar);
  // one signal per date: the one issued last (several model versions may have issued one)
  const byDate = new Map<string, Signal>();
  for (
    const r of await stores.tables.query("signals", {
      where: { symbol, date: { lte: req.to } },
      orderBy: ["date", "issued_at"],
    })
  ) byDate.set(String(r.date), rowToSignal(r));
  const splits = (await stores.tables.query("corporate_actions", { where: { symbol, kind: "split" } }))
    .map(rowToAction);
  return { bars, signals: [...byDate.values()], splits };
}

/** The `charts` step. */
export const chartsStep: CollectStep = {
  kind: "charts",
  async run(_sources, stores, req, progress) {
    await ensureTables(stores);
    return await runUnits("charts", req.symbols, async (symbol) => {
      const { bars, signals, splits } = await chartsFor(stores, req, symbol);
      let rows = 0, inserted = 0, first = "", last = "";
      for (let i = 0; i < bars.length; i++) {
        const d = bars[i].date;
        if (d < req.from) continue;
        const svg = renderChartSvg({
          symbol,
          bars: splitScaledAsOf(bars.slice(0, i + 1), splits, d),
          signals: signals.filter((s) => s.date <= d),
          window: req.chartWindow,
        });
        const key = chartKey(symbol, d, "svg");
        const old = await stores.objects.get(key);
        if (old && dec.decode(old) === svg) continue;
        await stores.objects.put(key, svg, { contentType: "image/svg+xml" });
        rows++;
        if (!old) inserted++;
        first ||= d;
        last = d;
      }
      return { rows, inserted, objects: rows, range: first ? `${first}..${last}` : "" };
    }, { concurrency: req.concurrency, progress });
  },
  async plan(_sources, stores, req) {
    const out: PlanRow[] = [];
    for (const symbol of req.symbols) {
      let n = 0;
      try {
        if (stores) n = await stores.tables.count("bars", { symbol, date: { gte: req.from, lte: req.to } });
      } catch { /* no table yet */ }
      out.push({
        kind: "charts",
        symbol,
        fetch: `render ${req.from}..${req.to} (${n} stored session${n === 1 ? "" : "s"}; after prices)`,
      });
    }
    return out;
  },
};
