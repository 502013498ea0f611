/**
 * Offline price charts as SVG text (no browser, no plotting library): candles, SMA 20/50 and Bollinger bands
 * (20, 2) in the price pane, RSI 14 with its 30/70 guides in a lower pane, and trading signals as markers
 * (buy ▲ below the low, sell ▼ above the high) with the current signal in the title. Indicators come from
 * `lib/features` and are computed over every bar given (warm-up included), then the last `window` bars are
 * drawn. The output is deterministic: the same input gives the same bytes.
 * @module
 */
import type { Bar, Signal } from "../core/mod.ts";
import { bollinger, rsi, sma } from "../features/mod.ts";
import { escapeHtml } from "./html.ts";

/** Input of {@linkcode renderChartSvg}. */
export interface ChartSvgInput {
  symbol: string;
  /** Daily bars, ascending by date (earlier bars serve as indicator warm-up). */
  bars: Bar[];
  /** Signals of the symbol (any dates; those inside the drawn window are marked). */
  signals?: Signal[];
  /** Bars drawn (default 120). */
  window?: number;
  width?: number;
  height?: number;
}

const f = (v: number) => (Math.round(v * 10) / 10).toString();

function path(xs: number[], ys: Float64Array, y: (v: number) => number): string {
  let d = "", pen = false;
  for (let i = 0; i < xs.length; i++) {
    const v = ys[i];
    if (!Number.isFinite(v)) {
      pen = false;
      continue;
    }
    d += `${pen ? "L" : "M"}${f(xs[i])} ${f(y(v))}`;
    pen = true;
  }
  return d;
}

/**
 * Renders the chart. Throws `RangeError` when there is no bar with a finite close.
 * @example
 * ```ts ignore
 * const svg = renderChartSvg({ symbol: "AAPL", bars, signals });
 * await stores.objects.put(chartKey("AAPL", bars.at(-1)!.date, "svg"), svg, { contentType: "image/svg+xml" });
 * ```
 */
