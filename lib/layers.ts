/**
 * The layer rule of DESIGN.md as code, checked on Deno's own module graph (`deno info --json`), so what is
 * checked is what runs:
 * - a `lib/` folder imports only lower-ranked folders, and only through their `mod.ts`;
 * - nothing in `lib/` imports an edge or anything outside `lib/`; third-party packages only where the table
 *   allows (by folder, optionally by file); no remote modules;
 * - the edges (`pipelines/`, `lambdas/`, `scripts/`, `bench/`, `notebooks/`) import `lib/` only through a
 *   folder's `mod.ts`;
 * - `lib/` loads nothing dynamically (`import()`, `require`, `createRequire`, `new Worker`,
 *   `import.meta.resolve`) except where {@linkcode DYNAMIC_ALLOWED} names it: such loads are invisible to a
 *   static graph, so they are found in the source with a lexer that skips strings, template literals, regular
 *   expressions and comments (a `/*` inside a string cannot hide an import).
 *
 * Static, re-export, type-only, JSON and literal dynamic imports all appear in the graph, also `file:` URLs
 * and template literals without substitutions. Used by `layers_test.ts` and `deno task check`.
 * @module
 */

/** Rank of each `lib/` folder. */
export const RANKS: Record<string, number> = {
  core: 0,
  sources: 1,
  store: 1,
  features: 1,
  dataset: 2,
  models: 3,
  ensemble: 4,
  moe: 4,
  signals: 5,
  backtest: 6,
  workflow: 7,
  report: 8,
  serve: 8,
  evaluate: 9,
  frames: 10,
};

/** The edges: folders outside `lib/` whose code may import any `lib/<folder>/mod.ts`. */
export const EDGES = ["pipelines", "lambdas", "scripts", "bench", "notebooks"] as const;

/** Third-party package prefixes allowed per folder (optionally restricted to some file names). */
const THIRD_PARTY: { folder: string; prefix: string; file?: RegExp }[] = [
  { folder: "sources", prefix: "yahoo-finance2", file: /^yahoo(_test)?\.ts$/ },
  { folder: "store", prefix: "mysql2", file: /^mysql(_test)?\.ts$/ },
  { folder: "store", prefix: "mongodb", file: /^mongodb(_test)?\.ts$/ },
  { folder: "store", prefix: "@aws-sdk/", file: /^s3(_test)?\.ts$/ },
  { folder: "store", prefix: "yaml" },
  { folder: "models", prefix: "@tensorflow/" },
  { folder: "models", prefix: "onnxruntime", file: /^text_lm(_test)?\.ts$/ },
  { folder: "models", prefix: "@huggingface/tokenizers", file: /^text_lm(_test)?\.ts$/ },
  { folder: "models", prefix: "@huggingface/transformers" },
  { folder: "models", prefix: "@stdlib/", file: /^distributions(_test)?\.ts$/ },
  { folder: "features", prefix: "@stdlib/stats-base-dists-normal-cdf", file: /^options_chain(_test)?\.ts$/ },
  { folder: "moe", prefix: "@tensorflow/" },
  { folder: "ensemble", prefix: "@tensorflow/" },
  { folder: "report", prefix: "plotly.js-dist-min" },
  { folder: "serve", prefix: "hono" },
  { folder: "serve", prefix: "@hono/" },
  { folder: "serve", prefix: "zod" },
  { folder: "frames", prefix: "nodejs-polars" },
];

/**
 * The dynamic loads `lib/` may make, by file, with the reason: each loads a heavy or optional package only when
 * it is needed.
 */
export const DYNAMIC_ALLOWED: { file: string; load: RegExp; why: string }[] = [
  {
    file: "lib/store/config.ts",
    load: /^import\("\.\/(mysql|mongodb|s3)\.ts"\)$/,
    why: "server drivers load only when a run names that backend",
  },
  {
    file: "lib/sources/yahoo.ts",
    load: /^import\("yahoo-finance2(\/lib\/cookieJar)?"\)$/,
    why: "yahoo-finance2 loads on the first Yahoo request, not for CSV or synthetic runs",
  },
  {
    file: "lib/models/tf_backend.ts",
    load:
      /^(import\(spec\)|import\("@tensorflow\/tfjs-backend-webgpu"\)|import\.meta\.resolve\("@tensorflow\/tfjs-backend-wasm"\))$/,
    why:
      "the native TensorFlow backends are optional packages, tried at run time; the WebGPU backend loads only " +
      "when a WebGPU adapter is there; the wasm files are located",
  },
  {
    file: "lib/models/text_lm.ts",
    load: /^import\("(onnxruntime-node|@huggingface\/tokenizers)"\)$/,
    why:
      "the native ONNX runtime and the tokenizer load with the first text model, not for every lib/models import",
  },
  {
    file: "lib/report/plotly.ts",
    load: /^createRequire$/,
    why: "locates the pinned plotly.js bundle file to inline it into offline reports",
  },
];

