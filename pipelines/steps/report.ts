/**
 * Step 7, report: one offline HTML page (plotly inlined) with the per-method metrics, equity curves, drawdowns,
 * gate weights and a price chart with levels and signals, plus the plain-text summary table for the terminal.
 * The page is written atomically and also stored under `reports/<run>/` in the objects store.
 * @module
 */
import type { Signal } from "@lib/core/mod.ts";
import type { BuiltDataset } from "@lib/dataset/mod.ts";
import type { BacktestResult } from "@lib/backtest/mod.ts";
import { type TrendMetrics, trendMetrics } from "@lib/models/mod.ts";
import { lineFigure, priceFigure, renderHtml, type Report, type Table, textTable } from "@lib/report/mod.ts";
import { reportKey, type Stores } from "@lib/store/mod.ts";
import type { Progress } from "../progress.ts";
import type { CombineResult } from "./combine.ts";
import type { TrainResult } from "./train.ts";

/**
 * What a report says about its universe: a fixed list of symbols chosen with today's knowledge is
 * survivorship-biased (stocks that were delisted, merged or dropped from the index before today are missing,
 * which flatters every backtest on it); a point-in-time universe is not. `universe` is the name of the
 * membership table used, if any.
 */
export function universeNote(source: string, symbols: number, universe?: string): string {
  if (universe) {
    return `universe: point in time (${universe}: each symbol counts only while it was a member; no survivorship bias)`;
  }
  const synthetic = source === "synthetic";
  return synthetic
    ? `universe: the ${symbols} symbols of the simulated market (no survivorship in a simulation)`
    : `universe: a fixed list of ${symbols} symbols chosen after the fact: SURVIVORSHIP-BIASED (symbols that ` +
      `left the market or the index before today are missing, which flatters backtests; set source.universe ` +
      `to a point-in-time membership file to remove the bias)`;
}

/** Everything the report shows. */
export interface ReportInput {
  title: string;
  subtitle: string;
  /** Notes on the data shown at the top (input counts, the universe's survivorship statement). */
  notes?: string[];
  ds: BuiltDataset;
  train: TrainResult;
  combine: CombineResult;
  signals: Signal[];
  backtests: Map<string, BacktestResult>;
  timings: Map<string, number>;
}

/** Trend metrics on the test rows of every single model and every ensemble method. */
export function testTrendMetrics(
  input: Pick<ReportInput, "ds" | "train" | "combine">,
): Map<string, TrendMetrics> {
  const { ds, train, combine } = input, rows = train.rows.test;
  const labels = Int8Array.from(rows, (i) => ds.labels.trend[i]);
  const ret = Float64Array.from(rows, (i) => ds.labels.fwdReturn[i]);
  const dates = Array.from(rows, (i) => ds.date[i]);
  const out = new Map<string, TrendMetrics>();
  for (const t of train.trend) out.set(t.name, trendMetrics(t.testProbs, labels, ret, dates));
  for (const e of combine.ensembles) {
    out.set(`ensemble:${e.name}`, trendMetrics(e.testProbs, labels, ret, dates));
  }
  return out;
}

/** The per-method table: trend metrics (where the method has class probabilities) and backtest metrics. */
export function methodsTable(
  metrics: Map<string, TrendMetrics>,
  backtests: Map<string, BacktestResult>,
): Table {
  const names = [...new Set([...metrics.keys(), ...backtests.keys()])];
  return {
    caption: "Test segment: trend metrics and backtest (next-open fills, costs per side)",
    columns: [
      "method",
      "accuracy",
      "bal.acc",
      "logloss",
      "AUC",
      "IC",
      "ann.ret",
      "Sharpe",
      "maxDD",
      "turnover/yr",
    ],
    rows: names.map((n) => {
      const m = metrics.get(n), b = backtests.get(n)?.metrics;
      return [
        n,
        m?.accuracy ?? null,
        m?.balancedAccuracy ?? null,
        m?.logLoss ?? null,
        m?.auc ?? null,
        m?.ic.mean ?? null,
        b?.annReturn ?? null,
        b?.sharpe ?? null,
        b?.maxDrawdown ?? null,
        b?.annTurnover ?? null,
      ];
    }),
  };
}

function gateFigure(input: ReportInput) {
  const { ds, train, combine } = input, moe = combine.moe.test, K = moe.expertNames.length;
  const byDate = new Map<string, { sum: number[]; n: number }>();
  train.rows.test.forEach((r, i) => {
    let e = byDate.get(ds.date[r]);
    if (!e) byDate.set(ds.date[r], e = { sum: new Array(K).fill(0), n: 0 });
    for (let k = 0; k < K; k++) e.sum[k] += moe.gates[i * K + k];
    e.n++;
  });
  const dates = [...byDate.keys()].sort();
  return lineFigure(
    "Mixture of experts: mean gate weight per day",
    moe.expertNames.map((name, k) => ({
      name,
      x: dates,
      y: dates.map((d) => byDate.get(d)!.sum[k] / byDate.get(d)!.n),
    })),
    { yTitle: "gate weight" },
  );
}

