/**
 * `deno task notebooks [names...] [--junit PATH] [--jobs N] [--out DIR] [--timeout S] [--synthetic]`: executes every notebook in
 * `notebooks/` headlessly on the Deno kernel (Debian's `jupyter nbconvert` + `python3-nbclient`), checks the
 * executed notebooks (no error output, every code cell that should print has output, the declared plots are
 * there, the last cell printed `OK <name>`), and exports each to `reports/notebooks/<name>.html` through the
 * `notebooks/templates/fmai` template, which inlines plotly.js once. Exits 1 when any notebook fails.
 *
 * Cell metadata understood (all optional): `tags: ["no-output"]` (a code cell that prints nothing),
 * `fmai.plots` (minimum number of plotly outputs of the cell), `fmai.frames` (minimum number of DataFrames the
 * kernel rendered in the cell: outputs whose bundle carries `application/vnd.dataresource+json` and an HTML
 * table, which is what the Deno kernel displays for a nodejs-polars DataFrame). Writes `manifest.json` (plots
 * and frames per report, for `scripts/browser_check.ts`) and, with `--junit`, a JUnit XML file with one test
 * case per notebook.
 * @module
 */
import { toolArgs } from "./_args.ts";
import { createRequire } from "node:module";

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
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
  metadata?: { tags?: string[]; fmai?: { plots?: number; frames?: number } };
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
    const want = c.metadata?.fmai?.plots ?? 0;
    if (cellPlots < want) problems.push(`cell ${i} (${src}): expected ${want} plots, got ${cellPlots}`);
  });
  if (!lastStdout.includes(`OK ${name}`)) problems.push(`the last cell did not print "OK ${name}"`);
  return { problems, plots, frames };
}

/** Extra environment of the kernels (`FMAI_SYNTHETIC=1` makes the notebooks use the synthetic market). */
const env: Record<string, string> = {};

async function run(cmd: string[], cwd = ROOT): Promise<{ code: number; out: string }> {
  const p = new Deno.Command(cmd[0], { args: cmd.slice(1), cwd, stdout: "piped", stderr: "piped", env });
  const r = await p.output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
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
  const exec = await run([
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
  ], NB_DIR);
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
    const c = checkExecuted(name, nb);
    res.problems.push(...c.problems);
    res.plots = c.plots;
    res.frames = c.frames;
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
  } else if (exec.code === 0) res.problems.push("no executed notebook written");
  res.seconds = (performance.now() - t0) / 1000;
  res.ok = res.problems.length === 0;
  return res;
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

async function main(): Promise<number> {
  const { values, positionals } = toolArgs("notebooks", {
    junit: { type: "string" },
    jobs: { type: "string", default: "2" },
    out: { type: "string", default: `${ROOT}/reports/notebooks` },
    timeout: { type: "string", default: "600" },
    synthetic: { type: "boolean", default: false },
  }, { positionals: true });
  const outDir = values.out!;
  const all = [...Deno.readDirSync(NB_DIR)].map((e) => e.name).filter((n) => /^\d\d_.*\.ipynb$/.test(n))
    .sort();
  const chosen = positionals.length
    ? all.filter((n) => positionals.some((p) => n.startsWith(p) || n === `${p}.ipynb`))
    : all;
  if (chosen.length === 0) {
    console.error(`no notebook matches ${positionals.join(" ") || "notebooks/NN_*.ipynb"}`);
    return 2;
  }
  if (values.synthetic) env.FMAI_SYNTHETIC = "1";
  // longest first (times of the last run), so parallel jobs finish together
  const last = await Deno.readTextFile(`${outDir}/manifest.json`).then(JSON.parse).catch(() => ({}));
  const lastSecs = (f: string) => last[f.replace(/\.ipynb$/, ".html")]?.seconds ?? Infinity;
  chosen.sort((a, b) => lastSecs(b) - lastSecs(a) || a.localeCompare(b));
  const which = await run(["sh", "-c", "command -v jupyter"]);
  if (which.code !== 0) {
    console.error(
      "jupyter not found: run `bash scripts/setup.sh` (installs jupyter-nbconvert, python3-nbclient)",
    );
    return 2;
  }
  await ensureKernel();
  await Deno.mkdir(outDir, { recursive: true });
  const tplDir = await prepareTemplate(await Deno.makeTempDir({ prefix: "fmai-nbtpl-" }));
  const t0 = performance.now();
  const results: NotebookResult[] = [];
  const queue = [...chosen];
  const jobs = Math.max(1, Number(values.jobs) || 1);
  await Promise.all(Array.from({ length: jobs }, async () => {
    for (let f = queue.shift(); f; f = queue.shift()) {
      const r = await runNotebook(f, outDir, tplDir, Number(values.timeout));
      results.push(r);
      console.log(
        `${r.ok ? "ok  " : "FAIL"} ${r.name} ${
          r.seconds.toFixed(1)
        }s, ${r.plots} plots, ${r.frames} DataFrames`,
      );
      for (const p of r.problems) console.log(`     ${p}`);
    }
  }));
  await Deno.remove(tplDir, { recursive: true });
  results.sort((a, b) => a.name.localeCompare(b.name));
  const manifest: Record<string, { plots: number; frames: number; seconds: number; ok: boolean }> = {};
  for (const r of results) {
    manifest[`${r.name}.html`] = {
      plots: r.plots,
      frames: r.frames,
      seconds: +r.seconds.toFixed(2),
      ok: r.ok,
    };
  }
  await Deno.writeTextFile(`${outDir}/manifest.json`, JSON.stringify(manifest, null, 2) + "\n");
  const xml = junitXml("notebooks", results.map((r) => ({ ...r, name: `notebook ${r.name}` })));
  await Deno.writeTextFile(`${outDir}/junit.xml`, xml);
  if (values.junit) await Deno.writeTextFile(values.junit, xml);
  const failed = results.filter((r) => !r.ok).length;
  const secs = (performance.now() - t0) / 1000;
  console.log(
    `notebooks: ${results.length - failed} passed, ${failed} failed in ${secs.toFixed(1)}s -> ${outDir}`,
  );
  return failed ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
