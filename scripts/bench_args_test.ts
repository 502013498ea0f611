/**
 * Every bench entry point's flags (through `toolArgs`): `--help` is the usage (exit 0), an unknown flag or a bad
 * value is one line `error: ...` (exit 2) before any work (nothing on stdout), and nothing is written into
 * bench/results. Plus the two refusals that need the data (walk-forward folds that do not fit) and bench:lm's
 * report of a model that fails to load. Each child is a separate `deno run`, a few at a time.
 */
import { fileURLToPath } from "node:url";
import { programStderr } from "./_test_process.ts";
import { equal, ok } from "node:assert/strict";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const RESULTS = `${ROOT}bench/results`;
const dec = new TextDecoder();

/** task, entry point, and bad values each refused (with the flag the one-line error names). */
const BENCHES: [string, string, [flag: string, ...args: string[]][]][] = [
  ["bench:features", "bench/features_bench.ts", [
    ["runs", "--runs", "abc"],
    ["runs", "--runs", "0"],
    ["json", "--json", "bench"],
  ]],
  ["bench:dataset", "bench/dataset_bench.ts", [
    ["runs", "--runs", "1.5"],
    ["runs", "--runs=-1"],
    ["json", "--json", "/no/such/folder/out.json"],
  ]],
  ["bench:frames", "bench/frames_bench.ts", [["runs", "--runs", "0"], ["runs", "--runs", "x"]]],
  ["bench:peers", "bench/peers_bench.ts", [
    ["tickers", "--tickers", "abc"],
    ["tickers", "--tickers", "0"],
    ["seed", "--seed=-3"],
    ["tickers", "--tickers", "506"],
    ["skip-trend", "--skip-trend", "--skip-vol", "--skip-risk"],
  ]],
  ["bench:collect", "bench/collect_bench.ts", []],
  ["bench:store", "bench/store_bench.ts", []],
  ["bench:lm", "bench/lm_bench.ts", [
    ["n", "--n", "abc", "--threads", "x,y", "--batch", "0"],
    ["threads", "--threads", "1,x"],
    ["threads", "--threads", "1,1"],
    ["batch", "--batch", "0"],
  ]],
  ["bench:walkforward", "bench/trend_walkforward.ts", [
    ["models", "--models", "foo"],
    ["models", "--models", "logistic,logistic"],
    ["folds", "--folds", "abc"],
    ["folds", "--folds", "0"],
  ]],
  ["bench:demo", "bench/demo_bench.ts", [["runs", "--runs", "abc"], ["runs", "--runs", "0"]]],
  ["bench:sequence", "bench/sequence_bench.ts", [
    ["batch", "--batch", "abc"],
    ["steps", "--steps", "0"],
    ["json", "--json", "/no/such/folder/out.json"],
  ]],
  ["bench:moe", "bench/moe_bench.ts", [["runs", "--runs", "abc"], ["runs", "--runs=-1"]]],
  ["bench:store-docs", "bench/store_docs_bench.ts", []],
  // the everyday set takes no flags (a chain in deno.json gave a flag to its last program, after the others ran)
  ["bench", "bench/all_bench.ts", []],
];

function run(file: string, args: string[], env: Record<string, string> = {}) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", `${ROOT}${file}`, ...args],
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output().then((o) => ({
    code: o.code,
    out: dec.decode(o.stdout),
    err: programStderr(o.stderr),
  }));
}

/** Runs `jobs` at most `n` at a time. */
async function pool(jobs: (() => Promise<void>)[], n = 4): Promise<void> {
  const queue = [...jobs];
  await Promise.all(Array.from({ length: n }, async () => {
    for (let j = queue.shift(); j; j = queue.shift()) await j();
  }));
}

const listing = () => [...Deno.readDirSync(RESULTS)].map((e) => e.name).sort();

Deno.test("bench entry points: --help exits 0, a bad flag or value is one line and exit 2, before any work", async () => {
  const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks as Record<string, string>;
  const before = listing();
  const jobs: (() => Promise<void>)[] = [];
  for (const [task, file, bad] of BENCHES) {
    ok(tasks[task]?.endsWith(file), `deno.json task ${task} runs ${file}`);
    jobs.push(async () => {
      const help = await run(file, ["--help"]);
      equal(help.code, 0, `${task} --help: ${help.err}`);
      ok(help.out.startsWith(`usage: deno task ${task}`), `${task} --help: ${help.out}`);
      equal(help.out.trim().split("\n").length, 1, help.out);
    });
    const refused = (args: string[], start: string) => async () => {
      const r = await run(file, args);
      const what = `${task} ${args.join(" ")}`;
      equal(r.code, 2, `${what}: exit ${r.code}: ${r.err}`);
      equal(r.err.split("\n").length, 1, `${what}: ${r.err}`);
      ok(r.err.startsWith(start), `${what}: ${r.err}`);
      equal(r.out, "", `${what} started work: ${r.out}`);
    };
    jobs.push(refused(["--no-such-flag"], "error: Unknown option '--no-such-flag'"));
    jobs.push(refused(["stray"], "error: Unexpected argument 'stray'"));
    for (const [flag, ...args] of bad) jobs.push(refused(args, `error: --${flag}`));
  }
  await pool(jobs);
  equal(listing().join("\n"), before.join("\n"), "something was written into bench/results");
});

