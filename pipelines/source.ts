/**
 * The market source a config describes: a CSV folder, or the seeded synthetic market. A light module (no model
 * code), so that the CLIs that only read a source (collect, export) do not load the pipeline's steps.
 * @module
 */
import { type IsoDate, sessions } from "@lib/core/mod.ts";
import {
  createSyntheticMarket,
  type CsvSource,
  csvSourceFor,
  type MarketSource,
  SYNTHETIC_START,
  type SyntheticMarket,
} from "@lib/sources/mod.ts";
import type { SystemSpec } from "@lib/workflow/mod.ts";
import { basename } from "node:path";
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

/**
 * The config's synthetic market extended to `to` when its sessions end before: the same bars for the same dates
 * whatever range is asked (it begins at {@link SYNTHETIC_START}), as `deno task collect` and the daily run's
 * `--as-of` extend it.
 */
export function syntheticMarketThrough(s: Config["source"]["synthetic"], to: IsoDate): SyntheticMarket {
  return syntheticMarketFor({ ...s, sessions: Math.max(s.sessions, sessions(SYNTHETIC_START, to).length) });
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

/** The market-wide news files a source reads: a csv source's news files without a symbol column. */
export async function marketNewsFiles(source: MarketSource): Promise<string[]> {
  const loadNews = (source as Partial<CsvSource>).loadNews;
  if (typeof loadNews !== "function") return [];
  return (await loadNews.call(source))?.marketWideFiles ?? [];
}

/**
 * `spec` with `dataset.marketNews` set to the names of the market-wide news files the source reads
 * (`--news-file` without a symbol column, sorted): the run's rows then get the `mkt_news_*` columns from those
 * files' items alone. Decided by the files the run is given, never by what the stores hold.
 */
export async function specForSource(spec: SystemSpec, source: MarketSource): Promise<SystemSpec> {
  const files = (await marketNewsFiles(source)).map((f) => basename(f)).sort();
  if (!files.length) return spec;
  return { ...spec, dataset: { ...spec.dataset, marketNews: [...new Set(files)] } };
}
