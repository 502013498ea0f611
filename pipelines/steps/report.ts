/**
 * Step 7, report: one offline HTML page (plotly inlined) with the per-method metrics, equity curves, drawdowns,
 * gate weights and a price chart with levels and signals, plus the plain-text summary table for the terminal.
 * The page is written atomically and also stored under `reports/<run>/` in the objects store.
 * @module
 */
import type { Signal } from "@lib/core/mod.ts";
import type { BuiltDataset, SegmentSpec } from "@lib/dataset/mod.ts";
import type { BacktestResult } from "@lib/backtest/mod.ts";
import { levelColumns, SwingLevelModel, type TrendMetrics, trendMetrics } from "@lib/models/mod.ts";
import {
  DECISION_DATE_AXIS,
  fixed,
  lineFigure,
  priceFigure,
  renderHtml,
  type Report,
  type Table,
  textTable,
} from "@lib/report/mod.ts";
import { reportKey, type Stores } from "@lib/store/mod.ts";
import {
  bookText,
  costsText,
  riskLimitsText,
  type SegmentSource,
  systemAttribution,
  type SystemSpec,
  UNLIMITED_MOE,
  type WalkForwardResult,
} from "@lib/workflow/mod.ts";
import type { Progress } from "../progress.ts";
import { writeFileAtomic } from "../_atomic.ts";

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
  /** The segments line printed in the terminal (see {@link segmentsLine}). */
  segmentsLine: string;
  fit: WalkForwardResult;
  signals: Signal[];
  backtests: Map<string, BacktestResult>;
  timings: Map<string, number>;
}

/** One line naming the segments in use, how they were chosen, and the walk-forward mode. */
export function segmentsLine(s: SegmentSpec, source: SegmentSource, spec: SystemSpec): string {
  const wf = spec.walkForward.mode === "off"
    ? "one fit"
    : `walk-forward ${spec.walkForward.mode}, refit every ${spec.walkForward.refitEvery} sessions`;
  return `segments (${source === "dates" ? "your dates" : "by fractions"}): train ${s.train.join("..")}, ` +
    `validation ${s.valid.join("..")}, test ${
      s.test.join("..")
    } (purge ${s.purge}, embargo ${s.embargo}; ${wf})`;
}

/**
 * One line on the out-of-sample test actually predicted: its first and last session, sizes and refits; and,
 * given the backtests, the last sessions they could not score (a decision's traded return, open t+1 -> open t+2,
 * is not known for the data's last two sessions).
 */
export function testLine(
  fit: WalkForwardResult,
  backtests?: ReadonlyMap<string, Pick<BacktestResult, "dates">>,
): string {
  const days = [...new Set(fit.predictions.date)].sort();
  const n = fit.folds.length;
  const scored = backtests?.values().next().value?.dates;
  const last = scored?.length ? scored[scored.length - 1] : undefined;
  const unscored = last === undefined ? [] : days.filter((d) => d > last);
  return `out-of-sample test: ${days[0]}..${days[days.length - 1]} (${days.length} sessions, ` +
    `${fit.predictions.rows.length} rows; ${
      n > 1
        ? `${n} fits, one continuous test`
        : fit.mode === "off"
        ? "one fit"
        : "one fit: the test holds no more sessions than the walk-forward's refit interval"
    })` +
    (unscored.length
      ? `; backtests end ${last}: the traded return of the last ${
        unscored.length === 1 ? "session" : `${unscored.length} sessions`
      } ` +
        `(${unscored.join(", ")}) is not known by the end of the data`
      : "");
}

/** Trend metrics on the test rows of every base model and every ensemble, named as their strategies. */
export function testTrendMetrics(input: Pick<ReportInput, "ds" | "fit">): Map<string, TrendMetrics> {
  const { ds } = input, p = input.fit.predictions, rows = p.rows;
  const labels = Int8Array.from(rows, (i) => ds.labels.trend[i]);
  const ret = Float64Array.from(rows, (i) => ds.labels.fwdReturn[i]);
  const out = new Map<string, TrendMetrics>();
  for (const m of p.models) out.set(`model:${m.name}`, trendMetrics(m.probs, labels, ret, p.date));
  for (const e of p.ensembles) out.set(`ensemble:${e.name}`, trendMetrics(e.probs, labels, ret, p.date));
  return out;
}

/** The per-method table: trend metrics (where the method has class probabilities) and backtest metrics. */
export function methodsTable(
  metrics: Map<string, TrendMetrics>,
  backtests: Map<string, BacktestResult>,
  riskLimits = "",
  book = "",
  costs = "",
): Table {
  const names = [...new Set([...backtests.keys(), ...metrics.keys()])];
  return {
    caption:
      `Test segment: trend metrics and backtest (${book ? `book: ${book}; ` : ""}next-open fills, costs ${
        costs || "per side"
      }` +
      (riskLimits
        ? `; every book but "${UNLIMITED_MOE}", always-long included, under the risk limits: ${riskLimits})`
        : ")"),
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
      "exposure",
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
        b?.exposure ?? null,
      ];
    }),
  };
}

