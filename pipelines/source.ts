/**
 * The market source a config describes: a CSV folder, or the seeded synthetic market. A light module (no model
 * code), so that the CLIs that only read a source (collect, export) do not load the pipeline's steps.
 * @module
 */
import {
  createSyntheticMarket,
  csvSourceFor,
  type MarketSource,
  type SyntheticMarket,
} from "@lib/sources/mod.ts";
import type { Config } from "./config.ts";

/** The synthetic market of a config's `source.synthetic` settings. */
export function syntheticMarketFor(s: Config["source"]["synthetic"]): SyntheticMarket {
  return createSyntheticMarket({
    seed: s.seed,
    symbols: s.symbols,
    sessions: s.sessions,
    newsEffect: s.newsEffect,
    newsRate: s.newsRate,
    levelStrength: s.levelStrength,
  });
}

/** The market source a config describes. */
export async function sourceFromConfig(cfg: Config): Promise<MarketSource> {
  if (cfg.source.kind === "csv") {
    return await csvSourceFor(cfg.source.csvDir!, {
      ...(cfg.source.strict ? { strict: true } : {}),
      ...(cfg.source.newsFiles.length ? { newsFiles: cfg.source.newsFiles } : {}),
    });
  }
  return syntheticMarketFor(cfg.source.synthetic);
}
