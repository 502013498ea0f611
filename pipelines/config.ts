/**
 * Configuration, parsed and validated once at the edge: `config/default.yaml` as the schema and defaults, an
 * optional user YAML file on top, then CLI overrides. Unknown keys and wrong types are `ConfigError`s.
 * @module
 */
import { parse as parseYaml } from "yaml";
import {
  checkSymbol,
  ConfigError,
  isCalendarDate,
  normalizeSymbols,
  publicationDelay,
  repeatedSymbol,
  shown,
} from "@lib/core/mod.ts";
import { TREND_MODEL_NAMES } from "@lib/models/mod.ts";
import { EXPERT_CHOICES, makeSpec, type SegmentChoice, type SystemSpec } from "@lib/workflow/mod.ts";
import type { RiskLimitOptions } from "@lib/signals/mod.ts";
import { DEFAULT_CAPITAL } from "@lib/backtest/mod.ts";
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
    /**
     * CSV files of news (csv source): headline, time and symbol columns; a file without a symbol column is
     * market-wide news (the `mkt_news_*` features of every symbol).
     */
    newsFiles: string[];
    /** Refuse skipped/repaired rows and ignored files instead of counting them. */
    strict: boolean;
    /** Membership CSV (`symbol,from,to`) of a point-in-time universe, or null for the fixed symbol list. */
    universe: string | null;
    /**
     * The market context from the source's own series (index and VIX symbols); null index = the universe's own
     * index and a VIX stand-in.
     */
    market: { index: string | null; vix: string | null };
    synthetic: {
      seed: number;
      symbols: number;
      sessions: number;
      newsEffect: number;
      newsRate: number;
      levelStrength: number;
    };
  };
  dataset: {
    neutralK: number;
    /** Date ranges `YYYY-MM-DD..YYYY-MM-DD` (all three or none). */
    segments: { train: string | null; valid: string | null; test: string | null };
    trainFrac: number;
    validFrac: number;
    innerFrac: number;
    purge: number;
    embargo: number;
    walkForward: { mode: "off" | "expanding" | "rolling"; refitEvery: number };
  };
  news: NewsConfig;
  models: { trend: string[]; experts: string[]; seed: number };
  portfolio: Omit<SystemSpec["portfolio"], "risk" | "tilt" | "rebalance"> & {
    tilt: number;
    rebalance: number;
    risk: PortfolioRiskConfig;
  };
  backtest: { costBps: number; impact: number; capital: number };
  production: ProductionConfig;
}

/** `portfolio.risk`: the sizing stage's risk limits, each 0 = off (lib/signals `RiskLimitOptions`). */
export interface PortfolioRiskConfig {
  /** Cap on the book's one-day VaR, a fraction of capital; 0 = off. */
  varLimit: number;
  /** Tail probability of that VaR. */
  varAlpha: number;
  /** Drawdown of the book's realized equity from its peak that engages the brake; 0 = off. */
  drawdownBrake: number;
  /** Exposure multiplier while the brake is on. */
  brakeScale: number;
  /** Drawdown under which the brake releases; 0 = half of `drawdownBrake`. */
  brakeRecover: number;
}

/** The spec's risk limits of a config's `portfolio.risk` (undefined when every limit is off). */
export function riskLimitsOf(r: PortfolioRiskConfig): RiskLimitOptions | undefined {
  const out: RiskLimitOptions = {};
  if (r.varLimit > 0) out.varLimit = { limit: r.varLimit, alpha: r.varAlpha };
  if (r.drawdownBrake > 0) {
    out.drawdownBrake = {
      threshold: r.drawdownBrake,
      scale: r.brakeScale,
      recover: r.brakeRecover > 0 ? r.brakeRecover : r.drawdownBrake / 2,
    };
  }
  return out.varLimit || out.drawdownBrake ? out : undefined;
}

/** The daily production run's settings (`production:`). */
export interface ProductionConfig {
  model: string;
  retrain: {
    every: number;
    window: string;
    calibrationFrac: number;
    promote: "always" | "if-better" | "never";
    minScoredSessions: number;
    /** What `if-better` compares on the paper scorecard: the mean IC or the book's compounded return. */
    compareOn: "ic" | "book";
  };
  drift: { window: number; bins: number; psiWarn: number; psiFail: number; failShare: number };
  freshness: { warnSessions: number; failSessions: number };
}

/** `production.retrain.window` parsed: expanding, or the last `sessions` sessions. */
export function retrainWindow(w: string): { mode: "expanding" } | { mode: "rolling"; sessions: number } {
  if (w === "expanding") return { mode: "expanding" };
  const m = /^rolling (\d+)$/.exec(w);
  if (m && Number(m[1]) >= 60) return { mode: "rolling", sessions: Number(m[1]) };
  throw new ConfigError(
    `config production.retrain.window: ${JSON.stringify(w)} is not expanding or "rolling N" (N >= 60)`,
  );
}

