/**
 * `deno task evaluate [--reduced] [--seed N] [--tickers N] [--sections trend,vol,...] [--data DIR] [--out DIR]
 * [--serial]`: runs the sections of EVALUATION.md that exist (lib/evaluate SECTIONS) on ../shared/data and writes
 * `bench/results/<date>-<git sha>.json` and `.html` (`<date>-<git sha>-reduced.*` for a reduced run; a run with
 * other sections, tickers or seed than the defaults adds them, e.g. `<date>-<git sha>-levels-t2-s7.*`, so it never
 * replaces a full run's files). Flags, `--out` and (for `--ci`) the expected-metrics file are checked before any
 * work starts. The trend and signals sections run in this thread (signals reuses trend's fitted models); the
 * others (volatility, levels, sentiment, risk) run one after another in a worker beside them
 * (`evaluate_worker.ts`), so on two cores the language models' native inference overlaps the trend models'
 * single-threaded training. `--serial` runs every section here. The numbers are the same either way.
 *
 * `deno task evaluate:ci` (`--ci`, implies `--reduced`): exits 1 when a null check is not at chance, or a metric
 * of `bench/expected_metrics.json` is missing, not a number, or past its recorded value's tolerance on the bad
 * side (`pipelines/evaluate_guard.ts`); a file from a run of another kind, seed or ticker count is refused before
 * the run. `--write-expected` (with `--ci`, every section, the default tickers) rewrites that file from this run,
 * and only on a clean git tree, so the recorded values belong to a commit. A user mistake prints one line and
 * exits with code 2.
 * @module
 */
import { checkWritableDir, parseFlags, reportCliError } from "./_cli_error.ts";
import { tfStarterFromEnv } from "./tf_env.ts";
import {
  fromRemoteError,
  type MainLaneDone,
  runSection,
  type SectionJob,
  type WorkerMessage,
} from "./evaluate_worker.ts";
import { defaultLmThreads } from "./lm.ts";
import { ConfigError, oneLine, wholeNumber, type WholeNumberRange } from "@lib/core/mod.ts";
import {
  defaultTickers,
  expectedFrom,
  type ExpectedMetrics,
  guardProblems,
  parseExpected,
  runMismatch,
  tickersOf,
} from "./evaluate_guard.ts";
import {
  buildScoreboard,
  type EvalContext,
  failedNullChecks,
  loadAllSp500,
  type NullCheck,
  type Scoreboard,
  scoreboardHtml,
  scoreboardJson,
  SECTION_ORDER,
  type SectionResult,
  SECTIONS,
  SHARE_TREND_RUN,
} from "@lib/evaluate/mod.ts";

const USAGE =
  `usage: deno task evaluate [--reduced] [--seed N] [--tickers N] [--sections trend,volatility,...]
                          [--data DIR] [--out DIR] [--ci] [--write-expected] [--quiet] [--serial]`;

const ALIASES: Record<string, string> = {
  vol: "volatility",
  level: "levels",
  sr: "levels",
  news: "sentiment",
  signal: "signals",
  backtest: "signals",
};

/** Options of an evaluation run. */
export interface EvaluateOptions {
  reduced: boolean;
  seed: number;
  tickers?: number;
  sections: string[];
  dataDir: string;
  outDir: string;
  ci: boolean;
  writeExpected: boolean;
  quiet: boolean;
  /** Every section in this thread, one after another (default: see {@link lanes}). */
  serial: boolean;
}

const ROOT = new URL("../", import.meta.url);

/** Path of the committed expected-metrics file (`pipelines/evaluate_guard.ts`). */
export const EXPECTED_PATH = new URL("bench/expected_metrics.json", ROOT).pathname;

/** Seed of a run without `--seed`. */
export const DEFAULT_SEED = 42;

