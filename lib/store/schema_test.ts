import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { closeTime, DataValidationError } from "../core/mod.ts";
import type { Bar, CorporateAction, Prediction, Signal } from "../core/mod.ts";
import {
  actionToRow,
  ALL_SCHEMAS,
  BARS,
  barToRow,
  memberToRow,
  predictionToRow,
  rowToAction,
  rowToBar,
  rowToMember,
  rowToPrediction,
  rowToSignal,
  SIGNALS,
  signalToRow,
  UNIVERSE_MEMBERSHIP,
} from "./schema.ts";
import { checkSchema, validateRows } from "./_validate.ts";
import { openSqliteTables } from "./sqlite_tables.ts";

Deno.test("schema: every table schema is valid, named as documented, and converters' rows validate", async () => {
  deepEqual(ALL_SCHEMAS.map((s) => s.name), [
    "bars",
    "corporate_actions",
    "statistics",
    "calendar_events",
    "predictions",
    "signals",
    "options",
    "signal_runs",
    "health",
    "scorecard",
    "universe_membership",
  ]);
  for (const s of ALL_SCHEMAS) checkSchema(s);
  deepEqual(BARS.key, ["symbol", "date"]);
  ok(BARS.indexes?.some((i) => i[0] === "date"));
  const t = await openSqliteTables(":memory:");
  for (const s of ALL_SCHEMAS) await t.ensureTable(s);
  await t.close();
});

const KNOWN = closeTime("2024-01-02");

Deno.test("schema: bars, actions, signals and predictions roundtrip through rows and SQLite", async () => {
  const bars: Bar[] = [
    {
      symbol: "AAPL",
      date: "2024-01-02",
      open: 187.15,
      high: 188.44,
      low: 183.89,
      close: 185.64,
      adjClose: 184.94,
      volume: 82488700,
      knownAt: KNOWN,
    },
    {
      symbol: "BHF",
      date: "2017-07-26",
      open: NaN,
      high: NaN,
      low: NaN,
      close: 69.0842,
      adjClose: 69.0842,
      volume: 3,
      knownAt: KNOWN,
    },
  ];
  const actions: CorporateAction[] = [
    { symbol: "AAPL", date: "2020-08-31", kind: "split", value: 4, knownAt: KNOWN },
    { symbol: "AAPL", date: "2024-02-09", kind: "dividend", value: 0.24, knownAt: KNOWN },
  ];
  const signals: Signal[] = [{
    symbol: "AAPL",
    date: "2024-01-02",
    action: "buy",
    size: 0.5,
    confidence: 0.7,
    contributions: [{ expert: "trend", weight: 0.6, score: 0.4 }, {
      expert: "levels",
      weight: 0.4,
      score: -0.1,
    }],
    source: "moe",
    knownAt: KNOWN,
  }];
  const preds: Prediction[] = [
    {
      kind: "trend",
      model: "logistic",
      symbol: "AAPL",
      date: "2024-01-02",
      probs: [0.2, 0.3, 0.5],
      knownAt: KNOWN,
    },
    {
      kind: "levels",
      model: "pivots",
      symbol: "AAPL",
      date: "2024-01-02",
      close: 185.64,
      supports: [{ price: 180, strength: 0.8 }],
      resistances: [{ price: 190, strength: 0.5 }],
      knownAt: KNOWN,
    },
    {
      kind: "volatility",
      model: "garch11",
      symbol: "AAPL",
      date: "2024-01-02",
      horizon: 5,
      variance: 0.0002,
      annualizedVol: Math.sqrt(0.0002 * 252),
      knownAt: KNOWN,
    },
  ];
  const t = await openSqliteTables(":memory:");
  for (const s of ALL_SCHEMAS) await t.ensureTable(s);
  await t.upsert("bars", bars.map(barToRow));
  await t.upsert("corporate_actions", actions.map(actionToRow));
  await t.upsert("signals", signals.map(signalToRow));
  await t.upsert("predictions", preds.map(predictionToRow));
  deepEqual((await t.query("bars", { orderBy: ["symbol"] })).map(rowToBar), bars);
  equal((await t.query("bars", { where: { symbol: "BHF" } }))[0].open, null);
  deepEqual((await t.query("corporate_actions", { orderBy: ["date"] })).map(rowToAction), actions);
  deepEqual((await t.query("signals")).map(rowToSignal), signals);
  const got = (await t.query("predictions", { orderBy: ["kind"] })).map(rowToPrediction);
  deepEqual(got, preds.slice().sort((a, b) => a.kind.localeCompare(b.kind)));
  await t.close();
  throws(() => rowToAction({ ...actionToRow(actions[0]), kind: "merger" }), DataValidationError);
  throws(() => rowToPrediction({ ...predictionToRow(preds[0]), payload: "{" }), DataValidationError);
  throws(() => validateRows(BARS, [barToRow({ ...bars[0], knownAt: NaN })]), DataValidationError);
});

