/**
 * Folder-private test fixture: stores holding what a production run leaves (registered versions with aliases,
 * runs, issued signals with provenance, health checks, a scorecard), written with the store's own converters.
 * @module
 */
import { closeTime, nextSession, type Signal } from "../core/mod.ts";
import { type Lineage, promoteVersion, registerVersion, setAlias } from "../models/mod.ts";
import {
  HEALTH,
  type ObjectStore,
  SCORECARD,
  SIGNAL_RUNS,
  SIGNALS,
  signalToRow,
  type TableStore,
} from "../store/mod.ts";

/** Registry name the fixture uses. */
export const MODEL = "system";
export const SYMBOLS = ["AAPL", "MSFT", "XOM"];
export const DATES = ["2018-02-05", "2018-02-06"];

function lineage(seed: number): Lineage {
  return {
    spec: { experts: ["trend", "level", "volatility"] },
    specHash: "1".repeat(64),
    configHash: "2".repeat(64),
    featureSet: { id: "default@1", hash: "0123456789abcdef" },
    windows: { train: ["2013-02-08", "2016-06-30"], calibration: ["2016-07-01", "2016-12-30"], test: null },
    data: { hash: "3".repeat(64), snapshot: [] },
    metrics: { validation: { ic: 0.01 + seed / 1000 }, test: {} },
    git: { sha: "f".repeat(40), dirty: false },
    tfBackend: "wasm",
    asOf: "2016-12-30",
    seed,
    createdAt: Date.UTC(2018, 0, 2 + seed),
  };
}

/** Issues the signals of one run (version, date) at `issuedAt`, as the production run stores them. */
export async function issueRun(
  tables: TableStore,
  version: string,
  date: string,
  issuedAt: number,
  tilt: number,
  symbols: string[] = SYMBOLS,
  source = "moe",
): Promise<Signal[]> {
  const asOf = closeTime(date);
  const signals: Signal[] = symbols.map((symbol, i) => {
    const score = tilt * (i - 1) / 2;
    return {
      symbol,
      date,
      action: score > 0.1 ? "buy" : score < -0.1 ? "sell" : "hold",
      size: Math.abs(score) > 0.1 ? score / 2 : 0,
      confidence: Math.min(1, Math.abs(score) / 0.5),
      contributions: [
        { expert: "trend", weight: 0.5, score, calibrated: [0.3 - score / 4, 0.4, 0.3 + score / 4] },
        { expert: "level", weight: 0.3, score: score / 2, calibrated: [score / 2] },
        { expert: "volatility", weight: 0.2, score: 0, calibrated: [0.0002] },
      ],
      source,
      knownAt: asOf,
      provenance: {
        modelVersion: version,
        asOf,
        featureHash: (i + 10).toString(16).repeat(64),
        issuedAt,
        sizing: {
          rawScore: score / 3,
          score,
          // the last name as a signal issued before the decision edge was recorded
          ...(i === 2 ? {} : { decisionEdge: score - 0.01 }),
          forecastVol: i === 2 ? NaN : 0.2 + i / 10,
          rule: { method: "topk-dropout", topK: 50, maxWeight: 0.25 },
          // the first name as sized under a drawdown brake and a VaR limit that bound
          ...(i === 0
            ? {
              brake: { engaged: false, drawdown: 0.031, sessions: 12 },
              varCap: { var: 0.0234, limit: 0.02, alpha: 0.01 },
            }
            : {}),
        },
      },
    };
  });
  await tables.upsert("signals", signals.map(signalToRow));
  await tables.upsert("signal_runs", [{
    model_version: version,
    as_of: date,
    source,
    for_date: nextSession(date),
    symbols: symbols.length,
    status: "ok",
    payload: "{}",
    issued_at: issuedAt,
    known_at: asOf,
  }]);
  return signals;
}

/** What the fixture wrote. */
export interface Fixture {
  v1: string;
  v2: string;
  /** Issue time of the first run of each date with v1, and of v2's run of the second date. */
  issued: { d0v1: number; d1v1: number; d1v2: number };
}

/** Fills the stores: v1 (champion at first) issues both dates, v2 (later the champion) re-issues the second. */
export async function fillStores(tables: TableStore, objects: ObjectStore): Promise<Fixture> {
  for (const s of [SIGNALS, SIGNAL_RUNS, HEALTH, SCORECARD]) await tables.ensureTable(s);
  const v1 = (await registerVersion(objects, MODEL, { "system.json": '{"v":1}' }, lineage(1))).version;
  const v2 = (await registerVersion(objects, MODEL, { "system.json": '{"v":2}' }, lineage(2))).version;
  await promoteVersion(objects, MODEL, v1, { now: Date.UTC(2018, 0, 5) });
  const issued = {
    d0v1: closeTime(DATES[0]) + 1_800_000,
    d1v1: closeTime(DATES[1]) + 1_800_000,
    d1v2: closeTime(DATES[1]) + 7_200_000,
  };
  await issueRun(tables, v1, DATES[0], issued.d0v1, 0.4);
  await issueRun(tables, v1, DATES[1], issued.d1v1, 0.6);
  await setAlias(objects, MODEL, "challenger", v2, { now: Date.UTC(2018, 1, 6) });
  await issueRun(tables, v2, DATES[1], issued.d1v2, -0.6, ["AAPL", "MSFT"]);
  await promoteVersion(objects, MODEL, v2, { now: issued.d1v2 });
  await tables.upsert("health", [
    {
      model_version: v1,
      as_of: DATES[1],
      kind: "psi",
      name: "ret_1",
      value: 0.04,
      warn: 0.1,
      fail: 0.25,
      status: "ok",
      known_at: issued.d1v1,
    },
    {
      model_version: v1,
      as_of: DATES[1],
      kind: "freshness",
      name: "*",
      value: 0,
      warn: 1,
      fail: 3,
      status: "ok",
      known_at: issued.d1v1,
    },
    {
      model_version: v2,
      as_of: DATES[1],
      kind: "psi",
      name: "ret_1",
      value: 0.3,
      warn: 0.1,
      fail: 0.25,
      status: "fail",
      known_at: issued.d1v2,
    },
  ]);
  await tables.upsert("scorecard", [
    {
      model_version: v1,
      source: "moe",
      date: DATES[0],
      n: 3,
      traded: 2,
      hits: 1,
      pnl: 0.001,
      ic: 0.5,
      known_at: closeTime("2018-02-07"),
    },
    {
      model_version: v1,
      source: "moe",
      date: DATES[1],
      n: 3,
      traded: 2,
      hits: 2,
      pnl: 0.003,
      ic: 1,
      // the book's columns: the first row stands for one scored before they were recorded
      book_pnl: 0.004,
      turnover: 0.5,
      benchmark: 0.002,
      known_at: closeTime("2018-02-08"),
    },
  ]);
  return { v1, v2, issued };
}