const DEFAULT_PATH = new URL("../config/default.yaml", import.meta.url);

/** Allowed values of enumerated keys. */
const ENUMS: Record<string, string[]> = {
  "source.kind": ["synthetic", "csv"],
  "models.trend": [...TREND_MODEL_NAMES],
  "production.retrain.promote": ["always", "if-better", "never"],
  "production.retrain.compareOn": ["ic", "book"],
  "models.experts": [...EXPERT_CHOICES],
  "dataset.walkForward.mode": ["off", "expanding", "rolling"],
  "portfolio.method": ["topk-dropout", "long-short", "kelly", "tilt"],
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
  /** For lists: an item may appear once only. */
  unique?: boolean;
  /** Why the range is what it is (shown in the error). */
  why?: string;
}

/** Longest label the pipeline trades on: `fwdOpenReturn` spans the opens of t+1 and t+2. */
export const LABEL_HORIZON = 2;

/** Ranges by dotted key (see {@linkcode KeyRange}). */
export const RANGES: Record<string, KeyRange> = {
  "source.symbols": { minItems: 0 },
  "source.newsFiles": { minItems: 0 },
  "source.synthetic.seed": { min: 0, max: 2 ** 32 - 1, int: true },
  "source.synthetic.symbols": { min: 1, max: 5000, int: true },
  "source.synthetic.sessions": {
    min: 2,
    max: 100_000,
    int: true,
    why: "the synthetic market needs two sessions for a return; a run checks it has enough for its segments",
  },
  "source.synthetic.newsEffect": { min: -0.5, max: 0.5, why: "a return shift per unit of sentiment" },
  "source.synthetic.newsRate": { min: 0, max: 50 },
  "source.synthetic.levelStrength": { min: 0, max: 1, why: "a probability" },
  "dataset.neutralK": { min: 0, max: 5 },
  "dataset.trainFrac": { above: 0, below: 1 },
  "dataset.validFrac": { above: 0, below: 1 },
  "dataset.purge": {
    min: LABEL_HORIZON,
    max: 250,
    int: true,
    why:
      `sessions purged before each later window: at least the ${LABEL_HORIZON}-session traded return label`,
  },
  "dataset.embargo": { min: 0, max: 250, int: true },
  "models.trend": { minItems: 1, unique: true, why: "name at least one trend model" },
  "models.seed": { min: 0, max: 2 ** 32 - 1, int: true },
  "dataset.innerFrac": { min: 0, below: 0.9, why: "a share of the train sessions" },
  "dataset.walkForward.refitEvery": { min: 1, max: 2520, int: true, why: "sessions between refits" },
  "models.experts": { minItems: 1, unique: true, why: "name at least one expert for the gate" },
  "portfolio.topK": { min: 1, max: 5000, int: true },
  "portfolio.nDrop": { min: 0, max: 5000, int: true },
  "portfolio.kellyFraction": { above: 0, max: 1, why: "a fraction of the full Kelly bet" },
  "portfolio.tilt": { min: 0, max: 10, why: "the lean from equal weight per standard deviation of edge" },
  "portfolio.rebalance": { above: 0, max: 1, why: "the share of the way to the day's target that is traded" },
  "portfolio.minEdge": { min: 0, max: 10, why: "an edge in forecast standard deviations" },
  "portfolio.targetVol": { min: 0, max: 2, why: "annualized volatility (0 = off)" },
  "portfolio.maxGross": { above: 0, max: 10, why: "gross exposure as a multiple of capital" },
  "portfolio.maxWeight": { above: 0, max: 10, why: "one name's weight as a fraction of capital" },
  "portfolio.risk.varLimit": { min: 0, below: 1, why: "one-day VaR as a fraction of capital (0 = off)" },
  "portfolio.risk.varAlpha": { above: 0, below: 0.5, why: "a tail probability" },
  "portfolio.risk.drawdownBrake": { min: 0, below: 1, why: "a drawdown from the equity peak (0 = off)" },
  "portfolio.risk.brakeScale": { min: 0, below: 1, why: "the exposure multiplier while braking" },
  "portfolio.risk.brakeRecover": {
    min: 0,
    below: 1,
    why: "the drawdown that releases the brake (0 = half of drawdownBrake)",
  },
  "backtest.costBps": { min: 0, max: 1000, why: "basis points per side" },
  "backtest.impact": { min: 0, max: 100, why: "square-root impact coefficient" },
  "backtest.capital": { min: 1000, max: 1e13, why: "dollars of book capital" },
  "production.retrain.every": { min: 1, max: 2520, int: true, why: "sessions between refits" },
  "production.retrain.calibrationFrac": { above: 0, below: 0.8, why: "a share of the window" },
  "production.retrain.minScoredSessions": { min: 1, max: 2520, int: true },
  "production.drift.window": { min: 1, max: 2520, int: true, why: "recent sessions" },
  "production.drift.bins": { min: 2, max: 1000, int: true },
  "production.drift.psiWarn": { above: 0, max: 100 },
  "production.drift.psiFail": { above: 0, max: 100 },
  "production.drift.failShare": { above: 0, max: 1, why: "a share of the features" },
  "production.freshness.warnSessions": { min: 0, max: 2520, int: true },
  "production.freshness.failSessions": { min: 0, max: 2520, int: true },
  "news.threads": {
    min: 0,
    max: 256,
    int: true,
    why: "language-model threads (0 = one per core, at most 8)",
  },
};

