import { fileURLToPath } from "node:url";
import { programStderr } from "./_test_process.ts";
import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { ConfigError } from "@lib/core/mod.ts";
import { intFlag, intListFlag, outFileFlag, toolUsage } from "./_args.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** The scripts whose flags go through toolArgs, with their deno.json task. */
const SCRIPTS: [string, string][] = [
  ["bench:api", "bench/api_bench.ts"],
  ["bench:demo", "bench/demo_bench.ts"],
  ["bench:lm", "bench/lm_bench.ts"],
  ["bench:sequence", "bench/sequence_bench.ts"],
  ["bench:walkforward", "bench/trend_walkforward.ts"],
  ["notebooks:check", "scripts/browser_check.ts"],
  ["gpu:prepare", "scripts/gpu_prepare.ts"],
  ["notebooks", "scripts/notebooks.ts"],
  ["lambdas:package", "scripts/lambdas_package.ts"],
  ["lambdas:bundle", "scripts/bundle_lambdas.ts"],
  ["actionlint", "scripts/actionlint.ts"],
];

Deno.test("toolUsage: every flag with its default", () => {
  equal(
    toolUsage("bench:x", {
      runs: { type: "string", default: "3" },
      out: { type: "string" },
      quick: { type: "boolean" },
    }, true),
    "usage: deno task bench:x [--runs VALUE (default 3)] [--out VALUE] [--quick] [ARGS...]",
  );
});

Deno.test("intFlag / intListFlag: whole numbers in range, else a ConfigError naming the flag", () => {
  equal(intFlag("runs", "3"), 3);
  equal(intFlag("seed", "0", { min: 0 }), 0);
  deepEqual(intListFlag("threads", "1,2"), [1, 2]);
  throws(() => intListFlag("threads", "1,1"), /^ConfigError: --threads: 1 is given twice \(in "1,1"\)$/);
  for (const bad of ["abc", "0", "-1", "1.5", "1e3", "", " ", " 3", "3 ", "9007199254740993"]) {
    throws(
      () => intFlag("runs", bad),
      (e) =>
        e instanceof ConfigError &&
        e.message === `--runs: expected a positive whole number, got ${JSON.stringify(bad)}`,
      bad,
    );
  }
  throws(
    () => intFlag("n", "9", { min: 1, max: 8 }),
    /^ConfigError: --n: expected a whole number from 1 to 8, got "9"$/,
  );
  throws(
    () => intFlag("seed", "-3", { min: 0 }),
    /^ConfigError: --seed: expected a whole number >= 0, got "-3"$/,
  );
  for (const bad of ["", "1,", "x,y", "1,0", "1, 2"]) {
    throws(
      () => intListFlag("threads", bad),
      (e) =>
        e instanceof ConfigError &&
        e.message ===
          `--threads: expected a positive whole number or a comma-separated list of them, got ${
            JSON.stringify(bad)
          }`,
      bad,
    );
  }
});

Deno.test("outFileFlag: a file in an existing folder, else a ConfigError", async () => {
  const dir = await Deno.makeTempDir();
  try {
    equal(await outFileFlag("json", `${dir}/out.json`), `${dir}/out.json`);
    await Deno.writeTextFile(`${dir}/file`, "x");
    for (
      const [bad, message] of [
        ["", "--json: empty path (name the file to write)"],
        [`${dir}/`, `--json ${dir}/: names a folder, not a file`],
        [dir, `--json ${dir}: is a folder, not a file`],
        [`${dir}/missing/out.json`, `--json ${dir}/missing/out.json: folder ${dir}/missing does not exist`],
        [`${dir}/file/out.json`, `--json ${dir}/file/out.json: ${dir}/file is not a folder`],
      ]
    ) {
      await rejects(outFileFlag("json", bad), (e) => {
        deepEqual([e instanceof ConfigError, (e as Error).message], [true, message], bad);
        return true;
      });
    }
    deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["file"], "nothing created");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bench and maintenance scripts: --help is the usage (exit 0), a bad flag one line (exit 2), before any work", async () => {
  const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks as Record<string, string>;
  const dec = new TextDecoder();
  await Promise.all(SCRIPTS.map(async ([task, file]) => {
    ok(tasks[task]?.endsWith(file), `deno.json task ${task} runs ${file}`);
    const run = (flag: string) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--no-check", `${ROOT}${file}`, flag],
        cwd: ROOT,
        stdout: "piped",
        stderr: "piped",
      }).output();
    const help = await run("--help");
    equal(help.code, 0, `${task} --help: ${dec.decode(help.stderr)}`);
    ok(dec.decode(help.stdout).startsWith(`usage: deno task ${task}`), dec.decode(help.stdout));
    const bad = await run("--no-such-flag");
    const err = programStderr(bad.stderr);
    equal(bad.code, 2, `${task}: ${err}`);
    equal(err.split("\n").length, 1, err);
    ok(err.startsWith("error: Unknown option '--no-such-flag'"), err);
  }));
  // a bad value too, before any work (bench:api builds oha first, which takes minutes)
  const rate = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", `${ROOT}bench/api_bench.ts`, "--rate", "0"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  equal(rate.code, 2);
  equal(programStderr(rate.stderr), 'error: --rate: expected a positive whole number, got "0"');
  // notebooks:check's values and files, before chromium starts (a --junit it could not write was a stack trace
  // after every page had been checked; --timeout x was taken as NaN; a missing file opened chromium)
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/a.html`, "<html></html>");
    for (
      const [args, want] of [
        [
          ["--timeout", "x", `${dir}/a.html`],
          /^error: --timeout: expected a positive whole number, got "x"$/,
        ],
        [["--junit", "/proc/x.xml", `${dir}/a.html`], /^error: --junit /],
        [[`${dir}/none.html`], /^error: .*none\.html: no such file \(name HTML reports to check\)$/],
      ] as [string[], RegExp][]
    ) {
      const r = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--no-check", `${ROOT}scripts/browser_check.ts`, ...args],
        cwd: ROOT,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const err = programStderr(r.stderr);
      equal(r.code, 2, `${args.join(" ")}: ${err}`);
      ok(want.test(err), err);
      equal(dec.decode(r.stdout), "", "no page checked");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
