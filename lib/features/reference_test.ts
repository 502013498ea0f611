/**
 * Every indicator against R's TTR on real data (AAPL and AMD, first 400 sessions of sp500-5yr-ohlcv).
 * Expected values: testdata/ttr_<TICKER>.csv, written by testdata/make_reference.R (TTR 0.24.3).
 *
 * Criterion: relative error `|ours - ttr| / max(|ours|, |ttr|) <= 1e-8` at every stored row, and NaN exactly
 * where TTR has NA (same warm-up). Stated exceptions, all deliberate:
 * - `closeToCloseVol(C, n)` counts returns, TTR `volatility(calc = "close", n)` counts prices: we compare with
 *   TTR's `n = 21` for our `n = 20`.
 * - Degenerate windows (flat range, zero deviation) give finite defaults in ours where TTR gives NaN/Inf
 *   (stochastic %K 0.5, CCI 0, RSI 50, DX 0). None occur in these rows, so they are not exempted here; they
 *   are tested separately in indicators_test.ts.
 * - `macd_hist` is not a TTR output (TTR returns macd and signal only); it is checked as `macd - signal`.
 * - Volatility estimators are compared with `N = 260` (TTR's default annualization); ours default to 1.
 */
import { ok } from "node:assert/strict";
import { readFileSync } from "node:fs";
import { loadTicker } from "./_test_data.ts";
import { bollinger, donchian } from "./bands.ts";
import { cci, macd, rsi, stochastic, williamsR } from "./momentum.ts";
import { ema, sma, wilderSum, wma } from "./moving_averages.ts";
import { roc } from "./returns.ts";
import { rollingMax, rollingMin, rollingStd, rollingSum, rollingZScore } from "./rolling.ts";
import { adx } from "./trend.ts";
import {
  atr,
  closeToCloseVol,
  garmanKlassVol,
  parkinsonVol,
  rogersSatchellVol,
  trueRange,
  yangZhangVol,
} from "./volatility.ts";
import { mfi, obv } from "./volume.ts";
import { typicalPrice } from "./_util.ts";

const TOL = 1e-8;
const ROWS = 400;

function readExpected(ticker: string): { rows: number[]; cols: Map<string, number[]> } {
  const text = readFileSync(new URL(`./testdata/ttr_${ticker}.csv`, import.meta.url), "utf8").trim();
  const [head, ...lines] = text.split("\n");
  const names = head.split(",");
  const cols = new Map<string, number[]>(names.slice(1).map((n) => [n, []]));
  const rows: number[] = [];
  for (const line of lines) {
    const f = line.split(",");
    rows.push(Number(f[0]));
    for (let j = 1; j < names.length; j++) cols.get(names[j])!.push(f[j] === "NA" ? NaN : Number(f[j]));
  }
  return { rows, cols };
}

function ours(ticker: string): Map<string, Float64Array> {
  const b = loadTicker(ticker, ROWS);
  const { open: O, high: H, low: L, close: C, volume: V } = b;
  const m = macd(C, 12, 26, 9, false), mp = macd(C, 12, 26, 9, true);
  const bb = bollinger(C, 20, 2), bbHlc = bollinger(typicalPrice(H, L, C), 20, 2);
  const a = adx(H, L, C, 14), st = stochastic(H, L, C, 14, 3, 3), dc = donchian(H, L, 20);
  return new Map<string, Float64Array>([
    ["sma_20", sma(C, 20)],
    ["ema_20", ema(C, 20)],
    ["ema_wilder_14", ema(C, 14, { wilder: true })],
    ["wma_10", wma(C, 10)],
    ["wilder_sum_14", wilderSum(C, 14)],
    ["rsi_14", rsi(C, 14)],
    ["macd", m.macd],
    ["macd_signal", m.signal],
    ["macd_pct", mp.macd],
    ["macd_pct_signal", mp.signal],
    ["bb_dn", bb.lower],
    ["bb_mavg", bb.middle],
    ["bb_up", bb.upper],
    ["bb_pctb", bb.pctB],
    ["bb_hlc_pctb", bbHlc.pctB],
    ["tr", trueRange(H, L, C)],
    ["atr_14", atr(H, L, C, 14)],
    ["di_plus", a.plusDi],
    ["di_minus", a.minusDi],
    ["dx", a.dx],
    ["adx_14", a.adx],
    ["stoch_fastk", st.fastK],
    ["stoch_fastd", st.fastD],
    ["stoch_slowd", st.slowD],
    ["wpr_14", williamsR(H, L, C, 14)],
    ["cci_20", cci(H, L, C, 20)],
    ["obv", obv(C, V)],
    ["mfi_14", mfi(H, L, C, V, 14)],
    ["roc_log_5", roc(C, 5, "log")],
    ["roc_simple_5", roc(C, 5, "simple")],
    ["dc_high", dc.high],
    ["dc_mid", dc.mid],
    ["dc_low", dc.low],
    ["run_sum_v_20", rollingSum(V, 20)],
    ["run_sd_20", rollingStd(C, 20)],
    ["run_min_l_20", rollingMin(L, 20)],
    ["run_max_h_20", rollingMax(H, 20)],
    ["zscore_20", rollingZScore(C, 20)],
    ["vol_close_21", closeToCloseVol(C, 20, 260)],
    ["vol_parkinson_20", parkinsonVol(H, L, 20, 260)],
    ["vol_gk_20", garmanKlassVol(O, H, L, C, 20, 260)],
    ["vol_rs_20", rogersSatchellVol(O, H, L, C, 20, 260)],
    ["vol_yz_20", yangZhangVol(O, H, L, C, 20, 260)],
  ]);
}

for (const ticker of ["AAPL", "AMD"]) {
  Deno.test(`TTR reference: every indicator on ${ticker} within ${TOL} relative error`, () => {
    const { rows, cols } = readExpected(ticker);
    const got = ours(ticker);
    const problems: string[] = [];
    let compared = 0;
    for (const [name, expected] of cols) {
      const mine = got.get(name);
      if (!mine) {
        problems.push(`${name}: no implementation mapped`);
        continue;
      }
      let worst = 0, worstRow = -1, nanMismatch = -1;
      for (let k = 0; k < rows.length; k++) {
        const e = expected[k], a = mine[rows[k]];
        if (Number.isNaN(e) || Number.isNaN(a)) {
          if (Number.isNaN(e) !== Number.isNaN(a) && nanMismatch < 0) nanMismatch = rows[k];
          continue;
        }
        compared++;
        const den = Math.max(Math.abs(a), Math.abs(e));
        const rel = den === 0 ? 0 : Math.abs(a - e) / den;
        if (rel > worst) [worst, worstRow] = [rel, rows[k]];
      }
      if (nanMismatch >= 0) problems.push(`${name}: NaN/NA mismatch at row ${nanMismatch}`);
      if (worst > TOL) problems.push(`${name}: relative error ${worst.toExponential(2)} at row ${worstRow}`);
    }
    ok(problems.length === 0, `${ticker}:\n${problems.join("\n")}`);
    ok(compared > 30 * rows.length, `only ${compared} values compared`);
  });
}

Deno.test("TTR reference: MACD histogram is macd - signal", () => {
  const C = loadTicker("AAPL", ROWS).close;
  const m = macd(C, 12, 26, 9, true);
  for (let i = 0; i < C.length; i++) {
    if (Number.isNaN(m.signal[i])) ok(Number.isNaN(m.hist[i]));
    else ok(m.hist[i] === m.macd[i] - m.signal[i]);
  }
});
