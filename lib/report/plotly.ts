/**
 * Plotly figure descriptions (plain JSON) and the plotly.js bundle to inline once into an offline HTML page.
 * @module
 */
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

/** A plotly figure: traces and layout, as plotly.js takes them. */
export interface Figure {
  data: Record<string, unknown>[];
  layout?: Record<string, unknown>;
}

let plotlySource: string | undefined;

/** The minified plotly.js bundle from the pinned `plotly.js-dist-min` package (read once, cached). */
export function plotlyJs(): string {
  if (plotlySource === undefined) {
    const require = createRequire(import.meta.url);
    plotlySource = readFileSync(require.resolve("plotly.js-dist-min"), "utf8");
  }
  return plotlySource;
}

/**
 * The x-axis title of a backtest's curves: a point sits on the decision date, and the return it adds is the one
 * traded after it (next open to the open after).
 */
export const DECISION_DATE_AXIS = "decision date (its return: next open to the open after)";

/** A line chart of several named series over shared or separate x values. */
export function lineFigure(
  title: string,
  series: { name: string; x: (string | number)[]; y: ArrayLike<number> }[],
  opts: { yTitle?: string; xTitle?: string; yTickFormat?: string; fill?: boolean } = {},
): Figure {
  return {
    data: series.map((s) => ({
      type: "scatter",
      mode: "lines",
      name: s.name,
      x: s.x,
      y: Array.from(s.y, (v) => (Number.isFinite(v) ? v : null)),
      ...(opts.fill ? { fill: "tozeroy" } : {}),
    })),
    layout: {
      title: { text: title },
      yaxis: { title: { text: opts.yTitle ?? "" }, tickformat: opts.yTickFormat ?? "" },
      ...(opts.xTitle ? { xaxis: { title: { text: opts.xTitle } } } : {}),
      margin: { t: 40, r: 20, b: opts.xTitle ? 60 : 40, l: 60 },
      height: 360,
      legend: { orientation: "h" },
    },
  };
}

/** A bar chart. */
export function barFigure(title: string, x: string[], y: ArrayLike<number>, yTitle = ""): Figure {
  return {
    data: [{ type: "bar", x, y: Array.from(y, (v) => (Number.isFinite(v) ? v : null)) }],
    layout: {
      title: { text: title },
      yaxis: { title: { text: yTitle } },
      height: 320,
      margin: { t: 40, b: 60 },
    },
  };
}

/**
 * Candlesticks with horizontal support/resistance levels and buy/sell markers. `levelsAsOf`: the session whose
 * levels are drawn across the whole window (named in the title, since they were not known before it).
 */
export function priceFigure(input: {
  symbol: string;
  levelsAsOf?: string;
  dates: string[];
  open: ArrayLike<number>;
  high: ArrayLike<number>;
  low: ArrayLike<number>;
  close: ArrayLike<number>;
  supports?: { price: number; strength: number }[];
  resistances?: { price: number; strength: number }[];
  buys?: { date: string; price: number }[];
  sells?: { date: string; price: number }[];
}): Figure {
  const first = input.dates[0], last = input.dates[input.dates.length - 1];
  const shapes = [
    ...(input.supports ?? []).map((l) => levelShape(first, last, l.price, "#2ca02c", l.strength)),
    ...(input.resistances ?? []).map((l) => levelShape(first, last, l.price, "#d62728", l.strength)),
  ];
  const data: Record<string, unknown>[] = [{
    type: "candlestick",
    name: input.symbol,
    x: input.dates,
    open: Array.from(input.open),
    high: Array.from(input.high),
    low: Array.from(input.low),
    close: Array.from(input.close),
  }];
  const marks = [["buy", input.buys, "triangle-up", "#2ca02c"], [
    "sell",
    input.sells,
    "triangle-down",
    "#d62728",
  ]] as const;
  for (const [name, trades, symbol, color] of marks) {
    if (!trades?.length) continue;
    data.push({
      type: "scatter",
      mode: "markers",
      name,
      x: trades.map((b) => b.date),
      y: trades.map((b) => b.price),
      marker: { symbol, color, size: 9 },
    });
  }
  return {
    data,
    layout: {
      title: {
        text: input.levelsAsOf
          ? `${input.symbol}: price, signals, and the levels known at the close of ${input.levelsAsOf}`
          : `${input.symbol}: price, levels and signals`,
      },
      xaxis: { rangeslider: { visible: false } },
      yaxis: { title: { text: "price" } },
      shapes,
      height: 440,
      margin: { t: 40, r: 20, b: 40, l: 60 },
      legend: { orientation: "h" },
    },
  };
}

function levelShape(
  x0: string,
  x1: string,
  y: number,
  color: string,
  strength: number,
): Record<string, unknown> {
  return {
    type: "line",
    x0,
    x1,
    y0: y,
    y1: y,
    line: { color, width: 1, dash: "dot" },
    opacity: 0.3 + 0.7 * Math.max(0, Math.min(1, strength)),
  };
}
