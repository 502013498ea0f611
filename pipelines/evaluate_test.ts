import { fileURLToPath } from "node:url";
import { programStderr } from "../scripts/_test_process.ts";
import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { ConfigError, FmaiError, InputError } from "@lib/core/mod.ts";
import { buildScoreboard, type Section, SECTIONS } from "@lib/evaluate/mod.ts";
import {
  ciProblems,
  evaluate,
  EXPECTED_PATH,
  gitDirty,
  gitSha,
  lanes,
  loadExpected,
  parseEvaluateArgs,
  preflight,
  resultBase,
  sectionsInWorker,
} from "./evaluate.ts";
import { expectedFrom, guardProblems, parseExpected } from "./evaluate_guard.ts";
import { fromRemoteError, toRemoteError } from "./evaluate_worker.ts";

Deno.test("evaluate CLI: flags, section aliases in protocol order, one-line errors", () => {
  const o = parseEvaluateArgs(["--reduced", "--seed", "7", "--sections", "signals,trend,trend"]);
  equal(o.reduced, true);
  equal(o.seed, 7);
  deepEqual(o.sections, ["trend", "signals"]);
  ok(o.dataDir.endsWith("/shared/data"));
  ok(o.outDir.endsWith("/bench/results"));
  const d = parseEvaluateArgs([]);
  equal(d.reduced, false);
  equal(d.seed, 42);
  deepEqual(new Set(d.sections), new Set(Object.keys(SECTIONS)));
  equal(parseEvaluateArgs(["--ci"]).reduced, true);
  if ("volatility" in SECTIONS) deepEqual(parseEvaluateArgs(["--sections", "vol"]).sections, ["volatility"]);
  throws(() => parseEvaluateArgs(["--sections", "astrology"]), ConfigError);
  throws(() => parseEvaluateArgs(["--seed", "x"]), ConfigError);
  throws(() => parseEvaluateArgs(["--tickers", "0"]), ConfigError);
  throws(() => parseEvaluateArgs(["--bogus"]), ConfigError);
});

Deno.test("evaluate:ci verdict: off-chance null checks, missing, NaN and regressed metrics fail; improvements pass", async () => {
  const m = (name: string, method: string, value: number, higherIsBetter?: boolean) => ({
    section: "trend",
    name,
    method,
    value,
    segment: "test",
    data: "d",
    seed: 1,
    ...(higherIsBetter === undefined ? {} : { higherIsBetter }),
  });
  const sb = (metrics: ReturnType<typeof m>[]) =>
    buildScoreboard([{
      section: "trend",
      title: "t",
      metrics,
      figures: [],
      tables: [],
      notes: [],
      timings: {},
    }], {
      date: "2026-01-01",
      gitSha: "x",
      gitDirty: false,
      seed: 1,
      reduced: true,
    });
  const recorded = sb([
    m("accuracy", "logistic", 0.4, true),
    m("log_loss", "logistic", 1.05, false),
    m("ann_vol", "moe", 0.1),
    m("null_check_z", "logistic", 1),
  ]);
  const expected = expectedFrom(recorded);
  deepEqual(Object.keys(expected.metrics), [
    "trend/logistic/accuracy@test",
    "trend/logistic/log_loss@test",
    "trend/moe/ann_vol@test",
  ]);
  equal(expected.metrics["trend/logistic/accuracy@test"].tol, 0.02);
  deepEqual(ciProblems(recorded, expected), []);
  // better than recorded is fine; worse beyond the tolerance, NaN, missing, or off chance is not
  const run = (acc: number, loss: number, vol: number) =>
    ciProblems(
      sb([
        m("accuracy", "logistic", acc, true),
        m("log_loss", "logistic", loss, false),
        m("ann_vol", "moe", vol),
      ]),
      expected,
    );
  deepEqual(run(0.5, 0.9, 0.1), []);
  const bad = ciProblems(
    sb([
      m("accuracy", "logistic", 0.37, true),
      m("log_loss", "logistic", NaN, false),
      m("null_check_z", "logistic", 4),
    ]),
    expected,
  );
  deepEqual(bad.map((p) => p.split(":")[0]), [
    "null check not at chance",
    "metric regressed",
    "metric not a number",
    "metric missing",
  ]);
  ok(/trend\/logistic\/accuracy@test = 0\.3700, below the floor 0\.3800/.test(bad[1]), bad[1]);
  equal(run(0.4, 1.05, 0.2).length, 1, "a two-sided band");
  // the committed file parses and holds values
  const file = parseExpected(await Deno.readTextFile(EXPECTED_PATH), EXPECTED_PATH);
  equal(file.reduced, true);
  const keys = Object.keys(file.metrics);
  ok(keys.some((k) => k.startsWith("signals/moe/sharpe@")));
  ok(keys.every((k) => Number.isFinite(file.metrics[k].value) && file.metrics[k].tol > 0));
});

