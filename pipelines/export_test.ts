/**
 * `deno task export` and `store:copy` through a Parquet folder: round trips give identical rows and checksums
 * (embedded here; the real servers under `deno task test:integration`), the files are standard Parquet (read
 * back by pyarrow and pandas from `bench/peers/.venv` when it is there), bad input is refused before any work.
 */
import { fileURLToPath } from "node:url";
import { programStderr } from "../scripts/_test_process.ts";
import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  addDays,
  ConfigError,
  DataValidationError,
  InputError,
  type Prediction,
  type Signal,
} from "@lib/core/mod.ts";
import { featureWarmup } from "@lib/features/mod.ts";
import { tableFrameSchema } from "@lib/frames/mod.ts";
import { lexiconScorer, NEWS_SCORES_COLLECTION, type SentimentScorer } from "@lib/models/mod.ts";
import { createSyntheticMarket, csvSourceFor } from "@lib/sources/mod.ts";
import {
  ALL_SCHEMAS,
  openEmbeddedStores,
  openStores,
  predictionToRow,
  signalToRow,
  type Stores,
} from "@lib/store/mod.ts";
import { collect } from "./steps/collect.ts";
import { OWN_MARKET_NOTE } from "./steps/market.ts";
import { datasetStep, PIPELINE_FEATURE_SET } from "./steps/dataset.ts";
import { loadConfig, segmentChoice, specFromConfig } from "./config.ts";
import { NEWS_COLLECTION } from "./collect/mod.ts";
import {
  EXPORT_USAGE,
  type ExportFilter,
  frameChecksum,
  parseExportArgs,
  readManifest,
  readParquetTables,
  runExport,
  tableFrame,
} from "./export.ts";
import { copyFromParquet, copyToParquet } from "./store_copy.ts";
import { storeConfigFor } from "./stores.ts";
import { runPipeline } from "./run.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** Embedded stores with bars and news of a synthetic market, signals and predictions of every kind. */
async function seeded(dir: string, prefix = "SYN"): Promise<Stores> {
  const stores = openEmbeddedStores(dir);
  const m = createSyntheticMarket({
    seed: 5,
    symbols: 3,
    sessions: 140,
    newsRate: 0.3,
    symbolPrefix: prefix,
  });
  await collect(m, stores, { symbols: m.symbols, from: m.dates[0], to: m.dates[m.dates.length - 1] });
  const signals: Signal[] = [], preds: Prediction[] = [];
  m.dates.slice(-20).forEach((date, i) => {
    for (const symbol of m.symbols) {
      const knownAt = Date.parse(`${date}T21:00:00Z`);
      signals.push({
        source: "moe",
        symbol,
        date,
        action: i % 3 === 0 ? "buy" : "hold",
        size: i % 3 === 0 ? 0.25 + i / 100 : 0,
        confidence: 0.5 + i / 97,
        contributions: [{ expert: "trend", weight: 0.6, score: 0.1 * i }, {
          expert: "levels",
          weight: 0.4,
          score: -0.3,
        }],
        knownAt,
      });
      const base = { model: "m1", symbol, date, knownAt };
      preds.push({ ...base, kind: "trend", probs: [0.2, 0.3, 0.5] });
      preds.push({
        ...base,
        kind: "volatility",
        horizon: 5,
        variance: 1.1e-4 * (i + 1),
        annualizedVol: 0.17,
      });
      preds.push({
        ...base,
        kind: "levels",
        close: 100 + i,
        supports: [{ price: 98.5, strength: 0.4 }],
        resistances: [],
      });
    }
  });
  await stores.tables.upsert("signals", signals.map(signalToRow));
  await stores.tables.upsert("predictions", preds.map(predictionToRow));
  return stores;
}

/** Each table's checksum and row count (rows in key order). */
async function sums(s: Stores, filter: ExportFilter = {}) {
  const out: Record<string, [number, string]> = {};
  for (const t of ALL_SCHEMAS) {
    const df = await tableFrame(s, t, filter);
    out[t.name] = [df.height, frameChecksum(df, tableFrameSchema(t))];
  }
  return out;
}

const args = (dir: string, what: string, format = "parquet") =>
  parseExportArgs(["--what", what, "--format", format, "--out", dir]);

/**
 * `deno run pipelines/export.ts ...flags` (in `cwd`), without the store servers' settings: their secrets (the local
 * default password is "fmai") would be redacted from the messages (as they should be), which are compared whole.
 */