function describeRange(r: KeyRange): string {
  const lo = r.min !== undefined ? `[${r.min}` : r.above !== undefined ? `(${r.above}` : "(-inf";
  const hi = r.max !== undefined ? `${r.max}]` : r.below !== undefined ? `${r.below})` : "inf)";
  return `${r.int ? "a whole number in " : ""}${lo}, ${hi}${r.why ? ` (${r.why})` : ""}`;
}

/**
 * Checks `v` at `path` against its {@linkcode RANGES} entry; a `ConfigError` naming key, value and range (after
 * `where`, `config ` by default).
 */
export function checkRange(path: string, v: unknown, where = "config "): void {
  const r = RANGES[path];
  if (!r) return;
  if (Array.isArray(v)) {
    if (r.minItems !== undefined && v.length < r.minItems) {
      throw new ConfigError(
        `${where}${path}: needs at least ${r.minItems} item${r.minItems === 1 ? "" : "s"}, got ${v.length}` +
          (r.why ? ` (${r.why})` : ""),
      );
    }
    const twice = r.unique ? v.find((x, i) => v.indexOf(x) !== i) : undefined;
    if (twice !== undefined) throw new ConfigError(`${where}${path}: ${twice} is listed twice`);
    return;
  }
  if (typeof v !== "number") return;
  const ok = (r.int !== true || Number.isInteger(v)) && (r.min === undefined || v >= r.min) &&
    (r.max === undefined || v <= r.max) && (r.above === undefined || v > r.above) &&
    (r.below === undefined || v < r.below);
  if (!ok) throw new ConfigError(`${where}${path}: ${v} is out of range: want ${describeRange(r)}`);
}

/** Keys whose default is null but that take a value of this type. */
const NULLABLE: Record<string, "string"> = {
  "source.from": "string",
  "source.to": "string",
  "source.csvDir": "string",
  "dataset.segments.train": "string",
  "dataset.segments.valid": "string",
  "dataset.segments.test": "string",
  "source.universe": "string",
  "source.market.index": "string",
  "source.market.vix": "string",
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

/** How {@linkcode mergeChecked} names what it refuses. */
export interface MergeWhere {
  /** Before a key's dotted path (`config ` for the config loader; none by default: a caller names its file). */
  where?: string;
  /** The name of the root when it is no mapping (`root` by default; the config loader names the file). */
  root?: string;
}

/**
 * Merges `over` onto `base` (a validated tree), checking keys and types against `base`. A refusal names the key
 * after `at.where` (none by default, so that a caller's `config/mysql.yaml: ` prefix is not followed by another
 * `config`), and the root as `at.root`.
 */
export function mergeChecked(base: unknown, over: unknown, path = "", at: MergeWhere = {}): unknown {
  if (over === undefined) return base;
  const where = at.where ?? "";
  const bt = typeOf(base), ot = typeOf(over);
  if (bt === "object") {
    if (ot !== "object") {
      throw new ConfigError(
        `${path ? `${where}${path}` : at.root ?? `${where}root`}: expected a mapping, got ${ot}`,
      );
    }
    const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
    for (const [k, v] of Object.entries(over as Record<string, unknown>)) {
      const p = path ? `${path}.${k}` : k;
      // own keys only: `constructor` or `__proto__` is an unknown key, not a property every object inherits
      if (!Object.hasOwn(out, k)) {
        throw new ConfigError(`unknown config key ${p}${closest(k, Object.keys(out))}`);
      }
      out[k] = mergeChecked(out[k], v, p, at);
    }
    return out;
  }
  if (bt === "null") {
    if (ot === "null") return null;
    if (NULLABLE[path] && ot === NULLABLE[path]) return over;
    throw new ConfigError(`${where}${path}: expected ${NULLABLE[path] ?? "null"}, got ${ot}`);
  }
  // a key whose default is null set back to null over a value (`--market INDEX` over a config's index and vix)
  if (ot === "null" && NULLABLE[path] === bt) return null;
  if (ot !== bt) {
    throw new ConfigError(`${where}${path}: expected ${bt}, got ${ot} (${JSON.stringify(over)})`);
  }
  const allowed = ENUMS[path];
  if (allowed) {
    for (const v of Array.isArray(over) ? over : [over]) {
      // a string one of them ([logistic] inside a list is no model name, though String() spells it so)
      if (typeof v !== "string" || !allowed.includes(v)) {
        throw new ConfigError(`${where}${path}: ${JSON.stringify(v)} is not one of ${allowed.join(", ")}`);
      }
    }
  }
  if (bt === "number" && !Number.isFinite(over as number)) {
    throw new ConfigError(`${where}${path}: not a finite number`);
  }
  checkRange(path, over, where);
  return over;
}

/** Parses YAML text into a plain object, as a `ConfigError` on bad syntax. */
export function parseYamlText(text: string, where: string): unknown {
  try {
    return parseYaml(text) ?? {};
  } catch (e) {
    // the parser's first line, without the colon that introduced its excerpt of the text
    const first = (e as Error).message.split("\n")[0].replace(/:\s*$/, "");
    throw new ConfigError(`${where}: invalid YAML: ${first}`, { cause: e });
  }
}

/**
 * A date range `YYYY-MM-DD..YYYY-MM-DD` (both ends inclusive, start <= end) as a pair; `ConfigError` naming
 * `what` otherwise.
 */
export function dateRange(text: string, what: string): [string, string] {
  const m = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/.exec(text.trim());
  const valid = (d: string) =>
    !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d);
  if (!m) throw new ConfigError(`${what}: expected YYYY-MM-DD..YYYY-MM-DD, got ${JSON.stringify(text)}`);
  for (const d of [m[1], m[2]]) {
    if (!valid(d)) throw new ConfigError(`${what}: ${d} is not a calendar date (in ${JSON.stringify(text)})`);
  }
  if (m[1] > m[2]) throw new ConfigError(`${what}: empty date range ${text} (start after end)`);
  return [m[1], m[2]];
}

