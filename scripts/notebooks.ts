/**
 * `deno task notebooks [names...] [--junit PATH] [--jobs N] [--out DIR] [--timeout S] [--synthetic]`: executes every notebook in
 * `notebooks/` headlessly on the Deno kernel (Debian's `jupyter nbconvert` + `python3-nbclient`), checks the
 * executed notebooks (no error output, every code cell that should print has output, the declared plots are
 * there, the last cell printed `OK <name>`), and exports each to `reports/notebooks/<name>.html` through the
 * `notebooks/templates/fmai` template, which inlines plotly.js once. Exits 1 when any notebook fails.
 *
 * Cell metadata understood (all optional): `tags: ["no-output"]` (a code cell that prints nothing),
 * `fmai.plots` (minimum number of plotly outputs of the cell; `fmai.syntheticPlots` instead on the synthetic
 * market, for a cell whose charts need `../shared/data`), `fmai.frames` (minimum number of DataFrames the
 * kernel rendered in the cell: outputs whose bundle carries `application/vnd.dataresource+json` and an HTML
 * table, which is what the Deno kernel displays for a nodejs-polars DataFrame). Updates `manifest.json` (plots
 * and frames per report, for `scripts/browser_check.ts`; the entries of notebooks not run are kept) and, with
 * `--junit`, writes a JUnit XML file with one test case per notebook run. A notebook's earlier executed copy and
 * report are removed before it runs, so a failed run leaves no stale report. Names that match no notebook,
 * `--jobs`/`--timeout` that are not positive integers and an `--out`/`--junit` that cannot be written are refused
 * (one line, exit 2) before jupyter starts.
 * @module
 */
import { fileURLToPath } from "node:url";
import { intFlag, toolArgs } from "./_args.ts";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { ConfigError, oneLine } from "@lib/core/mod.ts";
import {
  checkReportPath,
  checkWritableDir,
  exitWithParent,
  reportCliError,
} from "../pipelines/_cli_error.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url)).replace(/\/$/, "");
const NB_DIR = `${ROOT}/notebooks`;
const PLOTLY_MIME = "application/vnd.plotly.v1+json";
/** The MIME type the Deno kernel adds when it displays a DataFrame (with a `text/html` table). */
export const FRAME_MIME = "application/vnd.dataresource+json";

/** Outcome of one notebook. */
export interface NotebookResult {
  name: string;
  ok: boolean;
  seconds: number;
  problems: string[];
  plots: number;
  frames: number;
  html?: string;
}

interface Cell {
  cell_type: string;
  source: string | string[];
  metadata?: { tags?: string[]; fmai?: { plots?: number; syntheticPlots?: number; frames?: number } };
  outputs?: Output[];
}
interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
}

const joinText = (t: string | string[] | undefined) => (Array.isArray(t) ? t.join("") : t ?? "");

/** Whether an output is a DataFrame as the kernel renders it: a data-resource part and an HTML table. */
export function isFrameOutput(o: Output): boolean {
  const d = o.data;
  if (!d || !(FRAME_MIME in d)) return false;
  const html = joinText(d["text/html"] as string | string[] | undefined);
  const res = d[FRAME_MIME] as { schema?: { fields?: { name: string }[] }; data?: unknown[] };
  return /^<table><thead><tr>(<th>[^<]*<\/th>)+<\/tr><\/thead><tbody>/.test(html) &&
    Array.isArray(res?.schema?.fields) && Array.isArray(res?.data);
}

