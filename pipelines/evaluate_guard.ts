/**
 * The evaluation guard of `deno task evaluate:ci`: every metric of `bench/expected_metrics.json` must be
 * present and finite and within its tolerance of the recorded value on the bad side, so a regression (or a
 * metric that turned NaN) fails CI:
 * - higher is better (accuracy, IC, Sharpe, ...): a floor, `value - tol`;
 * - lower is better (log loss, QLIKE, turnover, ...): a ceiling, `value + tol`;
 * - neither (volatility, exposure): a band `value ± tol`.
 * Null checks (`null_check_z`) are checked against chance instead (|z| < 3), not against a recorded value.
 *
 * The file is written only by `--write-expected` on a clean git tree (`pipelines/evaluate.ts`), from a reduced
 * run: the recorded values are those of one committed state of the code.
 * @module
 */
import { InputError } from "@lib/core/mod.ts";
import { REDUCED_TICKERS, type Scoreboard } from "@lib/evaluate/mod.ts";

/** One expected metric. */
export interface ExpectedMetric {
  value: number;
  /** Allowed move to the bad side (both sides when `higherIsBetter` is unset). */
  tol: number;
  higherIsBetter?: boolean;
}

/** The expected-metrics file. */
export interface ExpectedMetrics {
  /** The run the values come from (`--reduced` for CI). */
  reduced: boolean;
  seed: number;
  /**
   * Tickers of the run (`null`: every ticker of the file). A file without it (written before it was recorded)
   * holds the default count of its kind of run ({@link defaultTickers}).
   */
  tickers?: number | null;
  /** git sha of the clean tree the values were measured on. */
  gitSha: string;
  metrics: Record<string, ExpectedMetric>;
}

/** What a run is, as far as the guard can compare it: reduced or full, its seed and its tickers. */
export interface RunKind {
  reduced: boolean;
  seed: number;
  /** Tickers (`null`: all); absent means the default of the kind ({@link defaultTickers}). */
  tickers?: number | null;
}

/** Tickers of a run without `--tickers`: 60 for a reduced run, all (`null`) for a full one. */
export function defaultTickers(reduced: boolean): number | null {
  return reduced ? REDUCED_TICKERS : null;
}

/** Ticker count of a run (`null`: every ticker of the file; absent: the default of its kind). */
export function tickersOf(r: RunKind): number | null {
  return r.tickers === undefined ? defaultTickers(r.reduced) : r.tickers;
}

function describe(r: RunKind): string {
  const t = tickersOf(r);
  return `${r.reduced ? "reduced" : "full"} run with seed ${r.seed} and ${t === null ? "all" : t} tickers`;
}

/** Why a run cannot be compared with the expected values (`null` when it can: same kind, seed and tickers). */
export function runMismatch(expected: ExpectedMetrics, run: RunKind): string | null {
  if (
    expected.reduced === run.reduced && expected.seed === run.seed && tickersOf(expected) === tickersOf(run)
  ) {
    return null;
  }
  return `the expected values are from a ${describe(expected)}; this is a ${describe(run)}`;
}

/** Default tolerance of a recorded value: 5% of its size, at least 0.01. */
export function defaultTolerance(value: number): number {
  return Math.max(0.01, 0.05 * Math.abs(value));
}

function keyOf(m: { section: string; method: string; name: string; segment: string }): string {
  return `${m.section}/${m.method}/${m.name}@${m.segment}`;
}

/** The expected-metrics document of a scoreboard (every finite metric except the null checks). */
export function expectedFrom(sb: Scoreboard): ExpectedMetrics {
  const metrics: Record<string, ExpectedMetric> = {};
  for (const s of sb.sections) {
    for (const m of s.metrics) {
      if (m.name === "null_check_z" || !Number.isFinite(m.value)) continue;
      metrics[keyOf(m)] = {
        value: m.value,
        tol: +defaultTolerance(m.value).toPrecision(3),
        ...(m.higherIsBetter === undefined ? {} : { higherIsBetter: m.higherIsBetter }),
      };
    }
  }
  const sorted = Object.fromEntries(Object.entries(metrics).sort(([a], [b]) => (a < b ? -1 : 1)));
  return { reduced: sb.reduced, seed: sb.seed, tickers: tickersOf(sb), gitSha: sb.gitSha, metrics: sorted };
}

