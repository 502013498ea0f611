/**
 * Collection steps, one per data kind, shared by the CLI (`pipelines/collect_cli.ts`) and the AWS Lambda
 * handlers (`lambdas/`): `runCollect` runs the requested kinds in order and returns one summary row per
 * kind and symbol (or calendar unit).
 * @module
 */
import type { Stores } from "@lib/store/mod.ts";
import { givenTwice } from "../_cli_error.ts";
import type { Progress } from "../progress.ts";
import {
  COLLECT_KINDS,
  type CollectKind,
  type CollectRequest,
  type CollectSources,
  type CollectStep,
  type PlanRow,
  type SummaryRow,
} from "./common.ts";
import { pricesStep } from "./prices.ts";
import { statisticsStep } from "./statistics.ts";
import { statementsStep } from "./statements.ts";
import { newsStep } from "./news.ts";
import { optionsStep } from "./options.ts";
import { calendarsStep } from "./calendars.ts";
import { chartsStep } from "./charts.ts";

export * from "./common.ts";
export { incrementalRange, pricesStep } from "./prices.ts";
export { statisticsStep } from "./statistics.ts";
export { annualFrom, filingToDoc, REPORTS_COLLECTION, statementsStep } from "./statements.ts";
export { latestNewsAt, NEWS_COLLECTION, newsStep, newsToDoc } from "./news.ts";
export { optionsStep } from "./options.ts";
export { calendarsStep, calendarToRows, calendarUnits, DEFAULT_FILING_GROUPS } from "./calendars.ts";
export { chartsStep } from "./charts.ts";

/** The step of each kind. */
export const COLLECT_STEPS: Record<CollectKind, CollectStep> = {
  prices: pricesStep,
  statistics: statisticsStep,
  statements: statementsStep,
  news: newsStep,
  options: optionsStep,
  calendars: calendarsStep,
  charts: chartsStep,
};

/** Parses a comma-separated kind list; `RangeError` naming an unknown kind or one given twice. */
export function parseKinds(list: string): CollectKind[] {
  const out = list.split(",").map((s) => s.trim()).filter(Boolean) as CollectKind[];
  for (const k of out) {
    if (!(COLLECT_KINDS as readonly string[]).includes(k)) {
      throw new RangeError(`unknown kind ${JSON.stringify(k)} (one of ${COLLECT_KINDS.join(", ")})`);
    }
  }
  const twice = givenTwice(out, list);
  if (twice) throw new RangeError(twice);
  if (!out.length) throw new RangeError("no kind given");
  // run in the canonical order (charts after prices)
  return COLLECT_KINDS.filter((k) => out.includes(k));
}

/** Runs the kinds in canonical order; one summary row per kind and symbol/unit. */
export async function runCollect(
  kinds: readonly CollectKind[],
  sources: CollectSources,
  stores: Stores,
  req: CollectRequest,
  progress?: Progress,
): Promise<SummaryRow[]> {
  const out: SummaryRow[] = [];
  for (const k of COLLECT_KINDS) {
    if (kinds.includes(k)) out.push(...await COLLECT_STEPS[k].run(sources, stores, req, progress));
  }
  return out;
}

/** The dry-run plan of the kinds (reads `stores` when given, writes nothing). */
export async function planCollect(
  kinds: readonly CollectKind[],
  sources: CollectSources,
  stores: Stores | null,
  req: CollectRequest,
): Promise<PlanRow[]> {
  const out: PlanRow[] = [];
  for (const k of COLLECT_KINDS) {
    if (kinds.includes(k)) out.push(...await COLLECT_STEPS[k].plan(sources, stores, req));
  }
  return out;
}

/** Totals of a summary: units ok/failed, rows written and new, objects written, records left out. */
export function summarize(rows: readonly SummaryRow[]) {
  return {
    ok: rows.filter((r) => r.ok).length,
    failed: rows.filter((r) => !r.ok).length,
    rows: rows.reduce((a, r) => a + r.rows, 0),
    inserted: rows.reduce((a, r) => a + r.inserted, 0),
    objects: rows.reduce((a, r) => a + r.objects, 0),
    skipped: rows.reduce((a, r) => a + (r.skipped ?? 0), 0),
  };
}
