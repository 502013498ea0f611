/**
 * The bad-input suite: one case per class of issue 14, each run the way a user meets it (the real CLIs as
 * subprocesses, the Lambda handler), each asserting the one-line message, the exit code, and that nothing was
 * written. Classes: script injection, every config range, the former stack-trace cases (too little data, no
 * trend model, an unwritable store directory; an internal error is not reported as a user error), the former
 * silent drops (a row with a missing field, a file without a close column, an unknown symbol, a corrupt
 * recording, a store error in an incremental look-up), the former late refusals (a report path that is empty or a
 * folder, a news model not installed, date segments too short, --data-dir with another source, an empty
 * --store-dir: refused only after the store was written), implausible values, future dates, raw symbols in URLs,
 * secrets in messages, a refused server connection, a Lambda whose symbols all failed, and the former silent
 * errors (holes of months in the bars, a ranking book on one symbol, --refit-every without a walk-forward).
 */
import { fileURLToPath } from "node:url";
import { programStderr } from "../scripts/_test_process.ts";
import { equal, ok, rejects } from "node:assert/strict";
import { existsSync } from "node:fs";
import { StoreError } from "@lib/core/mod.ts";
import { embeddedConfig, openStores, type Stores } from "@lib/store/mod.ts";
import { createReplayFetch } from "@lib/sources/mod.ts";
import { createRawRecorder, latestNewsAt, NEWS_COLLECTION, newsStep, pricesStep } from "./collect/mod.ts";
import { reportCliError } from "./_cli_error.ts";
import { writeReport } from "./steps/report.ts";
import { makeHandler } from "../lambdas/_handler.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SHARED = fileURLToPath(new URL("../../shared/data/", import.meta.url));
const SP500 = `${SHARED}sp500-5yr-ohlcv`;
const ETF = `${SHARED}us-index-etf-daily-yahoo`;
const GSPC = `${SHARED}gspc-1927-2023-and-nyse-calendar`;
const YF = `${SHARED}yahoo-fixtures`;
const EVIL = "X</script><script>alert(1)</script>";
const dec = new TextDecoder();

interface Run {
  code: number;
  out: string;
  err: string;
  /** The stderr lines (trimmed, non-empty). */
  lines: string[];
}

async function cli(
  script: "cli" | "collect_cli",
  args: string[],
  env: Record<string, string> = {},
): Promise<Run> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `pipelines/${script}.ts`, ...(script === "cli" ? ["run"] : []), ...args],
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = programStderr(r.stderr);
  return { code: r.code, out: dec.decode(r.stdout), err, lines: err.trim().split("\n").filter(Boolean) };
}

/** `deno task collect` of AAPL answered by the recordings in `rec`, into `storeDir`. */
function replayCollect(rec: string, storeDir: string, ...extra: string[]): Promise<Run> {
  return cli("collect_cli", [
    "--symbols",
    "AAPL",
    "--replay",
    rec,
    "--store-dir",
    storeDir,
    "--quiet",
    ...extra,
  ]);
}

/** One line on stderr matching `re`, exit `code`, and no store under `storeDir`. */
function expectOneLine(r: Run, code: number, re: RegExp, storeDir?: string): void {
  equal(r.code, code, `exit code: ${r.err}`);
  equal(r.lines.length, 1, `one line: ${r.err}`);
  ok(r.lines[0].startsWith("error: "), r.lines[0]);
  ok(re.test(r.lines[0]), `${re}: ${r.lines[0]}`);
  if (storeDir) ok(!existsSync(`${storeDir}/fmai.sqlite`), `nothing written under ${storeDir}`);
}

/** Runs `fn` with a fresh temporary folder, removed afterwards. */
async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fmai-bad-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The recorded 2020-01-02 AAPL chart with `edit` applied, in a folder of its own (a replay source). */
async function editedFixture(dir: string, file: string, edit: (body: Record<string, unknown>) => void) {
  const fx = JSON.parse(await Deno.readTextFile(`${YF}/${file}`));
  edit(fx.response.bodyJson);
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(`${dir}/${file}`, JSON.stringify(fx));
}