Deno.test("bench:store: a bad FMAI_MYSQL_URL is one line (exit 2) before the SQLite run, a server down one line (exit 1)", async () => {
  const before = listing();
  const bad = await run("bench/store_bench.ts", [], { FMAI_MYSQL_URL: "notaurl" });
  equal(bad.code, 2, bad.err);
  ok(/^error: not a mysql URL/.test(bad.err) && bad.err.split("\n").length === 1, bad.err);
  equal(bad.out, "", "no work started");
  const down = await run("bench/store_bench.ts", [], { FMAI_MYSQL_URL: "mysql://x:y@127.0.0.1:1/fmai" });
  equal(down.code, 1, down.err);
  ok(/^error: mysql connect: .*unreachable/.test(down.err) && down.err.split("\n").length === 1, down.err);
  equal(down.out, "", "no work started");
  equal(listing().join("\n"), before.join("\n"));
});

Deno.test("bench:api: a port of its servers in use is one line (exit 2) before any work, not another process measured", async () => {
  const other = Deno.listen({ hostname: "127.0.0.1", port: 18911 });
  try {
    const r = await run("bench/api_bench.ts", ["--skip-mysql"]);
    equal(r.code, 2, r.err);
    equal(r.err, "error: port 18911 is in use: bench:api runs its servers on 18911 and 18912");
    equal(r.out, "");
    // a bad FMAI_MYSQL_URL is refused before any work too (it was read after the embedded run)
    const bad = await run("bench/api_bench.ts", [], { FMAI_MYSQL_URL: "mysql//u:sekretpw@h:1/fmai" });
    equal(bad.code, 2, bad.err);
    ok(/^error: not a mysql URL/.test(bad.err) && !bad.err.includes("sekretpw"), bad.err);
  } finally {
    other.close();
  }
});

Deno.test("bench:walkforward: more folds than the data holds is refused before TensorFlow starts", async () => {
  const before = listing();
  const r = await run("bench/trend_walkforward.ts", ["--folds", "99"]);
  equal(r.code, 2, r.err);
  ok(/^error: --folds: at most \d+ folds of 126 sessions fit in the \d+ sessions/.test(r.err), r.err);
  equal(r.err.split("\n").length, 1, r.err);
  equal(r.out, "");
  equal(listing().join("\n"), before.join("\n"));
});

Deno.test("bench:lm: a model that fails to load is one line each and exit 1; a missing variant is skipped", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-lm-bench-test-" });
  try {
    const put = async (ref: string, files: Record<string, string>) => {
      const [name, version] = ref.split("@");
      const d = `${dir}/registry/models/${name}/${version}`;
      await Deno.mkdir(d, { recursive: true });
      const manifest = { name, version, files: Object.keys(files) };
      await Deno.writeTextFile(`${d}/manifest.json`, JSON.stringify(manifest));
      for (const [f, text] of Object.entries(files)) await Deno.writeTextFile(`${d}/${f}`, text);
    };
    // fp32 only, and its weights are not ONNX; the other model's meta.json is not JSON
    await put("finsent-minilm@v1", {
      "meta.json": JSON.stringify({ variants: { fp32: "model.onnx" }, maxLength: 128 }),
      "model.onnx": "not onnx",
      "tokenizer.json": "{}",
    });
    await put("finsent-mpnet@v1", { "meta.json": "not json" });
    const before = listing();
    const out = `${dir}/lm.json`;
    const r = await run("bench/lm_bench.ts", ["--n", "3", "--threads", "1,2", "--json", out], {
      FMAI_LM_DIR: dir,
    });
    equal(r.code, 1, r.err);
    const lines = r.err.split("\n");
    equal(lines.length, 2, r.err);
    ok(lines[0].startsWith("error: finsent-minilm@v1 fp32: cannot load: "), r.err);
    ok(lines[1].startsWith("error: finsent-mpnet@v1: cannot load: "), r.err);
    ok(r.out.includes("finsent-minilm@v1: no int8 variant (has fp32), skipped"), r.out);
    const written = JSON.parse(await Deno.readTextFile(out));
    equal(written.failed.length, 2);
    equal(written.rows[0].model, "lexicon (peer)");
    equal(listing().join("\n"), before.join("\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
