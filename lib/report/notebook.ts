/**
 * Jupyter display bundles for the Deno kernel: plotly figures, tables and markdown as MIME bundles, and a
 * `show` that displays one and then yields briefly (the Deno kernel sometimes drops a cell's last output when
 * the cell ends right after it). Figures carry `text/html` that calls `Plotly.newPlot` on a global plotly.js:
 * the exported HTML inlines plotly.js once through the nbconvert template (never from a cell, since the kernel
 * drops outputs of several MB); frontends with a plotly renderer use the `application/vnd.plotly.v1+json` part.
 * @module
 */
import type { Figure } from "./plotly.ts";
import type { Section } from "./html.ts";
import { escapeHtml, type Table, tableHtml } from "./html.ts";

/** A Jupyter MIME bundle (`text/html`, `text/markdown`, `application/vnd.plotly.v1+json`...). */
export type MimeBundle = Record<string, unknown>;

/** MIME type of plotly figures in Jupyter. */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

/** CSS class of the figure containers written by {@link plotlyBundle} (the browser check counts them). */
export const NOTEBOOK_PLOT_CLASS = "fmai-plot";

let plotCounter = 0;

/**
 * A figure as a bundle: the plotly JSON plus HTML (a div and a `Plotly.newPlot` call that waits for a global
 * `Plotly`, or says that plotly.js is not loaded). `id` defaults to a fresh unique one.
 */
export function plotlyBundle(fig: Figure, id?: string): MimeBundle {
  const divId = id ?? `fmai-plot-${Date.now().toString(36)}-${(plotCounter++).toString(36)}`;
  fig = plainFigure(fig);
  const json = (v: unknown) => JSON.stringify(v).replace(/</g, "\\u003c");
  const height = Number((fig.layout as { height?: unknown } | undefined)?.height) || 360;
  const html =
    `<div id="${divId}" class="${NOTEBOOK_PLOT_CLASS}" style="width:100%;min-height:${height}px"></div>
<script>(function(){var el=document.getElementById(${json(divId)});
if(typeof Plotly==="undefined"){el.textContent="plotly.js is not loaded here: open the exported HTML report (deno task notebooks).";return;}
Plotly.newPlot(el, ${json(fig.data)}, ${
      json(fig.layout ?? {})
    }, {responsive: true, displaylogo: false});})();</script>`;
  return { [PLOTLY_MIME]: fig, "text/html": html };
}

/** A deep copy of a figure with typed arrays as plain arrays and non-finite numbers as null (JSON-safe). */
export function plainFigure(fig: Figure): Figure {
  return JSON.parse(JSON.stringify(fig, (_k, v) => {
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      return Array.from(v as unknown as ArrayLike<number>);
    }
    return typeof v === "number" && !Number.isFinite(v) ? null : v;
  }));
}

/** A table as a bundle (HTML plus a plain-text fallback of its caption and size). */
export function tableBundle(t: Table): MimeBundle {
  return {
    "text/html": tableHtml(t),
    "text/plain": `${t.caption ?? "table"} (${t.rows.length} rows x ${t.columns.length} columns)`,
  };
}

/** Markdown as a bundle. */
export function markdownBundle(md: string): MimeBundle {
  return { "text/markdown": md, "text/plain": md };
}

/** Plain text as a bundle (a status line shown through {@link show}, which waits for the kernel to flush). */
export function textBundle(text: string): MimeBundle {
  return { "text/plain": text };
}

/** Plain HTML as a bundle (the text fallback is the escaped source). */
export function htmlBundle(html: string): MimeBundle {
  return { "text/html": html, "text/plain": escapeHtml(html.replace(/<[^>]+>/g, " ")) };
}

/**
 * A report section (or anything shaped like one, such as an evaluation section result with `notes`) as bundles:
 * its title, text and notes as markdown, then its tables, then its figures.
 */
export function sectionBundles(s: Section & { notes?: string[] }): MimeBundle[] {
  const lines = [`### ${s.title}`, ...(s.text ?? []), ...(s.notes ?? []).map((n) => `- ${n}`)];
  return [
    markdownBundle(lines.join("\n\n")),
    ...(s.tables ?? []).map(tableBundle),
    ...(s.figures ?? []).map((f) => plotlyBundle(f)),
  ];
}

interface JupyterApi {
  display(obj: unknown, opts?: { raw?: boolean }): Promise<void> | void;
}

/** `Deno.jupyter` inside the kernel; undefined elsewhere (its getter throws outside `deno jupyter`). */
function jupyterApi(): JupyterApi | undefined {
  try {
    return (globalThis as { Deno?: { jupyter?: JupyterApi } }).Deno?.jupyter;
  } catch {
    return undefined;
  }
}

const JUPYTER_DISPLAY = Symbol.for("Jupyter.display");

/**
 * Whether the kernel renders `x` itself: an object with a `Symbol.for("Jupyter.display")` method, such as a
 * nodejs-polars DataFrame (its bundle: an HTML table plus `application/vnd.dataresource+json`).
 */
export function isKernelDisplayable(x: unknown): boolean {
  return x !== null && typeof x === "object" &&
    typeof (x as Record<symbol, unknown>)[JUPYTER_DISPLAY] === "function";
}

/**
 * Displays bundles, and objects the kernel renders itself (nodejs-polars DataFrames), in the Deno Jupyter
 * kernel (outside a kernel: prints their `text/plain`, the frame as text, or a summary), then waits `settleMs`
 * (default 30) so the last output of a cell is not lost. Await it as a cell's last statement.
 */
export async function show(...items: (MimeBundle | object)[]): Promise<void> {
  const jupyter = jupyterApi();
  for (const b of items) {
    const own = isKernelDisplayable(b);
    if (jupyter) await jupyter.display(b, own ? {} : { raw: true });
    else if (own) console.log(String(b));
    else {
      const t = (b as MimeBundle)["text/plain"];
      console.log(typeof t === "string" ? t : Object.keys(b).join(", "));
    }
  }
  await new Promise((r) => setTimeout(r, 30));
}