function priceSection(input: ReportInput) {
  const { ds, train, signals } = input;
  const rows = train.rows.test, sym = ds.symbol[rows[0]];
  const s = ds.series.get(sym)!;
  const idx = Array.from(rows).filter((r) => ds.symbol[r] === sym).map((r) => ds.seriesIndex[r]);
  const a = idx[0], b = idx[idx.length - 1] + 1;
  const lastRow = Array.from(rows.keys()).filter((i) => ds.symbol[rows[i]] === sym).pop()!;
  const lv = train.levels.test;
  const mine = signals.filter((x) => x.symbol === sym);
  const px = (d: string) => s.close[s.dates.indexOf(d)];
  return priceFigure({
    symbol: sym,
    dates: s.dates.slice(a, b),
    open: s.open.slice(a, b),
    high: s.high.slice(a, b),
    low: s.low.slice(a, b),
    close: s.close.slice(a, b),
    supports: Number.isFinite(lv.support[lastRow])
      ? [{ price: lv.support[lastRow], strength: lv.supportStrength[lastRow] }]
      : [],
    resistances: Number.isFinite(lv.resistance[lastRow])
      ? [{ price: lv.resistance[lastRow], strength: lv.resistanceStrength[lastRow] }]
      : [],
    buys: mine.filter((x) => x.action === "buy").map((x) => ({ date: x.date, price: px(x.date) })),
    sells: mine.filter((x) => x.action === "sell").map((x) => ({ date: x.date, price: px(x.date) })),
  });
}

/** Builds the report and the terminal summary. */
export function buildReport(
  input: ReportInput,
): { report: Report; summary: string; table: Table; metrics: Map<string, TrendMetrics> } {
  const metrics = testTrendMetrics(input);
  const table = methodsTable(metrics, input.backtests);
  const bt = [...input.backtests.entries()];
  const moeBt = input.backtests.get("moe");
  const timing: Table = {
    caption: "Wall time per step",
    columns: ["step", "seconds"],
    rows: [...input.timings.entries()].map(([k, v]) => [k, v / 1000]),
  };
  const report: Report = {
    title: input.title,
    subtitle: input.subtitle,
    sections: [
      ...(input.notes?.length ? [{ title: "Data", text: input.notes }] : []),
      {
        title: "Methods on the test segment",
        text: [
          `${input.ds.n} rows, features ${input.ds.featureSet.name}@${input.ds.featureSet.version}; ` +
          `segments train ${input.ds.segments.train.join("..")}, validation ${
            input.ds.segments.valid.join("..")
          }, ` +
          `test ${input.ds.segments.test.join("..")}. TensorFlow.js backend: ${input.train.tfBackend}.`,
        ],
        tables: [table],
      },
      {
        title: "Equity and drawdown",
        figures: [
          lineFigure(
            "Equity curves (test segment)",
            bt.map(([name, r]) => ({ name, x: [...r.dates], y: r.equity })),
            {
              yTitle: "growth of 1",
            },
          ),
          lineFigure(
            "Drawdown: mixture of experts vs buy-and-hold",
            bt.filter(([n]) => n === "moe" || n === "buy-and-hold").map(([name, r]) => ({
              name,
              x: [...r.dates],
              y: r.drawdown,
            })),
            { yTickFormat: ".0%", fill: true },
          ),
        ],
      },
      { title: "Mixture of experts", figures: [gateFigure(input)] },
      { title: "Price, levels and signals", figures: [priceSection(input)] },
      { title: "Run", tables: [timing] },
    ],
  };
  const summary = textTable(table) +
    (moeBt
      ? `\n\nmixture of experts: Sharpe ${moeBt.metrics.sharpe.toFixed(2)}, ann. return ${
        (100 * moeBt.metrics.annReturn).toFixed(1)
      }%`
      : "");
  return { report, summary, table, metrics };
}

/** Writes the HTML atomically to `path` and stores a copy under `reports/<run>/report.html`. */
export async function writeReport(
  report: Report,
  path: string,
  stores: Stores,
  run: string,
  progress?: Progress,
): Promise<void> {
  const done = progress?.start("report (HTML)");
  const html = renderHtml(report);
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : ".";
  await Deno.mkdir(dir, { recursive: true });
  const tmp = `${path}.tmp-${Deno.pid}`;
  await Deno.writeTextFile(tmp, html);
  await Deno.rename(tmp, path);
  await stores.objects.put(reportKey(run, "report.html"), html, { contentType: "text/html; charset=utf-8" });
  done?.();
}