/** `--flag`'s value as {@linkcode wholeNumber} reads it; `undefined` when the flag is not given. */
function intFlag(v: string | undefined, flag: string, range: WholeNumberRange) {
  return v === undefined ? undefined : wholeNumber(v, `--${flag}`, range);
}

/**
 * Parses argv; unknown flags or sections, a malformed number, and `--write-expected` without `--ci` or with other
 * sections or tickers than the defaults (the file would guard only what this run measured) are `ConfigError`s.
 */
export function parseEvaluateArgs(argv: string[]): EvaluateOptions {
  const parsed = parseFlags(argv, {
    reduced: { type: "boolean" },
    seed: { type: "string" },
    tickers: { type: "string" },
    sections: { type: "string" },
    data: { type: "string" },
    out: { type: "string" },
    ci: { type: "boolean" },
    "write-expected": { type: "boolean" },
    quiet: { type: "boolean" },
    serial: { type: "boolean" },
    help: { type: "boolean" },
  }, false);
  const v = parsed.values;
  if (v.help) throw new ConfigError(USAGE);
  const known = Object.keys(SECTIONS);
  let sections = known;
  if (v.sections !== undefined) {
    sections = v.sections.split(",").map((s) => s.trim()).filter(Boolean).map((s) => ALIASES[s] ?? s);
    for (const s of sections) {
      if (!known.includes(s)) throw new ConfigError(`unknown section ${s} (known: ${known.join(", ")})`);
    }
    if (sections.length === 0) throw new ConfigError("--sections is empty");
  }
  const rank = (s: string) => (SECTION_ORDER.indexOf(s) + 1 || 99);
  sections = [...new Set(sections)].sort((a, b) => rank(a) - rank(b));
  const o: EvaluateOptions = {
    reduced: Boolean(v.reduced || v.ci),
    // the seed goes through a 32-bit generator: a larger one would silently be another seed
    seed: intFlag(v.seed, "seed", { min: 0, max: 0xffffffff }) ?? DEFAULT_SEED,
    tickers: intFlag(v.tickers, "tickers", { min: 1 }),
    sections,
    dataDir: v.data ?? new URL("../shared/data", ROOT).pathname,
    outDir: v.out ?? new URL("bench/results", ROOT).pathname,
    ci: Boolean(v.ci),
    writeExpected: Boolean(v["write-expected"]),
    quiet: Boolean(v.quiet),
    serial: Boolean(v.serial),
  };
  if (o.writeExpected) {
    if (!o.ci) throw new ConfigError("--write-expected goes with --ci (the guard compares reduced runs)");
    const { sections: s, tickers: t } = runVariant(o);
    if (s || t) {
      throw new ConfigError(
        `--write-expected records every section at the default tickers; drop ${
          [s && `--sections ${v.sections}`, t && `--tickers ${v.tickers}`].filter(Boolean).join(" and ")
        }`,
      );
    }
  }
  return o;
}

/** What of a run differs from the defaults (all sections, the default tickers and seed); empty parts are "". */
export function runVariant(o: EvaluateOptions): { sections: string; tickers: string; seed: string } {
  const all = Object.keys(SECTIONS);
  const t = tickersOf(o);
  return {
    sections: o.sections.length === all.length && all.every((s) => o.sections.includes(s))
      ? ""
      : o.sections.join("+"),
    tickers: t === defaultTickers(o.reduced) ? "" : `t${t}`,
    seed: o.seed === DEFAULT_SEED ? "" : `s${o.seed}`,
  };
}

/**
 * Result path without extension: `<out>/<date>-<sha>[-dirty][-reduced]`, then the sections, `t<tickers>` and
 * `s<seed>` where they differ from the defaults (e.g. `-levels-t2-s7`), so a partial run never replaces a full
 * run's files.
 */
export function resultBase(o: EvaluateOptions, date: string, sha: string, dirty: boolean | null): string {
  const variant = Object.values(runVariant(o)).filter(Boolean).map((p) => `-${p}`).join("");
  return `${o.outDir}/${date}-${sha}${dirty ? "-dirty" : ""}${o.reduced ? "-reduced" : ""}${variant}`;
}

