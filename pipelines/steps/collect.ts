/**
 * Step 1, collect: a source's bars, corporate actions and news into the stores. Everything is fetched and
 * validated before anything is written; each kind is written in one all-or-nothing upsert, so a failed run
 * leaves nothing partial and a re-run adds nothing.
 * @module
 */
import {
  type Bar,
  ConfigError,
  type CorporateAction,
  fewOf,
  type IsoDate,
  type NewsItem,
  publicationDelay,
  type UniverseMember,
} from "@lib/core/mod.ts";
import { type BarRequest, type CsvLoadReport, type MarketSource, readUniverseCsv } from "@lib/sources/mod.ts";
import { actionToRow, barToRow, memberToRow, type Stores } from "@lib/store/mod.ts";
import { ensureTables, NEWS_COLLECTION, newsToDoc } from "../collect/mod.ts";
import type { Progress } from "../progress.ts";
import { basename } from "node:path";

/**
 * The symbols a run trades: the configured ones, else every symbol the source lists less those published after
 * the close (`leftOut`: `^VIX` and the other volatility indexes, market context that no decision at the close can
 * see; {@link leftOutNote} says so in the run's notes).
 */
export async function sourceSymbols(
  configured: readonly string[],
  source: MarketSource,
): Promise<{ symbols: string[]; leftOut: string[] }> {
  if (configured.length) return { symbols: [...configured], leftOut: [] };
  const listed = (await source.listSymbols?.()) ?? [];
  return {
    symbols: listed.filter((s) => !publicationDelay(s)),
    leftOut: listed.filter((s) => publicationDelay(s) > 0),
  };
}

/** What a run trades: its symbols and, for a point-in-time universe, the membership spells that bound them. */
export interface RunUniverse {
  symbols: string[];
  /** Spells of the point-in-time universe that meet the run's dates (empty for a fixed universe). */
  members: UniverseMember[];
  /** The universe's name (its file name without `.csv`); unset for a fixed universe. */
  universe?: string;
  /** Listed symbols left out (see {@link sourceSymbols}). */
  leftOut: string[];
}

/**
 * The universe of a run over `[from, to]`, the same for the research run and the daily run: with
 * `source.universe`, the membership spells of that file that meet the dates (a member published after the
 * close is a one-line `ConfigError`: the user's own list is refused, not edited), and its members as the
 * symbols unless `source.symbols` names some of them (one that is never a member then is refused: it would have
 * no rows); else (`source.universe` null) {@link sourceSymbols}.
 */