/** Checks an executed notebook; returns the problems found and the number of plotly and DataFrame outputs. */
export function checkExecuted(
  name: string,
  nb: { cells: Cell[] },
  opts: { synthetic?: boolean } = {},
): { problems: string[]; plots: number; frames: number } {
  const problems: string[] = [];
  let plots = 0, frames = 0, lastStdout = "";
  nb.cells.forEach((c, i) => {
    if (c.cell_type !== "code") return;
    const outs = c.outputs ?? [];
    const src = joinText(c.source).trim().split("\n")[0].slice(0, 60);
    for (const o of outs) {
      if (o.output_type === "error") problems.push(`cell ${i} (${src}): ${o.ename}: ${o.evalue}`);
      if (o.output_type === "stream" && o.name === "stdout") lastStdout = joinText(o.text);
    }
    const cellPlots = outs.filter((o) => o.data && PLOTLY_MIME in o.data).length;
    plots += cellPlots;
    const cellFrames = outs.filter(isFrameOutput).length;
    frames += cellFrames;
    const wantFrames = c.metadata?.fmai?.frames ?? 0;
    if (cellFrames < wantFrames) {
      problems.push(
        `cell ${i} (${src}): expected ${wantFrames} DataFrames rendered by the kernel, got ${cellFrames}`,
      );
    }
    const noOutput = c.metadata?.tags?.includes("no-output");
    if (!noOutput && outs.length === 0) problems.push(`cell ${i} (${src}): expected output, got none`);
    const want = (opts.synthetic ? c.metadata?.fmai?.syntheticPlots : undefined) ?? c.metadata?.fmai?.plots ??
      0;
    if (cellPlots < want) problems.push(`cell ${i} (${src}): expected ${want} plots, got ${cellPlots}`);
  });
  if (!lastStdout.includes(`OK ${name}`)) problems.push(`the last cell did not print "OK ${name}"`);
  return { problems, plots, frames };
}

/**
 * Extra environment of the kernels (`FMAI_SYNTHETIC=1` makes the notebooks use the synthetic market; `TMPDIR`
 * the run's own temporary folder, so what a stopped kernel could not remove goes with it).
 */
const env: Record<string, string> = {};
/** The run's temporary folder (the report template, the kernels' `TMPDIR`), removed when the run ends or is stopped. */
let runTmp: string | null = null;

function removeRunTmp(): void {
  if (runTmp) {
    try {
      Deno.removeSync(runTmp, { recursive: true });
    } catch { /* already gone */ }
    runTmp = null;
  }
}

/** The jupyter processes running now: a stop (SIGINT, SIGTERM, the parent gone) ends them and their kernels. */
const running = new Set<Deno.ChildProcess>();
/**
 * The processes the running ones started (their kernels), pid -> command line, seen every second: a signal sent
 * to the whole process group (`timeout`'s) ends nbconvert before this process can look for its kernel, which runs
 * in a session of its own and would be left behind.
 */
const started = new Map<number, string>();