/**
 * The expected-metrics file at `path`, checked against the run `o` asks for: a readable expected-metrics document
 * (see `parseExpected`) of the same kind (reduced), seed and tickers. A one-line `ConfigError`/`InputError`.
 */
export async function loadExpected(o: EvaluateOptions, path = EXPECTED_PATH): Promise<ExpectedMetrics> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new ConfigError(`--ci: cannot read ${path} (${oneLine(e)})`, { cause: e });
  }
  const expected = parseExpected(text, path);
  const mismatch = runMismatch(expected, { reduced: o.reduced, seed: o.seed, tickers: tickersOf(o) });
  if (mismatch) {
    throw new ConfigError(
      `--ci: ${path}: ${mismatch} (run with the recorded seed and tickers)`,
    );
  }
  return expected;
}

/**
 * Everything checked before any work starts: `--out` can be written, `--tickers` is at most what the data holds,
 * `--write-expected` runs on a clean git tree,
 * and `--ci` (without `--write-expected`, which replaces it) has an expected-metrics file this run can be
 * compared with, returned. One-line user errors.
 */
export async function preflight(
  o: EvaluateOptions,
  expectedPath = EXPECTED_PATH,
): Promise<ExpectedMetrics | null> {
  await checkWritableDir(o.outDir, "--out");
  // more tickers than the data holds would run on all of them under the asked count's name
  if (o.tickers !== undefined) {
    const held = (await loadAllSp500(o.dataDir)).size;
    if (o.tickers > held) {
      throw new ConfigError(
        `--tickers ${o.tickers}: the sp500 data holds ${held} tickers (choose at most ${held})`,
      );
    }
  }
  if (o.writeExpected) {
    await checkCleanTree();
    return null;
  }
  return o.ci ? await loadExpected(o, expectedPath) : null;
}

/** Runs git in the repository; its stdout, or null when git fails or is missing. */
async function git(...args: string[]): Promise<string | null> {
  try {
    const out = await new Deno.Command("git", { args, cwd: ROOT.pathname, stdout: "piped", stderr: "null" })
      .output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  } catch {
    return null;
  }
}

/** Short git sha of HEAD, or "nogit". */
export async function gitSha(): Promise<string> {
  return (await git("rev-parse", "--short", "HEAD")) || "nogit";
}

/** Whether tracked files differ from HEAD (null when git is not there). */
export async function gitDirty(): Promise<boolean | null> {
  const st = await git("status", "--porcelain", "--untracked-files=no");
  return st === null ? null : st !== "";
}

/**
 * Runs the sections and writes the scoreboard files; returns the scoreboard and the paths. The git sha and the
 * dirty flag are taken when the run starts (a commit made while it runs does not rename its results).
 */
