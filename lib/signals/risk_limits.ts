/**
 * Risk limits of the sizing stage, as `constructPortfolio` risk hooks (they run after sizing and volatility
 * targeting; the portfolio's limits are re-applied after them). Both only scale the day's book down.
 *
 * - VaR limit: the book's one-day VaR at tail probability `alpha` may not exceed `limit` (fraction of capital).
 *   VaR = `-sigma_p q`, `sigma_p` the book's ex-ante daily volatility under the portfolio's risk model and `q`
 *   the `alpha` quantile of the portfolio's own standardized realized returns (filtered historical simulation:
 *   each settled day's traded return divided by the ex-ante volatility of the book that earned it); until
 *   `minHistory` days have settled, the quantile of a standardized Student-t with 5 degrees of freedom.
 * - Drawdown brake: once the realized equity of the book (settled traded returns after costs, compounded, as the
 *   backtest books them when the caller gives `PortfolioInput.settle`) is `threshold` or more below its peak,
 *   exposure is multiplied by `scale` until the drawdown is back under `recover`.
 *
 * Everything a hook reads is known at the decision's close: a decision at `d` earns open `d+1` -> open `d+2`
 * and is settled only from `d + 2` on (`RiskContext.realized`).
 * @module
 */
import { sortedTail, stdTQuantile } from "../models/mod.ts";
import type { RiskContext, RiskHook } from "./portfolio.ts";

/** Options of the VaR limit. */
export interface VarLimitOptions {
  /** Largest one-day VaR allowed, as a fraction of capital (e.g. 0.02). */
  limit: number;
  /** Tail probability (default 0.01: 99% VaR). */
  alpha?: number;
  /** Settled days before the portfolio's own residuals replace the t quantile (default 60). */
  minHistory?: number;
}

/** Options of the drawdown brake. */
export interface DrawdownBrakeOptions {
  /** Drawdown from the equity peak that engages the brake (e.g. 0.10). */
  threshold: number;
  /** Exposure multiplier while braking (default 0.5). */
  scale?: number;
  /** Drawdown under which the brake releases (default `threshold / 2`). */
  recover?: number;
}

/** The sizing stage's risk limits; each is off when absent. */
export interface RiskLimitOptions {
  varLimit?: VarLimitOptions;
  drawdownBrake?: DrawdownBrakeOptions;
}

function check(ok: boolean, what: string, v: unknown): void {
  if (!ok) throw new RangeError(`${what} out of range: ${v}`);
}

/** Fills defaults and checks ranges (`RangeError` naming the option). */
export function resolveRiskLimits(o: RiskLimitOptions = {}): {
  varLimit?: Required<VarLimitOptions>;
  drawdownBrake?: Required<DrawdownBrakeOptions>;
} {
  const out: ReturnType<typeof resolveRiskLimits> = {};
  if (o.varLimit) {
    const { limit, alpha = 0.01, minHistory = 60 } = o.varLimit;
    check(limit > 0 && limit < 1, "varLimit.limit (0 < limit < 1)", limit);
    check(alpha > 0 && alpha < 0.5, "varLimit.alpha (0 < alpha < 0.5)", alpha);
    check(
      Number.isInteger(minHistory) && minHistory >= 20,
      "varLimit.minHistory (integer >= 20)",
      minHistory,
    );
    out.varLimit = { limit, alpha, minHistory };
  }
  if (o.drawdownBrake) {
    const { threshold, scale = 0.5 } = o.drawdownBrake;
    const recover = o.drawdownBrake.recover ?? threshold / 2;
    check(threshold > 0 && threshold < 1, "drawdownBrake.threshold (0 < threshold < 1)", threshold);
    check(scale >= 0 && scale < 1, "drawdownBrake.scale (0 <= scale < 1)", scale);
    check(recover >= 0 && recover <= threshold, "drawdownBrake.recover (0 <= recover <= threshold)", recover);
    out.drawdownBrake = { threshold, scale, recover };
  }
  return out;
}

/** Scales `w` in place by `k`. */
function scaleBook(w: Float64Array, k: number): void {
  for (let s = 0; s < w.length; s++) w[s] *= k;
}

/** The first decision day of a context (its `realized` starts there). */
function firstDay(ctx: RiskContext): number {
  return ctx.t - 1 - ctx.realized.length;
}

/** A VaR-limit hook with its record: the days it bound, the capped VaR of each day, and each day's VaR before it. */
export type VarLimitHook = RiskHook & {
  bound: number[];
  lastVar: number[];
  /** Day index -> the book's one-day VaR (fraction of capital) as it reached the hook, before any cap. */
  varAt: Map<number, number>;
  limit: number;
  alpha: number;
};

