import { deepEqual, equal, match, ok } from "node:assert/strict";
import {
  markdownBundle,
  NOTEBOOK_PLOT_CLASS,
  plainFigure,
  PLOTLY_MIME,
  plotlyBundle,
  sectionBundles,
  show,
  tableBundle,
  textBundle,
} from "./mod.ts";
import { lineFigure } from "./plotly.ts";

Deno.test("plotlyBundle carries the figure JSON and a script-safe newPlot call with a unique div", () => {
  const fig = lineFigure("a </script> title", [{ name: "s", x: [1, 2], y: [3, NaN] }]);
  const a = plotlyBundle(fig), b = plotlyBundle(fig);
  deepEqual(a[PLOTLY_MIME], plainFigure(fig));
  const html = String(a["text/html"]);
  match(html, new RegExp(`class="${NOTEBOOK_PLOT_CLASS}"`));
  match(html, /Plotly\.newPlot\(el, /);
  equal(html.split("</script>").length, 2, "the title must not close the script early");
  ok(html.includes("\\u003c/script\\u003e"));
  const idOf = (h: string) => /id="([^"]+)"/.exec(h)![1];
  ok(idOf(html) !== idOf(String(b["text/html"])), "each bundle gets its own div id");
  equal(idOf(String(plotlyBundle(fig, "fixed")["text/html"])), "fixed");
});

Deno.test("tableBundle and markdownBundle give HTML/markdown with a text fallback", () => {
  const t = tableBundle({ columns: ["x", "y"], rows: [["a<b", 0.123456]], caption: "cap" });
  match(String(t["text/html"]), /<td>a&lt;b<\/td><td>0\.1235<\/td>/);
  equal(t["text/plain"], "cap (1 rows x 2 columns)");
  equal(markdownBundle("**x**")["text/markdown"], "**x**");
  deepEqual(textBundle("a"), { "text/plain": "a" });
});

Deno.test("show outside a kernel prints the text fallback instead of throwing", async () => {
  const logged: unknown[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => void logged.push(a.join(" "));
  try {
    await show(markdownBundle("hello"), { "text/html": "<b>x</b>" });
  } finally {
    console.log = orig;
  }
  equal(logged[0], "hello");
  equal(logged[1], "text/html");
});

Deno.test("sectionBundles: title and notes as markdown, then tables, then figures", () => {
  const b = sectionBundles({
    title: "T",
    notes: ["n1"],
    tables: [{ columns: ["a"], rows: [[1]] }],
    figures: [lineFigure("f", [{ name: "s", x: [1], y: [1] }])],
  });
  equal(b.length, 3);
  match(String(b[0]["text/markdown"]), /^### T\n\n- n1$/);
  ok(String(b[1]["text/html"]).startsWith("<table>"));
  ok(PLOTLY_MIME in b[2]);
});

Deno.test("plotlyBundle turns typed arrays into plain arrays and NaN into null (the kernel cannot send typed arrays)", () => {
  const b = plotlyBundle({ data: [{ type: "bar", x: ["a", "b"], y: new Float64Array([1, NaN]) }] });
  const fig = b[PLOTLY_MIME] as { data: { y: unknown }[] };
  deepEqual(fig.data[0].y, [1, null]);
  ok(Array.isArray(fig.data[0].y));
});