export async function evaluate(
  o: EvaluateOptions,
): Promise<{
  scoreboard: Scoreboard;
  results: SectionResult[];
  jsonPath: string;
  htmlPath: string;
}> {
  const log = o.quiet ? undefined : (s: string) => console.error(`[evaluate] ${s}`);
  const [sha, dirty] = [await gitSha(), await gitDirty()];
  const ctx: EvalContext = {
    sharedDir: o.dataDir,
    seed: o.seed,
    reduced: o.reduced,
    tickers: o.tickers,
    log,
  };
  const lane = lanes(o);
  const side = lane.worker.length || lane.nullCheckInWorker
    ? sectionsInWorker(lane.worker, o, lane.nullCheckInWorker)
    : null;
  if (side?.nullCheck) ctx.nullCheck = side.nullCheck;
  const results: SectionResult[] = [];
  try {
    for (const name of lane.main) {
      log?.(`section ${name}...`);
      // the sentiment section runs here only when no section runs beside, so its language models get every core
      const r = await runSection(name, ctx, defaultLmThreads);
      results.push(r);
      log?.(`section ${name} done in ${(r.timings.section_total / 1000).toFixed(1)} s`);
    }
    side?.mainLaneDone();
    if (side && lane.worker.length) {
      log?.(`waiting for the worker's sections (${lane.worker.join(", ")})...`);
      results.push(...await side.results);
    }
  } finally {
    side?.terminate();
  }
  results.sort((a, b) => o.sections.indexOf(a.section) - o.sections.indexOf(b.section));
  const date = new Date().toISOString().slice(0, 10);
  // the header says how many tickers (null: all); the sections that ran are its `sections`
  const meta = {
    date,
    gitSha: sha,
    gitDirty: dirty,
    seed: o.seed,
    reduced: o.reduced,
    tickers: tickersOf(o),
  };
  const sb = buildScoreboard(results, meta);
  await Deno.mkdir(o.outDir, { recursive: true });
  const base = resultBase(o, date, sb.gitSha, dirty);
  await Deno.writeTextFile(`${base}.json`, scoreboardJson(sb));
  await Deno.writeTextFile(`${base}.html`, scoreboardHtml(sb, results));
  return { scoreboard: sb, results, jsonPath: `${base}.json`, htmlPath: `${base}.html` };
}

/**
 * Which of the run's sections this thread runs and which a worker runs beside it: the worker takes those that
 * share nothing with the trend section (`SHARE_TREND_RUN` of `lib/evaluate`), when there are some of each kind
 * and `--serial` is not given; otherwise this thread runs them all. Each list keeps the run's order. Unless
 * `--serial`, the worker also computes the null check first when a section of this thread reports it
 * (`usesNullCheck`), a worker of its own if it has no sections.
 */
export function lanes(
  o: Pick<EvaluateOptions, "sections" | "serial">,
): { main: string[]; worker: string[]; nullCheckInWorker: boolean } {
  const main = o.sections.filter((s) => SHARE_TREND_RUN.includes(s));
  const worker = o.sections.filter((s) => !SHARE_TREND_RUN.includes(s));
  const lane = o.serial || !main.length || !worker.length
    ? { main: [...o.sections], worker: [] }
    : { main, worker };
  const nullCheckInWorker = !o.serial && lane.main.some((s) => SECTIONS[s]?.usesNullCheck === true);
  return { ...lane, nullCheckInWorker };
}

/**
 * Starts `sections` in a worker (`evaluate_worker.ts`), one after another, after the null check when `nullCheck`;
 * the worker prints its own progress unless `o.quiet`. `results` settles with their results (in the same order)
 * or the first error (rebuilt with the error's name and `userError`); `nullCheck` (when asked for) settles as
 * soon as the worker has it, or with that error; `mainLaneDone` tells the worker that this thread's sections
 * are done (its language models take every core from their next batch on); `terminate` stops the worker.
 */
export function sectionsInWorker(
  sections: readonly string[],
  o: EvaluateOptions,
  nullCheck = false,
): {
  results: Promise<SectionResult[]>;
  nullCheck?: Promise<NullCheck>;
  mainLaneDone: () => void;
  terminate: () => void;
} {
  const worker = new Worker(new URL("./evaluate_worker.ts", import.meta.url), { type: "module" });
  let done = false;
  const terminate = () => {
    if (!done) worker.terminate();
    done = true;
  };
  const check = Promise.withResolvers<NullCheck>();
  const results = new Promise<SectionResult[]>((resolve, reject) => {
    const fail = (e: Error) => {
      terminate();
      reject(e);
      check.reject(e);
    };
    worker.onmessage = (ev: MessageEvent<WorkerMessage>) => {
      const m = ev.data;
      if ("nullCheck" in m) return check.resolve(m.nullCheck);
      if ("error" in m) return fail(fromRemoteError(m.error));
      terminate();
      resolve(m.results);
    };
    worker.onerror = (ev) => {
      ev.preventDefault();
      const what = [...(nullCheck ? ["null check"] : []), ...sections].join(", ");
      fail(new Error(`${what} (worker): ${ev.message}`));
    };
  });
  // a failure is reported where the results (or the null check) are awaited; until then it is not unhandled
  results.catch(() => {});
  check.promise.catch(() => {});
  const job: SectionJob = {
    nullCheck,
    sections: [...sections],
    dataDir: o.dataDir,
    seed: o.seed,
    reduced: o.reduced,
    tickers: o.tickers,
    quiet: o.quiet,
  };
  worker.postMessage(job);
  const mainLaneDone = () => {
    if (!done) worker.postMessage({ mainLaneDone: true } satisfies MainLaneDone);
  };
  return { results, ...(nullCheck ? { nullCheck: check.promise } : {}), mainLaneDone, terminate };
}

