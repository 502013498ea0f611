/**
 * The evaluation contract shared by every section of EVALUATION.md, the `deno task evaluate` entry and the
 * notebooks: a section is a pure async function of an {@link EvalContext} returning a {@link SectionResult}.
 * @module
 */
import type { EvalTextModels } from "./sentiment_lm.ts";
import type { Figure, Table } from "../report/mod.ts";

/** One measured number, with where and how it was measured. */
export interface Metric {
  /** Section key, e.g. "trend", "volatility", "levels", "sentiment", "signals". */
  section: string;
  /** Metric name, e.g. "accuracy", "ic_mean", "qlike". */
  name: string;
  /** Method (model, baseline, peer or ensemble) the number belongs to, e.g. "logistic", "gbdt". */
  method: string;
  /** The value (NaN when undefined on this data). */
  value: number;
  /** Segment it was measured on, e.g. "test 2017-01-03..2018-02-07". */
  segment: string;
  /** Data file(s) it was measured on, relative to the shared data directory. */
  data: string;
  /** Seed of the run. */
  seed: number;
  /** Whether a larger value is better (absent when neither, e.g. a z-score). */
  higherIsBetter?: boolean;
}

/**
 * A recorder of one section's metrics: `record(name, method, value, segment, data, higherIsBetter?)` appends a
 * {@link Metric} with the section and seed filled in (`higherIsBetter` left out when undefined).
 */
export function metricRecorder(section: string, seed: number, metrics: Metric[]) {
  return (
    name: string,
    method: string,
    value: number,
    segment: string,
    data: string,
    hib?: boolean,
  ): void => {
    metrics.push({
      section,
      name,
      method,
      value,
      segment,
      data,
      seed,
      ...(hib === undefined ? {} : { higherIsBetter: hib }),
    });
  };
}

/** What a section returns. */
export interface SectionResult {
  /** Section key (as in {@link Metric.section}). */
  section: string;
  /** Human title, e.g. "1. Trend (next-day direction)". */
  title: string;
  metrics: Metric[];
  figures: Figure[];
  tables: Table[];
  /** Free-text notes (pass/fail of null checks, caveats). */
  notes: string[];
  /** Wall time per step in milliseconds, e.g. {"dataset": 812, "fit:logistic": 1200}. */
  timings: Record<string, number>;
}

/** Inputs of a section run; lib/evaluate reads only the paths it is handed (never the environment). */
export interface EvalContext {
  /** Path of the shared data directory (`../shared/data` from the repository root). */
  sharedDir: string;
  /** Seed for every random choice (same seed -> same numbers). */
  seed: number;
  /** Reduced run for CI: fewer tickers / shorter work. */
  reduced: boolean;
  /** Number of tickers to use (overrides the reduced/full default). */
  tickers?: number;
  /** Progress logger. */
  log?: (s: string) => void;
  /** The installed text models (section 4's language-model rows); absent: those rows are skipped. */
  lm?: EvalTextModels;
  /** Why `lm` is absent (printed as the section's note), e.g. the command that installs the model. */
  lmMissing?: string;
  /**
   * The null check, computed beside this thread (`deno task evaluate` runs it in its worker while the trend run
   * fits here); absent: the section that reports it computes it (`nullCheckFor`, memoized).
   */
  nullCheck?: Promise<NullCheck>;
}

/**
 * The null check's numbers: the same system (every model, the ensembles, the gate) fitted, predicted and traded
 * on a zero-drift random walk over the protocol's dates. Plain data, so it crosses threads.
 */
export interface NullCheck {
  /** Symbols of the null market. */
  symbols: number;
  /** Day-clustered z of test accuracy vs chance, per trend method (models, then ensembles). */
  trendZ: [string, number][];
  /** z of the mean gross daily return, per traded strategy (not buy-and-hold or always-long: no timing). */
  signalsZ: [string, number][];
  /** Wall time of the null run, ms (in the thread that ran it). */
  ms: number;
}

/** One section of the protocol. */
export interface Section {
  (ctx: EvalContext): Promise<SectionResult>;
  /** It reports the null check (`ctx.nullCheck`), so a runner may start that early in another thread. */
  readonly usesNullCheck?: boolean;
}
