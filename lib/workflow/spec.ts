/**
 * What a system is made of: the {@link SystemSpec} (dataset and windows, experts, combiner, portfolio, costs,
 * walk-forward, seed), its defaults and its checks.
 * @module
 */
import { ConfigError } from "../core/mod.ts";
import { TREND_MODEL_NAMES } from "../models/mod.ts";
import { resolveRiskLimits, type RiskLimitOptions } from "../signals/mod.ts";

/** Experts a spec can name (lib/moe `EXPERTS`); `news` is off by default. */
export const EXPERT_CHOICES = ["market", "trend", "level", "reversal", "momentum", "news"] as const;

/** How the base models are refitted over the test segment. */
export type WalkForwardMode = "off" | "expanding" | "rolling";

/** A spec: everything that decides what `fitSystem` builds. Plain JSON; stored with every fitted system. */
export interface SystemSpec {
  /** Labels and the nested windows. */
  dataset: {
    /** Neutral band of the trend label in units of the trailing 20-day volatility. */
    neutralK: number;
    /** Longest label the system trains or trades on (sessions): 2 for the open-to-open return it trades. */
    labelHorizon: number;
    /** Sessions dropped before each later window (at least `labelHorizon`). */
    purge: number;
    /** Sessions dropped after each boundary. */
    embargo: number;
    /**
     * Share of the train sessions, at the end of train, that the base models early-stop on (the inner slice,
     * purged from the rows they fit). 0 = no inner slice (a model with early stopping makes its own from train).
     */
    innerFrac: number;
    /**
     * Market-wide news (items without symbols, e.g. CNBC/Guardian headlines) as four `mkt_news_*` columns in
     * every row: the names of the files (sorted) whose items feed them. Absent or empty = off; the pipeline sets
     * it to the market-wide news files it is given.
     */
    marketNews?: string[];
  };
  /** The experts the gate weighs. */
  experts: {
    /** Base trend models (the trend expert is their soft vote, calibrated; the six ensembles combine them). */
    trend: string[];
    /**
     * Experts the gate weighs (lib/moe `EXPERTS`): `market` (the drift: always long, the gate decides when),
     * `trend`, `level`, `reversal`, `momentum`, and `news` (the headlines' sentiment as the run's news scorer
     * gave it; off by default).
     */
    use: string[];
    /** Volatility forecaster: the unit of every edge, sizes positions, informs the gate. Not a directional bet. */
    volatility: "garch11";
  };
  /** The regime gate over the calibrated experts (lib/moe `RegimeGate`). */
  combiner: {
    /** Units of the gate network's hidden layer. */
    hidden: number;
    /** An abstain ("hold") output with edge 0 the gate can move weight to when no expert is reliable. */
    abstain: boolean;
  };
  /** Calibrated edges -> portfolio weights (`lib/signals` constructPortfolio). */
  portfolio: {
    /**
     * `topk-dropout` (long-only top k, Qlib's dropout rule), `long-short` (top and bottom k), `kelly`, or `tilt`
     * (every name, long only, equal weight leaned on the day's edges by `tilt`).
     */
    method: "topk-dropout" | "long-short" | "kelly" | "tilt";
    /** Names held (per side for long-short). */
    topK: number;
    /** Names replaced per day at most. */
    nDrop: number;
    /** Kelly: no shorts. */
    longOnly: boolean;
    /** Kelly: fraction of the full Kelly bet. */
    kellyFraction: number;
    /**
     * Tilt: how far the book leans from equal weight (lib/signals `PortfolioOptions.tilt`; default 1). Only with
     * `method: tilt`, so the specs of the other methods (and their versions' hashes) do not carry it.
     */
    tilt?: number;
    /**
     * Share of the way from the previous day's book to the day's target that is traded, in (0, 1] (lib/signals
     * `PortfolioOptions.rebalance`). Absent = 1, trade to the target, so the specs that do not set it (and their
     * versions' hashes) do not carry it.
     */
    rebalance?: number;
    /** A name needs `|edge| > minEdge` to be held. */
    minEdge: number;
    /** Annualized ex-ante portfolio volatility target (covariance estimate); 0 = off. */
    targetVol: number;
    /** Cap on gross exposure `sum |w|`. */
    maxGross: number;
    /** Cap on one name's `|w|`. */
    maxWeight: number;
    /**
     * Risk limits of the sizing stage (lib/signals `riskLimitHooks`), applied after sizing and volatility
     * targeting to every strategy's book and to the always-long baseline: `varLimit` caps the book's one-day VaR
     * (fraction of capital, at tail probability `alpha`), `drawdownBrake` scales exposure by `scale` once the
     * book's realized equity is `threshold` below its peak, until the drawdown is back under `recover`. Each is
     * off when absent; absent altogether, no limit (the default).
     */
    risk?: RiskLimitOptions;
  };
  /**
   * Trading costs of the backtests: bps per side plus square-root impact on average daily volume, for a book of
   * `capital` currency units (absent: `DEFAULT_CAPITAL`, 10 million).
   */
  costs: { costBps: number; impact: number; capital?: number };
  /** Refits over the test segment: off, or every `refitEvery` sessions on an expanding or rolling window. */
  walkForward: { mode: WalkForwardMode; refitEvery: number };
  /** Seed of every random choice. */
  seed: number;
}