function exportCli(flags: string[], cwd?: string): Promise<Deno.CommandOutput> {
  const env = Object.fromEntries(
    Object.entries(Deno.env.toObject()).filter(([k]) => !k.startsWith("FMAI_") && !k.startsWith("AWS_")),
  );
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}pipelines/export.ts`, ...flags],
    env,
    clearEnv: true,
    ...(cwd ? { cwd } : {}),
    stdout: "piped",
    stderr: "piped",
  }).output();
}

Deno.test("export -> store:copy back: identical rows and checksums (embedded); a re-run adds nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-export-" });
  const a = await seeded(`${dir}/a`), b = openEmbeddedStores(`${dir}/b`);
  try {
    const entries = await runExport(args(`${dir}/out`, "bars,signals,predictions"), a);
    deepEqual(Object.keys(entries).sort(), ["bars", "predictions", "signals"]);
    const want = await sums(a);
    for (const name of ["bars", "signals", "predictions"]) {
      equal(entries[name].rows, want[name][0], name);
      equal(entries[name].sha256, want[name][1], name);
      ok(want[name][0] > 0, name);
    }
    equal(entries.bars.knownAt?.min.endsWith("Z"), true);
    await copyFromParquet(`${dir}/out`, b);
    await copyFromParquet(`${dir}/out`, b);
    const got = await sums(b);
    for (const name of ["bars", "signals", "predictions"]) deepEqual(got[name], want[name], name);
    for (const t of ["bars", "signals", "predictions"]) {
      deepEqual(
        await b.tables.query(t, { orderBy: ALL_SCHEMAS.find((s) => s.name === t)!.key }),
        await a.tables.query(t, { orderBy: ALL_SCHEMAS.find((s) => s.name === t)!.key }),
      );
    }
  } finally {
    await a.close();
    await b.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("store:copy to parquet:DIR and back copies every table; a tampered file is refused before any write", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-export-" });
  const a = await seeded(`${dir}/a`), b = openEmbeddedStores(`${dir}/b`);
  try {
    const lines: string[] = [];
    await copyToParquet(a, `${dir}/pq`, (s) => lines.push(s));
    ok(
      lines.some((l) => /not copied \(a Parquet folder holds tables only\): \d+ news documents/.test(l)),
      lines.join("\n"),
    );
    const m = await readManifest(`${dir}/pq`);
    deepEqual(Object.keys(m.files).sort(), ALL_SCHEMAS.map((t) => `${t.name}.parquet`).sort());
    await copyFromParquet(`${dir}/pq`, b);
    deepEqual(await sums(b), await sums(a));

    // a file that no longer matches its manifest: nothing is written
    const c = openEmbeddedStores(`${dir}/c`);
    try {
      m.files["signals.parquet"].sha256 = "0".repeat(64);
      await Deno.writeTextFile(`${dir}/pq/manifest.json`, JSON.stringify(m));
      await rejects(
        () => copyFromParquet(`${dir}/pq`, c),
        (e) =>
          e instanceof DataValidationError && /signals\.parquet: does not match manifest/.test(e.message),
      );
      await c.tables.ensureTable(ALL_SCHEMAS[0]);
      equal(await c.tables.count("bars"), 0);
    } finally {
      await c.close();
    }
    await rejects(() => readParquetTables(`${dir}/nope`), ConfigError);
  } finally {
    await a.close();
    await b.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("export in both formats: the manifest lists each file (keyed by file name), store:copy reads every Parquet one; a version 1 manifest is still read", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-export-" });
  const a = await seeded(`${dir}/a`), b = openEmbeddedStores(`${dir}/b`), c = openEmbeddedStores(`${dir}/c`);
  try {
    const out = `${dir}/out`;
    // bars as Parquet, then bars and signals as CSV: the CSV export dropped bars.parquet from the manifest
    // (keyed by kind), and store:copy then refused the folder as holding no Parquet file of a store table
    await runExport(args(out, "bars"), a);
    await runExport(args(out, "bars,signals", "csv"), a);
    const m = await readManifest(out);
    equal(m.format, "fmai-export/2");
    deepEqual(Object.keys(m.files), ["bars.csv", "bars.parquet", "signals.csv"]);
    for (const [f, e] of Object.entries(m.files)) equal(e.file, f);
    const lines: string[] = [];
    await copyFromParquet(out, b, (s) => lines.push(s));
    deepEqual((await sums(b)).bars, (await sums(a)).bars);
    ok(lines.includes("skipped bars.csv (csv is written for other tools, not read back)"), lines.join("\n"));
    // a folder written before (version 1, keyed by kind): read, and an export there keeps its entries
    const v1 = `${dir}/v1`;
    await Deno.mkdir(v1);
    await Deno.copyFile(`${out}/bars.parquet`, `${v1}/bars.parquet`);
    await Deno.copyFile(`${out}/bars.csv`, `${v1}/bars.csv`);
    const old = { format: "fmai-export/1", files: { bars: m.files["bars.parquet"] } };
    await Deno.writeTextFile(`${v1}/manifest.json`, JSON.stringify(old));
    deepEqual(Object.keys((await readManifest(v1)).files), ["bars.parquet"]);
    deepEqual((await readParquetTables(v1)).tables.map((t) => t.table.name), ["bars"]);
    await runExport(args(v1, "signals"), a);
    deepEqual(Object.keys((await readManifest(v1)).files), ["bars.parquet", "signals.parquet"]);
    // a version 1 manifest that lost bars.parquet to a CSV export: the unlisted file is named, not left out
    // without a word (it cannot be checked against the manifest, so it is not read)
    old.files.bars = m.files["bars.csv"];
    await Deno.remove(`${v1}/signals.parquet`);
    await Deno.writeTextFile(`${v1}/manifest.json`, JSON.stringify(old));
    await rejects(
      () => copyFromParquet(v1, c),
      (e) =>
        e instanceof ConfigError &&
        e.message === `${v1} holds no Parquet file of a store table listed in its manifest.json ` +
            `(bars.parquet not listed: export again)`,
    );
    equal(await c.tables.hasTable("bars"), false, "nothing written");
  } finally {
    await a.close();
    await b.close();
    await c.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("export of the feature table and CSV: point-in-time column kept, features of the dataset step", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-export-" });
  const a = await seeded(`${dir}/a`);
  try {
    const e = await runExport(
      parseExportArgs(["--what", "features", "--out", `${dir}/o`, "--symbols", "SYN00,SYN01"]),
      a,
    );
    ok(e.features.rows > 100, String(e.features.rows));
    deepEqual(e.features.columns.slice(0, 3), [["symbol", "str"], ["date", "date"], [
      "known_at",
      "datetime",
    ]]);
    ok(e.features.columns.some(([c]) => c === "rsi_14"));
    ok(e.features.featureSet?.startsWith("fmai-alpha@1"), e.features.featureSet);
    // whose scores news_sent_* hold: the run's scorer (the lexicon unless a language model is installed)
    ok(/^(lexicon@|finsent-)/.test(e.features.newsScorer ?? ""), e.features.newsScorer);
    equal(
      JSON.parse(await Deno.readTextFile(`${dir}/o/manifest.json`)).files["features.parquet"].newsScorer,
      e.features.newsScorer,
    );
    // not a store table: store:copy from this folder skips it, and says so
    const { skipped } = await readParquetTables(`${dir}/o`).catch((err) => ({ skipped: [String(err)] }));
    ok(skipped.some((s) => /features\.parquet|no Parquet file of a store table/.test(s)), skipped.join());
    const csv = await runExport(args(`${dir}/c`, "bars", "csv"), a);
    const text = await Deno.readTextFile(`${dir}/c/${csv.bars.file}`);
    const lines = text.trim().split("\n");
    equal(lines[0], "symbol,date,open,high,low,close,adj_close,volume,known_at");
    equal(lines.length - 1, csv.bars.rows);
    ok(/^SYN00,\d{4}-\d{2}-\d{2},/.test(lines[1]), lines[1]);
    ok((await readParquetTables(`${dir}/c`).catch((err) => err)) instanceof ConfigError);
    // a store that holds bars only (e.g. filled by scripts/ingest_bars.ts): no corporate actions table yet
    const b = openEmbeddedStores(`${dir}/b`);
    try {
      await b.tables.ensureTable(ALL_SCHEMAS[0]);
      await b.tables.upsert("bars", await a.tables.query("bars"));
      const f = await runExport(parseExportArgs(["--what", "features", "--out", `${dir}/f`]), b);
      const all = await runExport(parseExportArgs(["--what", "features", "--out", `${dir}/g`]), a);
      equal(f.features.rows, all.features.rows);
    } finally {
      await b.close();
    }
  } finally {
    await a.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("export flags: a bad kind, format, date or a missing flag is a one-line error with exit code 2", async () => {
  throws(
    () => parseExportArgs(["--what", "bar", "--out", "x"]),
    /--what: unknown "bar" \(bars, features, signals, predictions\)/,
  );
  throws(
    () => parseExportArgs(["--what", "bars", "--out", "x", "--format", "xlsx"]),
    /--format: unknown "xlsx"/,
  );
  throws(
    () => parseExportArgs(["--what", "bars", "--out", "x", "--from", "2020-1-1"]),
    /^ConfigError: --from: expected a date YYYY-MM-DD, got "2020-1-1"$/,
  );
  // a real calendar date, worded as every date flag words it (isoDateOf), and symbols by the one symbol pattern
  for (const d of ["2019-02-30", "2021-13-01", "2019-01-02 ", "0001-01-01"]) {
    throws(
      () => parseExportArgs(["--what", "bars", "--out", "x", "--to", d]),
      (e) => e instanceof ConfigError && e.message === `--to: expected a date YYYY-MM-DD, got "${d}"`,
      d,
    );
  }
  // from year 1000 on: the stores hold no earlier date (a query by one was an internal error)
  throws(
    () => parseExportArgs(["--what", "bars", "--out", "x", "--from", "0999-12-31"]),
    (e) =>
      e instanceof ConfigError &&
      e.message ===
        "--from: expected a date YYYY-MM-DD from year 1000 on (the stores hold no earlier one), " +
          'got "0999-12-31"',
  );
  equal(parseExportArgs(["--what", "bars", "--out", "x", "--from", "2020-02-29"]).filter.from, "2020-02-29");
  // symbols as stored (upper case), none twice in any case
  const up = parseExportArgs(["--what", "bars", "--out", "x", "--symbols", "syn00,^gspc"]);
  deepEqual(up.filter.symbols, ["SYN00", "^GSPC"]);
  deepEqual(up.upperCased, ["syn00 is SYN00", "^gspc is ^GSPC"], "said, as collect and the pipeline say it");
  throws(
    () => parseExportArgs(["--what", "bars", "--out", "x", "--symbols", "SYN00,syn00"]),
    (e) => e instanceof ConfigError && e.message === "--symbols: SYN00 and syn00 are the same symbol",
  );
  throws(
    () => parseExportArgs(["--what", "bars", "--out", "x", "--symbols", "SP Y;drop"]),
    (e) => e instanceof InputError && /^--symbols: "SP Y;drop" is not a symbol/.test(e.message),
  );
  throws(() => parseExportArgs(["--what", "bars", "--out", "x", "--symbols", " , "]), InputError);
  throws(
    () => parseExportArgs(["--what", "bars", "--out", "x", "--from", "2021-01-01", "--to", "2020-01-01"]),
    /after --to/,
  );
  throws(() => parseExportArgs(["--what", "bars"]), /usage: deno task export/);
  // --format is optional (parquet when not given): the usage showed it among the required flags
  ok(EXPORT_USAGE.split("\n")[0].endsWith("--out DIR [--format parquet|csv]"), EXPORT_USAGE);
  ok(/--format: parquet when not given/.test(EXPORT_USAGE), EXPORT_USAGE);
  equal(parseExportArgs(["--what", "bars", "--out", "x"]).format, "parquet");
  throws(
    () => parseExportArgs(["--what", "bars", "--out", "x", "--stores", "mongo"]),
    /unknown store backend mongo/,
  );
  // a kind given twice is refused, as --stores refuses a backend given twice (it was collapsed without a word)
  throws(
    () => parseExportArgs(["--what", "bars,signals,bars", "--out", "x", "--symbols", "A,B"]),
    (e) => e instanceof ConfigError && e.message === '--what: bars is given twice (in "bars,signals,bars")',
  );
  // no kind at all: refused (it wrote a manifest of no file and exited 0)
  throws(
    () => parseExportArgs(["--what", ",", "--out", "x"]),
    (e) => e instanceof ConfigError && e.message.startsWith('--what: no kind named in ","'),
  );
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}pipelines/export.ts`, "--what", "quotes", "--out", "/tmp/never"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  equal(r.code, 2);
  const err = programStderr(r.stderr);
  equal(err.split("\n").length, 1, err);
  ok(err.startsWith("error: --what: unknown"), err);
});