function cmdline(pid: number): string | null {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`);
  } catch {
    return null;
  }
}

async function run(cmd: string[], cwd = ROOT): Promise<{ code: number; out: string }> {
  const p = new Deno.Command(cmd[0], { args: cmd.slice(1), cwd, stdout: "piped", stderr: "piped", env })
    .spawn();
  running.add(p);
  const seen: number[] = [];
  const look = setInterval(() => {
    for (const pid of descendants(p.pid)) {
      const c = cmdline(pid);
      if (c !== null && !started.has(pid)) [started.set(pid, c), seen.push(pid)];
    }
  }, 1000);
  try {
    const r = await p.output();
    const dec = new TextDecoder();
    return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
  } finally {
    clearInterval(look);
    running.delete(p);
    // a kernel still alive after nbconvert ended (killed by a group's signal) stays known until the stop ends it
    for (const pid of seen) if (cmdline(pid) !== started.get(pid)) started.delete(pid);
  }
}

/**
 * Every descendant of `pid`, deepest first, from Linux's `/proc` ([] where there is none). A kernel runs in a
 * session of its own (jupyter_client starts it so), so it is found by its parent, not by a process group.
 */
function descendants(pid: number): number[] {
  const kids = new Map<number, number[]>();
  try {
    for (const e of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(e.name)) continue;
      try {
        const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        kids.set(ppid, [...(kids.get(ppid) ?? []), Number(e.name)]);
      } catch { /* ended meanwhile */ }
    }
  } catch {
    return [];
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of kids.get(p) ?? []) {
      walk(c);
      out.push(c);
    }
  };
  walk(pid);
  return out;
}

/** Ends the running jupyter processes and their kernels: SIGTERM, then SIGKILL to what is left after 5 s. */
async function stopRunning(): Promise<void> {
  const signal = (sig: Deno.Signal) => {
    // the kernels seen before (the same command line: not a new process under a reused pid), then what runs now
    const pids = [...started].filter(([pid, c]) => cmdline(pid) === c).map(([pid]) => pid);
    for (const child of running) pids.push(...descendants(child.pid), child.pid);
    for (const pid of new Set(pids)) {
      try {
        Deno.kill(pid, sig);
      } catch { /* already gone */ }
    }
  };
  signal("SIGTERM");
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.all([...running].map((c) => c.status)),
    new Promise((r) => timer = setTimeout(r, 5000)),
  ]);
  clearTimeout(timer);
  signal("SIGKILL");
}

/**
 * A stop of this run ends the notebooks it started: SIGINT and SIGTERM (which `deno task` forwards), and the
 * parent process going away (`exitWithParent` turns it into a SIGTERM); exit 130 or 143 after.
 */
function stopChildrenOnSignal(): void {
  let stopping = false;
  for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    Deno.addSignalListener(sig, () => {
      // `deno task` forwards the signal a process group's sender has already sent this process
      if (stopping) return;
      stopping = true;
      console.error(`notebooks: ${sig}: stopping the running notebooks`);
      stopRunning().finally(() => {
        removeRunTmp();
        Deno.exit(code);
      });
    });
  }
  exitWithParent();
}

/** Writes the nbconvert template with plotly.js inlined into `dir/fmai`; returns `dir`. */
async function prepareTemplate(dir: string): Promise<string> {
  const require = createRequire(`${ROOT}/lib/report/plotly.ts`);
  const js = await Deno.readTextFile(require.resolve("plotly.js-dist-min"));
  if (/endraw/.test(js)) throw new Error("plotly.js contains 'endraw': cannot wrap it in a raw block");
  const t = `${dir}/fmai`;
  await Deno.mkdir(t, { recursive: true });
  for (const f of ["conf.json", "index.html.j2"]) {
    await Deno.copyFile(`${NB_DIR}/templates/fmai/${f}`, `${t}/${f}`);
  }
  await Deno.writeTextFile(
    `${t}/plotly_inline.j2`,
    `{% raw %}${js.replace(/<\/script/gi, "<\\/script")}{% endraw %}`,
  );
  return dir;
}

async function ensureKernel(): Promise<void> {
  const home = Deno.env.get("JUPYTER_DATA_DIR") ?? `${Deno.env.get("HOME")}/.local/share/jupyter`;
  try {
    await Deno.stat(`${home}/kernels/deno/kernel.json`);
  } catch {
    const r = await run([Deno.execPath(), "jupyter", "--install"]);
    if (r.code !== 0) throw new Error(`deno jupyter --install failed: ${r.out.trim().split("\n").pop()}`);
  }
}

async function runNotebook(file: string, outDir: string, tplDir: string, timeout: number) {
  const name = file.replace(/\.ipynb$/, "");
  const t0 = performance.now();
  const res: NotebookResult = { name, ok: false, seconds: 0, problems: [], plots: 0, frames: 0 };
  // a failed run must not leave the last run's executed notebook (read below) or report (checked by
  // `notebooks:check`) in place of its own
  await clearOutputs(outDir, name);
  const exec = await retryKernelStart(() =>
    run([
      "jupyter",
      "nbconvert",
      "--to",
      "notebook",
      "--execute",
      "--ExecutePreprocessor.kernel_name=deno",
      `--ExecutePreprocessor.timeout=${timeout}`,
      "--output-dir",
      outDir,
      "--output",
      name,
      `${NB_DIR}/${file}`,
    ], NB_DIR)
  );
  const executed = `${outDir}/${name}.ipynb`;
  let nb: { cells: Cell[] } | undefined;
  try {
    nb = JSON.parse(await Deno.readTextFile(executed));
  } catch { /* no executed notebook */ }
  if (exec.code !== 0) {
    const err = exec.out.split("\n").filter((l) => /Error|error:|Traceback|Timeout/.test(l)).slice(-3);
    res.problems.push(`nbconvert --execute exited ${exec.code}: ${err.join(" | ") || exec.out.slice(-300)}`);
  }
  if (nb) {
    const c = checkExecuted(name, nb, { synthetic: env.FMAI_SYNTHETIC === "1" });
    res.problems.push(...c.problems);
    res.plots = c.plots;
    res.frames = c.frames;
  }
  // a notebook that failed (its run or its outputs' check) gets no report: `notebooks:check` would pass the
  // plots it did draw; its executed copy stays beside the reports for a look at what went wrong
  if (nb && res.problems.length === 0) {
    const html = await run([
      "jupyter",
      "nbconvert",
      "--to",
      "html",
      `--TemplateExporter.extra_template_basedirs=${tplDir}`,
      "--template",
      "fmai",
      "--output-dir",
      outDir,
      executed,
    ]);
    if (html.code !== 0) res.problems.push(`html export failed: ${html.out.slice(-300)}`);
    else res.html = `${outDir}/${name}.html`;
  } else if (!nb && exec.code === 0) res.problems.push("no executed notebook written");
  res.seconds = (performance.now() - t0) / 1000;
  res.ok = res.problems.length === 0;
  return res;
}

/** What jupyter_client says when a kernel exits before it answered `kernel_info`: no cell of the notebook ran. */
export const KERNEL_START_FAILED = "Kernel died before replying to kernel_info";

/**
 * Runs `exec` (one nbconvert execution) again, once, when its kernel died before it started (nothing ran: two
 * kernels starting at the same moment can race for ports); any other failure, or a second start failure, is
 * returned as it is.
 */
export async function retryKernelStart(
  exec: () => Promise<{ code: number; out: string }>,
): Promise<{ code: number; out: string }> {
  const first = await exec();
  if (first.code === 0 || !first.out.includes(KERNEL_START_FAILED)) return first;
  const again = await exec();
  return again.code === 0 ? again : { code: again.code, out: `${first.out}\n(retried once)\n${again.out}` };
}

/** Removes `dir/<name>.ipynb` and `dir/<name>.html` (the outputs of an earlier run), if there. */
export async function clearOutputs(dir: string, name: string): Promise<void> {
  for (const f of [`${dir}/${name}.ipynb`, `${dir}/${name}.html`]) {
    await Deno.remove(f).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
  }
}

/** One report's line of `manifest.json` (read by `scripts/browser_check.ts`). */
export interface ManifestEntry {
  plots: number;
  frames: number;
  seconds: number;
  ok: boolean;
}

/**
 * `manifest.json` of `dir`: `{}` when there is none; a `ConfigError` when it is not a JSON object (a run would
 * otherwise drop the entries of the reports it does not rebuild).
 */
export async function readManifest(dir: string): Promise<Record<string, ManifestEntry>> {
  const file = `${dir}/manifest.json`;
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return {};
    throw new ConfigError(`--out ${dir}: cannot read manifest.json (${oneLine(e)})`);
  }
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch { /* reported below */ }
  if (typeof m !== "object" || m === null || Array.isArray(m)) {
    throw new ConfigError(
      `--out ${dir}: manifest.json is not a JSON object (remove it and run all notebooks)`,
    );
  }
  return m as Record<string, ManifestEntry>;
}

/**
 * `previous` with the entries of `results` replaced or added (keys `<name>.html`, sorted): the entries of
 * notebooks not run now are kept, so `notebooks:check` still knows what their reports must show.
 */
export function mergeManifest(
  previous: Record<string, ManifestEntry>,
  results: NotebookResult[],
): Record<string, ManifestEntry> {
  const merged: Record<string, ManifestEntry> = { ...previous };
  for (const r of results) {
    merged[`${r.name}.html`] = { plots: r.plots, frames: r.frames, seconds: +r.seconds.toFixed(2), ok: r.ok };
  }
  return Object.fromEntries(Object.entries(merged).sort(([a], [b]) => a.localeCompare(b)));
}

/** Writes `text` to `path` through a temporary file beside it, so that `path` is never half-written. */
function writeWhole(path: string, text: string): void {
  const tmp = `${path}.${Deno.pid}.tmp`;
  Deno.writeTextFileSync(tmp, text);
  Deno.renameSync(tmp, path);
}

const xmlEscape = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

/** JUnit XML with one test case per result. */
export function junitXml(
  suite: string,
  cases: { name: string; seconds: number; problems: string[] }[],
): string {
  const failed = cases.filter((c) => c.problems.length > 0).length;
  const total = cases.reduce((s, c) => s + c.seconds, 0);
  const body = cases.map((c) => {
    const head = `  <testcase classname="${xmlEscape(suite)}" name="${xmlEscape(c.name)}" time="${
      c.seconds.toFixed(3)
    }"`;
    if (c.problems.length === 0) return `${head}/>`;
    const msg = xmlEscape(c.problems.join("; "));
    return `${head}>\n    <failure message="${msg.slice(0, 500)}">${msg}</failure>\n  </testcase>`;
  }).join("\n");
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites><testsuite name="${xmlEscape(suite)}" tests="${cases.length}" failures="${failed}" time="${
    total.toFixed(3)
  }">