/** One broken rule. */
export interface Violation {
  file: string;
  specifier: string;
  reason: string;
}

/** One edge of the module graph (paths relative to the repository root; `to` may be `npm:`, `node:`, a URL). */
export interface Edge {
  from: string;
  to: string;
  specifier: string;
  dynamic: boolean;
  typeOnly: boolean;
}

/** The folder of a `lib/` path (`lib/models/mlp.ts` -> `models`), `""` for a file directly in `lib/`. */
function libFolder(path: string): string {
  const p = path.split("/");
  return p.length > 2 ? p[1] : "";
}

/** The package name of an `npm:` specifier (`npm:/@aws-sdk/client-s3@3.1/x` -> `@aws-sdk/client-s3`). */
export function npmPackage(spec: string): string {
  const parts = spec.replace(/^npm:\/?/, "").split("/");
  const strip = (p: string) => p.replace(/(.)@.*$/, "$1");
  return parts[0].startsWith("@") ? `${parts[0]}/${strip(parts[1] ?? "")}` : strip(parts[0]);
}

/** Checks one graph edge against the rules; `null` when it is fine. */
export function checkEdge(e: Edge): Violation | null {
  const v = (reason: string): Violation => ({ file: e.from, specifier: e.specifier, reason });
  const fromLib = e.from.startsWith("lib/");
  const fromEdge = (EDGES as readonly string[]).includes(e.from.split("/")[0]);
  if (!fromLib && !fromEdge) return null;
  if (/^(https?|jsr):/.test(e.to)) return v("no remote imports");
  if (e.to.startsWith("node:")) return null;
  if (e.to.startsWith("npm:")) {
    if (!fromLib) return null;
    const pkg = npmPackage(e.to), folder = libFolder(e.from), file = e.from.split("/").pop()!;
    const ok = THIRD_PARTY.some((r) =>
      r.folder === folder && pkg.startsWith(r.prefix) && (!r.file || r.file.test(file))
    );
    return ok ? null : v(`third-party import ${pkg} not allowed in ${e.from}`);
  }
  if (e.to.startsWith("/") || /^[a-z]+:/.test(e.to)) return v(`imports ${e.to}, outside the repository`);
  const toLib = e.to.startsWith("lib/");
  if (fromEdge) {
    if (!toLib) return null;
    return /^lib\/[^/]+\/mod\.ts$/.test(e.to)
      ? null
      : v(`edges import lib/ only through a folder's mod.ts (${e.to})`);
  }
  // from lib/
  if (!toLib) return v(`lib/ must not import ${e.to} (an edge or a file outside lib/)`);
  const f = libFolder(e.from), t = libFolder(e.to);
  if (f === t) return null;
  if (f === "" || t === "") {
    return /_test\.ts$/.test(e.from) ? null : v("imports across lib/ root files");
  }
  if (!(f in RANKS) || !(t in RANKS)) return v(`unknown layer ${f in RANKS ? t : f} (add it to RANKS)`);
  if (RANKS[t] >= RANKS[f]) return v(`${f} (rank ${RANKS[f]}) must not import ${t} (rank ${RANKS[t]})`);
  if (e.to !== `lib/${t}/mod.ts`) return v(`import lib/${t}/ only through its mod.ts`);
  return null;
}

/** A dynamic load found in source text: its kind, line, and the text of the call (`import("./x.ts")`). */
export interface DynamicLoad {
  kind: "import()" | "require" | "createRequire" | "Worker" | "import.meta.resolve";
  line: number;
  text: string;
}

/**
 * The dynamic loads in `source`: a small lexer walks the code, skipping comments, string and template
 * literals (but reading the code inside `${...}`) and regular-expression literals, and reports every
 * `import(`, `require(`, `createRequire`, `new Worker(` and `import.meta.resolve` in code.
 */