/** The default spec: the pipeline's `config/default.yaml` values. */
export const DEFAULT_SPEC: SystemSpec = Object.freeze({
  dataset: { neutralK: 0.25, labelHorizon: 2, purge: 2, embargo: 0, innerFrac: 0.2 },
  experts: {
    trend: ["majority", "momentum", "logistic", "mlp-tfjs"],
    use: ["market", "trend", "level", "reversal", "momentum"],
    volatility: "garch11",
  },
  combiner: { hidden: 8, abstain: true },
  portfolio: {
    method: "topk-dropout",
    topK: 50,
    nDrop: 5,
    longOnly: true,
    kellyFraction: 0.25,
    minEdge: 0,
    targetVol: 0.1,
    maxGross: 1,
    maxWeight: 0.25,
  },
  costs: { costBps: 5, impact: 1 },
  walkForward: { mode: "off", refitEvery: 21 },
  seed: 42,
}) as SystemSpec;

/** A partial spec: every field optional, merged onto {@link DEFAULT_SPEC} by {@link makeSpec}. */
export type SpecOverrides = { [K in keyof SystemSpec]?: Partial<SystemSpec[K]> | SystemSpec[K] };

/** The default spec with `o` merged in per section, checked by {@link checkSpec}. */
export function makeSpec(o: SpecOverrides = {}): SystemSpec {
  const d = structuredClone(DEFAULT_SPEC) as SystemSpec;
  const out = {
    dataset: { ...d.dataset, ...(o.dataset as object) },
    experts: { ...d.experts, ...(o.experts as object) },
    combiner: { ...d.combiner, ...(o.combiner as object) },
    portfolio: { ...d.portfolio, ...(o.portfolio as object) },
    costs: { ...d.costs, ...(o.costs as object) },
    walkForward: { ...d.walkForward, ...(o.walkForward as object) },
    seed: (o.seed as number | undefined) ?? d.seed,
  } as SystemSpec;
  checkSpec(out);
  return out;
}

function int(v: number, min: number, what: string): void {
  if (!(Number.isInteger(v) && v >= min)) {
    throw new ConfigError(`spec ${what}: ${v} is not an integer >= ${min}`);
  }
}

