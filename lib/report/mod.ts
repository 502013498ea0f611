/**
 * Reports: plotly figures and self-contained offline HTML, plus terminal tables.
 * @module
 */
export * from "./plotly.ts";
export * from "./html.ts";
export * from "./notebook.ts";
export * from "./chart_svg.ts";