export function dynamicLoads(source: string): DynamicLoad[] {
  const out: DynamicLoad[] = [];
  const n = source.length;
  let i = 0, line = 1, prev = ""; // prev: the last significant token (for the regex-or-divide decision)
  const braces: number[] = []; // template nesting: depth of `{` inside each open `${`
  const isId = (c: string) => /[A-Za-z0-9_$]/.test(c);
  const callText = (start: number): string => {
    let depth = 0, j = start;
    for (; j < n; j++) {
      if (source[j] === "(") depth++;
      else if (source[j] === ")" && --depth === 0) break;
    }
    return source.slice(start, Math.min(n, j + 1)).replace(/\s+/g, " ");
  };
  const skipString = (q: string) => {
    i++;
    while (i < n && source[i] !== q) {
      if (source[i] === "\\") i++;
      else if (source[i] === "\n") line++;
      i++;
    }
    i++;
  };
  /** Skips template text up to the closing backtick or a `${` (returns true for `${`). */
  const skipTemplate = (): boolean => {
    while (i < n) {
      const c = source[i];
      if (c === "\\") i += 2;
      else if (c === "`") {
        i++;
        return false;
      } else if (c === "$" && source[i + 1] === "{") {
        i += 2;
        return true;
      } else {
        if (c === "\n") line++;
        i++;
      }
    }
    return false;
  };
  while (i < n) {
    const c = source[i];
    if (c === "\n") {
      line++;
      i++;
    } else if (/\s/.test(c)) i++;
    else if (c === "/" && source[i + 1] === "/") {
      while (i < n && source[i] !== "\n") i++;
    } else if (c === "/" && source[i + 1] === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end < 0 ? n : end + 2;
      for (let k = i; k < stop; k++) if (source[k] === "\n") line++;
      i = stop;
    } else if (c === "'" || c === '"') {
      skipString(c);
      prev = "str";
    } else if (c === "`") {
      i++;
      if (skipTemplate()) braces.push(0);
      prev = "str";
    } else if (c === "}" && braces.length && braces[braces.length - 1] === 0) {
      braces.pop();
      i++;
      if (skipTemplate()) braces.push(0);
      prev = "str";
    } else if (c === "/") {
      // a regular expression where an operand is expected, else division
      const regex = prev === "" || /^[(,=:[!&|?{};+\-*%<>~^]$/.test(prev) ||
        /^(return|typeof|case|of|in|delete|void|throw|new|yield|await)$/.test(prev);
      if (regex) {
        i++;
        let cls = false;
        while (i < n && (source[i] !== "/" || cls)) {
          if (source[i] === "\\") i++;
          else if (source[i] === "[") cls = true;
          else if (source[i] === "]") cls = false;
          i++;
        }
        i++;
        while (i < n && /[a-z]/.test(source[i])) i++;
        prev = "regex";
      } else {
        i++;
        prev = "/";
      }
    } else if (isId(c)) {
      let j = i;
      while (j < n && isId(source[j])) j++;
      const word = source.slice(i, j);
      let k = j;
      while (k < n && /\s/.test(source[k])) k++;
      const before = i > 0 ? source[i - 1] : "";
      if (before !== "." && prev !== "typeof") {
        if (word === "import" && source[k] === "(") out.push({ kind: "import()", line, text: callText(i) });
        else if (word === "import" && source.startsWith(".meta.resolve", k)) {
          out.push({ kind: "import.meta.resolve", line, text: callText(i) });
        } else if (word === "require" && source[k] === "(") {
          out.push({ kind: "require", line, text: callText(i) });
        } else if (word === "createRequire") out.push({ kind: "createRequire", line, text: word });
        else if (word === "Worker" && prev === "new") out.push({ kind: "Worker", line, text: callText(i) });
      }
      prev = word;
      i = j;
    } else {
      if (c === "{" && braces.length) braces[braces.length - 1]++;
      else if (c === "}" && braces.length) braces[braces.length - 1]--;
      prev = c;
      i++;
    }
  }
  return out;
}

/** Checks the dynamic loads of one `lib/` file against {@linkcode DYNAMIC_ALLOWED}. */
export function checkDynamic(file: string, source: string): Violation[] {
  return dynamicLoads(source).filter((d) =>
    !DYNAMIC_ALLOWED.some((a) => a.file === file && a.load.test(d.text))
  ).map((d) => ({
    file: `${file}:${d.line}`,
    specifier: d.text,
    reason: `dynamic load (${d.kind}) in lib/ is not in the allow-list (DYNAMIC_ALLOWED in lib/layers.ts)`,
  }));
}

/** The `.ts` files under `dir` (relative to `root`), skipping dependency, output and hidden folders. */
async function tsFiles(root: string, dir: string): Promise<string[]> {
  const out: string[] = [];
  const skip = new Set(["node_modules", "results", "dist", ".venv"]);
  async function walk(rel: string): Promise<void> {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(`${root}/${rel}`)];
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith(".") || skip.has(e.name)) continue;
      if (e.isDirectory) await walk(`${rel}/${e.name}`);
      else if (/\.tsx?$/.test(e.name)) out.push(`${rel}/${e.name}`);
    }
  }
  await walk(dir);
  return out.sort();
}

