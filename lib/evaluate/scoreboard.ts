/**
 * The scoreboard: every section's metrics in one JSON document (`{date, gitSha, gitDirty, seed, reduced,
 * sections, timings}`), an offline HTML report of all sections' tables and figures, and the CI checks (null checks at
 * chance, no metric that used to be computed missing).
 * @module
 */
import { renderHtml, type Section as ReportSection } from "../report/mod.ts";
import type { Metric, SectionResult } from "./types.ts";

/** The JSON scoreboard. */
export interface Scoreboard {
  /** Run date `YYYY-MM-DD` (UTC). */
  date: string;
  /** Short sha of the commit the run started on. */
  gitSha: string;
  /** Whether tracked files differed from that commit when the run started (null: not a git checkout). */
  gitDirty: boolean | null;
  seed: number;
  reduced: boolean;
  /** Tickers of the run (`null`: every ticker of the file; absent: the default of its kind). */
  tickers?: number | null;
  /** Per section: key, title, notes and metrics. */
  sections: { section: string; title: string; notes: string[]; metrics: Metric[] }[];
  /** ms per step, keyed `<section>/<step>`. */
  timings: Record<string, number>;
}

/** Scoreboard header fields. */
export interface ScoreboardMeta {
  date: string;
  gitSha: string;
  gitDirty: boolean | null;
  seed: number;
  reduced: boolean;
  /** Tickers of the run (`null`: every ticker of the file). */
  tickers?: number | null;
}

/** Collects section results into a scoreboard (NaN/Infinity become `null` only when serialized). */
export function buildScoreboard(results: readonly SectionResult[], meta: ScoreboardMeta): Scoreboard {
  const timings: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.timings)) timings[`${r.section}/${k}`] = v;
  return {
    ...meta,
    sections: results.map((r) => ({
      section: r.section,
      title: r.title,
      notes: r.notes,
      metrics: r.metrics,
    })),
    timings,
  };
}

/** The scoreboard as pretty JSON (non-finite values as `null`). */
export function scoreboardJson(sb: Scoreboard): string {
  return JSON.stringify(sb, (_, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2) + "\n";
}

/** Key of a metric: `section/method/name@segment`. */
export function metricKey(m: Pick<Metric, "section" | "method" | "name" | "segment">): string {
  return `${m.section}/${m.method}/${m.name}@${m.segment}`;
}

/** Sorted, unique metric keys of a scoreboard. */
export function metricKeys(sb: Scoreboard): string[] {
  return [...new Set(sb.sections.flatMap((s) => s.metrics.map(metricKey)))].sort();
}

/** Expected keys that the scoreboard lacks, for the sections it ran. */
export function missingMetrics(expected: readonly string[], sb: Scoreboard): string[] {
  const have = new Set(metricKeys(sb)), ran = new Set(sb.sections.map((s) => s.section));
  return expected.filter((k) => ran.has(k.split("/")[0]) && !have.has(k));
}

/** Null-check metrics (`null_check_z`) whose |z| is not below `bound` (or is not a number). */
export function failedNullChecks(sb: Scoreboard, bound = 3): Metric[] {
  return sb.sections.flatMap((s) => s.metrics).filter((m) =>
    m.name === "null_check_z" && !(Math.abs(m.value) < bound)
  );
}

/** Validates the shape of a parsed scoreboard; returns the problems (empty when valid). */
export function scoreboardProblems(x: unknown): string[] {
  const p: string[] = [];
  const o = x as Record<string, unknown>;
  if (!o || typeof o !== "object") return ["not an object"];
  if (typeof o.date !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(o.date)) p.push("date");
  if (typeof o.gitSha !== "string" || o.gitSha === "") p.push("gitSha");
  if (!(typeof o.gitDirty === "boolean" || o.gitDirty === null)) p.push("gitDirty");
  if (typeof o.seed !== "number") p.push("seed");
  if (typeof o.reduced !== "boolean") p.push("reduced");
  if (!o.timings || typeof o.timings !== "object") p.push("timings");
  else {for (const [k, v] of Object.entries(o.timings)) {
      if (typeof v !== "number" || !(v >= 0)) p.push(`timings.${k}`);
    }}
  if (!Array.isArray(o.sections)) return [...p, "sections"];
  o.sections.forEach((s: Record<string, unknown>, i: number) => {
    if (typeof s.section !== "string") p.push(`sections[${i}].section`);
    if (typeof s.title !== "string") p.push(`sections[${i}].title`);
    if (!Array.isArray(s.notes)) p.push(`sections[${i}].notes`);
    if (!Array.isArray(s.metrics)) return void p.push(`sections[${i}].metrics`);
    s.metrics.forEach((m: Record<string, unknown>, j: number) => {
      for (const k of ["section", "name", "method", "segment", "data"]) {
        if (typeof m[k] !== "string") p.push(`sections[${i}].metrics[${j}].${k}`);
      }
      if (!(typeof m.value === "number" || m.value === null)) p.push(`sections[${i}].metrics[${j}].value`);
      if (typeof m.seed !== "number") p.push(`sections[${i}].metrics[${j}].seed`);
    });
  });
  return p;
}

/** The offline HTML scoreboard: per section its notes, tables and figures, then a timings table. */
export function scoreboardHtml(sb: Scoreboard, results: readonly SectionResult[]): string {
  const sections: ReportSection[] = results.map((r) => ({
    title: r.title,
    text: r.notes,
    tables: r.tables,
    figures: r.figures,
  }));
  sections.push({
    title: "Speed (wall time per step, this machine)",
    tables: [{
      columns: ["step", "ms"],
      rows: Object.entries(sb.timings).map(([k, v]) => [k, Math.round(v)]),
    }],
  });
  return renderHtml({
    title: `fmai evaluation scoreboard ${sb.date} (${sb.gitSha}${
      sb.gitDirty ? ", uncommitted changes" : ""
    })`,
    subtitle: `seed ${sb.seed}${sb.reduced ? ", reduced (CI) run" : ", full run"}; protocol: EVALUATION.md`,
    sections,
  });
}