/**
 * Loads the config a store-reading CLI names: `--config FILE`, with `--store-dir DIR` as `dataDir`. The notes of
 * {@linkcode loadConfigWithNotes} (a symbol upper-cased) go to `note`, by default one line each on stdout
 * (stderr keeps the one-line error of a refused run), so the daily run says it looks up `SPY` for `spy`.
 */
export async function loadFlagsConfig(
  v: { config?: string; "store-dir"?: string },
  note: (line: string) => void = (line) => console.log(line),
): Promise<Config> {
  const { config, notes } = await loadConfigWithNotes({
    file: v.config,
    overrides: v["store-dir"] !== undefined ? { dataDir: v["store-dir"] } : {},
  });
  for (const line of notes) note(line);
  return config;
}

/** Where {@linkcode loadConfig} reads from. */
export interface ConfigSources {
  file?: string;
  overrides?: Record<string, unknown>;
  defaultsFile?: string | URL;
}

/** The value at `keys` of a user's (unvalidated) config tree, or undefined where a level is not a mapping. */
function treeAt(tree: unknown, ...keys: string[]): unknown {
  let o = tree;
  for (const k of keys) {
    o = o !== null && typeof o === "object" && !Array.isArray(o)
      ? (o as Record<string, unknown>)[k]
      : undefined;
  }
  return o;
}

/** `dataset.walkForward` of a user's (unvalidated) config tree, if it has one. */
function walkForwardOf(tree: unknown): Record<string, unknown> | undefined {
  const w = treeAt(tree, "dataset", "walkForward");
  return w !== null && typeof w === "object" ? w as Record<string, unknown> : undefined;
}

/**
 * Refuses a `dataset.walkForward.refitEvery` the user set (the `--refit-every` flag, or a config file) while the
 * walk-forward mode is off: it would be ignored. `config/default.yaml`'s own default is not the user's (nor that
 * value copied into a file); a config
 * file's value is not refused when the overrides turn the mode off themselves (`--walk-forward off` decides).
 */
function checkRefitEvery(c: Config, fileRefit: unknown, opts: ConfigSources): void {
  if (c.dataset.walkForward.mode !== "off") return;
  const over = walkForwardOf(opts.overrides);
  if (over?.refitEvery !== undefined) {
    throw new ConfigError(
      `config dataset.walkForward.refitEvery (--refit-every): ${over.refitEvery} is read only by a walk-forward, ` +
        `and dataset.walkForward.mode (--walk-forward) is off: add --walk-forward expanding or rolling, or leave ` +
        `--refit-every out`,
    );
  }
  if (fileRefit !== undefined && over?.mode === undefined) {
    throw new ConfigError(
      `config ${opts.file}: dataset.walkForward.refitEvery ${fileRefit} is read only by a walk-forward, ` +
        `and dataset.walkForward.mode is off: set the mode to expanding or rolling (or --walk-forward), or ` +
        `leave refitEvery out`,
    );
  }
}

/** A key that only another setting reads, and whether that setting leaves it unread (see {@link refuseUnreadKeys}). */
interface UnreadKey {
  path: string[];
  value: unknown;
  unread: boolean;
  /** What reads it, e.g. `the drawdown brake`. */
  reader: string;
  /** Why that reader is off, e.g. `portfolio.risk.drawdownBrake is 0 (off)`. */
  state: string;
  /** What to set instead, e.g. `drawdownBrake`. */
  fix: string;
}

