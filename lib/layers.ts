/**
 * The layer rule of DESIGN.md as code: a `lib/` folder imports only lower-ranked folders, only through their
 * `mod.ts`; nothing in `lib/` imports an edge (`pipelines/`, `lambdas/`, `notebooks/`); third-party packages only
 * where the table allows. Used by `layers_test.ts` and `deno task check`.
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
  report: 7,
  serve: 7,
  evaluate: 8,
  frames: 9,
};

/** Third-party import prefixes allowed per folder (optionally restricted to one file name). */
const THIRD_PARTY: { folder: string; prefix: string; file?: RegExp }[] = [
  { folder: "sources", prefix: "yahoo-finance2", file: /^yahoo(_test)?\.ts$/ },
  { folder: "store", prefix: "mysql2", file: /^mysql(_test)?\.ts$/ },
  { folder: "store", prefix: "mongodb", file: /^mongodb(_test)?\.ts$/ },
  { folder: "store", prefix: "@aws-sdk/", file: /^s3(_test)?\.ts$/ },
  { folder: "store", prefix: "yaml" },
  { folder: "models", prefix: "@tensorflow/" },
  { folder: "models", prefix: "onnxruntime" },
  { folder: "models", prefix: "@huggingface/transformers" },
  { folder: "models", prefix: "@stdlib/", file: /^distributions(_test)?\.ts$/ },
  { folder: "features", prefix: "@stdlib/stats-base-dists-normal-cdf", file: /^options_chain(_test)?\.ts$/ },
  { folder: "moe", prefix: "@tensorflow/" },
  { folder: "ensemble", prefix: "@tensorflow/" },
  { folder: "report", prefix: "plotly.js-dist-min" },
  { folder: "frames", prefix: "nodejs-polars" },
];

/** One broken rule. */
export interface Violation {
  file: string;
  specifier: string;
  reason: string;
}

const IMPORT_RE =
  /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*["']([^"']+)["']|import\s*\(\s*["']([^"']+)["']\s*\)|^\s*import\s*["']([^"']+)["']/gm;

/** The module specifiers a source file imports (static, re-export and literal dynamic imports). */
export function importsOf(source: string): string[] {
  const out: string[] = [];
  const noComments = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:])\/\/.*$/gm, "$1");
  for (const m of noComments.matchAll(IMPORT_RE)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

function normalize(parts: string[]): string[] {
  const out: string[] = [];
  for (const p of parts) {
    if (p === "..") out.pop();
    else if (p !== "." && p !== "") out.push(p);
  }
  return out;
}

/**
 * Checks one file. `path` is relative to the repository root (`lib/models/mlp.ts`).
 */
export function checkFile(path: string, source: string): Violation[] {
  const v: Violation[] = [];
  const parts = path.split("/");
  if (parts[0] !== "lib") return v;
  const folder = parts.length > 2 ? parts[1] : "";
  const fileName = parts[parts.length - 1];
  const isTest = /_test\.ts$/.test(fileName) || /(^|\/)contract_/.test(path) && false;
  for (const spec of importsOf(source)) {
    if (spec.startsWith(".")) {
      const target = normalize([...parts.slice(0, -1), ...spec.split("/")]);
      if (target[0] !== "lib") {
        v.push({ file: path, specifier: spec, reason: `lib/ must not import an edge (${target.join("/")})` });
        continue;
      }
      const tFolder = target.length > 2 ? target[1] : "";
      if (tFolder === folder) continue;
      if (folder === "" || tFolder === "") {
        if (!isTest) v.push({ file: path, specifier: spec, reason: "imports across lib/ root files" });
        continue;
      }
      if (!(folder in RANKS) || !(tFolder in RANKS)) {
        v.push({
          file: path,
          specifier: spec,
          reason: `unknown layer ${folder in RANKS ? tFolder : folder}`,
        });
        continue;
      }
      if (RANKS[tFolder] >= RANKS[folder]) {
        v.push({
          file: path,
          specifier: spec,
          reason: `${folder} (rank ${RANKS[folder]}) must not import ${tFolder} (rank ${RANKS[tFolder]})`,
        });
      } else if (target.slice(2).join("/") !== "mod.ts") {
        v.push({ file: path, specifier: spec, reason: `import lib/${tFolder}/ only through its mod.ts` });
      }
    } else if (spec.startsWith("@lib/")) {
      v.push({ file: path, specifier: spec, reason: "lib/ uses relative imports, not the @lib/ alias" });
    } else if (
      spec.startsWith("node:") || spec.startsWith("npm:") === false && /^(file|https?):/.test(spec)
    ) {
      if (/^(https?):/.test(spec)) v.push({ file: path, specifier: spec, reason: "no remote imports" });
    } else {
      const bare = spec.replace(/^npm:/, "");
      const ok = THIRD_PARTY.some((r) =>
        r.folder === folder && bare.startsWith(r.prefix) && (!r.file || r.file.test(fileName))
      );
      if (!ok) {
        v.push({
          file: path,
          specifier: spec,
          reason: `third-party import not allowed in lib/${folder}/${fileName}`,
        });
      }
    }
  }
  return v;
}

/** Checks every `.ts` file under `root/lib`. */
export async function checkTree(root: string): Promise<Violation[]> {
  const out: Violation[] = [];
  async function walk(dir: string, rel: string): Promise<void> {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory) await walk(`${dir}/${e.name}`, `${rel}/${e.name}`);
      else if (e.name.endsWith(".ts")) {
        out.push(
          ...checkFile(`${rel}/${e.name}`.replace(/^\//, ""), await Deno.readTextFile(`${dir}/${e.name}`)),
        );
      }
    }
  }
  await walk(`${root}/lib`, "lib");
  return out;
}