/**
 * The guard's verdict: one line per problem (empty = pass). Metrics of sections the run did not include are
 * not checked; a run that is not like the recorded one (reduced, seed, tickers) is a problem itself.
 */
export function guardProblems(expected: ExpectedMetrics, sb: Scoreboard): string[] {
  const p: string[] = [];
  const mismatch = runMismatch(expected, sb);
  if (mismatch) return [mismatch];
  const have = new Map<string, number>();
  for (const s of sb.sections) for (const m of s.metrics) have.set(keyOf(m), m.value);
  const ran = new Set(sb.sections.map((s) => s.section));
  for (const [key, e] of Object.entries(expected.metrics)) {
    if (!ran.has(key.split("/")[0])) continue;
    const v = have.get(key);
    if (v === undefined) {
      p.push(`metric missing: ${key}`);
      continue;
    }
    if (!Number.isFinite(v)) {
      p.push(`metric not a number: ${key} = ${v} (expected ${e.value})`);
      continue;
    }
    const low = e.higherIsBetter === false ? -Infinity : e.value - e.tol;
    const high = e.higherIsBetter === true ? Infinity : e.value + e.tol;
    if (v < low || v > high) {
      const side = v < low ? `below the floor ${fmt(low)}` : `above the ceiling ${fmt(high)}`;
      p.push(`metric regressed: ${key} = ${fmt(v)}, ${side} (recorded ${fmt(e.value)} ± ${e.tol})`);
    }
  }
  return p;
}

function fmt(v: number): string {
  return Math.abs(v) >= 1000 ? v.toFixed(0) : v.toPrecision(4);
}

/**
 * Parses the expected-metrics file: an object with `reduced`, `seed`, optional `tickers`, `gitSha` and `metrics`
 * (each a finite `value`, a `tol` >= 0, an optional boolean `higherIsBetter`). Anything else (the older plain list
 * of keys included) is a one-line `InputError` naming the file, with a hint to regenerate it.
 */
export function parseExpected(text: string, where: string): ExpectedMetrics {
  const bad = (what: string) =>
    new InputError(
      `${where}: not an expected-metrics document (${what}; regenerate: deno task evaluate:ci --write-expected)`,
    );
  let x;
  try {
    x = JSON.parse(text);
  } catch (e) {
    throw bad(`not JSON: ${(e as Error).message}`);
  }
  if (!x || typeof x !== "object" || Array.isArray(x)) throw bad("not an object");
  if (typeof x.reduced !== "boolean") throw bad("reduced is not true/false");
  if (!Number.isSafeInteger(x.seed) || x.seed < 0) throw bad("seed is not an integer >= 0");
  if (
    !(x.tickers === undefined || x.tickers === null || (Number.isSafeInteger(x.tickers) && x.tickers >= 1))
  ) {
    throw bad("tickers is not an integer >= 1");
  }
  if (typeof x.gitSha !== "string") throw bad("gitSha is not a string");
  if (!x.metrics || typeof x.metrics !== "object" || Array.isArray(x.metrics)) {
    throw bad("metrics is not an object");
  }
  for (const [k, m] of Object.entries(x.metrics as Record<string, ExpectedMetric>)) {
    if (
      !m || typeof m !== "object" || !Number.isFinite(m.value) ||
      !(typeof m.tol === "number" && m.tol >= 0) ||
      !(m.higherIsBetter === undefined || typeof m.higherIsBetter === "boolean")
    ) throw bad(`metric ${k} is not {value, tol, higherIsBetter?}`);
  }
  return x as ExpectedMetrics;
}
