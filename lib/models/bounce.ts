/**
 * Learned bounce/break probabilities of support and resistance levels: from past touches whose outcome was
 * already known, a logistic model of `P(touch within 10 sessions | distance)` and one of `P(hold | touch,
 * level)`, where "hold" is the protocol's outcome (the close 5 sessions after the touch back on the original
 * side, `levelOutcome` in lib/dataset). The level expert's raw score combines them with the distance to the
 * nearest support and resistance in ATR units.
 * @module
 */
import { ModelError } from "../core/mod.ts";
import { levelOutcome, type SymbolSeries } from "../dataset/mod.ts";
import { fitBinaryLogistic } from "./calibration.ts";
import { atr, type SwingLevel, SwingLevelModel } from "./levels.ts";

/** Nearest levels of one row, in ATR units. NaN where a side has no level. */
export interface LevelRowFeatures {
  /** `(close - support) / ATR(14)`. */
  supportDist: number;
  supportStrength: number;
  supportTouches: number;
  /** `(resistance - close) / ATR(14)`. */
  resistanceDist: number;
  resistanceStrength: number;
  resistanceTouches: number;
}

/** Nearest support and resistance of `series` at index `t` (bars up to `t` only) with their features. */
export function levelRowFeatures(model: SwingLevelModel, series: SymbolSeries, t: number): LevelRowFeatures {
  const { supports, resistances } = model.levels(series, t);
  const a = atr(series, t), c = series.close[t];
  const f = (l: SwingLevel | undefined, sign: number) =>
    l && a > 0 ? [sign * (c - l.price) / a, l.strength, l.touches] : [NaN, NaN, NaN];
  const [sd, ss, st] = f(supports[0], 1), [rd, rs, rt] = f(resistances[0], -1);
  return {
    supportDist: sd,
    supportStrength: ss,
    supportTouches: st,
    resistanceDist: rd,
    resistanceStrength: rs,
    resistanceTouches: rt,
  };
}

/** Options of {@link LevelBounceModel}. */
export interface BounceOptions {
  /** Decision days sampled for fitting: every `stride`-th session. Default 5. */
  stride?: number;
  /** Touch window in sessions. Default 10 (the protocol's). */
  touchWindow?: number;
  /** Sessions after the touch at which hold/break is judged. Default 5 (the protocol's). */
  holdLag?: number;
  /** L2 of both logistic fits. Default 1e-3. */
  l2?: number;
}

/** Serialized {@link LevelBounceModel}. */
export interface BounceJSON {
  kind: "level-bounce";
  /** Touch model weights on `[dist, dist², side]` + intercept. */
  touch: number[];
  /** Hold model weights on `[dist, strength, log(1 + touches), side]` + intercept. */
  hold: number[];
  events: { touch: number; hold: number };
  /** Base rates of the fitting events. */
  touchRate: number;
  holdRate: number;
}

const touchX = (d: number, side: number) => [d, d * d, side];
const holdX = (d: number, s: number, n: number, side: number) => [d, s, Math.log1p(n), side];

/**
 * `P(touch)` and `P(hold | touch)` of the nearest levels, fitted on events whose outcomes were known by a cutoff
 * session (nothing after it is used: a touch window or hold lag that runs past the cutoff drops the event).
 */
export class LevelBounceModel {
  readonly options: Required<BounceOptions>;
  #j: BounceJSON | null = null;
  constructor(options: BounceOptions = {}) {
    this.options = {
      stride: options.stride ?? 5,
      touchWindow: options.touchWindow ?? 10,
      holdLag: options.holdLag ?? 5,
      l2: options.l2 ?? 1e-3,
    };
    const o = this.options;
    for (const k of ["stride", "touchWindow", "holdLag"] as const) {
      if (!(Number.isInteger(o[k]) && o[k] >= 1)) {
        throw new RangeError(`bounce: ${k} must be an integer >= 1`);
      }
    }
  }

  /** True after `fit` or `fromJSON`. */
  get fitted(): boolean {
    return this.#j !== null;
  }

