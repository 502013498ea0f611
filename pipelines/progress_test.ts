import { ok } from "node:assert/strict";

Deno.test("progress: a finished step is drawn with ✓, a failed one with ✗", async () => {
  const code = `import { createProgress } from ${
    JSON.stringify(new URL("./progress.ts", import.meta.url).href)
  };
const p = createProgress();
p.start("collect prices")();
p.start("collect news")(false);`;
  const r = await new Deno.Command(Deno.execPath(), { args: ["eval", code], stdout: "null", stderr: "piped" })
    .output();
  const err = new TextDecoder().decode(r.stderr);
  ok(r.success, err);
  ok(/^ {2}✓ collect prices {20} +\d+\.\d\d s$/m.test(err), err);
  ok(/^ {2}✗ collect news {22} +\d+\.\d\d s$/m.test(err), err);
});
