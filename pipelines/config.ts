/**
 * Configuration, parsed and validated once at the edge: `config/default.yaml` as the schema and defaults, an
 * optional user YAML file on top, then CLI overrides. Unknown keys and wrong types are `ConfigError`s.
 * @module
 */
import { parse as parseYaml } from "yaml";
import { checkSymbol, ConfigError } from "@lib/core/mod.ts";
import { TREND_MODEL_NAMES } from "@lib/evaluate/mod.ts";
import { type NewsConfig, parseModelRef } from "./lm.ts";

/** The validated configuration. */
export interface Config {
  dataDir: string;
  reportDir: string;
  source: {
    kind: "synthetic" | "csv";
    symbols: string[];
    from: string | null;
    to: string | null;
    csvDir: string | null;
    /** Refuse skipped/repaired rows and ignored files instead of counting them. */
    strict: boolean;
    /** Membership CSV (`symbol,from,to`) of a point-in-time universe, or null for the fixed symbol list. */
    universe: string | null;
    synthetic: {
      seed: number;
      symbols: number;
      sessions: number;
      newsEffect: number;
      newsRate: number;
      levelStrength: number;
    };
  };
  dataset: { neutralK: number; trainFrac: number; validFrac: number; purge: number; embargo: number };
  news: NewsConfig;
  models: { trend: string[]; seed: number };
  signals: { threshold: number; targetVol: number; maxPosition: number; longOnly: boolean };
  backtest: { costBps: number };
}

const DEFAULT_PATH = new URL("../config/default.yaml", import.meta.url);

/** Allowed values of enumerated keys. */
const ENUMS: Record<string, string[]> = {
  "source.kind": ["synthetic", "csv"],
  "models.trend": [...TREND_MODEL_NAMES],
  "news.scorer": ["auto", "lm", "lexicon"],
  "news.variant": ["fp32", "int8"],
};

/**
 * The range of every numeric key (and the length of list keys), checked at load, before any store is opened.
 * A key added to `config/default.yaml` declares its range here: `config_test.ts` fails while a numeric or list
 * key has none. `min`/`max` are inclusive, `above`/`below` exclusive; `int` asks for a whole number.
 */
export interface KeyRange {
  min?: number;
  max?: number;
  above?: number;
  below?: number;
  int?: boolean;
  /** For lists: the fewest items. */
  minItems?: number;
  /** Why the range is what it is (shown in the error). */
  why?: string;
}

/** Ranges by dotted key (see {@linkcode KeyRange}). */
export const RANGES: Record<string, KeyRange> = {
  "source.symbols": { minItems: 0 },
  "source.synthetic.seed": { min: 0, max: 2 ** 32 - 1, int: true },
  "source.synthetic.symbols": { min: 1, max: 5000, int: true },
  "source.synthetic.sessions": { min: 1, max: 100_000, int: true },
  "source.synthetic.newsEffect": { min: -0.5, max: 0.5, why: "a return shift per unit of sentiment" },
  "source.synthetic.newsRate": { min: 0, max: 50 },
  "source.synthetic.levelStrength": { min: 0, max: 1, why: "a probability" },
  "dataset.neutralK": { min: 0, max: 5 },
  "dataset.trainFrac": { above: 0, below: 1 },
  "dataset.validFrac": { above: 0, below: 1 },
  "dataset.purge": { min: 0, max: 250, int: true },
  "dataset.embargo": { min: 0, max: 250, int: true },
  "models.trend": { minItems: 1, why: "name at least one trend model" },
  "models.seed": { min: 0, max: 2 ** 32 - 1, int: true },
  "signals.threshold": { min: 0, below: 1, why: "a dead band on a score in [-1, 1]" },
  "signals.targetVol": { above: 0, max: 2, why: "annualized volatility" },
  "signals.maxPosition": { above: 0, max: 10, why: "a fraction of the capital per symbol" },
  "backtest.costBps": { min: 0, max: 1000, why: "basis points per side" },
};

function describeRange(r: KeyRange): string {
  const lo = r.min !== undefined ? `[${r.min}` : r.above !== undefined ? `(${r.above}` : "(-inf";
  const hi = r.max !== undefined ? `${r.max}]` : r.below !== undefined ? `${r.below})` : "inf)";
  return `${r.int ? "a whole number in " : ""}${lo}, ${hi}${r.why ? ` (${r.why})` : ""}`;
}