/**
 * Refuses a key the user set (in a config file or the overrides) that nothing would read, because the setting
 * that reads it is off: it would be ignored. `config/default.yaml`'s own values are not the user's, nor are
 * they when a file copies them (see {@link UserFile}). `keys` are of
 * the loaded config, `fileKeys` (the same keys, in the same order) of the defaults and the file alone: a file's
 * key is refused only when the file's own settings leave it unread too. A flag (the overrides) that turns its
 * reader off decides this run, and a run without the flag reads the key (a file's `trainFrac` under `--train`
 * dates, its `source.synthetic` under `--source csv`), as `--walk-forward off` decides over a file's refitEvery.
 */
function refuseUnreadKeys(
  file: UserFile,
  overrides: unknown,
  keys: UnreadKey[],
  fileKeys: UnreadKey[],
): void {
  keys.forEach((k, i) => {
    const flag = treeAt(overrides, ...k.path) !== undefined;
    if (k.unread && (flag || (file.sets(k.path) && fileKeys[i].unread))) {
      throw new ConfigError(
        `config ${flag ? "" : `${file.name}: `}${k.path.join(".")}${
          flag ? ":" : ""
        } ${k.value} is read only by ` +
          `${k.reader}, and ${k.state}: set ${k.fix}, or leave ${k.path.at(-1)} out`,
      );
    }
  });
}

/**
 * The user's config file as the refusals of keys nothing reads see it: `sets(path)` when the file gives the key a
 * value other than `config/default.yaml`'s (a copy of the defaults, whole or in part, asks for nothing: the key
 * left out would read the same).
 */
interface UserFile {
  name: string;
  sets: (path: readonly string[]) => boolean;
}

function userFile(name: string | undefined, tree: unknown, defaults: unknown): UserFile {
  return {
    name: name ?? "",
    sets: (path) => {
      const v = treeAt(tree, ...path);
      return v !== undefined && JSON.stringify(v) !== JSON.stringify(treeAt(defaults, ...path));
    },
  };
}

/** The keys of a loaded config that only one setting reads: the portfolio's and {@linkcode readersBesidePortfolio}. */
function unreadKeys(c: Config): UnreadKey[] {
  return [...readersBesidePortfolio(c), ...portfolioReaders(c.portfolio)];
}

/**
 * The keys outside the portfolio that only one setting reads: `source.synthetic.*` (the synthetic source),
 * `dataset.trainFrac`/`validFrac` (the split by fractions, when no segment dates are given), `news.model`,
 * `variant` and `threads` (the language model, never the lexicon), `backtest.capital` (the impact cost: it sizes
 * the orders against the volume, and nothing else reads it).
 */
function readersBesidePortfolio(c: Config): UnreadKey[] {
  const dated = (["train", "valid", "test"] as const).every((k) => c.dataset.segments[k] !== null);
  const one = (
    path: string[],
    value: unknown,
    unread: boolean,
    reader: string,
    state: string,
    fix: string,
  ): UnreadKey => ({ path, value, unread, reader, state, fix });
  return [
    ...(Object.keys(c.source.synthetic) as (keyof Config["source"]["synthetic"])[]).map((k) =>
      one(
        ["source", "synthetic", k],
        c.source.synthetic[k],
        c.source.kind !== "synthetic",
        "the synthetic source",
        `source.kind is ${c.source.kind} (--source, --data-dir)`,
        "source.kind: synthetic",
      )
    ),
    ...(["trainFrac", "validFrac"] as const).map((k) =>
      one(
        ["dataset", k],
        c.dataset[k],
        dated,
        "the split by fractions",
        "dataset.segments gives all three date ranges (--train, --valid, --test)",
        "the segments to null",
      )
    ),
    // the lexicon scorer loads no model: nothing reads which one, its weights or its threads
    ...(["model", "variant", "threads"] as const).map((k) =>
      one(
        ["news", k],
        c.news[k],
        c.news.scorer === "lexicon",
        "the language model",
        "news.scorer is lexicon",
        "news.scorer: auto or lm",
      )
    ),
    one(
      ["backtest", "capital"],
      c.backtest.capital,
      c.backtest.impact === 0,
      "the impact cost (its orders are sized against the volume)",
      "backtest.impact is 0 (off)",
      "backtest.impact above 0",
    ),
  ];
}

/**
 * Refuses a portfolio limit the user set that can never do anything: `nDrop` above `topK` (no more than the
 * `topK` names held can be replaced a day) and `maxWeight` above `maxGross` (a name's |w| is at most the book's
 * gross, so the cap never binds). A default's own value is not the user's (`topK: 2` alone leaves nDrop's 5 as
 * it is: the book replaces at most 2).
 */
