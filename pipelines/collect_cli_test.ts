import { fileURLToPath } from "node:url";
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { ConfigError, isSession, nyDate } from "@lib/core/mod.ts";
import { openEmbeddedStores } from "@lib/store/mod.ts";
import { main, parseCollectArgs, yahooScaleNote } from "./collect_cli.ts";

const YF = fileURLToPath(new URL("../../shared/data/yahoo-fixtures", import.meta.url));
const NQ = fileURLToPath(new URL("../../shared/data/nasdaq-fixtures", import.meta.url));

async function capture(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const log = console.log, error = console.error;
  let out = "", err = "";
  console.log = (...a: unknown[]) => void (out += a.join(" ") + "\n");
  console.error = (...a: unknown[]) => void (err += a.join(" ") + "\n");
  try {
    return { code: await main(argv), out, err };
  } finally {
    console.log = log;
    console.error = error;
  }
}

Deno.test("collect cli: user mistakes are one-line errors with exit code 2", async () => {
  throws(() => parseCollectArgs(["--source", "bloomberg"]), ConfigError);
  throws(() => parseCollectArgs(["--symbols", "A", "--kinds", "prices,tweets"]), ConfigError);
  // a kind given twice is refused, as --stores refuses a backend given twice (it was collapsed without a word)
  throws(
    () => parseCollectArgs(["--symbols", "A", "--kinds", "prices,news,prices"]),
    /^ConfigError: --kinds: prices is given twice \(in "prices,news,prices"\)$/,
  );
  throws(
    () => parseCollectArgs(["--symbols", "AAPL,../../etc/passwd"]),
    /--symbols: "..\/..\/etc\/passwd" is not a symbol/,
  );
  throws(
    () => parseCollectArgs(["--source", "csv", "--kinds", "options", "--data-dir", "x"]),
    /cannot collect/,
  );
  // a flag the chosen source does not read, and a date that is not on the calendar, are refused, not ignored
  throws(
    () => parseCollectArgs(["--source", "yahoo", "--symbols", "AAPL", "--data-dir", "x"]),
    /--data-dir is read only by --source csv \(this run collects from yahoo\)/,
  );
  // the value quoted, so a stray space shows
  for (const [flag, d] of [["--from", "2019-02-30"], ["--from", " 2019-01-02"], ["--to", "2019-01-02 "]]) {
    throws(
      () => parseCollectArgs(["--symbols", "AAPL", flag, d]),
      (e: Error) =>
        e instanceof ConfigError &&
        e.message === `${flag}: expected a date YYYY-MM-DD, got ${JSON.stringify(d)}`,
    );
  }
  // an empty store folder names none: refused naming the flag (it was "store config: dataDir is missing")
  for (const dir of ["", " "]) {
    throws(
      () => parseCollectArgs(["--symbols", "AAPL", "--store-dir", dir]),
      (e: Error) => e instanceof ConfigError && e.message === "--store-dir: empty path (name a folder)",
    );
  }
  throws(
    () => parseCollectArgs(["--source", "synthetic", "--replay", "x", "--from", "2015-01-02"]),
    /--replay is read only by --source yahoo or nasdaq \(this run collects from synthetic\)/,
  );
  throws(
    () => parseCollectArgs(["--symbols", "AAPL", "--option-expiries", "2"]),
    /--option-expiries is read only with --kinds options/,
  );
  // before the synthetic market's first session: refused (it was cut to 2015-01-02, or crashed when the whole
  // range was earlier); a holiday just before it is no session and is taken
  for (const to of ["2010-02-01", "2016-01-04"]) {
    throws(
      () => parseCollectArgs(["--source", "synthetic", "--from", "2010-01-04", "--to", to]),
      /^InputError: --from 2010-01-04: the synthetic market begins 2015-01-02 \(pass --from 2015-01-02 or later\)$/,
    );
  }
  equal(
    parseCollectArgs(["--source", "synthetic", "--from", "2015-01-01", "--to", "2015-01-09"]).from,
    "2015-01-01",
  );
  // --symbols are upper-cased for every source, as the README says (only csv mapped the case; yahoo requested
  // /chart/aapl and the synthetic market refused syn00), and a symbol twice in any case is refused
  const up = parseCollectArgs(["--source", "nasdaq", "--symbols", "aapl,MSFT", "--kinds", "calendars"]);
  deepEqual([up.symbols, up.upperCased], [["AAPL", "MSFT"], ["aapl is AAPL"]]);
  throws(() => parseCollectArgs(["--symbols", "aapl,AAPL"]), ConfigError);
  const syn = await capture([
    "--source",
    "synthetic",
    "--symbols",
    "syn00",
    "--from",
    "2016-01-04",
    "--dry-run",
  ]);
  equal(syn.code, 0, syn.err);
  ok(syn.out.includes("symbols: syn00 is SYN00 (upper-cased)"), syn.out);
  // without --to the range ends at the last session on or before today: never empty on a weekend or holiday
  const d = parseCollectArgs(["--symbols", "AAPL"]);
  const today = nyDate(Date.now());
  equal(d.from, d.to);
  ok(isSession(d.to) && d.to <= today && (d.to === today || !isSession(today)), d.to);
  for (
    const argv of [
      ["--source", "yahoo", "--from", "2020-01-01"],
      ["--symbols", "AAPL", "--from", "2020-13-01"],
      ["--symbols", "AAPL", "--from", "2020-02-01", "--to", "2020-01-01"],
      ["--symbols", "AAPL", "--replay", "/no/such/dir"],
      ["--symbols", "AAPL", "--bogus"],
      ["--source", "synthetic", "--store-dir", "", "--dry-run"],
      // an empty news file path was an internal error with a stack trace
      ["--source", "csv", "--data-dir", ETF, "--symbols", "SPY", "--kinds", "news", "--news-file", ""],
    ]
  ) {
    const r = await capture(argv);
    equal(r.code, 2, `${argv.join(" ")}: ${r.err}`);
    equal(r.err.trim().split("\n").length, 1, r.err);
    ok(r.err.startsWith("error: "), r.err);
  }
});