Deno.test("export: a run stopped while renaming its files into place leaves no manifest.json, which store:copy refuses; a re-run finishes it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-export-" });
  const a = await seeded(`${dir}/a`);
  try {
    const out = `${dir}/out`;
    await runExport(args(out, "bars,signals,predictions"), a);
    await runExport(args(out, "bars", "csv"), a);
    const old = await readManifest(out), oldBars = await Deno.readFile(`${out}/bars.parquet`);
    // signals.parquet cannot be replaced (a folder has its name): the run stops after bars.parquet was renamed into
    // place, as a killed one would (the new bars.parquet was left beside the old manifest.json)
    await Deno.remove(`${out}/signals.parquet`);
    await Deno.mkdir(`${out}/signals.parquet/x`, { recursive: true });
    const narrower = parseExportArgs(["--what", "bars,signals", "--out", out, "--symbols", "SYN00"]);
    await rejects(() => runExport(narrower, a));
    const names = async () => (await Array.fromAsync(Deno.readDir(out))).map((f) => f.name).sort();
    deepEqual(await names(), [
      ".fmai-export.lock",
      "bars.csv",
      "bars.parquet",
      "manifest.json.partial",
      "predictions.parquet",
      "signals.parquet",
    ]);
    ok(
      !(await Deno.readFile(`${out}/bars.parquet`)).every((b, i) => b === oldBars[i]),
      "bars.parquet is the new one",
    );
    // the partial manifest lists the files the run does not replace
    deepEqual(Object.keys(JSON.parse(await Deno.readTextFile(`${out}/manifest.json.partial`)).files), [
      "bars.csv",
      "predictions.parquet",
    ]);
    // the folder is refused in one line that says what to do (store:copy: exit 2, the target not created)
    const refusal = `${out}: no manifest.json (manifest.json.partial left: an export into it stopped while ` +
      `replacing its files): run the export again`;
    await rejects(
      () => readParquetTables(out),
      (e) => e instanceof DataValidationError && e.message === refusal,
    );
    const r = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        `${ROOT}pipelines/store_copy.ts`,
        "--from",
        `parquet:${out}`,
        "--to",
        `embedded:${dir}/c`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    equal(r.code, 2);
    equal(programStderr(r.stderr), `error: ${refusal}`);
    await rejects(() => Deno.stat(`${dir}/c`), Deno.errors.NotFound);
    // a re-run finishes it: every file listed and checked, the other files' entries kept
    await Deno.remove(`${out}/signals.parquet`, { recursive: true });
    await runExport(narrower, a);
    deepEqual(await names(), [
      ".fmai-export.lock",
      "bars.csv",
      "bars.parquet",
      "manifest.json",
      "predictions.parquet",
      "signals.parquet",
    ]);
    const m = await readManifest(out);
    deepEqual(Object.keys(m.files), ["bars.csv", "bars.parquet", "predictions.parquet", "signals.parquet"]);
    for (const f of ["bars.csv", "predictions.parquet"]) deepEqual(m.files[f], old.files[f], f);
    equal(m.files["bars.parquet"].rows, await a.tables.count("bars", { symbol: "SYN00" }));
    const { tables } = await readParquetTables(out);
    deepEqual(tables.map((t) => t.table.name), ["bars", "predictions", "signals"]);
  } finally {
    await a.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/** Every file of a folder with its bytes (empty when the folder is absent). */
Deno.test("export: a run that fails while writing its files leaves the previous files and manifest as they were", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-export-" });
  const a = await seeded(`${dir}/a`);
  try {
    const out = `${dir}/out`;
    await runExport(args(out, "bars,signals,predictions"), a);
    const before = await filesOf(out);
    // the third file cannot be written (its temporary name is taken by a folder): the run fails after the first two
    // files were encoded; each used to be renamed into place as soon as it was written
    await Deno.mkdir(`${out}/signals.parquet.tmp-${Deno.pid}/x`, { recursive: true });
    const narrower = parseExportArgs([
      ...["--what", "bars,predictions,signals", "--format", "parquet", "--out", out, "--symbols", "SYN00"],
    ]);
    await rejects(() => runExport(narrower, a));
    await Deno.remove(`${out}/signals.parquet.tmp-${Deno.pid}`, { recursive: true });
    deepEqual(await filesOf(out), before, "the previous export, whole; no temporary file left");
    // a re-run writes this run's files and manifest
    await runExport(narrower, a);
    equal(
      (await readManifest(out)).files["bars.parquet"].rows,
      await a.tables.count("bars", { symbol: "SYN00" }),
    );
    // a folder whose manifest is unreadable is refused before any of its files is replaced (bars.parquet was;
    // files of null or a list passed the shape check and failed after the rename with an internal error)
    for (const text of ['{"format":"other"}', '{"format":"fmai-export/1","files":null}', "null", "[]"]) {
      await Deno.writeTextFile(`${out}/manifest.json`, text);
      const held = await filesOf(out);
      await rejects(
        () => runExport(args(out, "bars"), a),
        /^DataValidationError: .*manifest.json: unreadable manifest/,
        text,
      );
      deepEqual(await filesOf(out), held, `nothing replaced (${text})`);
    }
    await Deno.remove(`${out}/manifest.json`);
    // one writer at a time: an export into a folder another one is writing waits for it (a second export
    // removed the first's staged files, which then failed to be renamed)
    const lock = await Deno.open(`${out}/.fmai-export.lock`, { write: true });
    await lock.lock(true);
    let done = false;
    const waiting = runExport(args(out, "bars"), a).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 500));
    equal(done, false, "waits for the lock");
    equal((await Array.fromAsync(Deno.readDir(out))).some((f) => f.name.includes(".tmp-")), false);
    lock.close();
    await waiting;
    equal((await readManifest(out)).files["bars.parquet"].rows, await a.tables.count("bars"));
  } finally {
    await a.close();
    await Deno.remove(dir, { recursive: true });
  }
});