function refuseSlackLimits(p: Config["portfolio"], file: UserFile, overrides: unknown): void {
  const flag = (k: string) => treeAt(overrides, "portfolio", k) !== undefined;
  const given = (k: string) => flag(k) || file.sets(["portfolio", k]);
  // named as the unread keys are: `config portfolio.nDrop: 40` from a flag, `config FILE: portfolio.nDrop 40`
  const key = (k: string, v: number) =>
    flag(k) ? `portfolio.${k}: ${v}` : `${file.name}: portfolio.${k} ${v}`;
  if (given("nDrop") && p.nDrop > p.topK) {
    throw new ConfigError(
      `config ${key("nDrop", p.nDrop)} is above portfolio.topK ${p.topK}: at most the ${p.topK} names held ` +
        `can be replaced a day; set nDrop at most ${p.topK}, or leave nDrop out`,
    );
  }
  if (given("maxWeight") && p.maxWeight > p.maxGross) {
    throw new ConfigError(
      `config ${
        key("maxWeight", p.maxWeight)
      } is above portfolio.maxGross ${p.maxGross}, so it never binds ` +
        `(one name's |w| is at most the book's gross): set maxWeight at most ${p.maxGross}, or leave maxWeight out`,
    );
  }
}

/**
 * The keys of a loaded portfolio that only one setting reads: `varAlpha` (the VaR limit), `brakeScale` and
 * `brakeRecover` (the drawdown brake), `tilt` (the tilt method), `kellyFraction` and `longOnly` (the kelly
 * method), `topK` and `nDrop` (the ranking methods, topk-dropout and long-short), `minEdge` (every method but
 * tilt).
 */
function portfolioReaders(p: Config["portfolio"]): UnreadKey[] {
  const risk = p.risk;
  const limits: [keyof PortfolioRiskConfig, keyof PortfolioRiskConfig, string][] = [
    ["varAlpha", "varLimit", "the VaR limit"],
    ["brakeScale", "drawdownBrake", "the drawdown brake"],
    ["brakeRecover", "drawdownBrake", "the drawdown brake"],
  ];
  return [
    // at brakeScale 0 the brake is a stop: a flat book never recovers, so nothing reads a release level
    {
      path: ["portfolio", "risk", "brakeRecover"],
      value: risk.brakeRecover,
      unread: risk.drawdownBrake > 0 && risk.brakeScale === 0,
      reader: "a brake that releases",
      state: "portfolio.risk.brakeScale is 0 (a stop: a flat book cannot recover its drawdown)",
      fix: "brakeScale above 0",
    },
    ...limits.map(([key, limit, reader]) => ({
      path: ["portfolio", "risk", key],
      value: risk[key],
      unread: risk[limit] === 0,
      reader,
      state: `portfolio.risk.${limit} is 0 (off)`,
      fix: limit,
    })),
    // keys only some methods read: the keys, whether this method leaves them unread, who reads them, the fix
    ...([
      [["tilt"], p.method !== "tilt", "the tilt method", "portfolio.method: tilt"],
      // the tilt book holds every tradable name, leaned on the edges' z-scores: no threshold selects names
      [
        ["minEdge"],
        p.method === "tilt",
        "the selecting methods (kelly, topk-dropout, long-short)",
        "portfolio.method: kelly, topk-dropout or long-short",
      ],
      [["kellyFraction", "longOnly"], p.method !== "kelly", "the kelly method", "portfolio.method: kelly"],
      [
        ["topK", "nDrop"],
        p.method === "kelly" || p.method === "tilt",
        "the ranking methods (topk-dropout, long-short)",
        "portfolio.method: topk-dropout or long-short",
      ],
    ] as const).flatMap(([keys, unread, reader, fix]) =>
      keys.map((key) => ({
        path: ["portfolio", key],
        value: p[key],
        unread,
        reader,
        state: `portfolio.method is ${p.method}`,
        fix,
      }))
    ),
  ];
}

/** Loads the defaults, then an optional user file, then overrides (each validated against the defaults). */
export async function loadConfig(opts: ConfigSources = {}): Promise<Config> {
  return (await loadConfigWithNotes(opts)).config;
}

/**
 * Refuses (a `ConfigError` naming `where`, the flag or config key) a symbol published after the 16:00 close, such
 * as `^VIX` at 16:15: no decision at the close can see it, so it is market context, never a traded symbol.
 */
export function checkTradable(sym: string, where: string): void {
  const delay = publicationDelay(sym);
  if (delay) {
    throw new ConfigError(
      `${where}: ${sym} is published ${
        delay / 60_000
      } min after the close: no decision at the close can see it, so it cannot be traded (it is market context)`,
    );
  }
}

/**
 * `source.from`/`source.to` are calendar dates, `source.symbols` valid, tradable and listed once (in any case);
 * returns the symbols in their one spelling and what was renamed.
 */