/** Checks `v` at `path` against its {@linkcode RANGES} entry; a `ConfigError` naming key, value and range. */
export function checkRange(path: string, v: unknown): void {
  const r = RANGES[path];
  if (!r) return;
  if (Array.isArray(v)) {
    if (r.minItems !== undefined && v.length < r.minItems) {
      throw new ConfigError(
        `config ${path}: needs at least ${r.minItems} item${r.minItems === 1 ? "" : "s"}, got ${v.length}` +
          (r.why ? ` (${r.why})` : ""),
      );
    }
    return;
  }
  if (typeof v !== "number") return;
  const ok = (r.int !== true || Number.isInteger(v)) && (r.min === undefined || v >= r.min) &&
    (r.max === undefined || v <= r.max) && (r.above === undefined || v > r.above) &&
    (r.below === undefined || v < r.below);
  if (!ok) throw new ConfigError(`config ${path}: ${v} is out of range: want ${describeRange(r)}`);
}

/** Keys whose default is null but that take a value of this type. */
const NULLABLE: Record<string, "string"> = {
  "source.from": "string",
  "source.to": "string",
  "source.csvDir": "string",
  "source.universe": "string",
};

function typeOf(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

function closest(key: string, options: string[]): string {
  let best = "", bestD = Infinity;
  for (const o of options) {
    const d = editDistance(key, o);
    if (d < bestD) [best, bestD] = [o, d];
  }
  return bestD <= 3 ? ` (did you mean ${best}?)` : "";
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}

/** Merges `over` onto `base` (a validated tree), checking keys and types against `base`. */
export function mergeChecked(base: unknown, over: unknown, path = ""): unknown {
  if (over === undefined) return base;
  const bt = typeOf(base), ot = typeOf(over);
  if (bt === "object") {
    if (ot !== "object") throw new ConfigError(`config ${path || "root"}: expected a mapping, got ${ot}`);
    const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
    for (const [k, v] of Object.entries(over as Record<string, unknown>)) {
      const p = path ? `${path}.${k}` : k;
      if (!(k in out)) throw new ConfigError(`unknown config key ${p}${closest(k, Object.keys(out))}`);
      out[k] = mergeChecked(out[k], v, p);
    }
    return out;
  }
  if (bt === "null") {
    if (ot === "null") return null;
    if (NULLABLE[path] && ot === NULLABLE[path]) return over;
    throw new ConfigError(`config ${path}: expected ${NULLABLE[path] ?? "null"}, got ${ot}`);
  }
  if (ot !== bt) {
    throw new ConfigError(`config ${path}: expected ${bt}, got ${ot} (${JSON.stringify(over)})`);
  }
  const allowed = ENUMS[path];
  if (allowed) {
    for (const v of Array.isArray(over) ? over : [over]) {
      if (!allowed.includes(String(v))) {
        throw new ConfigError(`config ${path}: ${JSON.stringify(v)} is not one of ${allowed.join(", ")}`);
      }
    }
  }
  if (bt === "number" && !Number.isFinite(over as number)) {
    throw new ConfigError(`config ${path}: not a finite number`);
  }
  checkRange(path, over);
  return over;
}

/** Parses YAML text into a plain object, as a `ConfigError` on bad syntax. */
export function parseYamlText(text: string, where: string): unknown {
  try {
    return parseYaml(text) ?? {};
  } catch (e) {
    throw new ConfigError(`${where}: invalid YAML: ${(e as Error).message.split("\n")[0]}`, { cause: e });
  }
}

/** Loads the defaults, then an optional user file, then overrides (each validated against the defaults). */
export async function loadConfig(
  opts: { file?: string; overrides?: Record<string, unknown> } = {},
): Promise<Config> {
  const defaults = parseYamlText(await Deno.readTextFile(DEFAULT_PATH), "config/default.yaml");
  let cfg = defaults;
  if (opts.file) {
    let text: string;
    try {
      text = await Deno.readTextFile(opts.file);
    } catch (e) {
      throw new ConfigError(`cannot read config file ${opts.file}: ${(e as Error).message}`, { cause: e });
    }
    cfg = mergeChecked(cfg, parseYamlText(text, opts.file));
  }
  if (opts.overrides) cfg = mergeChecked(cfg, opts.overrides);
  const c = cfg as Config;
  for (const [k, v] of [["source.from", c.source.from], ["source.to", c.source.to]] as const) {
    if (v !== null && !/^\d{4}-\d{2}-\d{2}$/.test(v)) {
      throw new ConfigError(`config ${k}: expected YYYY-MM-DD, got ${v}`);
    }
  }
  if (c.source.from && c.source.to && c.source.from > c.source.to) {
    throw new ConfigError(`empty date range: source.from ${c.source.from} is after source.to ${c.source.to}`);
  }
  if (c.source.kind === "csv" && !c.source.csvDir) {
    throw new ConfigError("source.kind csv needs source.csvDir (--data-dir)");
  }
  parseModelRef(c.news.model);
  c.source.symbols.forEach((sym, i) => checkSymbol(sym, `config source.symbols[${i}]`));
  if (c.dataset.trainFrac + c.dataset.validFrac >= 1) {
    throw new ConfigError("config dataset: trainFrac + validFrac must leave room for a test segment");
  }
  return c;
}
