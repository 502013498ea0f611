/**
 * Step 4, signal: the system's book over the test rows -> buy/sell/hold signals with target portfolio weights
 * and, per expert, its output and gate weight, written to the `signals` table (source `moe`, `model_version`
 * `""`); and the run's per-row model predictions (each base trend model's and each ensemble's class
 * probabilities, the volatility forecast) written to the `predictions` table.
 *
 * A research run replaces the research results of its symbols: afterwards the store holds exactly this run's
 * research signals and predictions for them (an earlier run's rows on other dates or of other models are
 * removed), however often it is re-run. Production signals (those with a model version) and other symbols are
 * never touched. The new rows are written first, each table in one all-or-nothing upsert, and only then are the
 * earlier rows the run did not produce deleted: a run that dies in between leaves its own results whole beside
 * some stale ones, which the next run removes; nothing of the new run is ever missing.
 * @module
 */
import type { Dataset } from "@lib/dataset/mod.ts";
import type { Prediction, Signal } from "@lib/core/mod.ts";
import {
  PREDICTIONS,
  predictionToRow,
  type Row,
  SIGNALS,
  signalToRow,
  type Stores,
  type TableQuery,
  type TableSchema,
  type TableStore,
} from "@lib/store/mod.ts";
import { bookSignals, type FittedSystem, type SystemPredictions } from "@lib/workflow/mod.ts";
import type { Progress } from "../progress.ts";

/** The `source` of a research run's signals (the gate's book). */
export const RESEARCH_SIGNAL_SOURCE = "moe";

/** Symbols and dates per store call when deleting stale rows (keeps every statement's parameters small). */
const CHUNK = 400;

type Where = NonNullable<TableQuery["where"]>;

/**
 * The system's signals of the predicted rows (its book), stored in the `signals` table, and the predictions
 * they came from, stored in the `predictions` table; each replacing the earlier research run's rows of the
 * run's symbols: those of the dataset and `requested` (a symbol asked for without bars in the range loses its
 * earlier research rows too).
 */
export async function signalStep(
  ds: Dataset,
  system: FittedSystem,
  pred: SystemPredictions,
  stores: Stores,
  progress?: Progress,
  requested: readonly string[] = [],
): Promise<Signal[]> {
  const done = progress?.start("signals (moe book)");
  const signals: Signal[] = bookSignals(pred, system.book(ds, pred).portfolio).map((
    { edge: _e, dailyVol: _v, ...s },
  ) => s);
  const signalRows = signals.map(signalToRow);
  const predictionRows = researchPredictions(pred, system.spec.experts.volatility).map(predictionToRow);
  const symbols = [...new Set([...ds.series.keys(), ...pred.symbol, ...requested])].sort();
  const t = stores.tables;
  for (const schema of [SIGNALS, PREDICTIONS]) await t.ensureTable(schema);
  // every new row first (each upsert is all or nothing), then what the run did not produce
  await t.upsert("signals", signalRows);
  await t.upsert("predictions", predictionRows);
  await deleteStale(t, SIGNALS, { source: RESEARCH_SIGNAL_SOURCE, model_version: "" }, symbols, signalRows);
  await deleteStale(t, PREDICTIONS, {}, symbols, predictionRows);
  done?.();
  return signals;
}

/**
 * The per-row predictions of a research run: each base trend model's class probabilities (model: its name),
 * each ensemble's (model `ensemble:<name>`), both `trend` predictions; and the volatility expert's forecast
 * daily variance of the next session (model `volModel`, `volatility`, horizon 1). Rows without finite values
 * (e.g. no volatility forecast for a symbol) are left out. The gate's combined edge is not a prediction kind
 * (it is a calibrated expected return, not class probabilities): it is what the `signals` rows act on.
 */
export function researchPredictions(pred: SystemPredictions, volModel: string): Prediction[] {
  const out: Prediction[] = [];
  const trend = [
    ...pred.models.map((m) => ({ model: m.name, probs: m.probs })),
    ...pred.ensembles.map((e) => ({ model: `ensemble:${e.name}`, probs: e.probs })),
  ];
  for (let i = 0; i < pred.rows.length; i++) {
    const base = { symbol: pred.symbol[i], date: pred.date[i], knownAt: pred.knownAt[i] };
    for (const { model, probs } of trend) {
      const p: [number, number, number] = [probs[3 * i], probs[3 * i + 1], probs[3 * i + 2]];
      if (p.every(Number.isFinite)) out.push({ ...base, model, kind: "trend", probs: p });
    }
    const variance = pred.forecastVar[i];
    if (Number.isFinite(variance) && variance >= 0) {
      out.push({
        ...base,
        model: volModel,
        kind: "volatility",
        horizon: 1,
        variance,
        annualizedVol: Math.sqrt(variance * 252),
      });
    }
  }
  return out;
}

/** A row's key as text (numbers as numbers, the rest as strings: the same whichever backend read it). */
const keyOf = (t: TableSchema, r: Row): string =>
  JSON.stringify(
    t.key.map((c) => (t.columns[c] === "int" || t.columns[c] === "real" ? Number(r[c]) : String(r[c]))),
  );

function chunks<T>(xs: readonly T[], n = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/**
 * Deletes the rows of `table` in `scope` for `symbols` whose key is not among `kept` (rows just written): rows
 * before or after the dates of `kept` by range, and, when the count says some are left in between, exactly
 * those by key. `table` is keyed by `symbol`, `date` and columns fixed per delete.
 */
async function deleteStale(
  t: TableStore,
  table: TableSchema,
  scope: Where,
  symbols: readonly string[],
  kept: readonly Row[],
): Promise<void> {
  const dates = kept.map((r) => String(r.date)).sort();
  for (const syms of chunks(symbols)) {
    const where: Where = { ...scope, symbol: syms };
    if (dates.length === 0) {
      await t.delete(table.name, where);
      continue;
    }
    const [lo, hi] = [dates[0], dates[dates.length - 1]];
    await t.delete(table.name, { ...where, date: { lt: lo } });
    await t.delete(table.name, { ...where, date: { gt: hi } });
    const inChunk = new Set(syms);
    const keep = new Set(kept.filter((r) => inChunk.has(String(r.symbol))).map((r) => keyOf(table, r)));
    const between = { ...where, date: { gte: lo, lte: hi } };
    // every kept row is stored (just written): more rows in the range means stale ones among them
    if ((await t.count(table.name, between)) === keep.size) continue;
    const stale = (await t.query(table.name, { where: between })).filter((r) => !keep.has(keyOf(table, r)));
    // the stale dates per (other key columns, symbol): one delete each (in chunks) matches exactly those keys
    const fixedCols = table.key.filter((c) => c !== "symbol" && c !== "date");
    const groups = new Map<
      string,
      { fixed: Record<string, string | number>; symbol: string; dates: string[] }
    >();
    for (const r of stale) {
      const k = JSON.stringify([fixedCols.map((c) => r[c]), r.symbol]);
      const fixed = Object.fromEntries(fixedCols.map((c) => [c, r[c] as string | number]));
      const g = groups.get(k) ?? { fixed, symbol: String(r.symbol), dates: [] };
      g.dates.push(String(r.date));
      groups.set(k, g);
    }
    for (const g of groups.values()) {
      for (const d of chunks(g.dates)) {
        await t.delete(table.name, { ...scope, ...g.fixed, symbol: g.symbol, date: d });
      }
    }
  }
}