/** The folds (one row without walk-forward): which dates each fit saw and which slice of the test it predicted. */
export function windowsTable(fit: WalkForwardResult): Table {
  // the sessions each fold predicted (an embargo drops the first ones of its test segment), as testLine counts
  const days = [...new Set(fit.predictions.date)].sort();
  const predicted = (test: readonly string[]) => {
    const inside = days.filter((d) => d >= test[0] && d <= test[1]);
    return inside.length ? `${inside[0]}..${inside[inside.length - 1]}` : "none";
  };
  return {
    caption: "Windows of each fit: base models on 'fit' (early stopping on 'inner'), ensembles and gate on " +
      "'calibration'; each fit predicts only its test slice (its sessions with rows)",
    columns: ["fold", "fit", "inner", "calibration", "test slice", "test rows"],
    rows: fit.folds.map((f) => [
      f.fold + 1,
      f.windows.fit.join(".."),
      f.windows.inner?.join("..") ?? "none",
      f.windows.calibration.join(".."),
      predicted(f.segments.test),
      f.testRows,
    ]),
  };
}

/** Per-regime attribution of the MoE book: mean gate weight and P&L contribution per gate output. */
export function attributionTable(input: Pick<ReportInput, "ds" | "fit">): Table {
  const p = input.fit.predictions;
  const att = systemAttribution(
    p,
    input.fit.system.book(input.ds, p),
    input.fit.system.spec.portfolio.method,
  );
  return {
    caption:
      "By market regime (test): mean gate weight and P&L contribution of each gate output (each row's " +
      "gross P&L split over the experts in proportion to their contributions to its edge; abstain carries none)",
    columns: att.table.columns,
    rows: att.table.rows,
  };
}

function gateFigure(input: ReportInput) {
  const p = input.fit.predictions, K = p.gate.names.length;
  const byDate = new Map<string, { sum: number[]; n: number }>();
  p.date.forEach((d, i) => {
    let e = byDate.get(d);
    if (!e) byDate.set(d, e = { sum: new Array(K).fill(0), n: 0 });
    for (let k = 0; k < K; k++) e.sum[k] += p.gate.weights[i * K + k];
    e.n++;
  });
  const dates = [...byDate.keys()].sort();
  return lineFigure(
    "Mixture of experts: mean gate weight per day",
    p.gate.names.map((name, k) => ({
      name,
      x: dates,
      y: dates.map((d) => byDate.get(d)!.sum[k] / byDate.get(d)!.n),
    })),
    { yTitle: "gate weight" },
  );
}

function priceSection(input: ReportInput) {
  const { ds, signals } = input;
  const rows = input.fit.predictions.rows, sym = ds.symbol[rows[0]];
  const s = ds.series.get(sym)!;
  const mineRows = Array.from(rows).filter((r) => ds.symbol[r] === sym);
  const idx = mineRows.map((r) => ds.seriesIndex[r]);
  const a = Math.min(...idx), b = Math.max(...idx) + 1;
  const last = mineRows.reduce((x, r) => (ds.seriesIndex[r] > ds.seriesIndex[x] ? r : x), mineRows[0]);
  const lv = levelColumns(ds, Int32Array.of(last), new SwingLevelModel());
  const mine = signals.filter((x) => x.symbol === sym);
  const px = (d: string) => s.close[s.dates.indexOf(d)];
  return priceFigure({
    symbol: sym,
    levelsAsOf: ds.date[last],
    dates: s.dates.slice(a, b),
    open: s.open.slice(a, b),
    high: s.high.slice(a, b),
    low: s.low.slice(a, b),
    close: s.close.slice(a, b),
    supports: Number.isFinite(lv.support[0])
      ? [{ price: lv.support[0], strength: lv.supportStrength[0] }]
      : [],
    resistances: Number.isFinite(lv.resistance[0])
      ? [{ price: lv.resistance[0], strength: lv.resistanceStrength[0] }]
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
  const spec = input.fit.system.spec;
  const table = methodsTable(metrics, input.backtests, riskLimitsText(spec), bookText(spec), costsText(spec));
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
          `${input.segmentsLine}; ${
            testLine(input.fit, input.backtests)
          }. TensorFlow.js backend: ${input.fit.system.tfBackend}.`,
        ],
        tables: [table, windowsTable(input.fit)],
      },
      {
        title: "Equity and drawdown",
        figures: [
          lineFigure(
            "Equity curves (test segment)",
            bt.map(([name, r]) => ({ name, x: [...r.dates], y: r.equity })),
            { yTitle: "growth of 1", xTitle: DECISION_DATE_AXIS },
          ),
          lineFigure(
            "Drawdown: mixture of experts vs buy-and-hold",
            bt.filter(([n]) => n === "moe" || n === "buy-and-hold").map(([name, r]) => ({
              name,
              x: [...r.dates],
              y: r.drawdown,
            })),
            { yTitle: "drawdown from peak", yTickFormat: ".0%", fill: true, xTitle: DECISION_DATE_AXIS },
          ),
        ],
      },
      { title: "Mixture of experts", figures: [gateFigure(input)], tables: [attributionTable(input)] },
      { title: "Price, levels and signals", figures: [priceSection(input)] },
      { title: "Run", tables: [timing] },
    ],
  };
  const summary = input.segmentsLine + "\n" + testLine(input.fit, input.backtests) + "\n\n" +
    textTable(table) +
    (moeBt
      ? `\n\nmixture of experts: Sharpe ${fixed(moeBt.metrics.sharpe, 2)}, ann. return ${
        fixed(100 * moeBt.metrics.annReturn, 1, "%")
      }`
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
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) || "/" : ".";
  await Deno.mkdir(dir, { recursive: true });
  await writeFileAtomic(path, html); // nothing half-written is left behind
  await stores.objects.put(reportKey(run, "report.html"), html, { contentType: "text/html; charset=utf-8" });
  done?.();
}