Deno.test("evaluate CLI: --seed and --tickers take plain decimal digits only", () => {
  equal(parseEvaluateArgs(["--seed", "0"]).seed, 0);
  equal(parseEvaluateArgs(["--seed=007"]).seed, 7);
  equal(parseEvaluateArgs(["--seed", "4294967295"]).seed, 4294967295);
  equal(parseEvaluateArgs(["--tickers", "2"]).tickers, 2);
  equal(parseEvaluateArgs([]).tickers, undefined);
  for (const v of ["", " 7", "7.0", "0x10", "1e2", "-1", "+3", "Infinity", "4294967296"]) {
    throws(() => parseEvaluateArgs([`--seed=${v}`]), {
      name: "ConfigError",
      message: /^--seed: expected a whole number from 0 to 4294967295, got "/,
    }, v);
  }
  for (const v of ["", "0", "0x10", "1e2", "2.5", "99999999999999999999"]) {
    throws(() => parseEvaluateArgs([`--tickers=${v}`]), {
      name: "ConfigError",
      message: /^--tickers: expected a positive whole number, got "/,
    }, v);
  }
  throws(() => parseEvaluateArgs(["--seed="]), {
    message: '--seed: expected a whole number from 0 to 4294967295, got ""',
  });
  throws(() => parseEvaluateArgs(["--tickers", "1e2"]), {
    message: '--tickers: expected a positive whole number, got "1e2"',
  });
});

Deno.test("evaluate CLI: --write-expected only with --ci, every section and the default tickers", () => {
  throws(() => parseEvaluateArgs(["--ci", "--write-expected", "--sections", "levels", "--tickers", "2"]), {
    name: "ConfigError",
    message:
      "--write-expected records every section at the default tickers; drop --sections levels and --tickers 2",
  });
  throws(() => parseEvaluateArgs(["--ci", "--write-expected", "--sections", "levels"]), {
    message: "--write-expected records every section at the default tickers; drop --sections levels",
  });
  throws(() => parseEvaluateArgs(["--ci", "--write-expected", "--tickers", "2"]), {
    message: "--write-expected records every section at the default tickers; drop --tickers 2",
  });
  throws(() => parseEvaluateArgs(["--write-expected"]), { message: /^--write-expected goes with --ci/ });
  // the defaults spelled out are the defaults
  const all = Object.keys(SECTIONS).join(",");
  const o = parseEvaluateArgs(["--ci", "--write-expected", "--tickers", "60", "--sections", all]);
  equal(o.writeExpected, true);
  equal(parseEvaluateArgs(["--ci", "--write-expected"]).writeExpected, true);
});

