import { fileURLToPath } from "node:url";
import { deepEqual, equal, ok } from "node:assert/strict";
import { checkEdge, checkTree, dynamicLoads, type Edge, npmPackage } from "./layers.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");

const edge = (from: string, to: string, specifier = to): Edge => ({
  from,
  to,
  specifier,
  dynamic: false,
  typeOnly: false,
});

/** A throwaway repository with the given files, checked as a whole (deno info + the lexer). */
async function checkFiles(files: Record<string, string>): Promise<string[]> {
  const dir = await Deno.makeTempDir({ prefix: "fmai-layers-" });
  try {
    for (const [path, text] of Object.entries(files)) {
      await Deno.mkdir(`${dir}/${path.replace(/\/[^/]*$/, "")}`, { recursive: true });
      await Deno.writeTextFile(`${dir}/${path}`, text.replaceAll("__ROOT__", dir));
    }
    return (await checkTree(dir)).map((v) => `${v.file}: ${v.reason}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const MODS = {
  "lib/core/mod.ts": "export const c = 1;\n",
  "lib/models/mod.ts": "export const m = 1;\n",
  "lib/models/logistic.ts": "export const l = 1;\n",
};

Deno.test("the repository follows the layer rule (lib/, the edges and the notebooks, on deno's module graph)", async () => {
  deepEqual(await checkTree(ROOT), []);
});

Deno.test("a wrong-direction import is caught", async () => {
  const v = await checkFiles({
    ...MODS,
    "lib/features/rsi.ts": `import { m } from "../models/mod.ts";\nexport const r = m;\n`,
  });
  deepEqual(v, ["lib/features/rsi.ts: features (rank 1) must not import models (rank 3)"]);
  ok(checkEdge(edge("lib/features/rsi.ts", "lib/models/mod.ts"))!.reason.includes("must not import models"));
});

Deno.test("what a regex missed is caught: template-literal, variable and file: URL imports, /* in a string, Worker, createRequire", async () => {
  const v = await checkFiles({
    ...MODS,
    "lib/features/a.ts":
      'const s = "/*";\nimport { m } from "../models/mod.ts";\nconst t = "*/";\nexport const a = [s, t, m];\n',
    "lib/features/b.ts": "export const b = await import(`../models/mod.ts`);\n",
    "lib/features/c.ts": 'const x = "../models/mod.ts";\nexport const c = await import(x);\n',
    "lib/features/d.ts": `import { m } from "file://__ROOT__/lib/models/mod.ts";\nexport const d = m;\n`,
    "lib/features/e.ts":
      'export const w = new Worker(new URL("./a.ts", import.meta.url), { type: "module" });\n',
    "lib/features/f.ts":
      'import { createRequire } from "node:module";\nexport const r = createRequire(import.meta.url)("x");\n',
    "lib/features/g.ts":
      '// import(`../models/mod.ts`) in a comment is not a load\nexport const s = `import("../models/mod.ts") in a string is not either`;\n',
    "pipelines/run.ts": 'import { l } from "../lib/models/logistic.ts";\nexport const p = l;\n',
    "notebooks/01.ipynb": JSON.stringify({
      cells: [{ cell_type: "code", source: ['import { l } from "../lib/models/logistic.ts";\n', "l;"] }],
    }),
  }).then((v) => v.map((x) => x.replace(/:\d+:/, ":")));
  const has = (s: string) => ok(v.includes(s), `${s}\nin:\n${v.join("\n")}`);
  has("lib/features/a.ts: features (rank 1) must not import models (rank 3)");
  has("lib/features/b.ts: features (rank 1) must not import models (rank 3)");
  has(
    "lib/features/b.ts: dynamic load (import()) in lib/ is not in the allow-list (DYNAMIC_ALLOWED in lib/layers.ts)",
  );
  has(
    "lib/features/c.ts: dynamic load (import()) in lib/ is not in the allow-list (DYNAMIC_ALLOWED in lib/layers.ts)",
  );
  has(
    "lib/features/e.ts: dynamic load (Worker) in lib/ is not in the allow-list (DYNAMIC_ALLOWED in lib/layers.ts)",
  );
  has(
    "lib/features/f.ts: dynamic load (createRequire) in lib/ is not in the allow-list (DYNAMIC_ALLOWED in lib/layers.ts)",
  );
  has("pipelines/run.ts: edges import lib/ only through a folder's mod.ts (lib/models/logistic.ts)");
  has("notebooks/01.ipynb: edges import lib/ only through a folder's mod.ts (lib/models/logistic.ts)");
  ok(!v.some((x) => x.startsWith("lib/features/g.ts")), v.join("\n"));
  ok(v.some((x) => x.startsWith("lib/features/d.ts")), "a file: URL import is an edge like any other");
});

Deno.test("edge rules: deep, edge, root, third-party, remote", () => {
  const reason = (from: string, to: string) => checkEdge(edge(from, to))?.reason ?? "ok";
  equal(reason("lib/sources/csv.ts", "lib/store/mod.ts"), "sources (rank 1) must not import store (rank 1)");
  equal(reason("lib/models/a.ts", "lib/dataset/build.ts"), "import lib/dataset/ only through its mod.ts");
  equal(
    reason("lib/signals/a.ts", "pipelines/run.ts"),
    "lib/ must not import pipelines/run.ts (an edge or a file outside lib/)",
  );
  ok(
    reason("lib/core/a.ts", "npm:/@tensorflow/tfjs@4.22.0").startsWith("third-party import @tensorflow/tfjs"),
  );
  ok(reason("lib/sources/nasdaq.ts", "npm:yahoo-finance2@4.0.2").startsWith("third-party"));
  equal(reason("lib/sources/yahoo.ts", "npm:yahoo-finance2@4.0.2"), "ok");
  equal(reason("lib/models/a.ts", "lib/dataset/mod.ts"), "ok");
  equal(reason("lib/models/a.ts", "node:fs"), "ok");
  equal(reason("lib/models/a.ts", "https://example.com/x.ts"), "no remote imports");
  equal(
    reason("bench/x.ts", "lib/store/mysql.ts"),
    "edges import lib/ only through a folder's mod.ts (lib/store/mysql.ts)",
  );
  equal(reason("scripts/x.ts", "npm:/mysql2@3.24.6/promise"), "ok");
  equal(npmPackage("npm:/@aws-sdk/client-s3@3.1173.0/dist"), "@aws-sdk/client-s3");
  equal(npmPackage("npm:/mysql2@3.24.6/promise"), "mysql2");
});

Deno.test("the lexer finds loads in code only", () => {
  const src = [
    "const re = /import\\(x\\)/g; // import(y)",
    "/* require('z') */ const s = 'import(q)';",
    'const t = `${await import("./a.ts")} import(b)`;',
    'const r = typeof import("./types.ts");',
    "const m = await import(spec);",
  ].join("\n");
  deepEqual(dynamicLoads(src).map((d) => [d.kind, d.line, d.text]), [
    ["import()", 3, 'import("./a.ts")'],
    ["import()", 5, "import(spec)"],
  ]);
});
