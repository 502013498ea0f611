import { equal, match, ok, throws } from "node:assert/strict";
import { type Bar, closeTime, type Signal } from "../core/mod.ts";
import { rsi, sma } from "../features/mod.ts";
import { renderChartSvg } from "./chart_svg.ts";

/** A deterministic random-walk series of `n` weekday bars from 2024-01-01. */
function walk(n: number): Bar[] {
  const out: Bar[] = [];
  let p = 100, s = 7;
  const d = new Date("2024-01-01T00:00:00Z");
  while (out.length < n) {
    if (d.getUTCDay() % 6 !== 0) {
      s = (s * 16807) % 2147483647;
      const r = (s / 2147483647 - 0.5) * 0.04;
      const open = p, close = p * (1 + r);
      const date = d.toISOString().slice(0, 10);
      out.push({
        symbol: "T",
        date,
        open,
        high: Math.max(open, close) * 1.01,
        low: Math.min(open, close) * 0.99,
        close,
        adjClose: close,
        volume: 1e6,
        knownAt: closeTime(date),
      });
      p = close;
    }
    d.setUTCDate(d.getUTCDate() + 1);
  }
  return out;
}

const sig = (date: string, action: Signal["action"]): Signal => ({
  source: "t",
  symbol: "T",
  date,
  action,
  size: action === "sell" ? -1 : 1,
  confidence: 0.6,
  contributions: [],
  knownAt: closeTime(date),
});

Deno.test("chart svg: well-formed, deterministic, one candle per drawn bar, indicator paths drawn", () => {
  const bars = walk(200);
  const svg = renderChartSvg({ symbol: "T", bars, window: 120 });
  equal(renderChartSvg({ symbol: "T", bars, window: 120 }), svg, "deterministic");
  ok(svg.startsWith("<svg") && svg.trimEnd().endsWith("</svg>"));
  // crude XML balance check: every opened element is closed or self-closed
  const opens = (svg.match(/<(svg|path|text|title)\b[^>]*[^/]>/g) ?? []).length;
  const closes = (svg.match(/<\/(svg|path|text|title)>/g) ?? []).length;
  equal(opens, closes);
  equal((svg.match(/<rect x=/g) ?? []).length - 1, 120, "120 candle bodies + the RSI frame");
  for (const name of ["SMA 20", "SMA 50", "BB 20,2", "RSI 14"]) ok(svg.includes(name), name);
  match(svg, new RegExp(`close ${bars[199].close.toFixed(2)}`));
  // the RSI of the last bar sits where the RSI pane maps it (100 at the top, 0 at the bottom)
  const r = rsi(Float64Array.from(bars, (b) => b.close), 14)[199];
  ok(r > 0 && r < 100);
  ok(Number.isFinite(sma(Float64Array.from(bars, (b) => b.close), 50)[199]));
});

Deno.test("chart svg: signals become markers; the title shows the latest one; holds are not drawn", () => {
  const bars = walk(80);
  const svg = renderChartSvg({
    symbol: "T",
    bars,
    signals: [sig(bars[60].date, "buy"), sig(bars[70].date, "sell"), sig(bars[75].date, "hold")],
  });
  equal((svg.match(/<title>/g) ?? []).length, 2);
  ok(svg.includes(`signal HOLD 1.00 (${bars[75].date}`));
  ok(svg.includes(`${bars[60].date} buy 1.00`) && svg.includes(`${bars[70].date} sell -1.00`));
  ok(renderChartSvg({ symbol: "T", bars: bars.slice(0, 50) }).includes("no signal"));
});

Deno.test("chart svg: short series and missing prices render; no price at all is a RangeError", () => {
  const bars = walk(5);
  bars[2] = { ...bars[2], open: NaN, high: NaN, low: NaN, close: NaN };
  const svg = renderChartSvg({ symbol: "T<&>", bars });
  ok(svg.includes("T&lt;&amp;&gt;"), "escaped");
  equal((svg.match(/<rect x=/g) ?? []).length - 1, 4, "the bar without prices is skipped");
  ok(!svg.includes("NaN"));
  throws(() => renderChartSvg({ symbol: "T", bars: bars.map((b) => ({ ...b, close: NaN })) }), RangeError);
});