/** Throws `ConfigError` naming the first field out of range. */
export function checkSpec(s: SystemSpec): void {
  const ds = s.dataset;
  if (!(ds.neutralK >= 0)) throw new ConfigError(`spec dataset.neutralK: ${ds.neutralK} must be >= 0`);
  int(ds.labelHorizon, 1, "dataset.labelHorizon");
  int(ds.purge, ds.labelHorizon, "dataset.purge (>= labelHorizon)");
  int(ds.embargo, 0, "dataset.embargo");
  if (
    ds.marketNews !== undefined &&
    !(Array.isArray(ds.marketNews) && ds.marketNews.every((f) => typeof f === "string" && f !== ""))
  ) {
    throw new ConfigError(
      `spec dataset.marketNews: ${JSON.stringify(ds.marketNews)} is not a list of file names`,
    );
  }
  if (!(ds.innerFrac >= 0 && ds.innerFrac < 0.9)) {
    throw new ConfigError(`spec dataset.innerFrac: ${ds.innerFrac} must be in [0, 0.9)`);
  }
  if (!s.experts.trend.length) throw new ConfigError("spec experts.trend: no trend model");
  for (const m of s.experts.trend) {
    if (!(TREND_MODEL_NAMES as readonly string[]).includes(m)) {
      throw new ConfigError(
        `spec experts.trend: unknown model ${m} (known: ${TREND_MODEL_NAMES.join(", ")})`,
      );
    }
  }
  if (new Set(s.experts.trend).size !== s.experts.trend.length) {
    throw new ConfigError("spec experts.trend: a model is listed twice");
  }
  if (s.experts.volatility !== "garch11") {
    throw new ConfigError(`spec experts.volatility: ${s.experts.volatility} is not garch11`);
  }
  if (!s.experts.use.length) throw new ConfigError("spec experts.use: no expert for the gate");
  for (const e of s.experts.use) {
    if (!(EXPERT_CHOICES as readonly string[]).includes(e)) {
      throw new ConfigError(`spec experts.use: unknown expert ${e} (known: ${EXPERT_CHOICES.join(", ")})`);
    }
  }
  if (new Set(s.experts.use).size !== s.experts.use.length) {
    throw new ConfigError("spec experts.use: an expert is listed twice");
  }
  int(s.combiner.hidden, 1, "combiner.hidden");
  const p = s.portfolio;
  if (!["topk-dropout", "long-short", "kelly", "tilt"].includes(p.method)) {
    throw new ConfigError(
      `spec portfolio.method: ${p.method} is not topk-dropout, long-short, kelly or tilt`,
    );
  }
  if (p.tilt !== undefined) {
    if (p.method !== "tilt") {
      throw new ConfigError(
        `spec portfolio.tilt: ${p.tilt} is read only by the tilt method, not ${p.method}`,
      );
    }
    if (!(p.tilt >= 0 && p.tilt <= 10)) {
      throw new ConfigError(`spec portfolio.tilt: ${p.tilt} must be in [0, 10]`);
    }
  }
  int(p.topK, 1, "portfolio.topK");
  int(p.nDrop, 0, "portfolio.nDrop");
  if (!(p.kellyFraction > 0 && p.kellyFraction <= 1)) {
    throw new ConfigError(`spec portfolio.kellyFraction: ${p.kellyFraction} must be in (0, 1]`);
  }
  if (!(p.minEdge >= 0)) throw new ConfigError(`spec portfolio.minEdge: ${p.minEdge} must be >= 0`);
  if (p.rebalance !== undefined && !(p.rebalance > 0 && p.rebalance <= 1)) {
    throw new ConfigError(`spec portfolio.rebalance: ${p.rebalance} must be in (0, 1]`);
  }
  if (!(p.targetVol >= 0)) throw new ConfigError(`spec portfolio.targetVol: ${p.targetVol} must be >= 0`);
  if (!(p.maxGross > 0)) throw new ConfigError(`spec portfolio.maxGross: ${p.maxGross} must be > 0`);
  if (!(p.maxWeight > 0)) throw new ConfigError(`spec portfolio.maxWeight: ${p.maxWeight} must be > 0`);
  if (p.risk !== undefined) {
    try {
      resolveRiskLimits(p.risk);
    } catch (e) {
      throw new ConfigError(`spec portfolio.risk: ${(e as Error).message}`);
    }
  }
  if (!(s.costs.costBps >= 0)) throw new ConfigError(`spec costs.costBps: ${s.costs.costBps} must be >= 0`);
  if (!(s.costs.impact >= 0)) throw new ConfigError(`spec costs.impact: ${s.costs.impact} must be >= 0`);
  if (s.costs.capital !== undefined && !(s.costs.capital > 0)) {
    throw new ConfigError(`spec costs.capital: ${s.costs.capital} must be > 0`);
  }
  if (!["off", "expanding", "rolling"].includes(s.walkForward.mode)) {
    throw new ConfigError(`spec walkForward.mode: ${s.walkForward.mode} is not off, expanding or rolling`);
  }
  int(s.walkForward.refitEvery, 1, "walkForward.refitEvery");
  int(s.seed, 0, "seed");
}

/**
 * Portfolio methods that rank names against each other: `topk-dropout` holds the names above the day's mean
 * edge, `long-short` buys the top and sells the bottom of the day's ranking. With one name there is nothing to
 * rank, so nothing is ever held.
 */
export const RANKING_METHODS: readonly SystemSpec["portfolio"]["method"][] = ["topk-dropout", "long-short"];

/**
 * Refuses, before any work, a universe too small for the spec's portfolio method: a ranking method
 * ({@link RANKING_METHODS}) needs at least 2 symbols, `kelly` (each name sized on its own edge) at least 1.
 * A one-line `ConfigError` naming the method, the count and the way out (`portfolio.method: kelly`).
 *
 * @example
 * ```ts
 * import { throws } from "node:assert/strict";
 * checkUniverseSize(makeSpec({ portfolio: { method: "kelly" } }), 1);
 * throws(() => checkUniverseSize(makeSpec(), 1), /needs at least 2 symbols/);
 * ```
 */
export function checkUniverseSize(spec: SystemSpec, symbols: number): void {
  const method = spec.portfolio.method;
  const ranks = RANKING_METHODS.includes(method);
  const need = ranks ? 2 : 1;
  if (symbols >= need) return;
  const got = `${symbols} symbol${symbols === 1 ? "" : "s"}`;
  throw new ConfigError(
    ranks
      ? `portfolio.method ${method} ranks names against each other and needs at least 2 symbols, got ${got} ` +
        `(nothing would ever be held); for one symbol use portfolio.method: kelly (sized on its own edge)`
      : `portfolio.method ${method} needs at least 1 symbol, got ${got}`,
  );
}