Deno.test("evaluate results: other sections, tickers or seed are in the file name; the full run's name is kept", () => {
  const base = (...argv: string[]) =>
    resultBase(parseEvaluateArgs([...argv, "--out", "/o"]), "2026-01-01", "abc1234", false);
  equal(base(), "/o/2026-01-01-abc1234");
  equal(base("--reduced"), "/o/2026-01-01-abc1234-reduced");
  equal(base("--ci", "--tickers", "60", "--seed", "42"), "/o/2026-01-01-abc1234-reduced");
  equal(base("--sections", "levels", "--tickers", "2", "--seed", "7"), "/o/2026-01-01-abc1234-levels-t2-s7");
  equal(base("--sections", "signals,trend"), "/o/2026-01-01-abc1234-trend+signals");
  equal(base("--reduced", "--tickers", "2"), "/o/2026-01-01-abc1234-reduced-t2");
  equal(base("--tickers", "60"), "/o/2026-01-01-abc1234-t60", "60 tickers is not a full run's default");
  equal(base("--seed", "0"), "/o/2026-01-01-abc1234-s0");
  equal(base("--sections", Object.keys(SECTIONS).join(",")), "/o/2026-01-01-abc1234");
  equal(
    resultBase(parseEvaluateArgs(["--seed", "7", "--out", "/o"]), "2026-01-01", "abc1234", true),
    "/o/2026-01-01-abc1234-dirty-s7",
  );
});