${body}
</testsuite></testsuites>
`;
}

/** Flags of `deno task notebooks`. */
export const NOTEBOOK_FLAGS = {
  junit: { type: "string" },
  jobs: { type: "string", default: "2" },
  out: { type: "string", default: `${ROOT}/reports/notebooks` },
  timeout: { type: "string", default: "600" },
  synthetic: { type: "boolean", default: false },
} as const;

/** What a run of `deno task notebooks` was asked to do, checked. */
export interface NotebookRun {
  /** Notebook files (`NN_name.ipynb`) to run, sorted. */
  notebooks: string[];
  jobs: number;
  /** Seconds per cell. */
  timeout: number;
  /** Absolute output folder. */
  outDir: string;
  junit?: string;
  synthetic: boolean;
}

/**
 * Checks the flags and names of a run before any work (before jupyter or the kernel is started), a
 * `ConfigError` naming the first problem: a name (or prefix) that matches none of `all`, `--jobs` or
 * `--timeout` not a positive integer, `--out` that cannot be written or is `notebooks/` itself, `--junit` that
 * cannot be written, a `manifest.json` in `--out` that cannot be merged into.
 */
export async function checkRun(
  values: { junit?: string; jobs?: string; out: string; timeout?: string; synthetic?: boolean },
  names: string[],
  all: string[],
): Promise<NotebookRun> {
  for (const p of names) {
    if (p === "" || !all.some((n) => n.startsWith(p))) {
      throw new ConfigError(
        `no notebook matches ${JSON.stringify(p)} (names or prefixes of ${
          all.map((n) => n.replace(/\.ipynb$/, "")).join(", ") || "notebooks/NN_*.ipynb: there are none"
        })`,
      );
    }
  }
  const notebooks = names.length ? all.filter((n) => names.some((p) => n.startsWith(p))) : all;
  if (notebooks.length === 0) throw new ConfigError("no notebooks/NN_*.ipynb to run");
  const jobs = intFlag("jobs", values.jobs ?? "2");
  const timeout = intFlag("timeout", values.timeout ?? "600");
  const out = values.out;
  if (out.trim() === "") throw new ConfigError("--out: empty path (name the folder of the reports)");
  const outDir = resolve(out);
  const real = (p: string) => Deno.realPath(p).catch(() => p);
  if (await real(outDir) === await real(NB_DIR)) {
    throw new ConfigError(
      `--out ${out}: is the notebooks' own folder (the executed copies would replace them)`,
    );
  }
  await checkWritableDir(outDir, "--out");
  if (values.junit !== undefined) await checkReportPath(values.junit, "--junit", { what: "XML file" });
  await readManifest(outDir);
  return { notebooks, jobs, timeout, outDir, junit: values.junit, synthetic: values.synthetic ?? false };
}

