/**
 * Self-contained HTML reports: sections of text, tables and plotly figures, plotly.js inlined once so the
 * page works offline.
 * @module
 */
import { type Figure, plotlyJs } from "./plotly.ts";

/** A table: column headers and rows of cells (numbers are formatted with `format` or 4 significant digits). */
export interface Table {
  columns: string[];
  rows: (string | number | null)[][];
  caption?: string;
}

/** One section of a report. */
export interface Section {
  title: string;
  /** Paragraphs of plain text (escaped). */
  text?: string[];
  tables?: Table[];
  figures?: Figure[];
}

/** A report. */
export interface Report {
  title: string;
  subtitle?: string;
  sections: Section[];
}

/** HTML-escapes text. */
export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

/**
 * JSON for a `<script>` element: `JSON.stringify` with `<`, `>`, `&`, U+2028 and U+2029 written as `\u`
 * escapes, so no string inside (a symbol, a title) can close the script (`</script>`), open a comment
 * (`<!--`) or break the line. The parsed value is unchanged.
 */
export function scriptJson(v: unknown): string {
  return (JSON.stringify(v) ?? "null").replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * `x` to `digits` decimals followed by `unit`, or "–" when it is not finite (the Sharpe ratio of a book that never
 * traded, an expert without an edge), as {@linkcode formatCell} shows a missing number.
 */
export function fixed(x: number, digits: number, unit = ""): string {
  return Number.isFinite(x) ? `${x.toFixed(digits)}${unit}` : "–";
}

/** Formats a number for display: integers as is, others to 4 significant digits; NaN as "–". */
export function formatCell(v: string | number | null): string {
  if (v === null) return "–";
  if (typeof v === "string") return v;
  if (!Number.isFinite(v)) return "–";
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(3) : v.toPrecision(4).replace(/\.?0+$/, "");
}

/** A table as HTML. */
export function tableHtml(t: Table): string {
  const head = t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const body = t.rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(formatCell(c))}</td>`).join("")}</tr>`)
    .join("\n");
  const cap = t.caption ? `<caption>${escapeHtml(t.caption)}</caption>` : "";
  return `<table>${cap}<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** Renders a whole report to one offline HTML string. */
export function renderHtml(report: Report, opts: { inlinePlotly?: boolean } = {}): string {
  let figId = 0;
  const figures: string[] = [];
  const sections = report.sections.map((s) => {
    const parts = [`<h2>${escapeHtml(s.title)}</h2>`];
    for (const p of s.text ?? []) parts.push(`<p>${escapeHtml(p)}</p>`);
    for (const t of s.tables ?? []) parts.push(tableHtml(t));
    for (const f of s.figures ?? []) {
      const id = `fig${figId++}`;
      parts.push(`<div class="plot" id="${id}"></div>`);
      figures.push(
        `Plotly.newPlot(${scriptJson(id)}, ${scriptJson(f.data)}, ${
          scriptJson(f.layout ?? {})
        }, {responsive: true, displaylogo: false});`,
      );
    }
    return `<section>${parts.join("\n")}</section>`;
  });
  const plotly = opts.inlinePlotly === false
    ? ""
    : `<script>${plotlyJs().replace(/<\/script/gi, "<\\/script")}</script>`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(report.title)}</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1180px;color:#222}
h1{margin-bottom:0}.sub{color:#666;margin-top:4px}section{margin:28px 0}
table{border-collapse:collapse;margin:12px 0;font-size:13px}th,td{border:1px solid #ddd;padding:4px 8px;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}caption{text-align:left;color:#555;padding:4px 0}
.plot{width:100%;min-height:320px}
</style>${plotly}</head><body>
<h1>${escapeHtml(report.title)}</h1>${
    report.subtitle ? `<p class="sub">${escapeHtml(report.subtitle)}</p>` : ""
  }
${sections.join("\n")}
<script>${figures.join("\n")}</script>
</body></html>
`;
}

/** A plain-text table for terminals (right-aligned numbers). */
export function textTable(t: Table): string {
  const cells = [t.columns, ...t.rows.map((r) => r.map(formatCell))];
  const widths = t.columns.map((_, j) => Math.max(...cells.map((r) => String(r[j] ?? "").length)));
  const line = (r: (string | number | null)[]) =>
    r.map((c, j) => (j === 0 ? String(c).padEnd(widths[j]) : String(c).padStart(widths[j]))).join("  ");
  const out = [line(cells[0]), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)];
  return (t.caption ? `${t.caption}\n` : "") + out.join("\n");
}