  /** Fitted parameters. */
  get params(): BounceJSON {
    if (!this.#j) throw new ModelError("level bounce model is not fitted");
    return this.#j;
  }

  /**
   * Fits on every series, sampling decision days `t` (every `stride`-th from `from[symbol]`, default the start)
   * whose whole outcome is known by index `knownBy[symbol]` (inclusive; default the series' last index): the
   * touch label needs bars up to `t + touchWindow`, the hold label up to the touch `+ holdLag`.
   */
  fit(
    series: ReadonlyMap<string, SymbolSeries>,
    levels: SwingLevelModel,
    window: { from?: Record<string, number>; knownBy?: Record<string, number> } = {},
  ): this {
    const o = this.options;
    const tX: number[] = [], tY: number[] = [], hX: number[] = [], hY: number[] = [];
    for (const [sym, s] of series) {
      const last = Math.min(s.close.length - 1, window.knownBy?.[sym] ?? s.close.length - 1);
      // only bars up to `last` exist for labelling
      const view = {
        high: s.high.subarray(0, last + 1),
        low: s.low.subarray(0, last + 1),
        close: s.close.subarray(0, last + 1),
      };
      for (let t = Math.max(window.from?.[sym] ?? 0, 20); t + o.touchWindow <= last; t += o.stride) {
        const f = levelRowFeatures(levels, s, t);
        const { supports, resistances } = levels.levels(s, t);
        for (
          const [side, lv, d, st, n] of [
            [1, supports[0], f.supportDist, f.supportStrength, f.supportTouches],
            [0, resistances[0], f.resistanceDist, f.resistanceStrength, f.resistanceTouches],
          ] as const
        ) {
          if (!lv || !Number.isFinite(d)) continue;
          const out = levelOutcome(view, t, lv.price, side ? "support" : "resistance", o);
          if (out.touched < 0) continue;
          tX.push(...touchX(d, side));
          tY.push(out.touched);
          if (out.touched === 1 && out.held >= 0) {
            hX.push(...holdX(d, st, n, side));
            hY.push(out.held);
          }
        }
      }
    }
    if (tY.length < 30 || hY.length < 30) {
      throw new ModelError(`level bounce: ${tY.length} level-days and ${hY.length} touches (need 30 each)`);
    }
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    const touch = fitBinaryLogistic(Float64Array.from(tX), tY, 3, o.l2);
    const hold = fitBinaryLogistic(Float64Array.from(hX), hY, 4, o.l2);
    this.#j = {
      kind: "level-bounce",
      touch: Array.from(touch),
      hold: Array.from(hold),
      events: { touch: tY.length, hold: hY.length },
      touchRate: mean(tY),
      holdRate: mean(hY),
    };
    return this;
  }

  /** `P(touch within touchWindow)` of a level `dist` ATRs away (side 1 support, 0 resistance). */
  touchProbability(dist: number, side: 0 | 1): number {
    return logistic(this.params.touch, touchX(dist, side));
  }

  /** `P(hold | touch)` of a level. */
  holdProbability(dist: number, strength: number, touches: number, side: 0 | 1): number {
    return logistic(this.params.hold, holdX(dist, strength, touches, side));
  }

  /**
   * Level expert raw score of one row: `P_s(touch) · (2 P_s(hold) - 1) - P_r(touch) · (2 P_r(hold) - 1)`, the
   * expected direction from a bounce off (or a break through) the nearest support minus the nearest resistance;
   * a missing side contributes 0; NaN only when both are missing.
   */
  score(f: LevelRowFeatures): number {
    let s = 0, any = false;
    if (Number.isFinite(f.supportDist)) {
      any = true;
      s += this.touchProbability(f.supportDist, 1) *
        (2 * this.holdProbability(f.supportDist, f.supportStrength, f.supportTouches, 1) - 1);
    }
    if (Number.isFinite(f.resistanceDist)) {
      any = true;
      s -= this.touchProbability(f.resistanceDist, 0) *
        (2 * this.holdProbability(f.resistanceDist, f.resistanceStrength, f.resistanceTouches, 0) - 1);
    }
    return any ? s : NaN;
  }

  /** Plain JSON (exact reload). */
  toJSON(): BounceJSON {
    const j = this.params;
    return { ...j, touch: [...j.touch], hold: [...j.hold], events: { ...j.events } };
  }

  /** Rebuilds from {@link LevelBounceModel.toJSON}. */
  static fromJSON(j: BounceJSON, options: BounceOptions = {}): LevelBounceModel {
    if (j?.kind !== "level-bounce") throw new ModelError("not a level-bounce artifact");
    const m = new LevelBounceModel(options);
    m.#j = { ...j, touch: [...j.touch], hold: [...j.hold], events: { ...j.events } };
    return m;
  }
}

function logistic(w: readonly number[], x: number[]): number {
  let z = w[x.length];
  for (let j = 0; j < x.length; j++) z += w[j] * x[j];
  return 1 / (1 + Math.exp(-z));
}