async function storeCount(dir: string, table: string): Promise<number> {
  if (!existsSync(`${dir}/fmai.sqlite`)) return 0;
  const s = await openStores(embeddedConfig(dir));
  try {
    return table === "news" ? await s.documents.count("news") : await s.tables.count(table);
  } catch {
    return 0;
  } finally {
    await s.close();
  }
}

Deno.test("injection: markup in a symbol is refused at every edge (flag, CSV file, config file)", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/csv`);
    await Deno.writeTextFile(
      `${dir}/csv/x.csv`,
      `date,open,high,low,close,volume,symbol\n2020-01-02,10,11,9,10.5,100,${EVIL}\n`,
    );
    await Deno.writeTextFile(`${dir}/c.yaml`, `source:\n  symbols: ["${EVIL.replace(/"/g, '\\"')}"]\n`);
    const [flag, file, config] = await Promise.all([
      cli("cli", ["--data-dir", SP500, "--symbols", EVIL, "--store-dir", `${dir}/s1`, "--quiet"]),
      cli("cli", ["--data-dir", `${dir}/csv`, "--store-dir", `${dir}/s2`, "--quiet"]),
      cli("cli", ["--config", `${dir}/c.yaml`, "--store-dir", `${dir}/s3`, "--quiet"]),
    ]);
    expectOneLine(flag, 2, /--symbols: "X<\/script>.*" is not a symbol/, `${dir}/s1`);
    expectOneLine(file, 2, /x\.csv:2: "X<\/script>.*" is not a symbol/, `${dir}/s2`);
    expectOneLine(config, 2, /config source\.symbols\[0\]: .* is not a symbol/, `${dir}/s3`);
  });
});

Deno.test("ranges: every out-of-range config value is refused at load, before any store opens", async () => {
  await withDir(async (dir) => {
    const cases: [string, RegExp][] = [
      ["portfolio:\n  kellyFraction: 5", /config portfolio\.kellyFraction: 5 is out of range: want \(0, 1\]/],
      ["backtest:\n  costBps: -50", /config backtest\.costBps: -50 is out of range: want \[0, 1000\]/],
      ["models:\n  trend: []", /config models\.trend: needs at least 1 item/],
      ["dataset:\n  purge: 1.5", /config dataset\.purge: 1\.5 is out of range: want a whole number/],
      [
        "dataset:\n  purge: 0",
        /config dataset\.purge: 0 is out of range: want a whole number in \[2, 250\] \(.* 2-session traded return label\)/,
      ],
      ["reportDir: ''", /config reportDir: empty path/],
      ["dataset:\n  trainFrac: 1.2", /config dataset\.trainFrac: 1\.2 is out of range: want \(0, 1\)/],
      ["portfolio:\n  targetVol: -1", /config portfolio\.targetVol: -1 is out of range/],
      ["portfolio:\n  maxWeight: -1", /config portfolio\.maxWeight: -1 is out of range/],
      [
        "dataset:\n  walkForward:\n    refitEvery: 0",
        /config dataset\.walkForward\.refitEvery: 0 is out of range/,
      ],
      ["source:\n  synthetic:\n    newsRate: -1", /config source\.synthetic\.newsRate: -1 is out of range/],
      ["source:\n  synthetic:\n    symbols: 0", /config source\.synthetic\.symbols: 0 is out of range/],
    ];
    const runs = await Promise.all(cases.map(async ([yaml], i) => {
      await Deno.writeTextFile(`${dir}/c${i}.yaml`, `${yaml}\n`);
      return await cli("cli", ["--config", `${dir}/c${i}.yaml`, "--store-dir", `${dir}/s${i}`, "--quiet"]);
    }));
    runs.forEach((r, i) => expectOneLine(r, 2, cases[i][1], `${dir}/s${i}`));
  });
});

