/**
 * Evaluation: the protocol of EVALUATION.md as sections (`EvalContext -> SectionResult`), shared by
 * `deno task evaluate` and the notebooks, and the scoreboard (JSON + HTML). It scores what a fitted system
 * (lib/workflow) produced; it fits nothing itself.
 * @module
 */
import type { Section } from "./types.ts";
import { trendSection } from "./trend.ts";
import { signalsSection } from "./signals.ts";
import { volatilitySection } from "./volatility.ts";
import { levelsSection } from "./levels.ts";
import { sentimentSection } from "./sentiment.ts";
import { riskSection } from "./risk.ts";

export * from "./types.ts";
export * from "./data.ts";
export * from "./trend.ts";
export * from "./signals.ts";
export * from "./scoreboard.ts";
export * from "./volatility.ts";
export * from "./levels.ts";
export * from "./sentiment.ts";
export * from "./sentiment_lm.ts";
export * from "./risk.ts";

/**
 * The sections by key, in protocol order. Other sections register here (volatility, levels, sentiment).
 */
export const SECTIONS: Record<string, Section> = {
  trend: Object.assign(trendSection, { usesNullCheck: true }),
  signals: Object.assign(signalsSection, { usesNullCheck: true }),
  volatility: volatilitySection,
  levels: levelsSection,
  sentiment: sentimentSection,
  risk: riskSection,
};

/**
 * Sections that share the trend section's fitted models (memoized per realm in `trend.ts`), so a runner that
 * spreads sections over threads keeps them in one; every other section shares nothing. Their null check is plain
 * data (`NullCheck`): a runner may compute it in another thread and hand it over as `ctx.nullCheck`.
 */
export const SHARE_TREND_RUN: readonly string[] = ["trend", "signals"];

/** Protocol order of the section keys (unknown keys sort last). */
export const SECTION_ORDER = ["trend", "volatility", "levels", "sentiment", "signals", "risk"];
export * from "./trend_zoo.ts";