Deno.test("schema: option quotes round-trip through an options row (NaN IV <-> NULL)", async () => {
  const { OPTIONS, optionToRow, rowToOption } = await import("./schema.ts");
  const q = {
    symbol: "AAPL",
    contract: "AAPL250228C00100000",
    expiry: "2025-02-28",
    strike: 100,
    right: "call" as const,
    bid: 1.5,
    ask: 1.7,
    last: 1.6,
    volume: 10,
    openInterest: 20,
    impliedVolatility: NaN,
    knownAt: Date.UTC(2025, 1, 24, 14, 0),
  };
  const row = optionToRow(q);
  equal(row.date, "2025-02-24");
  equal(row.implied_vol, null);
  validateRows(OPTIONS, [row]);
  const back = rowToOption(row);
  deepEqual({ ...back, impliedVolatility: 0 }, { ...q, impliedVolatility: 0 });
  ok(Number.isNaN(back.impliedVolatility));
});

Deno.test("schema: an issued signal's provenance round-trips; a new model version adds a row", async () => {
  const issued: Signal = {
    symbol: "AAPL",
    date: "2024-01-02",
    action: "sell",
    size: -0.25,
    confidence: 0.4,
    contributions: [
      { expert: "trend", weight: 0.7, score: -0.3, calibrated: [0.5, 0.3, 0.2] },
      { expert: "volatility", weight: 0.3, score: 0, calibrated: [0.00012] },
    ],
    source: "moe",
    knownAt: KNOWN,
    provenance: {
      modelVersion: "2024-01-02.0123456789",
      asOf: KNOWN,
      featureHash: "ab".repeat(32),
      issuedAt: KNOWN + 3_600_000,
      sizing: {
        rawScore: -0.1,
        score: -0.2,
        forecastVol: NaN,
        rule: { method: "topk-dropout", topK: 50, maxWeight: 0.25 },
      },
    },
  };
  const t = await openSqliteTables(":memory:");
  await t.ensureTable(SIGNALS);
  await t.upsert("signals", [signalToRow(issued)]);
  const next = { ...issued, provenance: { ...issued.provenance!, modelVersion: "2024-01-03.aaaaaaaaaa" } };
  deepEqual(await t.upsert("signals", [signalToRow(next)]), { inserted: 1, updated: 0 });
  // a name the system could not trade keeps the reason
  const held: Signal = {
    ...issued,
    symbol: "IWM",
    action: "hold",
    size: 0,
    confidence: 0,
    provenance: {
      ...issued.provenance!,
      sizing: {
        ...issued.provenance!.sizing,
        untradable: "no volatility forecast: IWM is not in the fitted model",
      },
    },
  };
  await t.upsert("signals", [signalToRow(held)]);
  // a book sized under a drawdown brake keeps the paper account's state
  const braked: Signal = {
    ...issued,
    symbol: "QQQ",
    provenance: {
      ...issued.provenance!,
      sizing: {
        ...issued.provenance!.sizing,
        brake: { engaged: true, drawdown: 0.0612, sessions: 30 },
        // and under a VaR limit what the limit saw
        varCap: { var: 0.0231, limit: 0.02, alpha: 0.01 },
      },
    },
  };
  await t.upsert("signals", [signalToRow(braked)]);
  const back = (await t.query("signals", { orderBy: ["model_version", "symbol"] })).map(rowToSignal);
  deepEqual(back, [issued, held, braked, next]);
  equal(back[0].provenance!.sizing.untradable, undefined, "absent when traded");
  equal(back[0].provenance!.sizing.brake, undefined, "absent without a brake");
  equal(back[0].provenance!.sizing.varCap, undefined, "absent without a VaR limit");
  await t.close();
});

Deno.test("schema: a store made with the old signals key (source, symbol, date) is migrated, rows kept", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/old.db`;
    // the schema before model_version and the provenance columns: the first columns, the old key
    const oldColumns = ["source", "symbol", "date", "action", "size", "confidence", "payload", "known_at"];
    let t = await openSqliteTables(file);
    await t.ensureTable({
      name: "signals",
      columns: Object.fromEntries(oldColumns.map((c) => [c, SIGNALS.columns[c]])),
      key: ["source", "symbol", "date"],
      indexes: [["symbol", "date"], ["date"]],
    });
    const legacy = {
      source: "moe",
      symbol: "AAPL",
      date: "2024-01-02",
      action: "buy",
      size: 0.5,
      confidence: 0.7,
      payload: "[]",
      known_at: KNOWN,
    };
    await t.upsert("signals", [legacy]);
    await t.close();
    t = await openSqliteTables(file);
    await t.ensureTable(SIGNALS);
    const rows = await t.query("signals", { where: { source: "moe", symbol: "AAPL", date: "2024-01-02" } });
    equal(rows.length, 1);
    equal(rows[0].model_version, "");
    deepEqual(rowToSignal(rows[0]), rowToSignal(legacy));
    await t.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
Deno.test("schema: universe membership spells roundtrip (an open spell's to_date is NULL)", async () => {
  const t = await openSqliteTables(":memory:");
  await t.ensureTable(UNIVERSE_MEMBERSHIP);
  const spells = [
    { universe: "sp500", symbol: "AAPL", from: "1982-11-30", to: null, knownAt: closeTime("1982-11-29") },
    {
      universe: "sp500",
      symbol: "LEH",
      from: "1994-05-31",
      to: "2008-09-16",
      knownAt: closeTime("1994-05-27"),
    },
  ];
  await t.upsert("universe_membership", spells.map(memberToRow));
  const back = (await t.query("universe_membership", { orderBy: ["symbol"] })).map(rowToMember);
  deepEqual(back, spells);
  await t.close();
});
