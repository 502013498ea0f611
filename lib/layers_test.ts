import { deepEqual, equal, ok } from "node:assert/strict";
import { checkFile, checkTree, importsOf } from "./layers.ts";

Deno.test("the lib/ tree follows the layer rule", async () => {
  const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
  const violations = await checkTree(root);
  deepEqual(violations, []);
});

Deno.test("a wrong-direction import is caught", () => {
  const v = checkFile("lib/features/rsi.ts", `import { fit } from "../models/mod.ts";\n`);
  equal(v.length, 1);
  ok(v[0].reason.includes("must not import models"));
});

Deno.test("same-rank, deep, edge and third-party imports are caught", () => {
  equal(checkFile("lib/sources/csv.ts", `import { x } from "../store/mod.ts";`).length, 1);
  equal(checkFile("lib/models/a.ts", `import { x } from "../dataset/build.ts";`).length, 1);
  equal(checkFile("lib/signals/a.ts", `import { x } from "../../pipelines/run.ts";`).length, 1);
  equal(checkFile("lib/core/a.ts", `import * as tf from "@tensorflow/tfjs";`).length, 1);
  equal(checkFile("lib/sources/nasdaq.ts", `import YF from "yahoo-finance2";`).length, 1);
  deepEqual(checkFile("lib/sources/yahoo.ts", `import YF from "yahoo-finance2";`), []);
  deepEqual(checkFile("lib/models/a.ts", `import { x } from "../dataset/mod.ts";\nimport "node:fs";`), []);
});

Deno.test("importsOf reads static, re-export and dynamic imports, not comments", () => {
  const src =
    `import a from "./a.ts";\nexport * from "./b.ts";\n// import c from "./c.ts";\nconst d = await import("./d.ts");\nimport "./e.ts";`;
  deepEqual(importsOf(src), ["./a.ts", "./b.ts", "./d.ts", "./e.ts"]);
});
