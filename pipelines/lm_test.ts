/**
 * The news scorer a run uses: `auto` falls back to the lexicon and says so when the model is missing, `lm` refuses
 * with the install command, bad references and values are one-line config errors; `lm:*` usage errors exit 2.
 */
import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { ConfigError } from "@lib/core/mod.ts";
import { openSqliteDocuments } from "@lib/store/mod.ts";
import { TEXT_SCORES_COLLECTION } from "@lib/models/mod.ts";
import { loadConfig } from "./config.ts";
import { join } from "node:path";
import { existsSync } from "node:fs";
import {
  defaultLmThreads,
  LM_INSTALL,
  lmInstalled,
  lmInstallHint,
  lmRegistryDir,
  newsScorerFor,
  parseModelRef,
  textScoreMemoPath,
  variantProblem,
} from "./lm.ts";
import { main as lmMain, trainVersion } from "./lm_cli.ts";

async function withEmptyLmDir<T>(f: () => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "fmai-lm-" });
  const before = Deno.env.get("FMAI_LM_DIR");
  Deno.env.set("FMAI_LM_DIR", dir);
  try {
    return await f();
  } finally {
    if (before === undefined) Deno.env.delete("FMAI_LM_DIR");
    else Deno.env.set("FMAI_LM_DIR", before);
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("news scorer: auto without the model uses the lexicon and names the install command; lm refuses", async () => {
  await withEmptyLmDir(async () => {
    const auto = await newsScorerFor({ scorer: "auto", model: "finsent-mpnet@v1", variant: "fp32" });
    ok(auto.scorer.id.startsWith("lexicon"));
    ok(
      auto.note.includes("not installed") && auto.note.includes(LM_INSTALL) && auto.note.includes("lexicon"),
    );
    await rejects(
      () => newsScorerFor({ scorer: "lm", model: "finsent-mpnet@v1", variant: "fp32" }),
      (e: Error) => e instanceof ConfigError && e.message.includes(LM_INSTALL),
    );
    const lex = await newsScorerFor({ scorer: "lexicon", model: "finsent-mpnet@v1", variant: "fp32" });
    ok(lex.scorer.id.startsWith("lexicon"));
  });
});

Deno.test("news config: bad scorer, variant or model reference are ConfigErrors", async () => {
  throws(() => parseModelRef("finsent-mpnet"), ConfigError);
  throws(() => parseModelRef("../x@v1"), ConfigError);
  equal(parseModelRef("finsent-mpnet@v1").version, "v1");
  await rejects(() => loadConfig({ overrides: { news: { scorer: "bert" } } }), ConfigError);
  await rejects(() => loadConfig({ overrides: { news: { variant: "fp16" } } }), ConfigError);
  await rejects(() => loadConfig({ overrides: { news: { model: "nover" } } }), ConfigError);
  for (const threads of [-1, 1.5, 257, "two"]) {
    await rejects(() => loadConfig({ overrides: { news: { threads } } }), ConfigError, String(threads));
  }
  equal((await loadConfig()).news.scorer, "auto");
  equal((await loadConfig()).news.threads, 0);
  equal((await loadConfig({ overrides: { news: { threads: 3 } } })).news.threads, 3);
  const auto = defaultLmThreads();
  ok(Number.isInteger(auto) && auto >= 1 && auto <= 8, String(auto));
});

Deno.test("lm status: names the machine's memo of scores by text and how many it holds", async () => {
  await withEmptyLmDir(async () => {
    const out: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => void out.push(a.join(" "));
    try {
      equal(await lmMain(["status"]), 0);
      ok(!out.some((l) => l.includes("remembered by text")), out.join("\n"));
      const memo = await openSqliteDocuments(textScoreMemoPath());
      await memo.upsert(TEXT_SCORES_COLLECTION, [
        { id: "s|a", scorer: "s", textHash: "a", score: 0.5, knownAt: 0 },
        { id: "s|b", scorer: "s", textHash: "b", score: -0.5, knownAt: 0 },
      ]);
      await memo.close();
      out.length = 0;
      equal(await lmMain(["status"]), 0);
      ok(
        out.some((l) => l.startsWith(`2 news scores remembered by text in ${textScoreMemoPath()}`)),
        out.join("\n"),
      );
      // a memo that cannot be opened is said in a line, and status still exits 0
      for (const f of [textScoreMemoPath(), `${textScoreMemoPath()}-wal`, `${textScoreMemoPath()}-shm`]) {
        await Deno.remove(f).catch(() => {});
      }
      await Deno.mkdir(textScoreMemoPath());
      out.length = 0;
      equal(await lmMain(["status"]), 0);
      ok(out.some((l) => l.startsWith("the memo of news scores by text cannot be opened")), out.join("\n"));
      // a damaged meta.json is said on its model's line (it was an internal error with a stack)
      const v = join(lmRegistryDir(), "models", "finsent-x", "v1");
      await Deno.mkdir(v, { recursive: true });
      await Deno.writeTextFile(join(v, "manifest.json"), "{}");
      await Deno.writeTextFile(join(v, "meta.json"), "{not json");
      out.length = 0;
      equal(await lmMain(["status"]), 0);
      ok(out.some((l) => l.startsWith(`finsent-x@v1: unreadable ${join(v, "meta.json")} (`)), out.join("\n"));
      await Deno.writeTextFile(join(v, "meta.json"), '{"variants":null}');
      out.length = 0;
      equal(await lmMain(["status"]), 0);
      ok(out.some((l) => l.startsWith(`finsent-x@v1: unreadable ${join(v, "meta.json")} (`)), out.join("\n"));
    } finally {
      console.log = log;
    }
  });
});

// the fastest installed fine-tune (CI installs finsent-minilm@ci), looked up in the registry the run was given
const LM_REF = ["finsent-minilm@ci", "finsent-minilm@v1", "finsent-mpnet@ci", "finsent-mpnet@v1"].find(
  lmInstalled,
);
const REGISTRY = lmRegistryDir();
if (!LM_REF) console.log(`skipping the language-model scorer test: no fine-tune installed (${LM_INSTALL})`);

Deno.test({
  name:
    "news scorer: the language model runs with the configured threads and remembers scores by text for every store",
  ignore: !LM_REF,
  fn: async () => {
    // a language-model folder of its own (the memo is written there) over the installed registry
    await withEmptyLmDir(async () => {
      await Deno.symlink(REGISTRY, join(Deno.env.get("FMAI_LM_DIR")!, "registry"));
      const texts = [
        "Profit rose 20 % and the outlook was raised.",
        "The company cut 300 jobs after losses.",
      ];
      const cfg = { scorer: "lm", model: LM_REF!, variant: "fp32", threads: 1 } as const;
      const first = await newsScorerFor(cfg);
      let a: Float64Array;
      try {
        ok(first.note.includes(`${LM_REF}/fp32 (1 thread)`), first.note);
        a = await first.scorer.score(texts);
        deepEqual(first.scorer.memo, { hits: 0, misses: 2 });
      } finally {
        await first.release();
      }
      ok(existsSync(textScoreMemoPath()));
      // another run (another store, another clone): the same model answers from the memo without running
      const second = await newsScorerFor({ ...cfg, threads: 0 });
      try {
        ok(second.note.includes(`(${defaultLmThreads()} thread`), second.note);
        equal(second.scorer.id, first.scorer.id);
        deepEqual([...await second.scorer.score([texts[1], texts[0]])], [a[1], a[0]]);
        deepEqual(second.scorer.memo, { hits: 2, misses: 0 });
      } finally {
        await second.release();
      }
      // a memo that cannot be opened (here a folder where the file should be): the model runs without, said
      await Deno.remove(textScoreMemoPath());
      await Deno.mkdir(textScoreMemoPath());
      const bare = await newsScorerFor(cfg);
      try {
        ok(bare.note.includes("no memo of scores by text: cannot open"), bare.note);
        equal(bare.scorer.memo, undefined);
        deepEqual(
          [...await bare.scorer.score(texts)].map((v) => v.toFixed(5)),
          [...a].map((v) => v.toFixed(5)),
        );
      } finally {
        await bare.release();
      }
    });
  },
});

Deno.test("lm CLI: usage errors exit 2 before any work; train without fetched weights exits 2", async () => {
  const log = console.error;
  console.error = () => {};
  try {
    equal(await lmMain([]), 2);
    equal(await lmMain(["fetch", "--encoders", "gpt5"]), 2);
    equal(await lmMain(["train", "--encoder", "bert"]), 2);
    equal(await lmMain(["train", "--bogus"]), 2);
    for (const m of ["0", "9", "1.5", "two"]) equal(await lmMain(["train", "--members", m]), 2, m);
    for (const d of ["0", "13", "2.5", "all"]) equal(await lmMain(["train", "--train-layers", d]), 2, d);
    equal(await lmMain(["train", "--encoder", "minilm", "--train-layers", "7"]), 2); // MiniLM has 6 layers
    await withEmptyLmDir(async () => equal(await lmMain(["train"]), 2));
  } finally {
    console.error = log;
  }
});

/** Runs the lm CLI in an empty FMAI_LM_DIR with Python steps failing fast; its exit code, stderr and the folder after. */
async function lmRun(args: string[]): Promise<{ code: number; err: string; left: string[] }> {
  return await withEmptyLmDir(async () => {
    const log = console.error, out = console.log, py = Deno.env.get("PYTHON");
    const err: string[] = [];
    console.error = (...a: unknown[]) => void err.push(a.join(" "));
    console.log = () => {};
    Deno.env.set("PYTHON", "/bin/false");
    try {
      const code = await lmMain(args);
      const left = [...Deno.readDirSync(Deno.env.get("FMAI_LM_DIR")!)].map((e) => e.name);
      return { code, err: err.join("\n"), left };
    } finally {
      console.error = log;
      console.log = out;
      if (py === undefined) Deno.env.delete("PYTHON");
      else Deno.env.set("PYTHON", py);
    }
  });
}

Deno.test("lm CLI: each command refuses the other commands' flags, and a flag given twice, before any work", async () => {
  const cases: [string[], string][] = [
    [["train", "--encoders", "minilm"], "lm train: --encoders is a fetch flag (use --encoder)"],
    [["fetch", "--encoder", "minilm"], "lm fetch: --encoder is a train flag (use --encoders)"],
    [["fetch", "--members", "3"], "lm fetch: --members is a train flag"],
    [["fetch", "--reduced"], "lm fetch: --reduced is a train flag"],
    [["fetch", "--train-layers", "8"], "lm fetch: --train-layers is a train flag"],
    [["status", "--members", "3", "--encoder", "bert"], "lm status takes no flags (got --members"],
    [["status", "--encoders", "minilm"], "lm status takes no flags (got --encoders"],
    [["status", "--bogus"], "--bogus"],
    [["train", "--encoder", "minilm", "--encoder", "mpnet"], "--encoder is given twice"],
    [["train", "--members", "2", "--members", "3"], "--members is given twice"],
  ];
  for (const [args, msg] of cases) {
    const r = await lmRun(args);
    equal(r.code, 2, args.join(" "));
    ok(r.err.startsWith("error: ") && r.err.includes(msg) && !r.err.includes("\n"), r.err);
    deepEqual(r.left, [], `${args.join(" ")}: nothing written`);
  }
});

Deno.test("lm CLI: fetch refuses an empty, partly empty or repeated --encoders list before any work", async () => {
  for (const list of [",", "", " , ", "minilm,,mpnet", "minilm,", "minilm,minilm", "mpnet, mpnet"]) {
    const r = await lmRun(["fetch", "--encoders", list]);
    equal(r.code, 2, list);
    ok(/empty name|named twice/.test(r.err), r.err);
    deepEqual(r.left, [], `${list}: no cache folder content, no setup.sh`);
  }
  for (
    const [args, msg] of [
      [["train", "--members", "1e0"], '--members: expected a whole number from 1 to 8, got "1e0"'],
      [["train", "--members", "9"], '--members: expected a whole number from 1 to 8, got "9"'],
      [
        ["train", "--train-layers", " 4"],
        '--train-layers: expected a whole number from 1 to 12 for mpnet, got " 4"',
      ],
      [
        ["train", "--encoder", "minilm", "--train-layers", "7"],
        '--train-layers: expected a whole number from 1 to 6 for minilm, got "7"',
      ],
    ]
  ) {
    const r = await lmRun(args as string[]);
    deepEqual([r.code, r.err, r.left], [2, `error: ${msg}`, []], (args as string[]).join(" "));
  }
});

Deno.test("lm CLI: a failed Python step is one line and exit 1, naming the step (not an internal error)", async () => {
  const r = await lmRun(["fetch", "--encoders", "minilm"]);
  equal(r.code, 1);
  ok(r.err.startsWith("error: ") && !r.err.includes("internal error") && !r.err.includes("\n"), r.err);
  ok(r.err.includes("setup.sh") && r.err.includes("exit code 1"), r.err);
});

Deno.test("lm CLI: status refuses an FMAI_LM_DIR that is a file (or runs through one)", async () => {
  const file = await Deno.makeTempFile({ prefix: "fmai-lm-file-" });
  const before = Deno.env.get("FMAI_LM_DIR");
  const log = console.error, out = console.log;
  const err: string[] = [];
  console.error = (...a: unknown[]) => void err.push(a.join(" "));
  console.log = (...a: unknown[]) => void err.push(`stdout: ${a.join(" ")}`);
  try {
    for (const [dir, cmd] of [[file, "status"], [`${file}/sub`, "status"], [file, "train"]]) {
      Deno.env.set("FMAI_LM_DIR", dir);
      err.length = 0;
      equal(await lmMain([cmd]), 2, `${cmd} ${dir}`);
      ok(
        err.length === 1 && /not a folder/.test(err[0]) && !err[0].includes("no language model"),
        err.join("|"),
      );
    }
  } finally {
    console.error = log;
    console.log = out;
    if (before === undefined) Deno.env.delete("FMAI_LM_DIR");
    else Deno.env.set("FMAI_LM_DIR", before);
    await Deno.remove(file);
  }
});

Deno.test("lm train: runs off the recipe get their own version, never the recipe's v1", () => {
  equal(trainVersion("mpnet", false, 1), "v1");
  equal(trainVersion("mpnet", false, 1, 4), "v1", "the recipe's depth named explicitly is the recipe");
  equal(trainVersion("mpnet", false, 1, 8), "v1-l8");
  equal(trainVersion("mpnet", false, 3), "v1-m3");
  equal(trainVersion("mpnet", false, 3, 12), "v1-l12-m3");
  equal(trainVersion("minilm", false, 1, 6), "v1");
  equal(trainVersion("minilm", true, 1, 3), "ci-l3");
  equal(trainVersion("minilm", true, 1), "ci");
});

Deno.test("lmInstallHint: the lm:train flags that make a model, or that lm:train does not make it", () => {
  equal(lmInstallHint("finsent-mpnet@v1"), "deno task lm:fetch && deno task lm:train");
  equal(lmInstallHint("finsent-minilm@v1"), "deno task lm:fetch && deno task lm:train --encoder minilm");
  equal(
    lmInstallHint("finsent-minilm@ci"),
    "deno task lm:fetch && deno task lm:train --encoder minilm --reduced",
  );
  equal(
    lmInstallHint("finsent-mpnet@v1-l8-m3"),
    "deno task lm:fetch && deno task lm:train --train-layers 8 --members 3",
  );
  equal(
    lmInstallHint("finsent-mpnet@v9"),
    "deno task lm:train does not make finsent-mpnet@v9; deno task lm:status lists the installed models",
  );
});

Deno.test("variantProblem: a build that lost its recorded validation accuracy is refused for news, fp32 and a kept one pass", () => {
  const mpnet = { validationOnnx: { fp32: { accuracy: 0.8967 }, int8: { accuracy: 0.6178 } } };
  const minilm = { validationOnnx: { fp32: { accuracy: 0.8574 }, int8: { accuracy: 0.8554 } } };
  equal(
    variantProblem("finsent-mpnet@v1", "int8", mpnet),
    "news.variant int8 of finsent-mpnet@v1 scores 0.618 validation accuracy against fp32's 0.897 (recorded by " +
      "lm:train): use variant fp32, or a model whose int8 build keeps its accuracy (finsent-minilm@v1)",
  );
  equal(variantProblem("finsent-mpnet@v1", "fp32", mpnet), null);
  equal(variantProblem("finsent-minilm@v1", "int8", minilm), null);
  equal(variantProblem("x@v1", "int8", {}), null, "no record: nothing to go on");
});

Deno.test({
  name: "news scorer: a base encoder (no sentiment head) is refused when chosen, before any store opens",
  ignore: !lmInstalled("all-minilm-l6-v2@base"),
  fn: async () => {
    await rejects(
      () => newsScorerFor({ scorer: "lm", model: "all-minilm-l6-v2@base", variant: "fp32", threads: 1 }),
      (e: Error) => {
        ok(e instanceof ConfigError, String(e));
        ok(
          /^news\.model all-minilm-l6-v2@base is a base encoder without a sentiment head/.test(e.message),
          e.message,
        );
        return true;
      },
    );
  },
});
