import { equal, ok } from "node:assert/strict";
import { fixed, formatCell, renderHtml, scriptJson, tableHtml, textTable } from "./html.ts";
import { lineFigure, plotlyJs, priceFigure } from "./plotly.ts";

Deno.test("report inlines plotly once and draws every figure", () => {
  const html = renderHtml({
    title: "T <1>",
    sections: [{
      title: "S",
      text: ["a & b"],
      tables: [{ columns: ["m", "v"], rows: [["x", 0.123456]] }],
      figures: [
        lineFigure("eq", [{ name: "a", x: ["2020-01-02", "2020-01-03"], y: [1, NaN] }]),
        priceFigure({
          symbol: "X",
          dates: ["d1", "d2"],
          open: [1, 2],
          high: [2, 3],
          low: [0.5, 1],
          close: [1.5, 2.5],
          supports: [{ price: 1, strength: 0.5 }],
          buys: [{ date: "d1", price: 1.5 }],
        }),
      ],
    }],
  });
  ok(html.length > 1_000_000, "plotly.js is inlined");
  const bundle = plotlyJs();
  ok(
    html.indexOf(bundle) > 0 && html.indexOf(bundle) === html.lastIndexOf(bundle),
    "plotly.js inlined exactly once",
  );
  const pageScripts = html.slice(html.indexOf(bundle) + bundle.length);
  equal(pageScripts.match(/Plotly\.newPlot\(/g)?.length, 2, "one newPlot per figure");
  ok(html.includes("T &lt;1&gt;") && html.includes("a &amp; b"));
  ok(html.includes('"y":[1,null]'), "NaN becomes null");
  ok(
    !/<script[^>]*\ssrc=/.test(pageScripts) &&
      !/<script[^>]*\ssrc=/.test(html.slice(0, html.indexOf(bundle))),
    "no external scripts",
  );
});

Deno.test("tables format numbers", () => {
  equal(formatCell(0.123456), "0.1235");
  equal(formatCell(NaN), "–");
  equal(formatCell(42), "42");
  ok(tableHtml({ columns: ["a"], rows: [[1]] }).includes("<td>1</td>"));
  equal(textTable({ columns: ["name", "v"], rows: [["ab", 1.5]] }), "name    v\n----  ---\nab    1.5");
});

Deno.test("nothing embedded in a report can close its script or open markup", () => {
  const evil = "X</script><script>alert(1)</script><!--\u2028&";
  const html = renderHtml({
    title: evil,
    subtitle: evil,
    sections: [{
      title: evil,
      text: [evil],
      tables: [{ columns: [evil], rows: [[evil]], caption: evil }],
      figures: [{
        data: [{ type: "scatter", name: evil, x: [1], y: [2] }],
        layout: { title: { text: evil } },
      }],
    }],
  }, { inlinePlotly: false });
  equal(html.includes("<script>alert(1)"), false);
  equal(html.split("</script>").length - 1, 1, "only the figures' own script ends");
  const script = html.slice(html.lastIndexOf("<script>") + 8, html.lastIndexOf("</script>"));
  ok(!/[<>\u2028]/.test(script), script);
  ok(script.includes("\\u003c/script\\u003e"));
  equal(JSON.parse(scriptJson({ s: evil })).s, evil, "the value survives");
});

Deno.test("fixed: a non-finite number (the Sharpe of a book that never traded) shows as the tables show it", () => {
  equal(fixed(NaN, 2), "–");
  equal(fixed(Infinity, 1, "%"), "–");
  equal(fixed(1.2345, 2), "1.23");
  equal(fixed(100 * 0.0512, 1, "%"), "5.1%");
  equal(fixed(0, 1, "%"), "0.0%");
});
