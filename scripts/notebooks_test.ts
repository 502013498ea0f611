import { deepEqual, equal, match, ok } from "node:assert/strict";
import { checkExecuted, isFrameOutput, junitXml } from "./notebooks.ts";

const code = (outputs: unknown[], metadata: Record<string, unknown> = {}, source = "x") => ({
  cell_type: "code",
  source,
  metadata,
  outputs: outputs as never[],
});
const ok01 = { output_type: "stream", name: "stdout", text: ["OK 01_x\n"] };
const plot = {
  output_type: "display_data",
  data: { "application/vnd.plotly.v1+json": {}, "text/html": "<div>" },
};

Deno.test("checkExecuted passes a complete notebook and counts plots", () => {
  const r = checkExecuted("01_x", {
    cells: [
      { cell_type: "markdown", source: "# t" },
      code([], { tags: ["no-output"] }),
      code([plot, plot], { fmai: { plots: 2 } }),
      code([ok01]),
    ],
  });
  deepEqual(r, { problems: [], plots: 2, frames: 0 });
});

/** What the Deno kernel displays for a nodejs-polars DataFrame (its own `Symbol.for("Jupyter.display")`). */
const frame = {
  output_type: "display_data",
  data: {
    "application/vnd.dataresource+json": {
      data: [{ a: 1, b: "x" }],
      schema: { fields: [{ name: "a", type: "number" }, { name: "b", type: "string" }] },
    },
    "text/html":
      "<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>1</td><td>x</td></tr></tbody></table>",
  },
};
const handTable = {
  output_type: "display_data",
  data: { "text/html": '<table class="fmai"><caption>t</caption><thead><tr><th>a</th></tr></thead></table>' },
};

Deno.test("checkExecuted counts DataFrames rendered by the kernel and fails a cell that declared more", () => {
  ok(isFrameOutput(frame));
  ok(!isFrameOutput(handTable));
  ok(
    !isFrameOutput({
      output_type: "display_data",
      data: { ...frame.data, "text/html": handTable.data["text/html"] },
    }),
  );
  const good = checkExecuted("01_x", {
    cells: [code([frame, frame], { fmai: { frames: 2 } }), code([ok01])],
  });
  deepEqual(good, { problems: [], plots: 0, frames: 2 });
  const bad = checkExecuted("01_x", {
    cells: [code([handTable, frame], { fmai: { frames: 2 } }), code([ok01])],
  });
  equal(bad.frames, 1);
  match(bad.problems[0], /expected 2 DataFrames rendered by the kernel, got 1/);
});

Deno.test("checkExecuted reports errors, dropped outputs, missing plots and a missing OK line", () => {
  const r = checkExecuted("01_x", {
    cells: [
      code([{ output_type: "error", ename: "TypeError", evalue: "boom" }], {}, "const a = 1;"),
      code([], {}, "await show(x);"),
      code([plot], { fmai: { plots: 2 } }),
      code([{ output_type: "stream", name: "stdout", text: "OK 02_other\n" }]),
    ],
  });
  equal(r.problems.length, 4);
  match(r.problems[0], /cell 0 \(const a = 1;\): TypeError: boom/);
  match(r.problems[1], /cell 1 .*expected output, got none/);
  match(r.problems[2], /expected 2 plots, got 1/);
  match(r.problems[3], /did not print "OK 01_x"/);
});

Deno.test("junitXml writes one escaped test case per result with failures", () => {
  const xml = junitXml("notebooks", [
    { name: "a", seconds: 1.5, problems: [] },
    { name: "b<c", seconds: 2, problems: ['cell 1: "x" & y'] },
  ]);
  match(xml, /<testsuite name="notebooks" tests="2" failures="1" time="3.500">/);
  match(xml, /<testcase classname="notebooks" name="a" time="1.500"\/>/);
  match(xml, /name="b&lt;c"/);
  ok(xml.includes('<failure message="cell 1: &quot;x&quot; &amp; y">'));
});