/** CI verdict: problems (empty = pass). */
export function ciProblems(
  sb: Scoreboard,
  expected: ExpectedMetrics,
): string[] {
  const p: string[] = [];
  for (const m of failedNullChecks(sb)) {
    p.push(`null check not at chance: ${m.section}/${m.method} z=${m.value}`);
  }
  p.push(...guardProblems(expected, sb));
  return p;
}

/** Refuses `--write-expected` unless the git tree is clean (the recorded values must belong to a commit). */
export async function checkCleanTree(): Promise<void> {
  const dirty = await git("status", "--porcelain", "--untracked-files=no");
  if (dirty === null) throw new ConfigError("--write-expected needs a git checkout (git status failed)");
  if (dirty) {
    throw new ConfigError(
      `--write-expected needs a clean git tree (commit first): ${
        dirty.split("\n").length
      } changed file(s), ` +
        `e.g. ${dirty.split("\n")[0].trim()}`,
    );
  }
}

function fmt(v: number): string {
  return !Number.isFinite(v) ? String(v) : Math.abs(v) >= 1000 ? v.toFixed(0) : v.toPrecision(4);
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes("--help")) {
    console.log(USAGE);
    return 0;
  }
  const o = parseEvaluateArgs(argv);
  let expected = await preflight(o);
  const startTf = tfStarterFromEnv();
  await startTf();
  const { scoreboard: sb, jsonPath, htmlPath } = await evaluate(o);
  if (!o.quiet) {
    for (const s of sb.sections) {
      console.log(`\n== ${s.title}`);
      for (const n of s.notes) console.log(`  ${n}`);
      const byMethod = new Map<string, string[]>();
      for (const m of s.metrics) {
        const a = byMethod.get(m.method) ?? [];
        a.push(`${m.name}=${fmt(m.value)}`);
        byMethod.set(m.method, a);
      }
      for (const [k, a] of byMethod) console.log(`  ${k}: ${a.join(" ")}`);
    }
    console.log(
      `\ntimings (ms): ${Object.entries(sb.timings).map(([k, v]) => `${k}=${v.toFixed(0)}`).join(" ")}`,
    );
  }
  console.log(`wrote ${jsonPath}\nwrote ${htmlPath}`);
  if (o.writeExpected) {
    expected = expectedFrom(sb);
    await Deno.writeTextFile(EXPECTED_PATH, JSON.stringify(expected, null, 2) + "\n");
    console.log(
      `wrote ${EXPECTED_PATH} (${Object.keys(expected.metrics).length} metrics with floors/ceilings)`,
    );
  }
  if (o.ci && expected) {
    const problems = ciProblems(sb, expected);
    for (const p of problems) console.error(`evaluate:ci FAIL: ${p}`);
    if (problems.length) return 1;
    console.log(
      `evaluate:ci PASS: null checks at chance, ${
        Object.keys(expected.metrics).length
      } metrics within their tolerances of ${expected.gitSha}`,
    );
  }
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    Deno.exit(reportCliError(e));
  }
}