Deno.test("a key nothing would read, or a limit that never binds, is refused at load, before any store opens", async () => {
  await withDir(async (dir) => {
    const cases: [string, RegExp][] = [
      [
        "backtest: {impact: 0, capital: 50000000}",
        /config \S+u0\.yaml: backtest\.capital 50000000 is read only by the impact cost .* backtest\.impact is 0 \(off\)/,
      ],
      [
        "portfolio: {topK: 2, nDrop: 40}",
        /config \S+u1\.yaml: portfolio\.nDrop 40 is above portfolio\.topK 2/,
      ],
      [
        "news: {scorer: lexicon, model: finsent-minilm@v1}",
        /config \S+u2\.yaml: news\.model finsent-minilm@v1 is read only by the language model, and news\.scorer is lexicon/,
      ],
    ];
    const runs = await Promise.all(cases.map(async ([yaml], i) => {
      await Deno.writeTextFile(`${dir}/u${i}.yaml`, `${yaml}\n`);
      return await cli("cli", ["--config", `${dir}/u${i}.yaml`, "--store-dir", `${dir}/s${i}`, "--quiet"]);
    }));
    runs.forEach((r, i) => expectOneLine(r, 2, cases[i][1], `${dir}/s${i}`));
  });
});

Deno.test("former stack traces: too little data (says how many sessions), unwritable store dir; a bug is no user error", async () => {
  await withDir(async (dir) => {
    const [short, unwritable, fileAsDir] = await Promise.all([
      cli("cli", [
        "--data-dir",
        SP500,
        "--symbols",
        "AAPL",
        "--from",
        "2017-01-03",
        "--to",
        "2017-03-01",
        "--store-dir",
        `${dir}/s1`,
        "--quiet",
      ]),
      cli("cli", ["--data-dir", SP500, "--symbols", "AAPL", "--store-dir", "/proc/fmai-store", "--quiet"]),
      cli("cli", [
        "--data-dir",
        SP500,
        "--symbols",
        "AAPL",
        "--store-dir",
        `${ROOT}deno.json/store`,
        "--quiet",
      ]),
    ]);
    expectOneLine(
      short,
      2,
      /too little data to train: 40 sessions \(2017-01-03\.\.2017-03-01\); the pipeline needs at least 154 \(60 of feature warm-up, then 30 or more in train and 20 in each of valid\/test/,
      `${dir}/s1`,
    );
    expectOneLine(unwritable, 2, /--store-dir \/proc\/fmai-store: cannot write in \/proc/);
    expectOneLine(fileAsDir, 2, /--store-dir .*deno\.json\/store: .*deno\.json is not a folder/);
    // an internal invariant broken deep in lib/ (a RangeError) is a bug: exit 1, "internal error", a stack
    const lines: string[] = [];
    const orig = console.error;
    console.error = (...a: unknown[]) => lines.push(a.map(String).join(" "));
    try {
      equal(reportCliError(new RangeError("backtest: positions have 3 cells, want 4 x 1")), 1);
    } finally {
      console.error = orig;
    }
    ok(lines[0].startsWith("internal error (a bug): backtest: positions"), lines[0]);
  });
});

Deno.test("refused before any work, not after the run: a report path that is empty or a folder, a news model not installed, date segments too short, --data-dir with another source, an empty --store-dir", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/folder`);
    await Deno.writeTextFile(
      `${dir}/fast.yaml`,
      "models: {trend: [majority, logistic]}\nnews: {scorer: lexicon}\n",
    );
    await Deno.writeTextFile(
      `${dir}/lm.yaml`,
      "models: {trend: [majority, logistic]}\nnews: {scorer: lm, model: nonexistent@v9}\n",
    );
    await Deno.writeTextFile(
      `${dir}/lm-default.yaml`,
      "models: {trend: [majority, logistic]}\nnews: {scorer: lm}\n",
    );
    const etf = (store: string, config: string, ...extra: string[]) =>
      cli("cli", [
        "--config",
        `${dir}/${config}`,
        "--data-dir",
        ETF,
        "--symbols",
        "SPY,QQQ",
        "--from",
        "2015-01-02",
        "--to",
        "2019-12-31",
        "--store-dir",
        `${dir}/${store}`,
        "--quiet",
        ...extra,
      ]);
    const dates = (train: string, valid: string) => [
      "--train",
      train,
      "--valid",
      valid,
      "--test",
      "2018-01-01..2018-12-31",
    ];
    const [empty, folder, lm, lmDir, shortTrain, shortValid, synthetic, noStore] = await Promise.all([
      etf("s1", "fast.yaml", "--report", ""),
      etf("s2", "fast.yaml", "--report", `${dir}/folder`),
      etf("s3", "lm.yaml", "--report", `${dir}/r3.html`),
      cli("cli", [
        "--config",
        `${dir}/lm-default.yaml`,
        "--store-dir",
        `${dir}/s4`,
        "--report",
        `${dir}/r4.html`,
        "--quiet",
      ], { FMAI_LM_DIR: `${dir}/no-lm` }),
      etf(
        "s5",
        "fast.yaml",
        "--report",
        `${dir}/r5.html`,
        ...dates("2015-01-02..2015-03-31", "2017-01-01..2017-12-31"),
      ),
      etf(
        "s6",
        "fast.yaml",
        "--report",
        `${dir}/r6.html`,
        ...dates("2015-01-02..2016-12-31", "2017-01-01..2017-01-05"),
      ),
      cli("cli", ["--source", "synthetic", "--data-dir", ETF, "--store-dir", `${dir}/s7`, "--quiet"]),
      cli("cli", ["--store-dir", "", "--quiet"]),
    ]);
    expectOneLine(empty, 2, /^error: --report: empty path/, `${dir}/s1`);
    expectOneLine(folder, 2, /^error: --report .*\/folder: is a folder, not a file/, `${dir}/s2`);
    expectOneLine(
      lm,
      2,
      /language model nonexistent@v9 is not installed \(deno task lm:train does not make nonexistent@v9; deno task lm:status lists/,
      `${dir}/s3`,
    );
    expectOneLine(lmDir, 2, /language model finsent-mpnet@v1 is not installed/, `${dir}/s4`);
    expectOneLine(
      shortTrain,
      2,
      /segment train 2015-01-02\.\.2015-03-31: 1 usable session of 61 \(60 in the 60-session feature warm-up\); the train segment needs at least 30/,
      `${dir}/s5`,
    );
    expectOneLine(
      shortValid,
      2,
      /segment valid 2017-01-01\.\.2017-01-05: 3 usable sessions of 3; each segment needs at least 20: widen it/,
      `${dir}/s6`,
    );
    expectOneLine(synthetic, 2, /source\.csvDir \(--data-dir\) is read only by the csv source/, `${dir}/s7`);
    expectOneLine(noStore, 2, /^error: config dataDir \(--store-dir\): empty path/);
    equal([...Deno.readDirSync(dir)].filter((e) => e.name.includes(".tmp-")).length, 0, "no temporary file");
    equal([...Deno.readDirSync(ROOT)].filter((e) => /^\.tmp-\d+$/.test(e.name)).length, 0, "none in the cwd");
    // a report that cannot be renamed into place leaves no temporary file behind
    await rejects(() => writeReport({ title: "t", sections: [] }, `${dir}/folder`, {} as Stores, "t"));
    ok(!existsSync(`${dir}/folder.tmp-${Deno.pid}`), "the temporary file is removed");
  });
});

Deno.test("silent drops: missing field, file without close, unknown symbol, corrupt recording are said, --strict refuses", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/csv`);
    await Deno.writeTextFile(
      `${dir}/csv/prices.csv`,
      "date,open,high,low,close,volume,Name\n2020-01-02,10,11,9,10.5,100,AAA\n2020-01-03,10,11,9,,100,AAA\n" +
        "2020-01-06,10,11,9,10.5,100,AAA\n",
    );
    await Deno.mkdir(`${dir}/noclose`);
    await Deno.writeTextFile(`${dir}/noclose/AAPL.csv`, "date,open,high,low,volume\n2020-01-02,1,1,1,1\n");
    await Deno.mkdir(`${dir}/rec`);
    await Deno.writeTextFile(`${dir}/rec/chart-AAPL.json`, '{"request": {"url": "https://query2.fin');
    const csvCollect = (...extra: string[]) =>
      cli("collect_cli", [
        "--source",
        "csv",
        "--data-dir",
        `${dir}/csv`,
        "--from",
        "2020-01-01",
        "--to",
        "2020-01-06", // the file's last bar: a --to past the data is refused
        "--quiet",
        ...extra,
      ]);
    const [strict, lenient, noClose, unknown, corrupt] = await Promise.all([
      csvCollect("--strict", "--store-dir", `${dir}/s1`),
      csvCollect("--store-dir", `${dir}/s2`),
      cli("cli", [
        "--data-dir",
        `${dir}/noclose`,
        "--symbols",
        "AAPL",
        "--store-dir",
        `${dir}/s3`,
        "--quiet",
      ]),
      cli("cli", ["--data-dir", SP500, "--symbols", "AAPL,NOPE", "--store-dir", `${dir}/s4`, "--quiet"]),
      replayCollect(`${dir}/rec`, `${dir}/s5`, "--from", "2020-01-01", "--to", "2020-01-02"),
    ]);
    expectOneLine(strict, 2, /prices\.csv:3: missing value/, `${dir}/s1`);
    equal(lenient.code, 0, lenient.err);
    ok(
      /input: 3 rows read from 1 file; 1 skipped \(1 missing value\) \(--strict refuses these\)/.test(
        lenient.out,
      ),
      lenient.out,
    );
    expectOneLine(
      noClose,
      2,
      /no OHLCV CSV files in .*; ignored: AAPL\.csv \(no close column\)/,
      `${dir}/s3`,
    );
    expectOneLine(
      unknown,
      2,
      /unknown symbol NOPE: .* hold 505 symbols \(A, AAL, AAP, AAPL, .* and 493 more\)/,
      `${dir}/s4`,
    );
    expectOneLine(corrupt, 2, /chart-AAPL\.json: corrupt recording: not JSON/, `${dir}/s5`);
  });
});

