/**
 * The CLI as a user meets it: real subprocesses, exit codes, one-line errors, nothing written on bad input, and a
 * full run on the real S&P 500 CSV.
 */
import { fileURLToPath } from "node:url";
import { programStderr } from "../scripts/_test_process.ts";
import { equal, ok } from "node:assert/strict";
import { existsSync } from "node:fs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SP500 = fileURLToPath(new URL("../../shared/data/sp500-5yr-ohlcv", import.meta.url));
const ETF = fileURLToPath(new URL("../../shared/data/us-index-etf-daily-yahoo", import.meta.url));

async function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "pipelines/cli.ts", ...args],
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  const stderr = programStderr(out.stderr);
  return { code: out.code, stdout: dec.decode(out.stdout), stderr };
}

async function expectUserError(args: string[], pattern: RegExp, storeDir: string) {
  const r = await cli([...args, "--store-dir", storeDir, "--quiet"]);
  equal(r.code, 2, `exit code for ${args.join(" ")}: ${r.stderr}`);
  const lines = r.stderr.trim().split("\n");
  equal(lines.length, 1, `one line: ${r.stderr}`);
  ok(pattern.test(lines[0]), lines[0]);
  ok(!existsSync(`${storeDir}/fmai.sqlite`), "nothing written to the store");
}