Deno.test("collect cli: replayed run stores, prints the summary; dry-run writes nothing and shows the incremental plan", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const store = `${dir}/store`;
    const base = [
      "--symbols",
      "AAPL,GOOG",
      "--from",
      "2020-01-01",
      "--to",
      "2020-01-02",
      "--store-dir",
      store,
    ];
    const dry = await capture([...base, "--kinds", "prices", "--dry-run", "--replay", YF]);
    equal(dry.code, 0, dry.err);
    ok(/prices\s+AAPL\s+2020-01-01\.\.2020-01-02/.test(dry.out), dry.out);
    let exists = true;
    await Deno.stat(store).catch(() => (exists = false));
    equal(exists, false, "dry run created nothing");
    const run = await capture([
      ...base,
      "--kinds",
      "prices,news,charts",
      "--quiet",
      "--replay",
      YF,
      "--replay",
      NQ,
    ]);
    equal(run.code, 0, run.out + run.err);
    ok(/collected: 6 ok, 0 failed/.test(run.out), run.out);
    const s = openEmbeddedStores(store);
    try {
      equal(await s.tables.count("bars"), 2);
      equal(await s.documents.count("news"), 8);
      equal((await s.objects.list("charts/")).length, 2);
    } finally {
      await s.close();
    }
    const dry2 = await capture([...base, "--kinds", "prices", "--dry-run"]);
    ok(/prices\s+AAPL\s+skip \(stored up to 2020-01-02\)/.test(dry2.out), dry2.out);
    // a skip is not a fetch
    ok(/dry run: 0 fetches planned from yahoo, 2 skipped \(incremental against /.test(dry2.out), dry2.out);
    const failing = await capture([
      ...base.slice(2),
      "--symbols",
      "AAPL,NOPE",
      "--kinds",
      "options",
      "--quiet",
      "--replay",
      YF,
    ]);
    equal(failing.code, 1, "a failed symbol makes the run exit 1");
    // a flag given twice is refused, not the last one kept
    const twice = await capture([...base, "--symbols", "AAPL,NOPE", "--kinds", "prices", "--replay", YF]);
    equal(twice.code, 2, twice.err);
    ok(/^error: --symbols is given twice: give it once$/m.test(twice.err), twice.err);
    ok(/options\s+NOPE\s+FAILED/.test(failing.out), failing.out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const ETF = fileURLToPath(new URL("../../shared/data/us-index-etf-daily-yahoo", import.meta.url));
const SP500 = fileURLToPath(new URL("../../shared/data/sp500-5yr-ohlcv", import.meta.url));

async function storeMade(store: string): Promise<boolean> {
  return await Deno.stat(store).then(() => true, () => false);
}

Deno.test("collect cli: a lowercase symbol is upper-cased and collected under the source's spelling, and the note says so", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const store = `${dir}/store`;
    const run = await capture([
      ...["--source", "csv", "--data-dir", ETF, "--symbols", "spy"],
      ...["--from", "2019-01-01", "--to", "2019-01-31", "--store-dir", store, "--quiet"],
    ]);
    equal(run.code, 0, run.out + run.err);
    ok(/prices\s+SPY\s+ok\s+2019-01-01\.\.2019-01-31\s+21\s+21/.test(run.out), run.out);
    ok(run.out.includes("symbols: spy is SPY (upper-cased)"), run.out);
    const s = openEmbeddedStores(store);
    try {
      equal(await s.tables.count("bars", { symbol: "SPY" }), 21);
      equal(await s.tables.count("bars"), 21);
    } finally {
      await s.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("collect cli: the input line speaks of the symbols and dates collected, not the whole file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const run = (symbols: string, from: string) =>
      capture([
        ...["--source", "csv", "--data-dir", SP500, "--symbols", symbols, "--kinds", "prices"],
        ...["--from", from, "--to", "2016-06-30", "--store-dir", `${dir}/${symbols}${from}`, "--quiet"],
      ]);
    // the file skips 11 rows (none of AAPL's) and holds one suspect price (LNT's on 2016-05-19)
    const aapl = await run("AAPL", "2016-01-04");
    equal(aapl.code, 0, aapl.out + aapl.err);
    ok(/^input: 619040 rows read from 1 file$/m.test(aapl.out), aapl.out);
    const lnt = await run("LNT", "2016-01-04");
    ok(
      lnt.out.includes(
        "1 suspect price kept as the file has it (LNT 2016-05-19 x0.51 from the session before",
      ),
      lnt.out,
    );
    ok(!(await run("LNT", "2016-05-20")).out.includes("suspect"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("collect cli: sessions not closed yet are counted in the summary's records left out", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // every session of 2099-01 is in the future: none is stored, all 20 are said
    const run = await capture([
      ...["--source", "synthetic", "--symbols", "SYN00,SYN01", "--from", "2099-01-02", "--to", "2099-01-31"],
      ...["--store-dir", `${dir}/store`, "--quiet"],
    ]);
    equal(run.code, 0, run.out + run.err);
    ok(/0 rows\/docs written \(0 new\), 0 objects; 40 records left out/.test(run.out), run.out);
    ok(/prices\s+SYN01\s+ok\s+2099-01-02\.\.2099-01-31\s+0\s+0\s+0\s+20/.test(run.out), run.out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Runs each case: exit 2, one line `error: ...` matching its pattern, no summary, no store created. */
async function refusedBeforeWork(cases: (store: string) => [string[], RegExp][]): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    const store = `${dir}/store`;
    for (const [argv, msg] of cases(store)) {
      const r = await capture(argv);
      equal(r.code, 2, `${argv.join(" ")}: ${r.out}${r.err}`);
      equal(r.err.trim().split("\n").length, 1, r.err);
      ok(r.err.startsWith("error: ") && msg.test(r.err), r.err);
      equal(r.out, "", "no summary: no work started");
      equal(await storeMade(store), false, `${argv.join(" ")}: no store created`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("collect cli: a symbol given twice (in any case) exits 2 before any store exists", async () => {
  throws(() => parseCollectArgs(["--symbols", "SPY,SPY"]), /--symbols: SPY is given twice/);
  throws(() => parseCollectArgs(["--symbols", "spy,QQQ,SPY"]), /--symbols: spy and SPY are the same symbol/);
  await refusedBeforeWork((store) => [
    [
      ["--source", "csv", "--data-dir", ETF, "--symbols", "SPY,SPY", "--store-dir", store, "--quiet"],
      /SPY is given twice/,
    ],
    [["--symbols", "AAPL,aapl", "--replay", YF, "--store-dir", store], /AAPL and aapl are the same symbol/],
  ]);
});

Deno.test("collect cli: a symbol or a range the market source lacks exits 2 before any store exists", async () => {
  await refusedBeforeWork((store) => {
    const csv = ["--source", "csv", "--data-dir", ETF, "--store-dir", store, "--quiet"];
    const year = (y: number) => ["--from", `${y}-01-01`, "--to", `${y}-12-31`];
    return [
      [[...csv, "--symbols", "NOPE", ...year(2019)], /unknown symbol NOPE: .* hold 9 symbols \(DIA, /],
      [
        [...csv, "--symbols", "SPY", ...year(1990)],
        /empty date range: .*\(data covers 2000-01-03\.\.2022-11-18\)/,
      ],
      [[...csv, ...year(1990), "--dry-run"], /empty date range: csv:yahoo-daily has no bars for DIA,/],
      // a named symbol without a bar in the range, beside others with bars: refused before any is stored
      [
        [
          "--source",
          "csv",
          "--data-dir",
          SP500,
          "--symbols",
          "KO,PEP,APTV",
          "--from",
          "2014-01-01",
          "--to",
          "2017-06-30",
          "--store-dir",
          store,
          "--quiet",
        ],
        /^error: no bars for APTV between 2014-01-01 and 2017-06-30 in csv:sp500-5yr \(APTV has bars 2017-12-05\.\.2018-02-07\)/,
      ],
      [
        ["--source", "synthetic", "--symbols", "SPY", ...year(2019), "--store-dir", store, "--quiet"],
        /synthetic: unknown symbol SPY \(have SYN00\.\.SYN19\)/,
      ],
    ];
  });
});

Deno.test("collect cli: a range reaching past a CSV folder's data exits 2 before any store exists, naming the data's range", async () => {
  await refusedBeforeWork((store) => {
    const csv = ["--source", "csv", "--data-dir", ETF, "--store-dir", store, "--quiet"];
    return [
      [
        [...csv, "--symbols", "SPY", "--from", "2022-11-01", "--to", "2023-01-10"],
        /^error: --to 2023-01-10: the data of SPY in csv:yahoo-daily ends 2022-11-18 \(it holds 2000-01-03\.\.2022-11-18; pass --to 2022-11-18 or earlier\)$/m,
      ],
      [
        [...csv, "--symbols", "SPY", "--from", "1999-11-01", "--to", "2000-02-01", "--dry-run"],
        /^error: --from 1999-11-01: the data of SPY in csv:yahoo-daily begins 2000-01-03 \(it holds 2000-01-03\.\.2022-11-18; pass --from 2000-01-03 or later\)$/m,
      ],
      // every symbol of the folder when none is named
      [
        [...csv, "--from", "2022-11-01", "--to", "2023-01-10"],
        /^error: --to 2023-01-10: the data in csv:yahoo-daily ends 2022-11-18 /,
      ],
    ];
  });
  // a weekend after the last bar (2022-11-18 is a Friday) is no session the data misses
  const dir = await Deno.makeTempDir();
  try {
    const r = await capture([
      ...[
        "--source",
        "csv",
        "--data-dir",
        ETF,
        "--symbols",
        "SPY",
        "--from",
        "2022-11-14",
        "--to",
        "2022-11-20",
      ],
      ...["--store-dir", `${dir}/store`, "--quiet"],
    ]);
    equal(r.code, 0, r.err);
    ok(/prices\s+SPY\s+ok\s+2022-11-14\.\.2022-11-20\s+5\s+5/.test(r.out), r.out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("collect: Yahoo prices ending before the last session say a later split stays in their scale", () => {
  const a = { source: "yahoo" as const, kinds: ["prices" as const], to: "2022-01-28" };
  ok(yahooScaleNote(a, "2026-12-04").includes("a split after 2022-01-28 is not named"));
  equal(yahooScaleNote({ ...a, to: "2026-12-04" }, "2026-12-04"), "");
  equal(yahooScaleNote({ ...a, to: "2026-12-04" }, "2026-12-05"), "", "Saturday: Friday is the last session");
  equal(yahooScaleNote({ ...a, source: "csv" as const }, "2026-12-04"), "");
  equal(yahooScaleNote({ ...a, kinds: ["news" as const] }, "2026-12-04"), "");
});

Deno.test("collect cli: the synthetic market is the demo's, the same bars for the same dates whatever range is asked", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const store = `${dir}/store`;
    const run = (from: string, to: string) =>
      capture([
        "--source",
        "synthetic",
        "--kinds",
        "prices",
        "--symbols",
        "SYN00",
        "--from",
        from,
        "--to",
        to,
        "--store-dir",
        store,
        "--quiet",
      ]);
    const first = await run("2016-01-04", "2016-02-29");
    equal(first.code, 0, first.out + first.err);
    const stores = openEmbeddedStores(store);
    const closes = async () =>
      new Map(
        (await stores.tables.query("bars", { where: { symbol: "SYN00" } })).map((
          r,
        ) => [String(r.date), r.close]),
      );
    try {
      const before = await closes();
      // an overlapping later range: the overlap is unchanged and nothing is written twice
      const second = await run("2016-02-01", "2016-03-31");
      equal(second.code, 0, second.out + second.err);
      const after = await closes();
      for (const [d, c] of before) equal(after.get(d), c, d);
      // the demo's market (config/default.yaml source.synthetic) has the same bars on those dates
      const { createSyntheticMarket } = await import("@lib/sources/mod.ts");
      const { loadConfig } = await import("./config.ts");
      const s = (await loadConfig()).source.synthetic;
      const demo = await createSyntheticMarket({ ...s }).bars({
        symbols: ["SYN00"],
        from: "2016-01-04",
        to: "2016-03-31",
      });
      for (const b of demo.get("SYN00")!) equal(after.get(b.date), b.close, b.date);
    } finally {
      await stores.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("collect cli: a market-wide news file is stored once, with no symbol, beside each symbol's news; a re-run adds none", async () => {
  const dir = await Deno.makeTempDir();
  const cnbc = new URL(
    "../../shared/data/financial-news-headlines-cnbc-guardian/cnbc_headlines.csv",
    import.meta.url,
  ).pathname;
  try {
    const store = `${dir}/store`;
    const argv = [
      ...["--source", "csv", "--data-dir", ETF, "--symbols", "SPY,QQQ", "--kinds", "news"],
      ...["--news-file", cnbc, "--from", "2019-01-02", "--to", "2019-01-31", "--store-dir", store, "--quiet"],
    ];
    const run = await capture(argv);
    equal(run.code, 0, run.out + run.err);
    ok(/news\s+\(market-wide\)\s+ok/.test(run.out), run.out);
    const s = openEmbeddedStores(store);
    try {
      const docs = await s.documents.find("news", {});
      ok(docs.length > 50, `${docs.length} items`);
      ok(docs.every((d) => Array.isArray(d.symbols) && (d.symbols as unknown[]).length === 0), "none tagged");
      equal(new Set(docs.map((d) => d.id)).size, docs.length);
      // the January items: after the close of 2018-12-31 up to the close of 2019-01-31
      ok(docs.every((d) => d.knownAt > Date.UTC(2018, 11, 31, 21) && d.knownAt <= Date.UTC(2019, 0, 31, 21)));
      const again = await capture(argv);
      equal(again.code, 0, again.out + again.err);
      equal((await s.documents.find("news", {})).length, docs.length);
    } finally {
      await s.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