async function main(): Promise<number> {
  const { values, positionals } = toolArgs("notebooks", NOTEBOOK_FLAGS, { positionals: true });
  try {
    const all = [...Deno.readDirSync(NB_DIR)].map((e) => e.name).filter((n) => /^\d\d_.*\.ipynb$/.test(n))
      .sort();
    const { notebooks, jobs, timeout, outDir, junit, synthetic } = await checkRun(values, positionals, all);
    if (synthetic) env.FMAI_SYNTHETIC = "1";
    // longest first (times of the last run), so parallel jobs finish together
    let manifest = await readManifest(outDir);
    const lastSecs = (f: string) => manifest[f.replace(/\.ipynb$/, ".html")]?.seconds ?? Infinity;
    const chosen = [...notebooks].sort((a, b) => lastSecs(b) - lastSecs(a) || a.localeCompare(b));
    const which = await run(["sh", "-c", "command -v jupyter"]);
    if (which.code !== 0) {
      throw new ConfigError(
        "jupyter not found: run `bash scripts/setup.sh` (installs jupyter-nbconvert, python3-nbclient)",
      );
    }
    await ensureKernel();
    await Deno.mkdir(outDir, { recursive: true });
    runTmp = await Deno.makeTempDir({ prefix: "fmai-nbrun-" });
    await Deno.mkdir(`${runTmp}/tmp`);
    env.TMPDIR = `${runTmp}/tmp`;
    const tplDir = await prepareTemplate(`${runTmp}/template`);
    const t0 = performance.now();
    const results: NotebookResult[] = [];
    const queue = [...chosen];
    await Promise.all(Array.from({ length: jobs }, async () => {
      for (let f = queue.shift(); f; f = queue.shift()) {
        const r = await runNotebook(f, outDir, tplDir, timeout);
        results.push(r);
        // merged into the manifest at once: the entries of notebooks not run now are kept, and an
        // interrupted run leaves each report beside its own entry
        manifest = mergeManifest(manifest, [r]);
        writeWhole(`${outDir}/manifest.json`, JSON.stringify(manifest, null, 2) + "\n");
        console.log(
          `${r.ok ? "ok  " : "FAIL"} ${r.name} ${
            r.seconds.toFixed(1)
          }s, ${r.plots} plots, ${r.frames} DataFrames`,
        );
        for (const p of r.problems) console.log(`     ${p}`);
      }
    }));
    removeRunTmp();
    results.sort((a, b) => a.name.localeCompare(b.name));
    const xml = junitXml("notebooks", results.map((r) => ({ ...r, name: `notebook ${r.name}` })));
    writeWhole(`${outDir}/junit.xml`, xml);
    if (junit) {
      await Deno.mkdir(dirname(resolve(junit)), { recursive: true });
      writeWhole(junit, xml);
    }
    const failed = results.filter((r) => !r.ok).length;
    const secs = (performance.now() - t0) / 1000;
    console.log(
      `notebooks: ${results.length - failed} passed, ${failed} failed in ${secs.toFixed(1)}s -> ${outDir}`,
    );
    return failed ? 1 : 0;
  } catch (e) {
    return reportCliError(e);
  } finally {
    removeRunTmp();
  }
}

if (import.meta.main) {
  stopChildrenOnSignal();
  Deno.exit(await main());
}
