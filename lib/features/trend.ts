/**
 * Trend strength: Welles Wilder's directional movement system (ADX, +DI, -DI), as TTR's `ADX()`.
 * @module
 */
import { nanArray, sameLength } from "./_util.ts";
import { ema, wilderSum } from "./moving_averages.ts";
import { trueRange } from "./volatility.ts";

/** Directional movement lines, each in [0, 100]. */
export interface Adx {
  plusDi: Float64Array;
  minusDi: Float64Array;
  dx: Float64Array;
  adx: Float64Array;
}

/**
 * ADX/DMI (TTR `ADX(HLC, n)`): `+DM = dH` when `dH > dL` and not both negative (else 0), `-DM` likewise with
 * `dL = -(L - L[i-1])`; `+DI = 100 * wilderSum(+DM) / wilderSum(TR)` (TTR's `wilderSum` seeding),
 * `DX = 100 |+DI - -DI| / (+DI + -DI)`, `ADX = Wilder EMA(DX, n)`. +DI/-DI/DX start at index `n`, ADX at
 * `2n - 1`. DI is 0 when the true-range sum is 0 and DX is 0 when `+DI + -DI == 0`
 * (TTR: NaN in both cases).
 */
export function adx(high: Float64Array, low: Float64Array, close: Float64Array, n = 14): Adx {
  const len = sameLength(high, low, close);
  const pdm = nanArray(len), mdm = nanArray(len);
  for (let i = 1; i < len; i++) {
    const dH = high[i] - high[i - 1], dL = low[i - 1] - low[i];
    if (dH !== dH || dL !== dL) continue;
    const none = dH === dL || (dH < 0 && dL < 0);
    pdm[i] = none ? 0 : dH > dL ? dH : 0;
    mdm[i] = none ? 0 : dH < dL ? dL : 0;
  }
  const trs = wilderSum(trueRange(high, low, close), n);
  const plusDi = wilderSum(pdm, n), minusDi = wilderSum(mdm, n);
  const dx = new Float64Array(len);
  for (let i = 0; i < len; i++) {
    const t = trs[i];
    const p = t > 0 ? (100 * plusDi[i]) / t : t === 0 ? 0 : NaN;
    const m = t > 0 ? (100 * minusDi[i]) / t : t === 0 ? 0 : NaN;
    plusDi[i] = p;
    minusDi[i] = m;
    const s = p + m;
    dx[i] = s > 0 ? (100 * Math.abs(p - m)) / s : s === 0 ? 0 : NaN;
  }
  return { plusDi, minusDi, dx, adx: ema(dx, n, { wilder: true }) };
}