Deno.test("silent errors: holes in the bars, a ranking book on one symbol, --refit-every without a walk-forward, a bad --market are refused before any work", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/kelly.yaml`, "portfolio: {method: kelly}\n");
    await Deno.writeTextFile(`${dir}/refit.yaml`, "dataset:\n  walkForward:\n    refitEvery: 10\n");
    const gspc = (store: string, from: string, to: string, ...extra: string[]) =>
      cli("cli", [
        "--data-dir",
        GSPC,
        "--from",
        from,
        "--to",
        to,
        "--store-dir",
        `${dir}/${store}`,
        "--report",
        `${dir}/${store}.html`,
        "--quiet",
        ...extra,
      ]);
    const etf = (store: string, ...extra: string[]) =>
      cli("cli", [
        "--data-dir",
        ETF,
        "--symbols",
        "SPY,QQQ",
        "--store-dir",
        `${dir}/${store}`,
        "--quiet",
        ...extra,
      ]);
    const [holes, one, flag, file] = await Promise.all([
      // 1962-1982 rows have Open 0.0 and are skipped as missing: years of holes, not consecutive sessions
      gspc("s1", "1960-01-01", "1969-12-31", "--config", `${dir}/kelly.yaml`),
      gspc("s2", "1990-01-01", "1995-12-31"),
      etf("s3", "--refit-every", "5"),
      etf("s4", "--config", `${dir}/refit.yaml`),
    ]);
    expectOneLine(
      holes,
      2,
      /^error: \^GSPC_1927_2023 misses \d+ of \d+ sessions \(\d+\.\d%; longest gap \d+ sessions, \d{4}-\d\d-\d\d\.\.\d{4}-\d\d-\d\d\) between its first and last bar: at most 5% missing and no gap over 20 sessions/,
      `${dir}/s1`,
    );
    ok(!existsSync(`${dir}/s1.html`), "no report");
    expectOneLine(
      one,
      2,
      /^error: portfolio\.method topk-dropout ranks names against each other and needs at least 2 symbols, got 1 symbol .*use portfolio\.method: kelly/,
      `${dir}/s2`,
    );
    ok(!existsSync(`${dir}/s2.html`), "no report");
    expectOneLine(
      flag,
      2,
      /^error: config dataset\.walkForward\.refitEvery \(--refit-every\): 5 is read only by a walk-forward, and dataset\.walkForward\.mode \(--walk-forward\) is off/,
      `${dir}/s3`,
    );
    expectOneLine(
      file,
      2,
      /^error: config .*refit\.yaml: dataset\.walkForward\.refitEvery 10 is read only by a walk-forward, and dataset\.walkForward\.mode is off/,
      `${dir}/s4`,
    );
    // --market: a series the source does not have, a volatility index as the index, three symbols
    const [missing, late, three] = await Promise.all([
      etf("s5", "--market", "^FOO"),
      etf("s6", "--market", "^VIX"),
      etf("s7", "--market", "^GSPC,^VIX,^DJI"),
    ]);
    expectOneLine(
      missing,
      2,
      /^error: csv:yahoo-daily: unknown symbol \^FOO: .* hold 9 symbols \(.*\^GSPC/,
      `${dir}/s5`,
    );
    expectOneLine(
      late,
      2,
      /^error: config source\.market\.index: \^VIX is published after the close/,
      `${dir}/s6`,
    );
    expectOneLine(three, 2, /^error: --market: expected INDEX or INDEX,VIX, got 3 symbols/, `${dir}/s7`);
  });
});

Deno.test("silent drops: a store error in the incremental look-up fails the symbol instead of refetching everything", async () => {
  await withDir(async (dir) => {
    const stores = await openStores(embeddedConfig(dir));
    const broken: Stores = {
      ...stores,
      tables: {
        ...stores.tables,
        ensureTable: (s) => stores.tables.ensureTable(s),
        query: () =>
          Promise.reject(new StoreError("sqlite query bars: disk I/O error", { backend: "sqlite" })),
        upsert: (t, r) => stores.tables.upsert(t, r),
      },
      documents: {
        ...stores.documents,
        find: () =>
          Promise.reject(new StoreError("documents find news: disk I/O error", { backend: "sqlite" })),
      },
    };
    const replay = createRawRecorder(await createReplayFetch(YF));
    const { createYahooSource } = await import("@lib/sources/mod.ts");
    const sources = {
      raw: replay,
      yahoo: createYahooSource({ fetch: replay.fetch, rateLimitPerSec: 0, retries: 0 }),
    };
    const req = { symbols: ["AAPL"], from: "2020-01-01", to: "2020-01-02" };
    const [p] = await pricesStep.run(sources, broken, req);
    const [n] = await newsStep.run(sources, broken, req);
    equal(p.ok, false);
    ok(/disk I\/O error/.test(p.error!), p.error);
    equal(n.ok, false);
    ok(/disk I\/O error/.test(n.error!), n.error);
    equal(await stores.tables.count("bars"), 0, "nothing written");
    await stores.close();
  });
});

Deno.test("implausible values and raw symbols: refused before anything is stored or requested", async () => {
  await withDir(async (dir) => {
    await editedFixture(`${dir}/neg`, "chart-AAPL-2020-01-01-to-2020-01-03.json", (b) => {
      // deno-lint-ignore no-explicit-any
      (b as any).chart.result[0].indicators.quote[0].low = [-1];
    });
    await editedFixture(`${dir}/msft`, "chart-AAPL-2020-01-01-to-2020-01-03.json", (b) => {
      // deno-lint-ignore no-explicit-any
      (b as any).chart.result[0].meta.symbol = "MSFT";
    });
    const base = ["--symbols", "AAPL", "--from", "2020-01-01", "--to", "2020-01-02", "--quiet"];
    const [neg, msft, path, query] = await Promise.all([
      cli("collect_cli", [...base, "--replay", `${dir}/neg`, "--store-dir", `${dir}/s1`]),
      cli("collect_cli", [...base, "--replay", `${dir}/msft`, "--store-dir", `${dir}/s2`]),
      cli("collect_cli", [
        "--symbols",
        "../../etc/passwd",
        "--replay",
        YF,
        "--store-dir",
        `${dir}/s3`,
        "--quiet",
      ]),
      cli("collect_cli", ["--symbols", "AAPL?x#", "--replay", YF, "--store-dir", `${dir}/s4`, "--quiet"]),
    ]);
    for (const [r, re] of [[neg, /negative price/], [msft, /the response is about "MSFT"/]] as const) {
      equal(r.code, 1, r.err);
      ok(/collected: 0 ok, 1 failed/.test(r.out), r.out);
      ok(re.test(r.out), r.out);
    }
    equal(await storeCount(`${dir}/s1`, "bars") + await storeCount(`${dir}/s2`, "bars"), 0, "nothing stored");
    expectOneLine(path, 2, /--symbols: "\.\.\/\.\.\/etc\/passwd" is not a symbol/, `${dir}/s3`);
    expectOneLine(query, 2, /--symbols: "AAPL\?x#" is not a symbol/, `${dir}/s4`);
  });
});

Deno.test("future dates: a news item dated 2100 is refused, and one already stored does not move the cursor", async () => {
  await withDir(async (dir) => {
    await editedFixture(`${dir}/rec`, "search-AAPL.json", (b) => {
      // deno-lint-ignore no-explicit-any
      (b as any).news[0].providerPublishTime = 4102444800; // 2100-01-01
    });
    const r = await replayCollect(`${dir}/rec`, `${dir}/s`, "--kinds", "news");
    equal(r.code, 0, r.err);
    ok(/3 records left out/.test(r.out) === false && /1 records left out/.test(r.out), r.out);
    equal(await storeCount(`${dir}/s`, "news"), 3, "the 2100 item is not stored");
    const s = await openStores(embeddedConfig(`${dir}/s`));
    try {
      const real = await latestNewsAt(s, "AAPL");
      await s.documents.upsert(NEWS_COLLECTION, [{
        id: "bad",
        knownAt: Date.UTC(2100, 0, 1),
        symbols: ["AAPL"],
        headline: "x",
      }]);
      equal(await latestNewsAt(s, "AAPL"), real, "the cursor ignores the future item");
    } finally {
      await s.close();
    }
  });
});

Deno.test("--stores given empty (an unset shell variable) is refused, not taken for the embedded store", async () => {
  await withDir(async (dir) => {
    const [run, collect] = await Promise.all([
      cli("cli", [
        "--data-dir",
        SP500,
        "--symbols",
        "AAPL",
        "--stores",
        "",
        "--store-dir",
        `${dir}/s1`,
        "--quiet",
      ]),
      cli("collect_cli", [
        "--symbols",
        "AAPL",
        "--replay",
        YF,
        "--stores",
        "",
        "--store-dir",
        `${dir}/s2`,
        "--quiet",
      ]),
    ]);
    expectOneLine(
      run,
      2,
      /^error: --stores: no backend named \(embedded, mysql, mongodb, s3\)$/,
      `${dir}/s1`,
    );
    expectOneLine(collect, 2, /^error: --stores: no backend named/, `${dir}/s2`);
  });
});

Deno.test("server store settings: a bad FMAI_MONGO_DATABASE or an empty S3 key is one line before any store is written", async () => {
  // both were `internal error (a bug)` with a stack trace from the driver, after fmai.sqlite was written
  await withDir(async (dir) => {
    const [mongo, s3] = await Promise.all([
      cli("cli", ["--data-dir", SP500, "--symbols", "AAPL,MSFT", "--store-dir", `${dir}/s1`, "--quiet"], {
        FMAI_STORES: "mongodb",
        FMAI_MONGO_DATABASE: "a b",
      }),
      cli("collect_cli", ["--symbols", "AAPL", "--replay", YF, "--store-dir", `${dir}/s2`, "--quiet"], {
        FMAI_STORES: "s3",
        FMAI_S3_ACCESS_KEY_ID: "",
      }),
    ]);
    expectOneLine(
      mongo,
      2,
      /^error: FMAI_MONGO_DATABASE: expected 1 to 63 letters, digits, _ or -, got "a b"$/,
      `${dir}/s1`,
    );
    expectOneLine(
      s3,
      2,
      /^error: FMAI_S3_ACCESS_KEY_ID: expected a key without spaces, got an empty value$/,
      `${dir}/s2`,
    );
  });
});

Deno.test("secrets in messages and a refused server: one line, redacted, nothing written", async () => {
  await withDir(async (dir) => {
    const [secret, refused] = await Promise.all([
      cli("collect_cli", [
        "--symbols",
        "AAPL",
        "--stores",
        "mysql",
        "--replay",
        YF,
        "--store-dir",
        `${dir}/s1`,
        "--quiet",
      ], {
        FMAI_MYSQL_URL: "mysql://fmai:pa/ss@word@127.0.0.1:x/fmai",
      }),
      cli("cli", [
        "--data-dir",
        SP500,
        "--symbols",
        "AAPL,MSFT",
        "--stores",
        "mysql",
        "--store-dir",
        `${dir}/s2`,
        "--quiet",
      ], {
        FMAI_MYSQL_URL: "mysql://fmai:pa/ss@word@127.0.0.1:1/fmai",
      }),
    ]);
    expectOneLine(
      secret,
      2,
      /FMAI_MYSQL_URL: not a mysql URL .*mysql:\/\/fmai:\*\*\*@127\.0\.0\.1:x\/fmai/,
      `${dir}/s1`,
    );
    ok(!secret.err.includes("pa/ss") && !secret.err.includes("word@"), secret.err);
    expectOneLine(
      refused,
      1,
      /mysql server 127\.0\.0\.1:1 is unreachable \(ECONNREFUSED after 4 attempts\)/,
      `${dir}/s2`,
    );
    ok(!refused.err.includes("pa/ss"), refused.err);
  });
});

Deno.test("Lambda: every symbol failed -> the invocation fails with one line; nothing stored", async () => {
  const orig = [console.log, console.warn, console.error];
  console.log = console.warn = console.error = () => {};
  await withDir(async (dir) => {
    const handler = makeHandler(["prices"], "prices", {
      FMAI_DATA_DIR: dir,
      FMAI_REPLAY_DIRS: YF,
      FMAI_SYMBOLS: "ZZZA,ZZZB",
    });
    await rejects(handler({ time: "2020-01-02T21:30:00Z", detail: { from: "2020-01-01" } }), (e: Error) => {
      ok(
        /^collect prices 2020-01-01\.\.2020-01-02: 2 of 2 failed \(prices ZZZA: /.test(e.message),
        e.message,
      );
      equal(e.message.includes("\n"), false);
      return true;
    });
    equal(await storeCount(dir, "bars"), 0);
  }).finally(() => [console.log, console.warn, console.error] = orig);
});