Deno.test("evaluate: a partial run writes its own files, with its tickers and seed in the header", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evaluate-test-" });
  const real = SECTIONS.levels;
  let asked: { seed: number; tickers?: number } | undefined;
  const stub: Section = (ctx) => {
    asked = { seed: ctx.seed, tickers: ctx.tickers };
    return Promise.resolve({
      section: "levels",
      title: "levels (stub)",
      metrics: [{
        section: "levels",
        name: "hit",
        method: "m",
        value: 0.5,
        segment: "test",
        data: "d",
        seed: 7,
      }],
      figures: [],
      tables: [],
      notes: [],
      timings: {},
    });
  };
  try {
    SECTIONS.levels = stub;
    // the file a default full run of this commit writes today
    const date = new Date().toISOString().slice(0, 10);
    const full = `${
      resultBase(parseEvaluateArgs(["--out", dir]), date, await gitSha(), await gitDirty())
    }.json`;
    await Deno.writeTextFile(full, "{}");
    const r = await evaluate(
      parseEvaluateArgs(["--sections", "levels", "--tickers", "2", "--seed", "7", "--out", dir, "--quiet"]),
    );
    deepEqual(asked, { seed: 7, tickers: 2 });
    ok(r.jsonPath.endsWith("-levels-t2-s7.json"), r.jsonPath);
    ok(r.htmlPath.endsWith("-levels-t2-s7.html"), r.htmlPath);
    const head = JSON.parse(await Deno.readTextFile(r.jsonPath));
    deepEqual([head.seed, head.reduced, head.tickers], [7, false, 2]);
    deepEqual(head.sections.map((s: { section: string }) => s.section), ["levels"]);
    equal(await Deno.readTextFile(full), "{}");
  } finally {
    SECTIONS.levels = real;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("evaluate preflight: --out and the --ci expected file are refused before any work", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evaluate-test-" });
  try {
    const file = `${dir}/afile`;
    await Deno.writeTextFile(file, "");
    await rejects(preflight(parseEvaluateArgs(["--out", `${file}/x`])), {
      name: "ConfigError",
      message: `--out ${file}/x: ${file} is not a folder`,
    });
    // more tickers than the sp500 file holds ran on all 505 under the asked count's name
    await rejects(preflight(parseEvaluateArgs(["--tickers", "10000", "--out", `${dir}/out`])), {
      name: "ConfigError",
      message: "--tickers 10000: the sp500 data holds 505 tickers (choose at most 505)",
    });
    const doc = (extra: Record<string, unknown> = {}) =>
      JSON.stringify({
        reduced: true,
        seed: 42,
        gitSha: "abc",
        metrics: { "trend/m/accuracy@test": { value: 0.5, tol: 0.02, higherIsBetter: true } },
        ...extra,
      });
    const exp = `${dir}/expected.json`;
    const ci = (...argv: string[]) =>
      preflight(parseEvaluateArgs(["--ci", "--out", `${dir}/out`, ...argv]), exp);
    // a file without tickers (the committed one) holds the default count; one with it must match
    await Deno.writeTextFile(exp, doc());
    equal((await ci())?.seed, 42);
    equal((await ci("--tickers", "60"))?.gitSha, "abc");
    equal(await preflight(parseEvaluateArgs(["--out", `${dir}/out`]), exp), null, "no --ci: no file read");
    await rejects(ci("--seed", "7"), {
      name: "ConfigError",
      message: `--ci: ${exp}: the expected values are from a reduced run with seed 42 and 60 tickers; ` +
        "this is a reduced run with seed 7 and 60 tickers (run with the recorded seed and tickers)",
    });
    await rejects(ci("--tickers", "2"), {
      name: "ConfigError",
      message: /this is a reduced run with seed 42 and 2 tickers/,
    });
    await Deno.writeTextFile(exp, doc({ tickers: 2 }));
    equal((await ci("--tickers", "2"))?.tickers, 2);
    await rejects(ci(), {
      message:
        /from a reduced run with seed 42 and 2 tickers; this is a reduced run with seed 42 and 60 tickers/,
    });
    await Deno.writeTextFile(exp, doc({ reduced: false }));
    await rejects(ci(), { message: /from a full run with seed 42 and all tickers; this is a reduced run/ });
    for (
      const [text, why] of [
        ["[]", "not an object"],
        ["{", "not JSON"],
        [doc({ seed: "42" }), "seed is not an integer"],
        [doc({ tickers: 0 }), "tickers is not an integer"],
        [doc({ metrics: { k: { value: null, tol: 1 } } }), "metric k is not"],
        [doc({ metrics: [] }), "metrics is not an object"],
      ]
    ) {
      await Deno.writeTextFile(exp, text);
      await rejects(ci(), (e: Error) => {
        ok(e instanceof InputError, String(e));
        ok(e.message.startsWith(`${exp}: not an expected-metrics document (${why}`), e.message);
        ok(!e.message.includes("\n"));
        return true;
      });
    }
    await Deno.remove(exp);
    await rejects(ci(), { name: "ConfigError", message: /^--ci: cannot read / });
    // the committed file is accepted for a default evaluate:ci run
    equal((await loadExpected(parseEvaluateArgs(["--ci"]))).reduced, true);
    await rejects(loadExpected(parseEvaluateArgs(["--ci", "--seed", "7"])), ConfigError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("evaluate:ci guard: the expected file records tickers; another ticker count is one problem", () => {
  const sb = (tickers?: number) => ({
    ...buildScoreboard([], { date: "2026-01-01", gitSha: "x", gitDirty: false, seed: 42, reduced: true }),
    ...(tickers === undefined ? {} : { tickers }),
  });
  equal(expectedFrom(sb()).tickers, 60);
  equal(expectedFrom(sb(2)).tickers, 2);
  const { tickers: _, ...old } = expectedFrom(sb());
  deepEqual(guardProblems(old, sb(60)), []);
  deepEqual(guardProblems(expectedFrom(sb(2)), sb(2)), []);
  deepEqual(guardProblems(old, sb(2)), [
    "the expected values are from a reduced run with seed 42 and 60 tickers; this is a reduced run with seed 42 and 2 tickers",
  ]);
});

Deno.test("evaluate CLI: refusals exit 2 with one line before any work", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evaluate-test-" });
  const root = fileURLToPath(new URL("..", import.meta.url));
  try {
    await Deno.writeTextFile(`${dir}/afile`, "");
    // --data names nothing: a run that started anyway would fail on other words
    const run = async (...args: string[]) => {
      const r = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "pipelines/evaluate.ts", "--data", `${dir}/nodata`, ...args],
        cwd: root,
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(60_000),
      }).output();
      const lines = programStderr(r.stderr).split("\n").filter((l) => l);
      return { code: r.code, lines, out: new TextDecoder().decode(r.stdout) };
    };
    for (
      const [args, re] of [
        [
          ["--ci", "--write-expected", "--sections", "levels", "--tickers", "2"],
          /^error: --write-expected records/,
        ],
        [
          ["--ci", "--seed", "7", "--sections", "levels", "--out", `${dir}/out`],
          /^error: --ci: .*seed 42.*seed 7/,
        ],
        [
          ["--sections", "levels", "--tickers", "2", "--out", `${dir}/afile/x`],
          /^error: --out .*afile is not a folder$/,
        ],
        [["--seed="], /^error: --seed: expected a whole number from 0 to 4294967295, got ""$/],
      ] as const
    ) {
      const r = await run(...args);
      equal(r.code, 2, `${args.join(" ")}: ${r.lines.join("\n")}`);
      deepEqual(r.lines.length, 1, r.lines.join("\n"));
      ok(re.test(r.lines[0]), r.lines[0]);
      equal(r.out, "");
    }
    deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["afile"], "nothing written");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Runs `body` with `FMAI_LM_DIR` at an empty folder (no language model: the sentiment section stays quick). */
async function withoutLm(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "evaluate-worker-test-" });
  const before = Deno.env.get("FMAI_LM_DIR");
  Deno.env.set("FMAI_LM_DIR", `${dir}/lm`);
  try {
    await body(dir);
  } finally {
    if (before === undefined) Deno.env.delete("FMAI_LM_DIR");
    else Deno.env.set("FMAI_LM_DIR", before);
    await Deno.remove(dir, { recursive: true });
  }
}

/** A stand-in trend section (it runs in the main thread; the worker's sections are the real ones). */
const trendStub: Section = () =>
  Promise.resolve({
    section: "trend",
    title: "trend (stub)",
    metrics: [],
    figures: [],
    tables: [],
    notes: [],
    timings: {},
  });

/** Runs `body` with `SECTIONS.trend` replaced by {@link trendStub}. */
async function withTrendStub(body: () => void | Promise<void>): Promise<void> {
  const real = SECTIONS.trend;
  SECTIONS.trend = trendStub;
  try {
    await body();
  } finally {
    SECTIONS.trend = real;
  }
}

Deno.test("evaluate lanes: trend and signals stay in this thread, the others and the null check go beside", async () => {
  const lane = (sections: string[], serial = false) => lanes({ sections, serial });
  deepEqual(lane(["trend", "volatility", "levels", "sentiment", "signals", "risk"]), {
    main: ["trend", "signals"],
    worker: ["volatility", "levels", "sentiment", "risk"],
    nullCheckInWorker: true,
  });
  deepEqual(lane(["trend", "sentiment"], true), {
    main: ["trend", "sentiment"],
    worker: [],
    nullCheckInWorker: false,
  });
  // no section beside: one thread for the sections
  deepEqual(lane(["levels", "sentiment"]), {
    main: ["levels", "sentiment"],
    worker: [],
    nullCheckInWorker: false,
  });
  // ... but the null check still goes beside the trend run, in a worker of its own
  deepEqual(lane(["trend", "signals"]), { main: ["trend", "signals"], worker: [], nullCheckInWorker: true });
  deepEqual(lane(["signals"]), { main: ["signals"], worker: [], nullCheckInWorker: true });
  deepEqual(lane(["risk", "signals"], true), {
    main: ["risk", "signals"],
    worker: [],
    nullCheckInWorker: false,
  });
  // a section that does not report the null check (the tests' trend stub) does not start it
  await withTrendStub(() =>
    deepEqual(lane(["trend", "levels"]), { main: ["trend"], worker: ["levels"], nullCheckInWorker: false })
  );
});

Deno.test("evaluate: sections run in the worker give the serial run's numbers, notes and tables", async () => {
  await withoutLm((dir) =>
    withTrendStub(async () => {
      const run = (out: string, ...more: string[]) =>
        evaluate(parseEvaluateArgs([
          "--reduced",
          "--sections",
          "sentiment,levels,trend",
          "--tickers",
          "2",
          "--out",
          `${dir}/${out}`,
          "--quiet",
          ...more,
        ]));
      const worker = await run("worker");
      const serial = await run("serial", "--serial");
      for (const r of [worker, serial]) {
        deepEqual(r.results.map((x) => x.section), ["trend", "levels", "sentiment"]);
      }
      const part = (r: typeof worker, name: string) => {
        const s = r.results.find((x) => x.section === name)!;
        return { metrics: s.metrics, notes: s.notes, tables: s.tables, figures: s.figures, title: s.title };
      };
      ok(part(worker, "sentiment").metrics.length > 10 && part(worker, "levels").metrics.length > 10);
      ok(part(worker, "sentiment").notes.some((n) => n.includes("language-model rows skipped")));
      for (const name of ["levels", "sentiment"]) deepEqual(part(worker, name), part(serial, name), name);
      ok(worker.results[2].timings.section_total > 0);
      deepEqual(worker.scoreboard.sections, serial.scoreboard.sections);
    })
  );
});

Deno.test("evaluate: a section failing in the worker fails the run with its typed error, nothing written", async () => {
  await withoutLm((dir) =>
    withTrendStub(async () => {
      // the prices are there (the levels section runs), PhraseBank is not (the sentiment section fails)
      await Deno.mkdir(`${dir}/data`);
      await Deno.symlink(
        fileURLToPath(new URL("../../shared/data/sp500-5yr-ohlcv", import.meta.url)),
        `${dir}/data/sp500-5yr-ohlcv`,
      );
      const o = parseEvaluateArgs([
        "--reduced",
        "--sections",
        "trend,levels,sentiment",
        "--tickers",
        "2",
        "--data",
        `${dir}/data`,
        "--out",
        `${dir}/out`,
        "--quiet",
      ]);
      deepEqual(lanes(o).worker, ["levels", "sentiment"]);
      await rejects(() => evaluate(o), (e: unknown) => {
        ok(e instanceof FmaiError, String(e));
        equal(e.name, "DataSourceError");
        equal(e.userError, true);
        ok(/^shared data: cannot read .*financial-phrasebank/.test(e.message), e.message);
        return true;
      });
      equal(await Deno.stat(`${dir}/out`).then(() => [...Deno.readDirSync(`${dir}/out`)].length, () => 0), 0);
    })
  );
});

Deno.test("evaluate worker: a null check that fails beside is the typed error of both the check and the results", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-null-" });
  try {
    // no sp500 prices under --data: the worker's null check fails loading the real tickers it is capped by
    const o = parseEvaluateArgs([
      "--reduced",
      "--sections",
      "signals",
      "--data",
      dir,
      "--out",
      `${dir}/out`,
      "--quiet",
    ]);
    ok(lanes(o).nullCheckInWorker);
    const side = sectionsInWorker([], o, true);
    try {
      const typed = (e: unknown) => {
        ok(e instanceof FmaiError, String(e));
        equal(e.name, "DataSourceError");
        equal(e.userError, true);
        ok(/cannot read .*sp500-5yr-ohlcv\/all_stocks_5yr\.csv\.gz/.test(e.message), e.message);
        return true;
      };
      await rejects(side.nullCheck!, typed);
      await rejects(side.results, typed);
    } finally {
      side.terminate();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("evaluate worker: errors cross the thread as their name, message, userError and stack", () => {
  const typed = fromRemoteError(toRemoteError(new ConfigError("bad x")));
  ok(typed instanceof FmaiError);
  deepEqual([typed.name, typed.message, (typed as FmaiError).userError], ["ConfigError", "bad x", true]);
  const bug = new TypeError("x is undefined");
  const back = fromRemoteError(toRemoteError(bug));
  ok(!(back instanceof FmaiError));
  deepEqual([back.name, back.message, back.stack], ["TypeError", "x is undefined", bug.stack]);
  deepEqual(fromRemoteError(toRemoteError("plain")).message, "plain");
});