export function renderChartSvg(input: ChartSvgInput): string {
  const all = input.bars;
  const W = input.width ?? 900, H = input.height ?? 520;
  const n = Math.min(all.length, Math.max(2, input.window ?? 120));
  if (!all.some((b) => Number.isFinite(b.close))) {
    throw new RangeError(`chart ${input.symbol}: no bar with a close price`);
  }
  const close = Float64Array.from(all, (b) => b.close);
  const s20 = sma(close, 20), s50 = sma(close, 50);
  const bb = bollinger(close, 20, 2);
  const r14 = rsi(close, 14);
  const off = all.length - n;
  const bars = all.slice(off);
  const win = (a: Float64Array) => a.subarray(off);
  const L = 56, R = 16, T = 40, priceH = Math.round((H - T - 40) * 0.72), gap = 18;
  const rsiTop = T + priceH + gap, rsiH = H - rsiTop - 28;
  const step = (W - L - R) / n;
  const xs = bars.map((_, i) => L + step * (i + 0.5));
  let lo = Infinity, hi = -Infinity;
  const consider = (v: number) => {
    if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  };
  for (const b of bars) [b.low, b.high, b.close].forEach(consider);
  win(bb.upper).forEach(consider);
  win(bb.lower).forEach(consider);
  if (lo === hi) [lo, hi] = [lo - 1, hi + 1];
  const pad = (hi - lo) * 0.05;
  lo -= pad, hi += pad;
  const y = (v: number) => T + (priceH * (hi - v)) / (hi - lo);
  const yr = (v: number) => rsiTop + (rsiH * (100 - v)) / 100;
  const o: string[] = [];
  o.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ` +
      `font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
  );
  const last = bars[bars.length - 1];
  const sigs = (input.signals ?? []).filter((s) => s.symbol === input.symbol);
  const inWin = new Map(bars.map((b, i) => [b.date, i]));
  const current = sigs.filter((s) => s.date <= last.date).sort((a, b) => (a.date < b.date ? -1 : 1)).at(-1);
  const title =
    `${input.symbol}  ${bars[0].date} – ${last.date}  close ${
      Number.isFinite(last.close) ? last.close.toFixed(2) : "n/a"
    }` + (current
      ? `  signal ${current.action.toUpperCase()} ${current.size.toFixed(2)} (${current.date}, conf ${
        current.confidence.toFixed(2)
      })`
      : "  no signal");
  o.push(`<text x="${L}" y="20" font-size="14" font-weight="bold">${escapeHtml(title)}</text>`);
  // grid + axis labels
  for (let k = 0; k <= 4; k++) {
    const v = lo + ((hi - lo) * k) / 4, yy = y(v);
    o.push(
      `<line x1="${L}" x2="${W - R}" y1="${f(yy)}" y2="${f(yy)}" stroke="#eee"/>`,
      `<text x="${L - 4}" y="${f(yy + 4)}" text-anchor="end" fill="#666">${v.toFixed(2)}</text>`,
    );
  }
  for (let i = 0; i < n; i += Math.max(1, Math.ceil(n / 6))) {
    o.push(`<text x="${f(xs[i])}" y="${H - 10}" text-anchor="middle" fill="#666">${bars[i].date}</text>`);
  }
  // Bollinger band fill
  const up = win(bb.upper), dn = win(bb.lower);
  const band = path(xs, up, y);
  const lower: string[] = [];
  for (let i = n - 1; i >= 0; i--) if (Number.isFinite(dn[i])) lower.push(`L${f(xs[i])} ${f(y(dn[i]))}`);
  if (band) o.push(`<path d="${band}${lower.join("")}Z" fill="#9ecae1" fill-opacity="0.25" stroke="none"/>`);
  // candles
  const cw = Math.max(1, step * 0.6);
  bars.forEach((b, i) => {
    if (![b.open, b.high, b.low, b.close].every(Number.isFinite)) return;
    const col = b.close >= b.open ? "#2ca02c" : "#d62728";
    const top = y(Math.max(b.open, b.close)), bot = y(Math.min(b.open, b.close));
    o.push(
      `<line x1="${f(xs[i])}" x2="${f(xs[i])}" y1="${f(y(b.high))}" y2="${f(y(b.low))}" stroke="${col}"/>`,
      `<rect x="${f(xs[i] - cw / 2)}" y="${f(top)}" width="${f(cw)}" height="${
        f(Math.max(0.5, bot - top))
      }" fill="${col}"/>`,
    );
  });
  const lines: [Float64Array, string, string][] = [
    [win(s20), "#ff7f0e", "SMA 20"],
    [win(s50), "#9467bd", "SMA 50"],
    [up, "#1f77b4", "BB 20,2"],
    [dn, "#1f77b4", ""],
  ];
  for (const [a, col] of lines) {
    const d = path(xs, a, y);
    if (d) o.push(`<path d="${d}" fill="none" stroke="${col}" stroke-width="1.2"/>`);
  }
  lines.filter((l) => l[2]).forEach(([, col, name], k) => {
    o.push(`<text x="${L + 8 + k * 70}" y="${T + 12}" fill="${col}">${name}</text>`);
  });
  // signal markers
  for (const s of sigs) {
    const i = inWin.get(s.date);
    if (i === undefined || s.action === "hold") continue;
    const b = bars[i];
    const buy = s.action === "buy";
    const yy = buy ? y(b.low) + 10 : y(b.high) - 10;
    const tri = buy
      ? `M${f(xs[i])} ${f(yy - 5)}L${f(xs[i] - 5)} ${f(yy + 4)}L${f(xs[i] + 5)} ${f(yy + 4)}Z`
      : `M${f(xs[i])} ${f(yy + 5)}L${f(xs[i] - 5)} ${f(yy - 4)}L${f(xs[i] + 5)} ${f(yy - 4)}Z`;
    o.push(
      `<path d="${tri}" fill="${buy ? "#2ca02c" : "#d62728"}"><title>${
        escapeHtml(`${s.date} ${s.action} ${s.size.toFixed(2)}`)
      }</title></path>`,
    );
  }
  // RSI pane
  o.push(`<rect x="${L}" y="${rsiTop}" width="${W - L - R}" height="${rsiH}" fill="none" stroke="#ddd"/>`);
  for (const v of [30, 70]) {
    o.push(
      `<line x1="${L}" x2="${W - R}" y1="${f(yr(v))}" y2="${
        f(yr(v))
      }" stroke="#bbb" stroke-dasharray="4 3"/>`,
      `<text x="${L - 4}" y="${f(yr(v) + 4)}" text-anchor="end" fill="#666">${v}</text>`,
    );
  }
  const rd = path(xs, win(r14), yr);
  if (rd) o.push(`<path d="${rd}" fill="none" stroke="#8c564b" stroke-width="1.2"/>`);
  o.push(`<text x="${L + 8}" y="${rsiTop + 12}" fill="#8c564b">RSI 14</text>`, `</svg>`);
  return o.join("\n") + "\n";
}