/**
 * A VaR-limit hook, with its state (the ex-ante volatility of each day's book it saw) and a record of the days
 * it bound. One hook per portfolio run.
 */
export function varLimitHook(o: VarLimitOptions): VarLimitHook {
  const { limit, alpha, minHistory } = resolveRiskLimits({ varLimit: o }).varLimit!;
  const sigmaAt = new Map<number, number>(); // day -> ex-ante daily vol of the book leaving this hook
  const prior = stdTQuantile(alpha, 5);
  const bound: number[] = [], lastVar: number[] = [], varAt = new Map<number, number>();
  const z: number[] = []; // standardized settled returns, ascending
  let seen = 0;
  const hook = (w: Float64Array, ctx: RiskContext) => {
    let sigma = ctx.portfolioVol(w) / Math.sqrt(252);
    if (!(sigma > 0)) {
      sigmaAt.set(ctx.t, 0);
      varAt.set(ctx.t, 0);
      return;
    }
    // add the newly settled days' standardized returns to the sorted history
    const first = firstDay(ctx);
    for (; seen < ctx.realized.length; seen++) {
      const r = ctx.realized[seen], s = sigmaAt.get(first + seen);
      if (!(s && s > 0 && Number.isFinite(r))) continue;
      const v = r / s;
      let lo = 0, hi = z.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (z[mid] < v) lo = mid + 1;
        else hi = mid;
      }
      z.splice(lo, 0, v);
    }
    const q = z.length >= minHistory ? sortedTail(z, alpha).q : prior;
    const v = -sigma * q;
    varAt.set(ctx.t, v);
    if (v > limit) {
      scaleBook(w, limit / v);
      sigma *= limit / v;
      bound.push(ctx.t);
    }
    lastVar.push(Math.min(v, limit));
    sigmaAt.set(ctx.t, sigma);
  };
  return Object.assign(hook, { bound, lastVar, varAt, limit, alpha });
}

/** The drawdown brake's state after a record of settled returns. */
export interface BrakeState {
  /** Whether the brake is engaged (exposure times its scale). */
  braking: boolean;
  /** Drawdown of the compounded record from its peak, at its end. */
  drawdown: number;
  /** Days walked (the record's length). */
  days: number;
}

/**
 * The brake's state after a record of settled daily returns (oldest first), walked one day at a time as the hook
 * walks a book's path.
 */
export function brakeState(record: ArrayLike<number>, o: DrawdownBrakeOptions): BrakeState {
  const { threshold, recover } = resolveRiskLimits({ drawdownBrake: o }).drawdownBrake!;
  let braking = false, eq = 1, peak = 1;
  for (let i = 0; i < record.length; i++) {
    const r = record[i];
    if (Number.isFinite(r)) {
      eq *= 1 + r;
      if (eq > peak) peak = eq;
    }
    // engaged at the threshold, released once under recover
    const dd = 1 - eq / peak;
    braking = braking ? dd >= recover : dd >= threshold;
  }
  return { braking, drawdown: 1 - eq / peak, days: record.length };
}

/**
 * A drawdown-brake hook with a record of the days it was engaged. One hook per portfolio run. It reads the book's
 * own settled returns after costs (`RiskContext.settled`, one more each day, so the state after them is the one the
 * days walked to: the backtest's equity curve, whose drawdown the report shows); given `account`, the settled
 * returns of the book actually traded (the production paper account), it reads those instead: the brake's state
 * after them holds on every day.
 */
export function drawdownBrakeHook(
  o: DrawdownBrakeOptions,
  account?: ArrayLike<number>,
): RiskHook & { engaged: number[] } {
  const { scale } = resolveRiskLimits({ drawdownBrake: o }).drawdownBrake!;
  const engaged: number[] = [];
  const fixed = account === undefined ? undefined : brakeState(account, o).braking;
  const hook = (w: Float64Array, ctx: RiskContext) => {
    if (fixed ?? brakeState(ctx.settled, o).braking) {
      scaleBook(w, scale);
      engaged.push(ctx.t);
    }
  };
  return Object.assign(hook, { engaged });
}

/**
 * The hooks of `o` in the order they must run: the brake first, then the VaR limit on what is left. `account`: the
 * settled returns the brake reads instead of the book's own (see {@link drawdownBrakeHook}).
 */
export function riskLimitHooks(o: RiskLimitOptions, account?: ArrayLike<number>): RiskHook[] {
  const r = resolveRiskLimits(o), out: RiskHook[] = [];
  if (r.drawdownBrake) out.push(drawdownBrakeHook(r.drawdownBrake, account));
  if (r.varLimit) out.push(varLimitHook(r.varLimit));
  return out;
}
