/**
 * Walk-forward fitting: one system per fold (refit every N sessions on an expanding or rolling window, nested
 * the same way in every fold), whose test slices join into one continuous out-of-sample test.
 * @module
 */
import { type Dataset, Segment, type SegmentSpec, sessionCalendar, withSegments } from "../dataset/mod.ts";
import type { SystemSpec } from "./spec.ts";
import { type FitOptions, fitSystem, type FittedSystem, type SystemPredictions } from "./system.ts";
import { type DateRange, type SystemWindows, walkForwardFolds } from "./windows.ts";

/** One fold of a walk-forward run. */
export interface FoldSummary {
  fold: number;
  segments: SegmentSpec;
  windows: SystemWindows;
  /** Test rows this fold's system predicted. */
  testRows: number;
  /** Fit wall time in ms. */
  fitMs: number;
}

/** What {@link walkForward} produces. */
export interface WalkForwardResult {
  /** The mode it ran in (`off`: one fit on the dataset's own segments). */
  mode: SystemSpec["walkForward"]["mode"];
  folds: FoldSummary[];
  /** The whole test segment the folds cover. */
  test: DateRange;
  /** Every fold's out-of-sample predictions, joined in date order: one continuous test. */
  predictions: SystemPredictions;
  /** The last fold's system (the one to serve from the end of the data). */
  system: FittedSystem;
}

/** Options of {@link walkForward}. */
export interface WalkForwardOptions extends FitOptions {
  /** Called after each fold is fitted and has predicted its test slice. */
  onFold?: (fold: FoldSummary, of: number) => void;
}

/** Joins predictions of disjoint row sets (same system layout) into one, in the order given. */
export function concatPredictions(parts: SystemPredictions[]): SystemPredictions {
  if (parts.length === 1) return parts[0];
  const f64 = (get: (p: SystemPredictions) => Float64Array) => {
    const out = new Float64Array(parts.reduce((a, p) => a + get(p).length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(get(p), o);
      o += get(p).length;
    }
    return out;
  };
  const first = parts[0];
  const rows = new Int32Array(parts.reduce((a, p) => a + p.rows.length, 0));
  let o = 0;
  for (const p of parts) {
    rows.set(p.rows, o);
    o += p.rows.length;
  }
  const edges = new Map<string, Float64Array>();
  for (const k of first.edges.keys()) edges.set(k, f64((p) => p.edges.get(k)!));
  return {
    rows,
    symbol: parts.flatMap((p) => p.symbol),
    date: parts.flatMap((p) => p.date),
    knownAt: f64((p) => p.knownAt),
    models: first.models.map((m, k) => ({ name: m.name, probs: f64((p) => p.models[k].probs) })),
    ensembles: first.ensembles.map((e, k) => ({ name: e.name, probs: f64((p) => p.ensembles[k].probs) })),
    experts: { names: first.experts.names, scores: f64((p) => p.experts.scores) },
    gate: {
      names: first.gate.names,
      weights: f64((p) => p.gate.weights),
      contributions: f64((p) => p.gate.contributions),
    },
    regime: parts.flatMap((p) => p.regime),
    score: f64((p) => p.score),
    forecastVar: f64((p) => p.forecastVar),
    dailyVol: f64((p) => p.dailyVol),
    edges,
    untradable: parts.flatMap((p) => p.untradable),
  };
}

/**
 * Fits and predicts the test segment of `ds`. With `spec.walkForward.mode` `off`: one system on the dataset's
 * segments. Else fold k refits every `refitEvery` sessions (see `walkForwardFolds`) on a view of the same
 * dataset under the fold's segments (`withSegments`: purge, embargo and label blanking as a fresh build), and
 * predicts only its own slice of the test; the slices tile the test segment.
 */
export async function walkForward(
  spec: SystemSpec,
  ds: Dataset,
  opts: WalkForwardOptions = {},
): Promise<WalkForwardResult> {
  const base = ds.segments;
  const plans = spec.walkForward.mode === "off"
    ? [{ fold: 0, segments: base }]
    : walkForwardFolds(sessionCalendar(ds), base, {
      mode: spec.walkForward.mode,
      refitEvery: spec.walkForward.refitEvery,
    });
  const folds: FoldSummary[] = [], preds: SystemPredictions[] = [];
  let system: FittedSystem | undefined;
  for (const plan of plans) {
    const view = plan.segments === base ? ds : withSegments(ds, plan.segments);
    const t0 = performance.now();
    system = await fitSystem(spec, view, { log: plans.length > 1 ? undefined : opts.log });
    const fitMs = performance.now() - t0;
    const test: number[] = [];
    for (let i = 0; i < view.n; i++) if (view.segment[i] === Segment.TEST) test.push(i);
    const p = await system.predictRows(view, Int32Array.from(test));
    preds.push(p);
    const summary: FoldSummary = {
      fold: plan.fold,
      segments: plan.segments,
      windows: system.windows,
      testRows: test.length,
      fitMs,
    };
    folds.push(summary);
    opts.onFold?.(summary, plans.length);
    if (plans.length > 1) {
      opts.log?.(
        `fold ${plan.fold + 1}/${plans.length}: train ${plan.segments.train.join("..")}, calibration ${
          plan.segments.valid.join("..")
        }, test ${plan.segments.test.join("..")} (${test.length} rows, fit ${(fitMs / 1000).toFixed(1)} s)`,
      );
    }
  }
  return {
    mode: spec.walkForward.mode,
    folds,
    test: [base.test[0], base.test[1]],
    predictions: concatPredictions(preds),
    system: system!,
  };
}