function checkSourceValues(c: Config, where: string): ReturnType<typeof normalizeSymbols> {
  for (const [k, v] of [["source.from", c.source.from], ["source.to", c.source.to]] as const) {
    if (v !== null && (typeof v !== "string" || !isCalendarDate(v))) {
      throw new ConfigError(`${where}${k}: expected YYYY-MM-DD (a calendar date), got ${shown(v)}`);
    }
  }
  c.source.symbols.forEach((sym, i) => {
    checkSymbol(sym, `${where}source.symbols[${i}]`);
    checkTradable(sym, `${where}source.symbols[${i}]`);
  });
  return normalizeSymbols(c.source.symbols, `${where}source.symbols`, ConfigError);
}

/**
 * {@linkcode loadConfig}, with what loading changed in what the user wrote, one line each, for a CLI to print
 * (`symbols: spy is SPY (...)`; empty when nothing changed). The notes stay out of the config, so the same
 * effective config is the same config (its hash names model versions).
 */
export async function loadConfigWithNotes(
  opts: ConfigSources = {},
): Promise<{ config: Config; notes: string[] }> {
  const defaults = parseYamlText(
    await Deno.readTextFile(opts.defaultsFile ?? DEFAULT_PATH),
    "config/default.yaml",
  );
  let cfg = defaults;
  let fileCfg: unknown = defaults;
  let fileRefit: unknown;
  let userTree: unknown;
  if (opts.file !== undefined) {
    // an empty path names no file: refused, never read as "no --config" (the defaults would run unannounced)
    if (opts.file.trim() === "") {
      throw new ConfigError("config file (--config): empty path (name a YAML file)");
    }
    let text: string;
    try {
      // a FIFO or a device would block the read forever: only a regular file is a config file
      if (!(await Deno.stat(opts.file)).isFile) throw new Error("not a regular file");
      text = await Deno.readTextFile(opts.file);
    } catch (e) {
      throw new ConfigError(`cannot read config file ${opts.file}: ${(e as Error).message}`, { cause: e });
    }
    const user = parseYamlText(text, opts.file);
    userTree = user;
    fileRefit = walkForwardOf(user)?.refitEvery;
    // the defaults' own value, copied into a file, asks for nothing (config/default.yaml itself loads as a file)
    if (fileRefit === walkForwardOf(defaults)?.refitEvery) fileRefit = undefined;
    // a file that is no mapping (a top-level list) is named: "config root" said nothing of where
    cfg = mergeChecked(cfg, user, "", { where: "config ", root: `config ${opts.file}` });
    fileCfg = cfg;
    // the file's own dates and symbols, as it has them: a wrong one is refused even when a flag replaces it (the
    // next run without the flag would read it); unreplaced, the checks below name them as before
    const over = (opts.overrides as { source?: Record<string, unknown> } | undefined)?.source ?? {};
    if (["from", "to", "symbols"].some((k) => over[k] !== undefined)) {
      checkSourceValues(cfg as Config, `config ${opts.file}: `);
    }
  }
  if (opts.overrides) cfg = mergeChecked(cfg, opts.overrides, "", { where: "config " });
  const c = cfg as Config;
  checkRefitEvery(c, fileRefit, opts);
  // one spelling from here on: the research run, the daily run and collect store and look up the same symbol
  // (a symbol listed twice in any case is refused: the sources match symbols regardless of case)
  const { symbols, renamed } = checkSourceValues(c, "config ");
  if (c.source.from && c.source.to && c.source.from > c.source.to) {
    throw new ConfigError(`empty date range: source.from ${c.source.from} is after source.to ${c.source.to}`);
  }
  for (const [k, v] of [["dataDir (--store-dir)", c.dataDir], ["reportDir", c.reportDir]] as const) {
    if (v.trim() === "") throw new ConfigError(`config ${k}: empty path (name a folder)`);
  }
  // an empty path is refused, never read as "unset" (the fixed symbol list, no CSV folder)
  if (c.source.csvDir !== null && c.source.csvDir.trim() === "") {
    throw new ConfigError("config source.csvDir (--data-dir): empty path (name a folder)");
  }
  if (c.source.universe !== null && c.source.universe.trim() === "") {
    throw new ConfigError("config source.universe (--universe): empty path (name a membership CSV file)");
  }
  c.source.newsFiles.forEach((f, i) => {
    if (typeof f !== "string" || f.trim() === "") {
      throw new ConfigError(
        `config source.newsFiles[${i}] (--news-file): expected a file path, got ${shown(f)}`,
      );
    }
  });
  if (c.source.newsFiles.length && c.source.kind !== "csv") {
    throw new ConfigError(
      `source.newsFiles (--news-file) is read only by the csv source, and source.kind is ${c.source.kind} (--source)`,
    );
  }
  if (c.source.kind === "csv" && !c.source.csvDir) {
    throw new ConfigError("source.kind csv needs source.csvDir (--data-dir)");
  }
  if (c.source.kind !== "csv" && c.source.csvDir !== null) {
    throw new ConfigError(
      `source.csvDir (--data-dir) is read only by the csv source, and source.kind is ${c.source.kind} (--source)`,
    );
  }
  const p = c.production;
  retrainWindow(p.retrain.window);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(p.model)) {
    throw new ConfigError(`config production.model: bad name ${p.model}`);
  }
  if (!(p.drift.psiFail >= p.drift.psiWarn)) {
    throw new ConfigError("config production.drift: need psiWarn <= psiFail");
  }
  if (p.freshness.failSessions < p.freshness.warnSessions) {
    throw new ConfigError("config production.freshness: failSessions must be >= warnSessions");
  }
  for (const k of ["train", "valid", "test"] as const) {
    const v = c.dataset.segments[k];
    if (v !== null) dateRange(v, `dataset.segments.${k}`);
  }
  if (c.dataset.walkForward.mode !== "off" && c.dataset.embargo > 0) {
    throw new ConfigError(
      "config dataset.embargo must be 0 with walkForward (it would drop the first sessions of every test slice)",
    );
  }
  parseModelRef(c.news.model);
  c.source.symbols = symbols;
  const mk = c.source.market;
  if (mk.vix !== null && mk.index === null) {
    throw new ConfigError(
      "config source.market.vix needs source.market.index (the VIX is joined on the index's sessions)",
    );
  }
  // one series as both (in any case) would be joined twice, the index taken for the VIX
  const twice = mk.index !== null && mk.vix !== null &&
    repeatedSymbol([mk.index, mk.vix], "config source.market");
  if (twice) throw new ConfigError(twice);
  for (const k of ["index", "vix"] as const) {
    const v = mk[k];
    if (v === null) continue;
    checkSymbol(v, `config source.market.${k}`);
    if (v !== v.toUpperCase()) renamed.push(`${v} is ${v.toUpperCase()}`);
    mk[k] = v.toUpperCase();
  }
  if (mk.index !== null && publicationDelay(mk.index)) {
    throw new ConfigError(
      `config source.market.index: ${mk.index} is published after the close, so no decision at the close sees ` +
        `it; the index must print at the close (a volatility index goes in source.market.vix)`,
    );
  }
  const note = renamed.length ? `symbols: ${renamed.join(", ")} (symbols are upper case, as collected)` : "";
  const risk = c.portfolio.risk;
  const file = userFile(opts.file, userTree, defaults);
  refuseUnreadKeys(file, opts.overrides, unreadKeys(c), unreadKeys(fileCfg as Config));
  refuseSlackLimits(c.portfolio, file, opts.overrides);
  if (c.dataset.trainFrac + c.dataset.validFrac >= 1) {
    throw new ConfigError("config dataset: trainFrac + validFrac must leave room for a test segment");
  }
  if (risk.brakeRecover > 0 && risk.brakeRecover > risk.drawdownBrake) {
    throw new ConfigError(
      `config portfolio.risk.brakeRecover: ${risk.brakeRecover} is above drawdownBrake ${risk.drawdownBrake} ` +
        "(the brake releases once the drawdown is back under brakeRecover)",
    );
  }
  return { config: c, notes: note ? [note] : [] };
}

