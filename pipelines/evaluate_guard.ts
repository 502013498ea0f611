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
import { type Scoreboard } from "@lib/evaluate/mod.ts";

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
  /** git sha of the clean tree the values were measured on. */
  gitSha: string;
  metrics: Record<string, ExpectedMetric>;
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
  return { reduced: sb.reduced, seed: sb.seed, gitSha: sb.gitSha, metrics: sorted };
}

/**
 * The guard's verdict: one line per problem (empty = pass). Metrics of sections the run did not include are
 * not checked; a run that is not like the recorded one (reduced, seed) is a problem itself.
 */
export function guardProblems(expected: ExpectedMetrics, sb: Scoreboard): string[] {
  const p: string[] = [];
  if (expected.reduced !== sb.reduced || expected.seed !== sb.seed) {
    p.push(
      `the expected values are from a ${
        expected.reduced ? "reduced" : "full"
      } run with seed ${expected.seed}; ` +
        `this run is ${sb.reduced ? "reduced" : "full"} with seed ${sb.seed}`,
    );
    return p;
  }
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

/** Parses the expected-metrics file (the older plain list of keys is refused with a hint to regenerate). */
export function parseExpected(text: string, where: string): ExpectedMetrics {
  const x = JSON.parse(text);
  if (Array.isArray(x) || !x || typeof x.metrics !== "object") {
    throw new Error(
      `${where}: not an expected-metrics document (regenerate: deno task evaluate:ci --write-expected)`,
    );
  }
  return x as ExpectedMetrics;
}