/** The code cells of a notebook (`.ipynb`) as one module. */
function notebookCode(ipynb: string): string {
  const nb = JSON.parse(ipynb) as { cells?: { cell_type: string; source: string | string[] }[] };
  return (nb.cells ?? []).filter((c) => c.cell_type === "code")
    .map((c) => (Array.isArray(c.source) ? c.source.join("") : c.source)).join("\n;\n");
}

/**
 * The module graph of every `.ts` file under `lib/` and the edges (and every notebook's code cells) of the
 * repository at `root`, from one `deno info --json` call on a generated root module (with `root/deno.json` as
 * the config when there is one, so the import map applies). Edges between the repository's own files and to
 * packages; paths relative to `root`.
 */
export async function moduleGraph(root: string): Promise<Edge[]> {
  const probeDir = await Deno.makeTempDir({ dir: root, prefix: ".layers-" });
  try {
    const files = (await Promise.all(["lib", ...EDGES].map((d) => tsFiles(root, d)))).flat();
    const notebooks: string[] = [];
    let nbs: Deno.DirEntry[] = [];
    try {
      nbs = [...Deno.readDirSync(`${root}/notebooks`)].filter((e) => e.name.endsWith(".ipynb"));
    } catch { /* no notebooks */ }
    for (const f of nbs) {
      // written beside the notebooks, so their relative imports resolve as in the kernel
      const probe = `notebooks/.layers-${Deno.pid}__${f.name.replace(/\.ipynb$/, ".ts")}`;
      await Deno.writeTextFile(
        `${root}/${probe}`,
        notebookCode(await Deno.readTextFile(`${root}/notebooks/${f.name}`)),
      );
      notebooks.push(probe);
    }
    const rootModule = `${probeDir}/root.ts`;
    await Deno.writeTextFile(
      rootModule,
      [...files, ...notebooks].map((f) => `import "file://${root}/${f}";`).join("\n"),
    );
    let config: string[] = [];
    try {
      Deno.statSync(`${root}/deno.json`);
      config = ["--config", `${root}/deno.json`];
    } catch { /* none */ }
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", ...config, rootModule],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    for (const n of notebooks) await Deno.remove(`${root}/${n}`).catch(() => {});
    if (!out.success) {
      throw new Error(`deno info failed: ${new TextDecoder().decode(out.stderr).slice(0, 2000)}`);
    }
    const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      modules: {
        specifier: string;
        dependencies?: {
          specifier: string;
          code?: { specifier?: string };
          type?: { specifier?: string };
          isDynamic?: boolean;
        }[];
      }[];
    };
    const prefix = `file://${root.replace(/\/$/, "")}/`;
    const rel = (s: string) => {
      if (!s.startsWith(prefix)) return s.startsWith("file://") ? decodeURIComponent(s.slice(7)) : s;
      const r = decodeURIComponent(s.slice(prefix.length));
      const m = /^notebooks\/\.layers-\d+__(.+)\.ts$/.exec(r);
      return m ? `notebooks/${m[1]}.ipynb` : r;
    };
    const edges: Edge[] = [];
    for (const m of graph.modules) {
      if (!m.specifier.startsWith(prefix) || m.specifier.startsWith(`file://${probeDir}`)) continue;
      for (const d of m.dependencies ?? []) {
        const target = d.code?.specifier ?? d.type?.specifier;
        if (!target) continue;
        edges.push({
          from: rel(m.specifier),
          to: rel(target),
          specifier: d.specifier,
          dynamic: d.isDynamic === true,
          typeOnly: !d.code,
        });
      }
    }
    return edges;
  } finally {
    await Deno.remove(probeDir, { recursive: true });
  }
}

/**
 * Every violation in the repository at `root`: graph edges, and the dynamic loads of `lib/`'s code (its test
 * files, which only `deno test` runs, may load modules dynamically; their static imports follow the rule).
 */
export async function checkTree(root: string): Promise<Violation[]> {
  const out: Violation[] = [];
  for (const e of await moduleGraph(root)) {
    const v = checkEdge(e);
    if (v) out.push(v);
  }
  for (const f of await tsFiles(root, "lib")) {
    if (!/_test\.ts$/.test(f)) out.push(...checkDynamic(f, await Deno.readTextFile(`${root}/${f}`)));
  }
  return out;
}