/** The system spec a config describes (lib/workflow). */
export function specFromConfig(c: Config): SystemSpec {
  return makeSpec({
    dataset: {
      neutralK: c.dataset.neutralK,
      labelHorizon: LABEL_HORIZON,
      purge: c.dataset.purge,
      embargo: c.dataset.embargo,
      innerFrac: c.dataset.innerFrac,
    },
    experts: { trend: [...c.models.trend], use: [...c.models.experts], volatility: "garch11" },
    portfolio: (({ risk, tilt, rebalance, ...p }) => {
      const limits = riskLimitsOf(risk);
      // the tilt enters the spec only with its method, a partial rebalance only when set: the specs (and version
      // hashes) that use neither are unchanged
      return {
        ...p,
        ...(p.method === "tilt" ? { tilt } : {}),
        ...(rebalance < 1 ? { rebalance } : {}),
        ...(limits ? { risk: limits } : {}),
      };
    })(c.portfolio),
    // the capital enters the spec only when it is not the default: the specs (and version hashes) are unchanged
    costs: {
      costBps: c.backtest.costBps,
      impact: c.backtest.impact,
      ...(c.backtest.capital !== DEFAULT_CAPITAL ? { capital: c.backtest.capital } : {}),
    },
    walkForward: { ...c.dataset.walkForward },
    seed: c.models.seed,
  });
}

/** The segments a config asks for: its date ranges, else its fractions. */
export function segmentChoice(c: Config): SegmentChoice {
  const r = (k: "train" | "valid" | "test") => {
    const v = c.dataset.segments[k];
    return v === null ? null : dateRange(v, `dataset.segments.${k}`);
  };
  return {
    train: r("train"),
    valid: r("valid"),
    test: r("test"),
    trainFrac: c.dataset.trainFrac,
    validFrac: c.dataset.validFrac,
  };
}