Deno.test("bad input: one-line typed error, exit code 2, nothing written", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-cli-" });
  try {
    const csv = `${dir}/csv`;
    await Deno.mkdir(csv);
    await Deno.writeTextFile(
      `${csv}/prices.csv`,
      "date,open,high,low,close,volume,Name\n2020-01-02,10,11,9,10.5,100,AAA\n2020-01-03,10,eleven,9,10.5,100,AAA\n",
    );
    await expectUserError(["run", "--data-dir", csv, "--symbols", "AAA"], /prices\.csv:3/, `${dir}/s1`);
    await expectUserError(
      ["run", "--data-dir", SP500, "--symbols", "AAPL,NOPE"],
      /NOPE/,
      `${dir}/s2`,
    );
    await expectUserError(
      ["run", "--data-dir", SP500, "--symbols", "AAPL", "--from", "2016-02-01", "--to", "2016-01-01"],
      /empty date range/,
      `${dir}/s3`,
    );
    await expectUserError(
      ["run", "--data-dir", SP500, "--symbols", "AAPL", "--from", "2030-01-01", "--to", "2030-02-01"],
      /empty date range|no bars/,
      `${dir}/s4`,
    );
    // a symbol without a bar in the range failed only after the others were collected and stored
    await expectUserError(
      ["run", "--data-dir", SP500, "--symbols", "KO,PEP,APTV", "--from", "2014-01-01", "--to", "2017-06-30"],
      /^error: no bars for APTV between 2014-01-01 and 2017-06-30 in csv:sp500-5yr \(APTV has bars 2017-12-05\.\.2018-02-07\): leave it out/,
      `${dir}/s5`,
    );
    await Deno.writeTextFile(`${dir}/typo.yaml`, "backtest:\n  costBp: 5\n");
    await expectUserError(
      ["demo", "--config", `${dir}/typo.yaml`],
      /unknown config key backtest\.costBp/,
      `${dir}/s5`,
    );
    await expectUserError(["demo", "--sybmols", "X"], /sybmols/, `${dir}/s6`);
    // `--source csv` alone: the demo's own rule, not "source.kind csv needs source.csvDir"
    await expectUserError(
      ["demo", "--source", "csv"],
      /^error: demo runs on the synthetic market/,
      `${dir}/s6b`,
    );
    // demo runs on the synthetic market, whether a flag or the config file names a csv source
    await expectUserError(
      ["demo", "--data-dir", ETF],
      /^error: demo runs on the synthetic market/,
      `${dir}/s7`,
    );
    await Deno.writeTextFile(`${dir}/csv.yaml`, `source: {kind: csv, csvDir: ${ETF}, symbols: [SPY]}\n`);
    await expectUserError(
      ["demo", "--config", `${dir}/csv.yaml`],
      /demo runs on the synthetic market \(source\.kind is csv\)/,
      `${dir}/s8`,
    );
    // a symbol given twice, in any case, as `deno task collect` refuses it
    await expectUserError(
      ["run", "--data-dir", ETF, "--symbols", "SPY,SPY,QQQ"],
      /--symbols: SPY is given twice$/,
      `${dir}/s9`,
    );
    await expectUserError(
      ["run", "--data-dir", ETF, "--symbols", "spy,QQQ,SPY"],
      /--symbols: spy and SPY are the same symbol$/,
      `${dir}/s10`,
    );
    // the VIX prints after the close: refused as a traded symbol, naming the flag the user typed
    await expectUserError(
      ["run", "--data-dir", ETF, "--symbols", "SPY,^VIX"],
      /^error: --symbols: \^VIX is published 15 min after the close: .* \(it is market context\)$/,
      `${dir}/s10b`,
    );
    await Deno.writeTextFile(`${dir}/dup.yaml`, "source: {symbols: [SYN00, SYN01, SYN00]}\n");
    await expectUserError(
      ["run", "--config", `${dir}/dup.yaml`],
      /config source\.symbols: SYN00 is given twice$/,
      `${dir}/s11`,
    );
    // an empty universe or folder is refused, not taken for "none"
    await expectUserError(
      ["run", "--universe", ""],
      /source\.universe \(--universe\): empty path/,
      `${dir}/s12`,
    );
    await expectUserError(
      ["run", "--data-dir", " "],
      /source\.csvDir \(--data-dir\): empty path/,
      `${dir}/s13`,
    );
    // a date flag is named as typed, its value quoted (it was named as the config key source.from)
    await expectUserError(
      ["run", "--from", "2019-02-30"],
      /^error: --from: expected a date YYYY-MM-DD, got "2019-02-30"$/,
      `${dir}/s13-from`,
    );
    await expectUserError(
      ["demo", "--to", "2019-02-03 "],
      /^error: --to: expected a date YYYY-MM-DD, got "2019-02-03 "$/,
      `${dir}/s13-to`,
    );
    // the index given again as the VIX: refused, naming the flag
    await expectUserError(
      ["run", "--market", "^GSPC,^GSPC"],
      /^error: --market: \^GSPC is given twice$/,
      `${dir}/s13-market`,
    );
    // an empty --config names no file: refused, not a run on config/default.yaml
    for (const cmd of ["run", "demo"]) {
      await expectUserError(
        [cmd, "--config", ""],
        /^error: config file \(--config\): empty path \(name a YAML file\)$/,
        `${dir}/s13-${cmd}`,
      );
    }
    // fewer synthetic sessions than the source needs: one line, not an internal error
    await Deno.writeTextFile(`${dir}/one.yaml`, "source: {synthetic: {sessions: 1}}\n");
    await expectUserError(
      ["demo", "--config", `${dir}/one.yaml`],
      /config source\.synthetic\.sessions: 1 is out of range/,
      `${dir}/s14`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("demo: a bad FMAI_GIT_SHA or FMAI_GIT_DIRTY is refused in one line before the research run, nothing written", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-cli-git-" });
  try {
    await Deno.writeTextFile(`${dir}/lexicon.yaml`, "news: {scorer: lexicon}\n");
    const cases: [Record<string, string>, RegExp][] = [
      [{ FMAI_GIT_SHA: "xyz" }, /^error: FMAI_GIT_SHA: expected a commit \(7 to 40 hex digits/],
      [{ FMAI_GIT_SHA: "abc1234", FMAI_GIT_DIRTY: "yes" }, /^error: FMAI_GIT_DIRTY must be 1 /],
      [{ FMAI_GIT_SHA: "", FMAI_GIT_DIRTY: "1" }, /^error: FMAI_GIT_DIRTY is set but FMAI_GIT_SHA is not/],
    ];
    for (const [i, [env, pattern]] of cases.entries()) {
      const store = `${dir}/s${i}`, report = `${dir}/r${i}/demo.html`;
      // before, the whole research run went first: its summary, `report: ...`, then this error, exit 2
      const r = await cli(
        ["demo", "--config", `${dir}/lexicon.yaml`, "--store-dir", store, "--report", report, "--quiet"],
        env,
      );
      equal(r.code, 2, `exit code with ${JSON.stringify(env)}: ${r.stderr}`);
      const lines = r.stderr.trim().split("\n");
      equal(lines.length, 1, `one line: ${r.stderr}`);
      ok(pattern.test(lines[0]), lines[0]);
      equal(r.stdout, "", "nothing ran");
      ok(!existsSync(store), "no store");
      ok(!existsSync(report), "no report");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a ranking book left with one symbol that can have rows is refused before any work, naming the short one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-cli-" });
  try {
    // APTV has 44 bars in the file (2017-12-05..2018-02-07), no more than the 60-session feature warm-up: no row
    await expectUserError(
      ["run", "--source", "csv", "--data-dir", SP500, "--symbols", "AAPL,APTV"],
      /^error: portfolio\.method topk-dropout ranks names against each other and needs at least 2 symbols, got 1 symbol .*60-session feature warm-up.* in 2013-02-08\.\.2018-02-07: APTV \(44 bars\) \(widen --from\/--to/,
      `${dir}/s`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a lowercase symbol is upper-cased once at load, and the run says so before it starts", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-cli-" });
  try {
    // the store path is a file: the run is refused after loading the config, before any work
    await Deno.writeTextFile(`${dir}/file`, "");
    const r = await cli([
      "run",
      "--data-dir",
      ETF,
      "--symbols",
      "spy,QQQ",
      "--store-dir",
      `${dir}/file`,
      "--quiet",
    ]);
    equal(r.code, 2, r.stderr);
    equal(r.stdout.trim(), "symbols: spy is SPY (symbols are upper case, as collected)");
    equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    ok(/--store-dir .*is not a folder/.test(r.stderr), r.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "pipeline on the real S&P 500 CSV tests exactly the dates it is given, and says so",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "fmai-sp500-" });
    try {
      const report = `${dir}/sp500.html`;
      const r = await cli([
        "run",
        "--source",
        "csv",
        "--data-dir",
        SP500,
        "--symbols",
        "AAPL,MSFT,JPM,XOM,JNJ",
        "--train",
        "2013-02-08..2015-06-30",
        "--valid",
        "2015-07-01..2015-12-31",
        "--test",
        "2016-01-04..2018-02-07",
        "--store-dir",
        `${dir}/store`,
        "--report",
        report,
        "--quiet",
      ]);
      equal(r.code, 0, r.stderr);
      ok(
        /moe/.test(r.stdout) && /buy-and-hold/.test(r.stdout) && /always-long-voltarget/.test(r.stdout),
        r.stdout,
      );
      const said =
        "segments (your dates): train 2013-02-08..2015-06-30, validation 2015-07-01..2015-12-31, " +
        "test 2016-01-04..2018-02-07";
      ok(r.stdout.includes(said), r.stdout);
      // the data covers the protocol's window, yet the run predicts exactly the test it was given
      ok(r.stdout.includes("out-of-sample test: 2016-01-04..2018-02-07 (529 sessions"), r.stdout);
      const html = await Deno.readTextFile(report);
      ok(html.includes("Plotly.newPlot") && html.includes("AAPL"));
      ok(html.includes(said), "the report names the segments");
      ok(!html.includes("2017-01-03..2018-02-07"), "no trace of the protocol's test window");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "walk-forward on the real S&P 500 CSV refits monthly and reports one continuous out-of-sample test",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "fmai-wf-" });
    try {
      await Deno.writeTextFile(
        `${dir}/fast.yaml`,
        "models:\n  trend: [majority, logistic]\n  experts: [trend, reversal, momentum]\n",
      );
      const r = await cli([
        "run",
        "--config",
        `${dir}/fast.yaml`,
        "--data-dir",
        SP500,
        "--symbols",
        "AAPL,JPM,XOM",
        "--train",
        "2013-02-08..2016-06-30",
        "--valid",
        "2016-07-01..2016-12-30",
        "--test",
        "2017-01-03..2018-02-07",
        "--walk-forward",
        "expanding",
        "--refit-every",
        "21",
        "--store-dir",
        `${dir}/store`,
        "--report",
        `${dir}/wf.html`,
        "--quiet",
      ]);
      equal(r.code, 0, r.stderr);
      ok(r.stdout.includes("walk-forward expanding, refit every 21 sessions"), r.stdout);
      // 277 test sessions in slices of 21: 14 fits, whose slices join into one test
      ok(r.stdout.includes("out-of-sample test: 2017-01-03..2018-02-07 (277 sessions"), r.stdout);
      ok(r.stdout.includes("14 fits, one continuous test"), r.stdout);
      const html = await Deno.readTextFile(`${dir}/wf.html`);
      ok(
        html.includes("2018-02-02..2018-02-07"),
        "the last fold's test slice (4 sessions) is in the windows table",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Pids whose parent is `ppid` (Linux /proc). */
async function childrenOf(ppid: number): Promise<number[]> {
  const out: number[] = [];
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = await Deno.readTextFile(`/proc/${e.name}/stat`);
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === ppid) out.push(Number(e.name));
    } catch { /* gone */ }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/\) Z /.test(stat);
  } catch {
    return false;
  }
}

Deno.test({
  name: "killing `deno task` (even with SIGKILL) ends the worker it started",
  ignore: Deno.build.os !== "linux",
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "fmai-sig-" });
    const task = new Deno.Command(Deno.execPath(), {
      args: ["task", "demo", "--quiet", "--store-dir", `${dir}/s`, "--report", `${dir}/r.html`],
      cwd: ROOT,
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      let worker: number | undefined;
      for (let i = 0; i < 300 && worker === undefined; i++) {
        await new Promise((r) => setTimeout(r, 100));
        worker = (await childrenOf(task.pid))[0];
      }
      ok(worker !== undefined, "deno task started its worker");
      await new Promise((r) => setTimeout(r, 3000)); // into the run (its watchdog is up)
      task.kill("SIGKILL");
      await task.status;
      let gone = false;
      for (let i = 0; i < 40 && !gone; i++) {
        await new Promise((r) => setTimeout(r, 100));
        gone = !alive(worker!);
      }
      if (!gone) Deno.kill(worker!, "SIGKILL");
      ok(gone, "the worker ended within 4 s of its parent, even while busy computing");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("segments that do not fit the data: one line, exit 2, nothing written", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-seg-" });
  try {
    const base = ["run", "--data-dir", SP500, "--symbols", "AAPL"];
    await expectUserError(
      [
        ...base,
        "--train",
        "2010-01-04..2015-06-30",
        "--valid",
        "2015-07-01..2015-12-31",
        "--test",
        "2016-01-04..2018-02-07",
      ],
      /segment train 2010-01-04\.\.2015-06-30 starts before the data \(first session 2013-02-08\)/,
      `${dir}/a`,
    );
    await expectUserError(
      [
        ...base,
        "--train",
        "2013-02-08..2015-06-30",
        "--valid",
        "2015-07-01..2015-12-31",
        "--test",
        "2016-01-04..2019-02-07",
      ],
      /ends after the data \(last session 2018-02-07\)/,
      `${dir}/b`,
    );
    await expectUserError([...base, "--test", "2016-01-04..2018-02-07"], /give all three/, `${dir}/c`);
    await expectUserError(
      [...base, "--test", "2016-01-04-2018-02-07"],
      /--test: expected YYYY-MM-DD\.\.YYYY-MM-DD/,
      `${dir}/d`,
    );
    await expectUserError(
      [...base, "--walk-forward", "sideways"],
      /walkForward\.mode: "sideways" is not one of/,
      `${dir}/e`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("every command-line entry answers --help with its usage on stdout and exit 0, writing nothing", async () => {
  const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks as Record<string, string>;
  // each `deno run -A pipelines/X.ts [sub]` task, as deno.json defines them
  const entries = Object.entries(tasks).flatMap(([name, cmd]) => {
    const m = /^deno run -A (pipelines\/[a-z_]+\.ts)((?: [a-z]+)*)$/.exec(cmd);
    return m ? [{ name, args: [m[1], ...m[2].trim().split(" ").filter(Boolean)] }] : [];
  });
  ok(entries.length >= 10, `found ${entries.map((e) => e.name)}`);
  const dir = await Deno.makeTempDir();
  try {
    await Promise.all(entries.map(async ({ name, args }) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--no-check",
          "--config",
          `${ROOT}deno.json`,
          `${ROOT}${args[0]}`,
          ...args.slice(1),
          "--help",
        ],
        cwd: dir, // nothing may be written: the folder stays empty
        stdout: "piped",
        stderr: "piped",
      }).output();
      const dec = new TextDecoder();
      equal(out.code, 0, `${name} --help: exit ${out.code}: ${dec.decode(out.stderr)}`);
      ok(/^usage:/.test(dec.decode(out.stdout)), `${name} --help: ${dec.decode(out.stdout).slice(0, 200)}`);
    }));
    equal([...Deno.readDirSync(dir)].length, 0, "a --help wrote files");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "all symbols of a folder that holds ^VIX: the run trades the others and names what it left out; a universe with it is refused",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "fmai-etf-" });
    try {
      await Deno.writeTextFile(`${dir}/fast.yaml`, "models:\n  trend: [majority, logistic]\n");
      const args = [
        "run",
        "--config",
        `${dir}/fast.yaml`,
        "--data-dir",
        ETF,
        "--from",
        "2015-01-02",
        "--to",
        "2018-12-31",
      ];
      const r = await cli([...args, "--store-dir", `${dir}/store`, "--quiet"]);
      equal(r.code, 0, r.stderr);
      ok(r.stdout.includes("left out of the source's symbols: ^VIX (published after the close"), r.stdout);
      ok(r.stdout.includes("a fixed list of 8 symbols"), r.stdout); // the 9 files less ^VIX
      // a point-in-time universe is the user's own list: ^VIX in it is a one-line error before any work
      await Deno.writeTextFile(`${dir}/u.csv`, "symbol,from,to\nSPY,2000-01-03,\n^VIX,2000-01-03,\n");
      const u = await cli([...args, "--universe", `${dir}/u.csv`, "--store-dir", `${dir}/store2`]);
      equal(u.code, 2, u.stderr);
      equal(u.stderr.trim().split("\n").length, 1, u.stderr);
      ok(/\^VIX is published after the close, so it cannot be traded/.test(u.stderr), u.stderr);
      ok(!existsSync(`${dir}/store2`), "nothing written");
      // spells that miss the data's dates leave the train segment without a member: refused before any store is
      // opened (the bars were stored and the run failed at "the train segment holds no rows")
      await Deno.writeTextFile(`${dir}/late.csv`, "symbol,from,to\nSPY,2018-01-02,\nQQQ,2018-06-01,\n");
      const late = await cli([...args, "--universe", `${dir}/late.csv`, "--store-dir", `${dir}/store3`]);
      equal(late.code, 2, late.stderr);
      equal(late.stderr.trim().split("\n").length, 1, late.stderr);
      ok(
        /^error: source\.universe \S+late\.csv: no member in the train segment 2015-01-02\.\.\S+ \(its spells run 2018-01-02\.\.on, the data 2015-01-02\.\.2018-12-31\)$/
          .test(late.stderr.trim()),
        late.stderr,
      );
      ok(!existsSync(`${dir}/store3`), "nothing written");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "demo with --store-dir and --report: the production report goes beside the demo's, and the next commands name the store",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "fmai-demo-dirs-" });
    try {
      await Deno.writeTextFile(
        `${dir}/small.yaml`,
        "source: {synthetic: {symbols: 6, sessions: 420, seed: 3}}\nmodels: {trend: [majority, logistic]}\n" +
          "news: {scorer: lexicon}\n",
      );
      const r = await cli([
        ...["demo", "--quiet", "--config", `${dir}/small.yaml`],
        ...["--store-dir", `${dir}/store`, "--report", `${dir}/out/demo.html`],
      ]);
      equal(r.code, 0, r.stderr);
      const line = r.stdout.split("\n").find((l) => l.startsWith("production: "))!;
      ok(line.includes(`-> ${dir}/out/signal-`), line);
      ok(
        line.endsWith(
          `next: deno task signal --config ${dir}/small.yaml --store-dir ${dir}/store, ` +
            `deno task serve --config ${dir}/small.yaml --store-dir ${dir}/store`,
        ),
        line,
      );
      ok(
        [...Deno.readDirSync(`${dir}/out`)].some((e) => e.name.startsWith("signal-")),
        "the production report",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