export async function runUniverse(
  conf: { symbols: readonly string[]; universe: string | null },
  source: MarketSource,
  from: IsoDate,
  to: IsoDate,
): Promise<RunUniverse> {
  // only null means "no universe": an empty path is read (and refused), never taken for the fixed list
  if (conf.universe === null) return { ...await sourceSymbols(conf.symbols, source), members: [] };
  const universe = conf.universe.replace(/^.*\//, "").replace(/\.csv$/i, "");
  const members = (await readUniverseCsv(conf.universe, universe))
    .filter((m) => m.from <= to && (m.to === null || m.to >= from));
  if (!members.length) {
    throw new ConfigError(`source.universe ${conf.universe}: no membership spell meets ${from}..${to}`);
  }
  const late = members.find((m) => publicationDelay(m.symbol) > 0);
  if (late) {
    throw new ConfigError(
      `source.universe ${conf.universe}: ${late.symbol} is published after the close, so it cannot be traded`,
    );
  }
  const listed = new Set(members.map((m) => m.symbol));
  const outside = conf.symbols.filter((s) => !listed.has(s));
  if (outside.length) {
    throw new ConfigError(
      `source.symbols ${
        outside.join(", ")
      }: not a member of source.universe ${conf.universe} in ${from}..${to}` +
        ` (the universe bounds the symbols; leave source.symbols empty to trade its members)`,
    );
  }
  const symbols = conf.symbols.length ? [...conf.symbols] : [...listed].sort();
  return { symbols, members, universe, leftOut: [] };
}

/** The symbols of `u` that are members on `date` (all of them for a fixed universe). */
export function membersOn(u: Pick<RunUniverse, "symbols" | "members">, date: IsoDate): string[] {
  if (!u.members.length) return u.symbols;
  const on = new Set(
    u.members.filter((m) => m.from <= date && (m.to === null || m.to >= date)).map((m) => m.symbol),
  );
  return u.symbols.filter((s) => on.has(s));
}

/** The note naming what {@link sourceSymbols} left out ("" when nothing). */
export function leftOutNote(leftOut: readonly string[]): string {
  return leftOut.length
    ? `left out of the source's symbols: ${
      leftOut.join(", ")
    } (published after the close, so not tradable at ` +
      `the decision time; market context only)`
    : "";
}

/** What a collect run did. */
export interface CollectResult {
  source: string;
  symbols: string[];
  from: string;
  to: string;
  bars: number;
  barsInserted: number;
  actions: number;
  news: number;
  newsInserted: number;
  /** Membership spells of a point-in-time universe written (0 for a fixed universe). */
  members: number;
}

/** Everything fetched from a source for one request, validated, not yet stored. */
export interface Fetched {
  source: string;
  req: BarRequest;
  bars: Map<string, Bar[]>;
  actions: CorporateAction[];
  news: NewsItem[];
  /** Membership spells of a point-in-time universe (empty for a fixed universe). */
  members: UniverseMember[];
}

/** Fetches bars (+ actions and news when the source has them); throws before anything is written. */
export async function fetchAll(
  source: MarketSource,
  req: BarRequest,
  members: UniverseMember[] = [],
): Promise<Fetched> {
  const bars = await source.bars(req);
  const actions = source.actions ? await source.actions(req) : [];
  const news = source.news ? await source.news(req) : [];
  return { source: source.name, req, bars, actions, news, members };
}

/** The sessions the fetched bars cover (all symbols together), ascending. */
export function fetchedSessions(f: Fetched): string[] {
  const set = new Set<string>();
  for (const list of f.bars.values()) for (const b of list) set.add(b.date);
  return [...set].sort();
}

/**
 * One line on what the source read and left out (a CSV source's skipped and repaired rows and ignored files),
 * or "" when there is nothing to say: nothing is dropped without a word.
 */
export function inputNote(source: MarketSource, scope?: BarRequest): string {
  const full = (source as { report?: () => CsvLoadReport }).report?.();
  if (!full) return "";
  // with a scope: the skipped and repaired rows of the requested symbols (in any case) in [from, to]; the rows
  // read and the ignored files stay per file
  const symbols = new Set(scope?.symbols.map((s) => s.toUpperCase()));
  const asked = (x: { symbol: string; date: string }) =>
    !scope || (symbols.has(x.symbol.toUpperCase()) && x.date >= scope.from && x.date <= scope.to);
  const rep = {
    ...full,
    skipped: full.skipped.filter(asked),
    repaired: full.repaired.filter(asked),
    suspect: full.suspect.filter(asked),
  };
  const parts = [`${rep.rows} rows read from ${rep.files.length} file${rep.files.length === 1 ? "" : "s"}`];
  const reasons = (list: { reason: string }[]) => {
    const by = new Map<string, number>();
    for (const x of list) {
      by.set(x.reason.replace(/[\d.]+/g, "N"), (by.get(x.reason.replace(/[\d.]+/g, "N")) ?? 0) + 1);
    }
    return [...by].map(([r, n]) => `${n} ${r}`).join(", ");
  };
  if (rep.skipped.length) parts.push(`${rep.skipped.length} skipped (${reasons(rep.skipped)})`);
  if (rep.repaired.length) parts.push(`${rep.repaired.length} repaired (${reasons(rep.repaired)})`);
  if (rep.ignored.length) {
    parts.push(`ignored: ${rep.ignored.map((f) => `${f.file} (${f.reason})`).join(", ")}`);
  }
  // what --strict refuses is said beside it: the prices' skipped, repaired and ignored, the news' skipped rows
  // (not the news dated by day or month only, which it takes)
  if (rep.skipped.length || rep.repaired.length || rep.ignored.length) {
    parts[parts.length - 1] += " (--strict refuses these)";
  }
  // kept as the file has them (a real move may be this large), but named: a bad price moves every feature
  if (rep.suspect.length) {
    const named = rep.suspect.map((x) => `${x.symbol} ${x.date} ${x.reason.replace(/^close /, "")}`);
    parts.push(
      `${rep.suspect.length} suspect price${rep.suspect.length === 1 ? "" : "s"} kept as the file has ` +
        `${rep.suspect.length === 1 ? "it" : "them"} (${fewOf(named, 5, "; ")})`,
    );
  }
  const n = rep.news;
  if (n) {
    parts.push(
      `news: ${n.rows} rows read from ${n.files.length} file${
        n.files.length === 1 ? "" : "s"
      }, ${n.items} items` +
        (n.marketWide
          ? `, ${n.marketWide} market-wide (from ${n.marketWideFiles.map((f) => basename(f)).join(", ")})`
          : "") +
        (n.duplicates ? `, ${n.duplicates} repeated rows merged` : "") +
        (n.dateOnly ? `, ${n.dateOnly} dated by day only (taken as after that day's close)` : "") +
        (n.monthOnly ? `, ${n.monthOnly} dated by month only (taken as after that month's last day)` : "") +
        (n.skipped.length
          ? `, ${n.skipped.length} skipped (${reasons(n.skipped)}; --strict refuses these)`
          : ""),
    );
  }
  return `input: ${parts.join("; ")}`;
}

/** Writes what was fetched: one all-or-nothing upsert per kind. */
export async function storeFetched(f: Fetched, stores: Stores, progress?: Progress): Promise<CollectResult> {
  await ensureTables(stores);
  const rows = [];
  for (const list of f.bars.values()) for (const b of list) rows.push(barToRow(b));
  const barRes = await stores.tables.upsert("bars", rows);
  if (f.actions.length) await stores.tables.upsert("corporate_actions", f.actions.map(actionToRow));
  const newsRes = f.news.length
    ? await stores.documents.upsert(NEWS_COLLECTION, f.news.map(newsToDoc))
    : { inserted: 0, updated: 0 };
  if (f.members.length) await stores.tables.upsert("universe_membership", f.members.map(memberToRow));
  progress?.note(
    `${rows.length} bars (${barRes.inserted} new) for ${f.bars.size} symbols, ${f.actions.length} actions, ` +
      `${f.news.length} news (${newsRes.inserted} new)`,
  );
  return {
    source: f.source,
    symbols: [...f.bars.keys()],
    from: f.req.from,
    to: f.req.to,
    bars: rows.length,
    barsInserted: barRes.inserted,
    actions: f.actions.length,
    news: f.news.length,
    newsInserted: newsRes.inserted,
    members: f.members.length,
  };
}

/** Collects bars (+ actions and news when the source has them) for `req` into `stores`. */
export async function collect(
  source: MarketSource,
  stores: Stores,
  req: BarRequest,
  progress?: Progress,
): Promise<CollectResult> {
  const done = progress?.start(`collect (${source.name})`);
  const fetched = await fetchAll(source, req);
  const out = await storeFetched(fetched, stores, progress);
  done?.();
  return out;
}