async function filesOf(dir: string): Promise<Record<string, Uint8Array>> {
  const out: Record<string, Uint8Array> = {};
  try {
    for await (const f of Deno.readDir(dir)) out[f.name] = await Deno.readFile(`${dir}/${f.name}`);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out;
}

Deno.test("export: a bad config file, a symbol the store does not hold or an empty range writes nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-export-" });
  const a = await seeded(`${dir}/a`);
  try {
    await runExport(args(`${dir}/o`, "bars"), a);
    const before = await filesOf(`${dir}/o`);
    const [first, last] = [
      await a.tables.query("bars", { orderBy: ["date"], limit: 1 }),
      await a.tables.query("bars", { orderBy: ["-date"], limit: 1 }),
    ].map((r) => String(r[0].date));
    const signals = (await a.tables.query("signals", { orderBy: ["date"] })).map((r) => String(r.date));
    // a Saturday and Sunday inside the stored range
    let sat = first;
    while (new Date(`${sat}T12:00:00Z`).getUTCDay() !== 6) {
      sat = new Date(Date.parse(`${sat}T12:00:00Z`) + 864e5).toISOString().slice(0, 10);
    }
    const sun = new Date(Date.parse(`${sat}T12:00:00Z`) + 864e5).toISOString().slice(0, 10);
    const held = `the store holds them from ${first} to ${last}`;
    const cases: [string[], RegExp][] = [
      [["--what", "bars,features", "--config", `${dir}/nonexistent.yaml`], /^cannot read config file /],
      [["--what", "bars", "--config", `${dir}/nonexistent.yaml`], /^cannot read config file /],
      // an empty --config is refused, not dropped for the default config
      [["--what", "bars", "--config", ""], /^config file \(--config\): empty path \(name a YAML file\)$/],
      [["--what", "features", "--config", ""], /^config file \(--config\): empty path \(name a YAML file\)$/],
      [["--what", "bars,features", "--symbols", "NOPE"], /^--symbols: the store holds no NOPE \(in bars\)$/],
      [
        ["--what", "bars", "--symbols", "SYN00,NOPE,NADA"],
        /^--symbols: the store holds no NOPE,NADA \(in bars\)$/,
      ],
      [["--what", "signals,features", "--symbols", "NOPE"], /the store holds no NOPE \(in signals, bars\)$/],
      // a range with no stored row of a kind: refused naming the dates the store holds (bars wrote an empty
      // file over the previous one, exit 0), whatever the kind
      [
        ["--what", "bars,features", "--from", "2099-01-01"],
        new RegExp(`^no stored bars in the range asked \\(--from 2099-01-01; ${held}\\)$`),
      ],
      [
        ["--what", "bars", "--from", "2099-01-01", "--to", "2099-06-30"],
        new RegExp(`^no stored bars in the range asked \\(--from 2099-01-01 --to 2099-06-30; ${held}\\)$`),
      ],
      [
        ["--what", "features", "--to", "1999-01-01", "--symbols", "SYN01"],
        new RegExp(`^no stored bars for SYN01 in the range asked \\(--to 1999-01-01; ${held}\\)$`),
      ],
      [
        ["--what", "bars", "--from", sat, "--to", sun],
        new RegExp(`^no stored bars in the range asked \\(--from ${sat} --to ${sun}; ${held}\\)$`),
      ],
      [
        ["--what", "bars,signals", "--to", first],
        new RegExp(
          `^no stored signals in the range asked \\(--to ${first}; the store holds them from ${
            signals[0]
          } to ${signals.at(-1)}\\)$`,
        ),
      ],
      [
        ["--what", "predictions", "--to", first, "--symbols", "SYN00"],
        /^no stored predictions for SYN00 in the range asked \(--to \S+; the store holds them from /,
      ],
    ];
    for (const [flags, want] of cases) {
      for (const out of [`${dir}/o`, `${dir}/fresh`]) {
        await rejects(
          () => runExport(parseExportArgs([...flags, "--out", out]), a),
          (e) => e instanceof ConfigError && want.test(e.message),
          flags.join(" "),
        );
      }
      deepEqual(await filesOf(`${dir}/o`), before, `${flags.join(" ")}: the previous export is left whole`);
      equal(
        await Deno.stat(`${dir}/fresh`).then(() => true, () => false),
        false,
        `${flags.join(" ")}: no folder`,
      );
    }
    // a file where the folder should be: refused before any work
    await Deno.writeTextFile(`${dir}/file`, "x");
    await rejects(() => runExport(args(`${dir}/file`, "bars"), a), /^ConfigError: --out /);
  } finally {
    await a.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("export: a kind asked of which the store holds no row (no range given) is refused naming the kind and the store, exit 2, the last export left whole", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-export-" });
  const a = await seeded(`${dir}/a`);
  // b: bars of SYN00 only, and signals of SYN01 (no predictions table)
  const b = openEmbeddedStores(`${dir}/b`);
  try {
    await b.tables.ensureTable(ALL_SCHEMAS[0]);
    await b.tables.upsert("bars", await a.tables.query("bars", { where: { symbol: "SYN00" } }));
    await b.tables.ensureTable(ALL_SCHEMAS.find((t) => t.name === "signals")!);
    await b.tables.upsert("signals", await a.tables.query("signals", { where: { symbol: "SYN01" } }));
    await runExport(args(`${dir}/o`, "bars,signals,predictions"), a);
    const before = await filesOf(`${dir}/o`);
    const cases: [string[], string][] = [
      [["--what", "predictions"], "no stored predictions in the store: nothing to export as predictions"],
      [
        ["--what", "bars,predictions"],
        "no stored predictions in the store: nothing to export as predictions",
      ],
      [
        ["--what", "bars,signals", "--symbols", "SYN00"],
        "no stored signals for SYN00 in the store: nothing to export as signals",
      ],
      [
        ["--what", "features,signals", "--symbols", "SYN01"],
        "no stored bars for SYN01 in the store: nothing to export as features",
      ],
    ];
    for (const [flags, want] of cases) {
      await rejects(
        () => runExport(parseExportArgs([...flags, "--out", `${dir}/o`]), b),
        (e) => e instanceof ConfigError && e.message === want,
        flags.join(" "),
      );
      deepEqual(await filesOf(`${dir}/o`), before, `${flags.join(" ")}: the previous export is left whole`);
    }
    // what b holds is exported
    equal((await runExport(args(`${dir}/p`, "bars,signals"), b)).signals.rows, 20);
    await b.close();
    // the CLI: exit 2, one line naming the store, nothing written (it wrote "signals: 0 rows" over the last
    // export's file, exit 0)
    for (const what of ["signals", "predictions"]) {
      await Deno.remove(`${dir}/b`, { recursive: true });
      const c = openEmbeddedStores(`${dir}/b`);
      await c.tables.ensureTable(ALL_SCHEMAS[0]);
      await c.tables.upsert("bars", await a.tables.query("bars", { where: { symbol: "SYN00" } }));
      await c.close();
      const r = await exportCli(["--what", what, "--out", `${dir}/o`, "--store-dir", `${dir}/b`]);
      const err = programStderr(r.stderr);
      equal(r.code, 2, err);
      equal(
        err,
        `error: no stored ${what} in the store (--store-dir ${dir}/b): nothing to export as ${what}`,
      );
      deepEqual(await filesOf(`${dir}/o`), before, `${what}: the previous export is left whole`);
    }
  } finally {
    await a.close();
    await b.close().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("export: a range reaching past the stored dates of a kind is said in one line; its file holds the dates stored", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-export-" });
  const a = await seeded(`${dir}/a`);
  try {
    const [first, last] = [
      await a.tables.query("bars", { orderBy: ["date"], limit: 1 }),
      await a.tables.query("bars", { orderBy: ["-date"], limit: 1 }),
    ].map((r) => String(r[0].date));
    const [sFirst, sLast] = [
      await a.tables.query("signals", { orderBy: ["date"], limit: 1 }),
      await a.tables.query("signals", { orderBy: ["-date"], limit: 1 }),
    ].map((r) => String(r[0].date));
    const log: string[] = [];
    const out = await runExport(
      parseExportArgs([
        "--what",
        "bars,signals",
        "--from",
        "2000-01-03",
        "--to",
        sFirst,
        "--symbols",
        "SYN00",
        "--out",
        `${dir}/o`,
      ]),
      a,
      (s) => log.push(s),
    );
    const notes = log.filter((l) => !/ rows -> /.test(l));
    deepEqual(notes, [
      `bars: --from 2000-01-03 --to ${sFirst} reaches past the stored bars for SYN00 (${first}..${last}): the file holds those dates only`,
      `signals: --from 2000-01-03 --to ${sFirst} reaches past the stored signals for SYN00 (${sFirst}..${sLast}): the file holds those dates only`,
    ]);
    equal(out.bars.rows, await a.tables.count("bars", { symbol: "SYN00", date: { lte: sFirst } }));
    equal(out.signals.rows, 1);
    // inside the stored range, or past it by a weekend or holiday only: no note
    log.length = 0;
    await runExport(
      parseExportArgs(["--what", "bars", "--from", first, "--to", last, "--out", `${dir}/o`]),
      a,
      (s) => log.push(s),
    );
    deepEqual(log.filter((l) => !/ rows -> /.test(l)), []);
  } finally {
    await a.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("export CLI: a --store-dir that holds no store is refused (exit 2) and not created", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-export-" });
  try {
    const r = await exportCli(["--what", "bars", "--out", `${dir}/ex`, "--store-dir", `${dir}/typo`]);
    const err = programStderr(r.stderr);
    equal(r.code, 2, err);
    equal(
      err,
      `error: --store-dir ${dir}/typo: no store there (${dir}/typo/fmai.sqlite not found; a wrong folder?)`,
    );
    deepEqual(await filesOf(dir), {}, "neither the store nor the export folder");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("export CLI: --store-dir, else the dataDir of --config; a missing store is named by where it came from", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-export-" });
  const inDir = (...flags: string[]) => exportCli(flags, dir);
  try {
    await (await seeded(`${dir}/s6`)).close();
    await Deno.writeTextFile(`${dir}/etf.yaml`, `dataDir: ${dir}/s6\n`);
    await Deno.writeTextFile(`${dir}/typo.yaml`, `dataDir: ${dir}/typo\n`);
    const a = openEmbeddedStores(`${dir}/s6`);
    const want = await sums(a);
    await a.close();
    // the config's dataDir, no --store-dir: the store there is read
    let r = await inDir(
      "--config",
      `${dir}/etf.yaml`,
      "--what",
      "bars,signals",
      "--format",
      "csv",
      "--out",
      `${dir}/exp1`,
    );
    equal(r.code, 0, new TextDecoder().decode(r.stderr));
    const m = await readManifest(`${dir}/exp1`);
    deepEqual([m.files["bars.csv"].rows, m.files["signals.csv"].rows], [want.bars[0], want.signals[0]]);
    ok(m.files["bars.csv"].rows > 0 && m.files["signals.csv"].rows > 0);
    // --store-dir wins over the config's dataDir
    r = await inDir(
      "--config",
      `${dir}/typo.yaml`,
      "--store-dir",
      `${dir}/s6`,
      "--what",
      "bars",
      "--out",
      `${dir}/exp2`,
    );
    equal(r.code, 0, new TextDecoder().decode(r.stderr));
    equal((await readManifest(`${dir}/exp2`)).files["bars.parquet"].rows, want.bars[0]);
    // a config dataDir without a store: the message names the config, not a flag that was never given
    r = await inDir("--config", `${dir}/typo.yaml`, "--what", "bars", "--out", `${dir}/exp3`);
    equal(r.code, 2);
    equal(
      programStderr(r.stderr),
      `error: --config ${dir}/typo.yaml: dataDir ${dir}/typo: no store there (${dir}/typo/fmai.sqlite not found; a wrong folder?)`,
    );
    // an empty --config: refused, not read as no --config (the default config's store was exported)
    r = await inDir("--config", "", "--store-dir", `${dir}/s6`, "--what", "bars", "--out", `${dir}/exp5`);
    equal(r.code, 2);
    equal(programStderr(r.stderr), "error: config file (--config): empty path (name a YAML file)");
    equal(await Deno.stat(`${dir}/exp5`).then(() => true, () => false), false);
    // neither flag: the default config's dataDir (./data, here under the empty working folder)
    r = await inDir("--what", "bars", "--out", `${dir}/exp4`);
    equal(r.code, 2);
    equal(
      programStderr(r.stderr),
      "error: config/default.yaml: dataDir ./data: no store there (./data/fmai.sqlite not found; a wrong folder?)",
    );
    for (const gone of ["typo", "data", "exp3", "exp4"]) {
      equal(await Deno.stat(`${dir}/${gone}`).then(() => true, () => false), false, `${gone} is not created`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const PY = `${ROOT}bench/peers/.venv/bin/python`;
const hasPy = await Deno.stat(PY).then(() => true, () => false);
Deno.test({
  name: hasPy
    ? "exported Parquet files are standard: pyarrow and pandas read them with the same rows, types and values"
    : "exported Parquet read by Python: skipped: bench/peers/.venv is absent (run bench/peers/setup.sh)",
  ignore: !hasPy,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "fmai-export-py-" });
    const a = await seeded(`${dir}/a`);
    try {
      const e = await runExport(args(`${dir}/o`, "bars,signals,predictions,features"), a);
      // single-threaded reads: pyarrow's thread pool can abort the interpreter at exit after a successful read
      // ("terminate called without an active exception", apache/arrow#34314), which CI met once under load
      const script = `
import json, sys, pyarrow.parquet as pq, pandas as pd
out = {}
for name in ["bars", "signals", "predictions", "features"]:
    t = pq.read_table(sys.argv[1] + "/" + name + ".parquet", use_threads=False)
    df = pd.read_parquet(sys.argv[1] + "/" + name + ".parquet", use_threads=False)
    out[name] = {
        "rows": t.num_rows, "pandas_rows": len(df),
        "types": {f.name: str(f.type) for f in t.schema},
        "logical": {c.name: str(c.logical_type) for c in pq.ParquetFile(sys.argv[1] + "/" + name + ".parquet").schema},
        "known_at_min": int(df["known_at"].min().value // 1000000),
        "first": {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in df.iloc[0].items() if k in ("symbol", "date", "close", "action", "size")},
        "nulls": int(df.isna().sum().sum()),
    }
print(json.dumps(out))
`;
      const r = await new Deno.Command(PY, {
        args: ["-c", script, `${dir}/o`],
        stdout: "piped",
        stderr: "piped",
      })
        .output();
      equal(r.code, 0, new TextDecoder().decode(r.stderr));
      const py = JSON.parse(new TextDecoder().decode(r.stdout));
      for (const name of ["bars", "signals", "predictions", "features"]) {
        equal(py[name].rows, e[name].rows, name);
        equal(py[name].pandas_rows, e[name].rows, name);
        equal(new Date(py[name].known_at_min).toISOString(), e[name].knownAt!.min, name);
        deepEqual(Object.keys(py[name].types), e[name].columns.map(([c]) => c), name);
      }
      // Arrow types as pyarrow reads them (polars writes strings as Arrow string views) and the Parquet logical
      // types every reader sees (DuckDB, Spark)
      const want: Record<string, [string[], RegExp]> = {
        str: [["string", "large_string", "string_view"], /^String$/],
        f64: [["double"], /^None$/],
        i64: [["int64"], /^(None|Int\(bitWidth=64, isSigned=true\))$/],
        date: [["date32[day]"], /^Date$/],
        datetime: [["timestamp[ms, tz=UTC]"], /^Timestamp\(isAdjustedToUTC=true, timeUnit=milliseconds/],
      };
      for (const name of ["bars", "signals", "predictions"]) {
        for (const [c, t] of e[name].columns) {
          const [arrow, logical] = want[t];
          ok(arrow.includes(py[name].types[c]), `${name}.${c}: ${py[name].types[c]}`);
          ok(logical.test(py[name].logical[c]), `${name}.${c}: ${py[name].logical[c]}`);
        }
      }
      const first = (await a.tables.query("bars", { orderBy: ["symbol", "date"], limit: 1 }))[0];
      deepEqual(py.bars.first, { symbol: first.symbol, date: first.date, close: first.close });
    } finally {
      await a.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

const servers = Deno.env.get("FMAI_MYSQL_URL") && Deno.env.get("FMAI_MONGO_URL") &&
  Deno.env.get("FMAI_S3_ENDPOINT");
Deno.test({
  name: servers
    ? "export from mysql, mongodb, s3 and store:copy back through Parquet: identical rows and checksums (real servers)"
    : "export round trip on real servers: skipped: run `deno task services:up` then `deno task test:integration`",
  ignore: !servers,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "fmai-export-srv-" });
    const a = await seeded(`${dir}/a`, "PQX");
    const symbols = ["PQX00", "PQX01", "PQX02"];
    const filter = { symbols };
    const srv = await openStores(await storeConfigFor(`${dir}/b`, ["mysql", "mongodb", "s3"]));
    const clear = async () => {
      for (const t of ALL_SCHEMAS) {
        await srv.tables.ensureTable(t);
        if ("symbol" in t.columns) await srv.tables.delete(t.name, { symbol: symbols });
      }
    };
    try {
      await clear();
      // embedded -> Parquet -> MySQL
      await runExport(parseExportArgs(["--what", "bars,signals,predictions", "--out", `${dir}/e`]), a);
      await copyFromParquet(`${dir}/e`, srv);
      const want = await sums(a, filter);
      const onServer = await sums(srv, filter);
      for (const t of ["bars", "signals", "predictions"]) deepEqual(onServer[t], want[t], t);
      // MySQL -> Parquet (export from the server backend) -> a fresh embedded store
      await runExport(
        parseExportArgs([
          "--what",
          "bars,signals,predictions",
          "--out",
          `${dir}/s`,
          "--symbols",
          symbols.join(","),
        ]),
        srv,
      );
      const c = openEmbeddedStores(`${dir}/c`);
      try {
        await copyFromParquet(`${dir}/s`, c);
        const back = await sums(c, filter);
        for (const t of ["bars", "signals", "predictions"]) deepEqual(back[t], want[t], t);
      } finally {
        await c.close();
      }
    } finally {
      await clear();
      await a.close();
      await srv.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("export of the feature table: the market context of source.market, the source's VIX public at 16:15", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-export-market-" });
  const etf = fileURLToPath(new URL("../../shared/data/us-index-etf-daily-yahoo", import.meta.url));
  const s = openEmbeddedStores(`${dir}/s`);
  try {
    const src = await csvSourceFor(etf);
    await collect(src, s, { symbols: ["SPY", "QQQ"], from: "2018-01-02", to: "2018-12-31" });
    const file = `${dir}/mk.yaml`;
    const features = async (market: string, out: string) => {
      await Deno.writeTextFile(
        file,
        `source: {kind: csv, csvDir: ${etf}, market: ${market}}\nnews: {scorer: lexicon}\n`,
      );
      await runExport(
        parseExportArgs([
          "--what",
          "features",
          "--format",
          "csv",
          "--out",
          out,
          "--symbols",
          "SPY",
          "--config",
          file,
        ]),
        s,
      );
      const [head, ...rows] = (await Deno.readTextFile(`${out}/features.csv`)).trim().split("\n");
      const cols = head.split(","), v = cols.indexOf("vix"), d = cols.indexOf("date");
      ok(v >= 0 && d >= 0, head);
      return new Map(rows.map((r) => r.split(",")).map((c) => [c[d], Number(c[v])]));
    };
    const own = await features('{index: "^GSPC", vix: "^VIX"}', `${dir}/o1`);
    // the feature at the 16:00 decision of 2018-06-01 is the VIX close of 2018-05-31 (over 100)
    const vix = (await src.bars({ symbols: ["^VIX"], from: "2018-05-31", to: "2018-06-01" })).get("^VIX")!;
    ok(
      Math.abs(own.get("2018-06-01")! - vix[0].close / 100) < 1e-12,
      `${own.get("2018-06-01")} vs ${vix[0].close}`,
    );
    // without source.market: the universe's own realized-volatility stand-in, another number
    const standIn = await features("{index: null, vix: null}", `${dir}/o2`);
    ok(Math.abs(standIn.get("2018-06-01")! - own.get("2018-06-01")!) > 1e-6);
  } finally {
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("export of the feature table: a config naming a market-wide news file exports the mkt_news_* columns the research run fits on", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-export-mnews-" });
  const data = fileURLToPath(new URL("../../shared/data/", import.meta.url));
  const etf = `${data}us-index-etf-daily-yahoo`;
  const cnbc = `${data}financial-news-headlines-cnbc-guardian/cnbc_headlines.csv`;
  const s = openEmbeddedStores(`${dir}/s`);
  try {
    const src = await csvSourceFor(etf, { newsFiles: [cnbc] });
    await collect(src, s, { symbols: ["SPY", "QQQ"], from: "2018-01-02", to: "2018-12-31" });
    const file = `${dir}/mn.yaml`;
    const exportWith = async (newsFiles: string, out: string, from: Stores = s) => {
      await Deno.writeTextFile(
        file,
        `source: {kind: csv, csvDir: ${etf}, newsFiles: ${newsFiles}}\nnews: {scorer: lexicon}\n`,
      );
      const lines: string[] = [];
      await runExport(
        parseExportArgs(["--what", "features", "--format", "csv", "--out", out, "--config", file]),
        from,
        (l) => lines.push(l),
      );
      const [head, ...rows] = (await Deno.readTextFile(`${out}/features.csv`)).trim().split("\n");
      return { cols: head.split(","), rows: rows.map((r) => r.split(",")), lines };
    };
    const on = await exportWith(`[${cnbc}]`, `${dir}/on`);
    ok(!on.lines.some((l) => l.includes("holds no item")), on.lines.join("\n"));
    const c = on.cols.indexOf("mkt_news_count_1"),
      d = on.cols.indexOf("date"),
      sym = on.cols.indexOf("symbol");
    ok(c >= 0 && d >= 0 && sym >= 0, on.cols.join(","));
    // 2018-10-11: 8 CNBC headlines after the close of 10-10 up to that close (counted with Python's strptime)
    const day = on.rows.filter((r) => r[d] === "2018-10-11");
    deepEqual(day.map((r) => r[sym]).sort(), ["QQQ", "SPY"]);
    for (const r of day) equal(Number(r[c]), 8, r[sym]);
    const off = await exportWith("[]", `${dir}/off`);
    ok(!off.cols.some((x) => x.startsWith("mkt_news")), off.cols.join(","));
    // a store restored from a Parquet folder holds no news: the export says the file's features are 0 (exit 0
    // with only "0 news items" said)
    const restored = openEmbeddedStores(`${dir}/r`);
    try {
      await copyToParquet(s, `${dir}/pq`);
      await copyFromParquet(`${dir}/pq`, restored);
      const none = await exportWith(`[${cnbc}]`, `${dir}/none`, restored);
      ok(none.rows.every((r) => Number(r[c]) === 0));
      const said = none.lines.filter((l) => l.includes("holds no item"));
      equal(said.length, 1, none.lines.join("\n"));
      ok(
        said[0].startsWith(
          "news: the store holds no item of cnbc_headlines.csv (source.newsFiles) from 2018-01-02 to 2018-12-31: " +
            "the mkt_news_* features from it are 0 (collect it into the store",
        ),
        said[0],
      );
    } finally {
      await restored.close();
    }
  } finally {
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/** A config file that scores news with the lexicon (fast, no model needed); returns its path. */
async function lexiconConfig(dir: string): Promise<string> {
  await Deno.writeTextFile(`${dir}/lexicon.yaml`, "news: {scorer: lexicon}\n");
  return `${dir}/lexicon.yaml`;
}

/** Rows of an exported `features.csv` as `{symbol, date, ...features}` (numbers parsed). */
async function featureRows(out: string): Promise<Record<string, string | number>[]> {
  const [head, ...lines] = (await Deno.readTextFile(`${out}/features.csv`)).trim().split("\n");
  const cols = head.split(",");
  return lines.map((l) =>
    Object.fromEntries(
      l.split(",").map((v, i) => [cols[i], i < 2 ? v : Number(v)] as [string, string | number]),
    )
  );
}

Deno.test("export of the feature table on a short range: rows from the first session on or after --from (the warm-up read from the stored history before it)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-export-warmup-" });
  const a = await seeded(`${dir}/a`);
  try {
    const config = await lexiconConfig(dir);
    const dates = (await a.tables.query("bars", { where: { symbol: "SYN00" }, orderBy: ["date"] }))
      .map((r) => String(r.date));
    const need = featureWarmup(PIPELINE_FEATURE_SET);
    ok(dates.length > need + 40, `${dates.length} sessions`);
    const run = async (out: string, ...flags: string[]) => {
      const lines: string[] = [];
      await runExport(
        parseExportArgs([
          "--what",
          "features",
          "--format",
          "csv",
          "--symbols",
          "SYN00,SYN01",
          "--config",
          config,
          "--out",
          out,
          ...flags,
        ]),
        a,
        (l) => lines.push(l),
      );
      return { rows: await featureRows(out), lines };
    };
    // --from on the calendar day after a session (a weekend or the next session): rows from the next session on
    const i0 = need + 20, i1 = need + 30;
    const short = await run(`${dir}/short`, "--from", addDays(dates[i0 - 1], 1), "--to", dates[i1]);
    equal(short.rows.length, 2 * (i1 - i0 + 1));
    for (const sym of ["SYN00", "SYN01"]) {
      deepEqual(short.rows.filter((r) => r.symbol === sym).map((r) => r.date), dates.slice(i0, i1 + 1), sym);
    }
    ok(!short.lines.some((l) => /rows start after/.test(l)), short.lines.join("\n"));
    // the same features as the whole history's export on those rows, every one of them: the smoothed ones too
    // (Wilder's ADX and RSI, MACD's EMAs depend on where their series begins; from a 60-session warm-up before
    // --from, adx_14 differed by a fifth and macd_hist threefold in the first month)
    const all = await run(`${dir}/all`);
    const byKey = new Map(all.rows.map((r) => [`${r.symbol} ${r.date}`, r]));
    for (const r of short.rows) {
      const w = byKey.get(`${r.symbol} ${r.date}`)!;
      for (const f of Object.keys(r).filter((k) => !["symbol", "date", "known_at"].includes(k))) {
        equal(r[f], w[f], `${r.symbol} ${r.date} ${f}`);
      }
    }
    // a week's features: an export has no segments to fit (it failed as "too few sessions for three segments")
    const week = await run(`${dir}/week`, "--from", dates[i0], "--to", dates[i0 + 3]);
    equal(week.rows.length, 8);
    // --symbols picks the rows written, not the cross-section: ranks, relative returns and the universe's own
    // index are those of every stored symbol, as in an export without --symbols (they were recomputed on the
    // picked symbols alone)
    await runExport(
      parseExportArgs([
        ...["--what", "features", "--format", "csv", "--config", config, "--out", `${dir}/wide`],
        ...["--from", addDays(dates[i0 - 1], 1), "--to", dates[i1]],
      ]),
      a,
    );
    const wide = await featureRows(`${dir}/wide`);
    // a config naming the cross-section: --symbols outside it is refused, not computed on another one
    await Deno.writeTextFile(
      `${dir}/two.yaml`,
      "news: {scorer: lexicon}\nsource: {symbols: [SYN00, SYN01]}\n",
    );
    await rejects(
      () =>
        runExport(
          parseExportArgs([
            "--what",
            "features",
            "--config",
            `${dir}/two.yaml`,
            "--symbols",
            "SYN02",
            "--out",
            `${dir}/x`,
          ]),
          a,
        ),
      (e: Error) =>
        e instanceof ConfigError && /^--symbols SYN02: not in the config's source\.symbols/.test(e.message),
    );
    ok(new Set(wide.map((r) => r.symbol)).size > 2, "the store holds more symbols than the two picked");
    const wideBy = new Map(wide.map((r) => [`${r.symbol} ${r.date}`, r]));
    for (const r of short.rows) {
      const w = wideBy.get(`${r.symbol} ${r.date}`)!;
      for (const f of ["rank_ret_1", "rel_ret_5", "index_ret_1", "ret_1"]) {
        ok(f in r && Math.abs((r[f] as number) - (w[f] as number)) < 1e-12, `${r.symbol} ${r.date} ${f}`);
      }
    }
    // history short of the warm-up: rows start where it is covered, and a note says so
    const part = await run(`${dir}/part`, "--from", dates[need - 20], "--to", dates[i1]);
    for (const sym of ["SYN00", "SYN01"]) {
      deepEqual(part.rows.filter((r) => r.symbol === sym).map((r) => r.date), dates.slice(need, i1 + 1), sym);
    }
    const note = part.lines.filter((l) => /rows start after/.test(l));
    equal(note.length, 1, part.lines.join("\n"));
    ok(note[0].includes(`SYN00 ${dates[need]}`) && note[0].includes(`${need} sessions`), note[0]);
  } finally {
    await a.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("export of the feature table: a config symbol listed after the range asked is no cross-section member there (it was refused as having no stored bars)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-export-late-" });
  const a = await seeded(`${dir}/a`);
  try {
    // LATE: SYN02's bars from the 100th session on, under another name (listed late)
    const syn02 = await a.tables.query("bars", { where: { symbol: "SYN02" }, orderBy: ["date"] });
    await a.tables.upsert("bars", syn02.slice(100).map((r) => ({ ...r, symbol: "LATE" })));
    const dates = syn02.map((r) => String(r.date));
    const config = async (name: string, symbols: string) => {
      await Deno.writeTextFile(
        `${dir}/${name}.yaml`,
        `news: {scorer: lexicon}\nsource: {symbols: [${symbols}]}\n`,
      );
      return `${dir}/${name}.yaml`;
    };
    const run = async (cfg: string, out: string) => {
      const lines: string[] = [];
      await runExport(
        parseExportArgs([
          ...["--what", "features", "--format", "csv", "--symbols", "SYN00", "--config", cfg],
          ...["--from", dates[80], "--to", dates[95], "--out", out],
        ]),
        a,
        (l) => lines.push(l),
      );
      return { rows: await featureRows(out), lines };
    };
    const late = await run(await config("late", "SYN00, SYN01, LATE"), `${dir}/late`);
    const two = await run(await config("two", "SYN00, SYN01"), `${dir}/two`);
    equal(late.rows.length, 16);
    // the cross-section on those dates is SYN00 and SYN01 either way: the same features (ranks included), but for
    // the market context: the synthetic source holds no LATE, so that config gets the universe's own index and
    // VIX stand-in instead of the synthetic market's (and their publication time in known_at)
    const market = ["known_at", "index_ret_1", "rel_ret_5", "rel_ret_20", "vix", "vix_chg_5"];
    const rest = (rows: typeof late.rows) =>
      rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !market.includes(k))));
    ok(Object.keys(late.rows[0]).includes("rank_ret_1"));
    deepEqual(rest(late.rows), rest(two.rows));
    deepEqual(late.lines.filter((l) => l.includes("LATE")), [
      `features: no stored bar of LATE in ${dates[0]}..${
        dates[95]
      }: the cross-section there is the config's ` +
      "other 2 symbols, as in the run",
    ]);
  } finally {
    await a.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("export of the feature table: a store without the history the warm-up needs for any row is a one-line error (exit 2), nothing written", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-export-warmup-" });
  const a = await seeded(`${dir}/a`);
  try {
    const config = await lexiconConfig(dir);
    const dates = (await a.tables.query("bars", { where: { symbol: "SYN00" }, orderBy: ["date"] }))
      .map((r) => String(r.date));
    const need = featureWarmup(PIPELINE_FEATURE_SET);
    // 5 sessions before --from and need - 10 in the range: no row has its warm-up
    const flags = [
      "--what",
      "bars,features",
      "--config",
      config,
      "--from",
      dates[5],
      "--to",
      dates[need - 6],
    ];
    for (const out of [`${dir}/fresh`, `${dir}/fresh2`]) {
      await rejects(
        () => runExport(parseExportArgs([...flags, "--out", out]), a),
        (e) =>
          e instanceof InputError && !e.message.includes("\n") &&
          e.message.includes(`needs ${need} sessions`) && /collect earlier data/.test(e.message),
      );
      equal(await Deno.stat(out).then(() => true, () => false), false, "no folder");
    }
    await a.close();
    const r = await exportCli([...flags, "--store-dir", `${dir}/a`, "--out", `${dir}/cli`]);
    const err = programStderr(r.stderr);
    equal(r.code, 2, err);
    equal(err.split("\n").length, 1, err);
    ok(err.startsWith("error: features: too little stored history for any row"), err);
    equal(await Deno.stat(`${dir}/cli`).then(() => true, () => false), false);
  } finally {
    await a.close().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

/** Rows of every table of an embedded store's SQLite file (tables and document collections alike). */
function sqliteCounts(storeDir: string): Record<string, number> {
  const db = new DatabaseSync(`${storeDir}/fmai.sqlite`, { readOnly: true });
  try {
    const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all()
      .map((r) => String((r as { name: string }).name));
    const out: Record<string, number> = {};
    for (const n of names) {
      const c = Number((db.prepare(`SELECT count(*) AS c FROM "${n}"`).get() as { c: number }).c);
      if (c > 0) out[n] = c; // an empty table holds nothing to change
    }
    return out;
  } finally {
    db.close();
  }
}

Deno.test("export only reads the store: every table and document collection keeps its rows (news scores computed are not cached); the research path caches them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-export-ro-" });
  const a = await seeded(`${dir}/a`);
  try {
    const config = await lexiconConfig(dir);
    const cfg = await loadConfig({ file: config });
    const news = await a.documents.count(NEWS_COLLECTION);
    ok(news > 50, `${news} news items`);
    const research = (scorer: SentimentScorer) =>
      datasetStep(a, specFromConfig(cfg), {
        symbols: ["SYN00", "SYN01", "SYN02"],
        from: "1000-01-01",
        to: "9999-12-31",
        segments: segmentChoice(cfg),
        scorer,
      });
    // a cache of another scorer's scores, as a research run leaves it (the repro: mpnet scores, export by lexicon)
    await research({ id: "other@1", score: (t) => Promise.resolve(new Float64Array(t.length)) });
    // the items up to the last session's close (later ones are read by no row)
    const scored = await a.documents.count(NEWS_SCORES_COLLECTION);
    ok(scored > 50 && scored <= news, `${scored} of ${news}`);
    const before = sqliteCounts(`${dir}/a`);
    const objects = await a.objects.list("");
    equal(before[`docs_${NEWS_SCORES_COLLECTION}`], scored, JSON.stringify(before));
    const e = await runExport(
      parseExportArgs([
        "--what",
        "bars,signals,predictions,features",
        "--config",
        config,
        "--out",
        `${dir}/o`,
      ]),
      a,
    );
    ok(e.features.rows > 100);
    deepEqual(sqliteCounts(`${dir}/a`), before);
    deepEqual(await a.objects.list(""), objects);
    // the research path (dataset step without readOnly) still fills the cache with the scores it computes
    await research(lexiconScorer());
    equal(await a.documents.count(NEWS_SCORES_COLLECTION), 2 * scored);
    const lex = await a.documents.find(NEWS_SCORES_COLLECTION);
    equal(lex.filter((d) => d.scorer === lexiconScorer().id).length, scored);
  } finally {
    await a.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "export of the feature table on the synthetic market: the market columns are the research run's (the market's own index and VIX-like series)",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "fmai-export-own-" });
    try {
      const file = `${dir}/syn.yaml`;
      await Deno.writeTextFile(
        file,
        `dataDir: ${dir}/store\nreportDir: ${dir}/r\nsource: {synthetic: {symbols: 6, sessions: 420, seed: 3}}\n` +
          "models: {trend: [majority, logistic]}\nnews: {scorer: lexicon}\n",
      );
      const run = await runPipeline(await loadConfig({ file }), { run: "own", quiet: true });
      const F = run.ds.featureNames.length;
      const lines: string[] = [];
      const stores = openEmbeddedStores(`${dir}/store`);
      try {
        await runExport(
          parseExportArgs(["--what", "features", "--format", "csv", "--config", file, "--out", `${dir}/out`]),
          stores,
          (l) => lines.push(l),
        );
      } finally {
        await stores.close();
      }
      ok(
        lines.includes("market context: the synthetic market's own index and VIX-like series"),
        lines.join("\n"),
      );
      const exported = new Map((await featureRows(`${dir}/out`)).map((r) => [`${r.symbol} ${r.date}`, r]));
      let compared = 0;
      for (let i = 0; i < run.ds.n; i++) {
        const e = exported.get(`${run.ds.symbol[i]} ${run.ds.date[i]}`);
        if (!e) continue;
        for (const f of ["vix", "vix_chg_5", "index_ret_1"]) {
          const v = run.ds.X[i * F + run.ds.featureNames.indexOf(f)];
          ok(
            Math.abs((e[f] as number) - v) < 1e-9,
            `${run.ds.symbol[i]} ${run.ds.date[i]} ${f}: ${e[f]} vs ${v}`,
          );
        }
        compared++;
      }
      ok(compared > 1000, `${compared} rows compared`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("export of the feature table: per-symbol news stored from files other than the config's is said, as the research run says it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-export-foreign-" });
  const a = await seeded(`${dir}/a`);
  try {
    // the store's news is the synthetic market's; the config's csv source names a news file of its own
    await Deno.writeTextFile(
      `${dir}/own.csv`,
      "headline,published_at,symbol\nBeats estimates,2020-01-02T14:00:00Z,SYN00\n",
    );
    const etf = fileURLToPath(new URL("../../shared/data/us-index-etf-daily-yahoo", import.meta.url));
    await Deno.writeTextFile(
      `${dir}/csv.yaml`,
      `news: {scorer: lexicon}\nsource: {kind: csv, csvDir: ${etf}, newsFiles: [${dir}/own.csv]}\n`,
    );
    const lines: string[] = [];
    await runExport(
      parseExportArgs(["--what", "features", "--config", `${dir}/csv.yaml`, "--out", `${dir}/out`]),
      a,
      (l) => lines.push(l),
    );
    const foreign = lines.filter((l) => /come from outside this run's news files/.test(l));
    equal(foreign.length, 1, lines.join("\n"));
    ok(
      /^news: \d+ items read; \d+ of them about these symbols come from outside/.test(foreign[0]),
      foreign[0],
    );
  } finally {
    await a.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("export of the feature table: on the default synthetic config, a store holding other symbols too exports the demo's cross-section", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-export-" });
  const a = await seeded(`${dir}/a`);
  try {
    const pure = await runExport(parseExportArgs(["--what", "features", "--out", `${dir}/p`]), a);
    // a research run on other symbols into the same store (the README's demo, then a csv run into ./data)
    const m = createSyntheticMarket({ seed: 9, symbols: 2, sessions: 200, symbolPrefix: "OTH" });
    await collect(m, a, { symbols: m.symbols, from: m.dates[0], to: m.dates[m.dates.length - 1] });
    const logs: string[] = [];
    const mixed = await runExport(
      parseExportArgs(["--what", "features", "--out", `${dir}/m`]),
      a,
      (s) => logs.push(s),
    );
    // the same rows and values: the others joined the cross-section, and the market context fell back to the
    // universe's own index, so SYN00's vix, index returns and ranks were not the run's
    deepEqual([mixed.features.rows, mixed.features.sha256], [pure.features.rows, pure.features.sha256]);
    ok(
      logs.some((l) =>
        l.startsWith("features: the store also holds 2 symbols the synthetic market does not (OTH00, OTH01)")
      ),
      logs.join("\n"),
    );
    ok(logs.includes(OWN_MARKET_NOTE), logs.join("\n"));
    await rejects(
      () => runExport(parseExportArgs(["--what", "features", "--out", `${dir}/o`, "--symbols", "OTH00"]), a),
      /^ConfigError: --symbols OTH00: not in the synthetic market the config names, .*pass --config with the run's config\)$/,
    );
    // a range past the synthetic market's bars holds only the others: refused alike (they were exported on the
    // universe index without a word)
    const after = m.dates[150];
    for (const extra of [[], ["--symbols", "OTH00"]]) {
      await rejects(
        () =>
          runExport(
            parseExportArgs(["--what", "features", "--out", `${dir}/o`, "--from", after, ...extra]),
            a,
          ),
        /^ConfigError: (no stored bars of the synthetic market the config names in the range asked|--symbols OTH00: not in the synthetic market)/,
      );
    }
  } finally {
    await a.close();
    await Deno.remove(dir, { recursive: true });
  }
});
