/**
 * The point-in-time dataset builder: features (the feature set, fed the as-of market context; plus news, extra
 * and cross-sectional rank columns) for every (symbol, session), labels, and protocol segments with
 * purge/embargo.
 *
 * Enforced in code: every record joined into row `i` has `knownAt <= decisionTime[i]` (bars, market values,
 * news, extra records); every feature function passes `assertNoLookahead` on a sample series; `purge` covers
 * the label horizon, and any label of a train or validation row that would still read a later segment (longer
 * horizons, or a symbol's own trading gap across a boundary) is blanked (-1/NaN) (a purged row, in no segment,
 * keeps its labels: nothing fits or scores on it), as is one whose horizon spans bars missing from its symbol
 * (sessions the other symbols traded: a "next-day" return over a hole is several sessions'), except
 * `fwdOpenReturn`, what a held position earns: across a hole it runs from the symbol's next bar's open to the
 * one after, so a book counts every move of the symbol once. A breach throws `LookaheadError`.
 * @module
 */
import {
  closeTime,
  type CorporateAction,
  DataValidationError,
  type Instant,
  type IsoDate,
  type Known,
  LookaheadError,
  type NewsItem,
  type UniverseMember,
} from "../core/mod.ts";
import {
  computeFeatures,
  crossSectionalRank,
  DEFAULT_FEATURE_SET,
  type FeatureSet,
  type MarketContext,
} from "../features/mod.ts";
import { asOfIndex, newsByDecision } from "./asof.ts";
import { DEFAULT_NEUTRAL_K, LABEL_HORIZONS, seriesLabels } from "./labels.ts";
import { assertFeatureSetNoLookahead } from "./lookahead.ts";
import { sessionCalendar } from "./rows.ts";
import { assignSegments, validateSegments } from "./segments.ts";
import { cloneSeries, forwardAdjust, labelPrices } from "./series.ts";
import { windowView } from "./windows.ts";
import {
  type Dataset,
  type Labels,
  type MarketInput,
  Segment,
  type SegmentSpec,
  type SymbolSeries,
} from "./types.ts";

/** A numeric record for an extra feature column (a filing field, an implied volatility...). */
export interface ExtraRecord extends Known {
  symbol: string;
  value: number;
  /** The session the caller assigns it to; its `knownAt` must be <= that session's decision time. */
  date?: IsoDate;
}

/** An extra feature column, filled per row with the latest record known at the decision time. */
export interface ExtraColumn {
  name: string;
  records: ExtraRecord[];
}

/** Input of `buildDataset`. */
export interface BuildDatasetInput {
  /** Bars per symbol (raw prices when `actions` are given). */
  series: Map<string, SymbolSeries>;
  /** Default `DEFAULT_FEATURE_SET`. */
  featureSet?: FeatureSet;
  /**
   * News; adds `news_count_1`, `news_sent_1`, `news_count_5`, `news_sent_decay` from the items about each row's
   * symbol (present even when empty). Items without symbols (market-wide news) count only for `marketNews`.
   */
  news?: readonly NewsItem[];
  /**
   * Also add `mkt_news_count_1`, `mkt_news_sent_1`, `mkt_news_count_5`, `mkt_news_sent_decay` to every row: the
   * same four columns from the market-wide items of `news` (those without symbols), under the same decision-time
   * rule (present even when there are none; needs `news`). Decided by the caller from what the run is given.
   */
  marketNews?: boolean;
  /** Splits/dividends: features use `forwardAdjust` (point in time), labels the fully adjusted returns. */
  actions?: readonly CorporateAction[];
  /** Market context, joined as of each row's decision time and passed to the feature functions. */
  market?: MarketInput;
  /** Extra as-of columns. */
  extras?: readonly ExtraColumn[];
  segments: SegmentSpec;
  /** Neutral band of the trend label in units of sigma20 (default 0.25). */
  neutralK?: number;
  /** Horizon (sessions) of the label the models train on; `segments.purge` must be >= it. Default 1. */
  labelHorizon?: number;
  /** Decision time of a session (default: its close). */
  decisionTime?: (date: IsoDate) => Instant;
  /** Features that get a per-day cross-sectional rank column `rank_<name>` (default: up to 4 key ones). */
  rankFeatures?: readonly string[];
  /** Run `assertNoLookahead` on every feature function with the longest series (default true). */
  checkFeatures?: boolean;
  /**
   * Decay per session of `news_sent_decay` (default 0.5) over `newsWindow` sessions (default 5): the symbol's own
   * last rows, so across a hole in its bars the window reaches back past the sessions it did not trade.
   */
  newsDecay?: number;
  newsWindow?: number;
  /**
   * Also make the raw-window view (`windowView`) of this many sessions, running its truncation test on the
   * longest series at build time. Models create it on first use otherwise.
   */
  windowLength?: number;
  /**
   * A point-in-time universe: rows exist only for (symbol, date) inside one of the symbol's membership spells
   * (`to` null = open). Features still use each symbol's whole history. Without it the universe is the fixed
   * list of `series` (survivorship-biased when that list was chosen after the fact).
   */
  membership?: readonly Pick<UniverseMember, "symbol" | "from" | "to">[];
}

/** Dataset plus the builder's bookkeeping. */
export interface BuiltDataset extends Dataset {
  /** Feature names by origin. */
  featureGroups: { base: string[]; news: string[]; extra: string[]; rank: string[] };
  /** Horizon the segments were purged for. */
  labelHorizon: number;
}

/** The columns `marketNews` adds: the news columns of the market-wide items. */
export const MARKET_NEWS_FEATURES = [
  "mkt_news_count_1",
  "mkt_news_sent_1",
  "mkt_news_count_5",
  "mkt_news_sent_decay",
] as const;

const DEFAULT_RANKED = ["ret_1", "ret_5", "ret_20", "vol_20", "rsi_14", "mom_20", "ret_60", "vol_60"];

/** Per-symbol market context by as-of join of each `market` series, by its own publication times. */
function marketFor(
  m: MarketInput,
  mKnown: Float64Array,
  dt: Float64Array,
): { ctx: MarketContext; idx: Int32Array; vixIdx: Int32Array } {
  const n = dt.length, idx = new Int32Array(n), vixIdx = new Int32Array(n).fill(-1);
  const ctx: MarketContext = {};
  if (m.indexClose) ctx.indexClose = new Float64Array(n);
  if (m.vix) ctx.vix = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const k = asOfIndex(mKnown, dt[i]);
    idx[i] = k;
    if (ctx.indexClose) ctx.indexClose[i] = k < 0 ? NaN : m.indexClose![k];
    if (ctx.vix) {
      const v = asOfIndex(m.vixKnownAt!, dt[i]);
      vixIdx[i] = v;
      ctx.vix[i] = v < 0 ? NaN : m.vix![v];
    }
  }
  return { ctx, idx, vixIdx };
}

interface Extra {
  eff: Float64Array;
  known: Float64Array;
  value: Float64Array;
}

function prepareExtras(
  col: ExtraColumn,
  decisionTime: (d: IsoDate) => Instant,
): Map<string, Extra> {
  const groups = new Map<string, ExtraRecord[]>();
  for (const r of col.records) {
    if (typeof r.knownAt !== "number" || Number.isNaN(r.knownAt)) {
      throw new TypeError(`extra ${col.name}: record of ${r.symbol} has no knownAt`);
    }
    if (r.date !== undefined && r.knownAt > decisionTime(r.date)) {
      throw new LookaheadError(
        `extra ${col.name}: record of ${r.symbol} assigned to ${r.date} has knownAt ${
          new Date(r.knownAt).toISOString()
        }, after that session's decision time ${new Date(decisionTime(r.date)).toISOString()}`,
      );
    }
    let g = groups.get(r.symbol);
    if (!g) groups.set(r.symbol, g = []);
    g.push(r);
  }
  const out = new Map<string, Extra>();
  for (const [sym, recs] of groups) {
    const eff = recs.map((
      r,
    ) => (r.date !== undefined ? Math.max(r.knownAt, decisionTime(r.date)) : r.knownAt));
    const order = recs.map((_, i) => i).sort((a, b) => eff[a] - eff[b] || a - b);
    out.set(sym, {
      eff: Float64Array.from(order, (i) => eff[i]),
      known: Float64Array.from(order, (i) => recs[i].knownAt),
      value: Float64Array.from(order, (i) => recs[i].value),
    });
  }
  return out;
}

function iso(t: number): string {
  return Number.isFinite(t) ? new Date(t).toISOString() : String(t);
}

/**
 * Builds the point-in-time dataset. Rows are every (symbol, session) inside `[train start, test end]` whose
 * feature columns are all finite (warm-up dropped), in input symbol order then date order. Throws
 * `LookaheadError` when a record would reach a row before it was known, when a feature function looks ahead,
 * or when `segments.purge < labelHorizon`.
 */
export function buildDataset(input: BuildDatasetInput): BuiltDataset {
  const spec = input.segments;
  validateSegments(spec);
  const featureSet = input.featureSet ?? DEFAULT_FEATURE_SET;
  const labelHorizon = input.labelHorizon ?? 1;
  const neutralK = input.neutralK ?? DEFAULT_NEUTRAL_K;
  if (!(Number.isInteger(labelHorizon) && labelHorizon >= 1)) {
    throw new RangeError("labelHorizon must be >= 1");
  }
  if (spec.purge < labelHorizon) {
    throw new LookaheadError(
      `purge ${spec.purge} < label horizon ${labelHorizon}: labels at the end of a segment would read the next one`,
    );
  }
  const userDt = input.decisionTime ?? closeTime;
  const dtCache = new Map<IsoDate, number>();
  const decisionTime = (d: IsoDate): number => {
    let v = dtCache.get(d);
    if (v === undefined) dtCache.set(d, v = userDt(d));
    return v;
  };

  // ---- calendar and segments ----
  const allDates = sessionCalendar(input);
  const nDays = allDates.length;
  const dayOf = new Map<IsoDate, number>();
  for (let i = 0; i < nDays; i++) dayOf.set(allDates[i], i);
  const { code: dayCode, inRange } = assignSegments(allDates, spec);
  const dayDt = new Float64Array(nDays);
  for (let i = 0; i < nDays; i++) dayDt[i] = decisionTime(allDates[i]);
  const validStart = spec.valid[0], testStart = spec.test[0];

  // ---- market ----
  let mKnown: Float64Array | undefined;
  const m = input.market;
  if (m) {
    const len = m.dates.length;
    const series = [
      ["indexClose", m.indexClose],
      ["vix", m.vix],
      ["knownAt", m.knownAt],
      ["vixKnownAt", m.vixKnownAt],
    ] as const;
    for (const [k, v] of series) {
      if (v && v.length !== len) throw new RangeError(`market.${k} has ${v.length} values for ${len} dates`);
    }
    if (m.vix && !m.vixKnownAt) {
      throw new TypeError(
        "market.vix needs market.vixKnownAt: every context series needs its publication times",
      );
    }
    mKnown = m.knownAt ? m.knownAt : Float64Array.from(m.dates, (d) => decisionTime(d));
    for (let i = 1; i < len; i++) {
      if (
        !(m.dates[i] > m.dates[i - 1]) || mKnown[i] < mKnown[i - 1] ||
        (m.vixKnownAt && m.vixKnownAt[i] < m.vixKnownAt[i - 1])
      ) {
        throw new RangeError("market dates and knownAt must be ascending");
      }
    }
  }

  // ---- news ----
  const news = input.news ? newsByDecision(input.news, allDates, decisionTime) : undefined;
  const newsWindow = input.newsWindow ?? 5, newsDecay = input.newsDecay ?? 0.5;
  const extras = (input.extras ?? []).map((c) => ({ name: c.name, bySym: prepareExtras(c, decisionTime) }));

  // ---- feature names ----
  const base = featureSet.features.map((f) => f.name);
  if (input.marketNews && !news) throw new RangeError("marketNews needs news");
  const newsNames = news ? ["news_count_1", "news_sent_1", "news_count_5", "news_sent_decay"] : [];
  if (input.marketNews) newsNames.push(...MARKET_NEWS_FEATURES);
  const extraNames = extras.map((e) => e.name);
  const pre = [...base, ...newsNames, ...extraNames];
  const rankSrc = (input.rankFeatures ?? DEFAULT_RANKED.filter((n) => base.includes(n)).slice(0, 4)).slice();
  for (const r of rankSrc) if (!pre.includes(r)) throw new RangeError(`rank feature ${r} is not a feature`);
  const rankNames = rankSrc.map((r) => `rank_${r}`);
  const featureNames = [...pre, ...rankNames];
  if (new Set(featureNames).size !== featureNames.length) throw new RangeError("duplicate feature names");
  const nPre = pre.length, F = featureNames.length;

  // ---- day index of every bar; upper bound of the row count ----
  const dayIdx: Int32Array[] = [];
  let maxRows = 0;
  for (const [name, raw] of input.series) {
    if (raw.symbol !== name) throw new RangeError(`series ${raw.symbol} filed under ${name}`);
    const n = raw.dates.length, day = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const d = dayOf.get(raw.dates[i])!;
      day[i] = d;
      if (i > 0 && !(d > day[i - 1])) throw new RangeError(`${name}: dates not strictly ascending`);
      maxRows += inRange[d];
    }
    dayIdx.push(day);
  }

  // ---- outputs, preallocated at the upper bound and trimmed at the end ----
  const X = new Float64Array(maxRows * F);
  const symbol = new Array<string>(maxRows), date = new Array<IsoDate>(maxRows);
  const decisionTimes = new Float64Array(maxRows), seriesIndex = new Int32Array(maxRows);
  const segment = new Uint8Array(maxRows), rowDay = new Int32Array(maxRows);
  const trend = new Int8Array(maxRows), fwdReturn = new Float64Array(maxRows);
  const fwdOpenReturn = new Float64Array(maxRows), fwdVar1 = new Float64Array(maxRows);
  const fwdVar5 = new Float64Array(maxRows), fwdVar22 = new Float64Array(maxRows);
  const H = LABEL_HORIZONS;
  const series = new Map<string, SymbolSeries>();
  const everFinite = new Uint8Array(nPre);
  // every feature function must pass the truncation test on the longest series (before any row is written)
  if (input.checkFeatures !== false && input.series.size > 0) {
    let longest: SymbolSeries | undefined, li = 0, k = 0;
    for (const sr of input.series.values()) {
      if (!longest || sr.dates.length > longest.dates.length) (longest = sr, li = k);
      k++;
    }
    const ldt = Float64Array.from(dayIdx[li], (d) => dayDt[d]);
    const ctx = m ? marketFor(m, mKnown!, ldt).ctx : undefined;
    assertFeatureSetNoLookahead(featureSet, longest!, { trials: 4, ctx });
  }
  let r = 0, anyInRange = false, sIdx = 0;
  const spells = input.membership ? spellsBySymbol(input.membership) : undefined;

  // ---- one pass per symbol: adjust, check bars, join, compute features, write rows and labels ----
  for (const [name, raw] of input.series) {
    const day = dayIdx[sIdx++];
    const actions = input.actions?.filter((a) => a.symbol === name) ?? [];
    const s = actions.length ? forwardAdjust(raw, actions, decisionTime) : raw;
    const n = s.dates.length;
    const dt = new Float64Array(n);
    const known = raw.knownAt;
    for (let i = 0; i < n; i++) {
      dt[i] = dayDt[day[i]];
      if (known && known[i] > dt[i]) {
        throw new LookaheadError(
          `${name} bar ${s.dates[i]} has knownAt ${iso(known[i])}, after its decision time ${iso(dt[i])}`,
        );
      }
    }
    const mk = m ? marketFor(m, mKnown!, dt) : undefined;
    if (mk) {
      for (let i = 0; i < n; i++) {
        const k = mk.idx[i], v = mk.vixIdx[i];
        if (k >= 0 && mKnown![k] > dt[i]) {
          throw new LookaheadError(`market value of ${m!.dates[k]} joined early`);
        }
        if (v >= 0 && m!.vixKnownAt![v] > dt[i]) {
          throw new LookaheadError(
            `VIX of ${m!.dates[v]} (public ${iso(m!.vixKnownAt![v])}) joined at ${iso(dt[i])}`,
          );
        }
      }
    }
    const cols = computeFeatures(featureSet, s, mk?.ctx);
    for (let f = 0; f < cols.length; f++) {
      if (cols[f].length !== n) {
        throw new RangeError(`feature ${base[f]} returned ${cols[f].length} values for ${n}`);
      }
    }
    if (news) cols.push(...newsColumns(news, name, day, dt, newsWindow, newsDecay));
    // market-wide items are under "" (newsByDecision); a symbol's rows get them by the same carry-forward rule
    if (news && input.marketNews) cols.push(...newsColumns(news, "", day, dt, newsWindow, newsDecay));
    for (const e of extras) cols.push(extraColumn(e.name, e.bySym.get(name), dt, name));

    // labels (look ahead by design) on total-return prices: the fully adjusted series when actions are given,
    // else the vendor's adjusted closes when the source has them
    const lab = seriesLabels(labelPrices(raw, actions), neutralK);
    // first index of this symbol in the valid / test segments: a label may not read it or anything later
    let vIdx = 0, tIdx = 0;
    while (vIdx < n && s.dates[vIdx] < validStart) vIdx++;
    while (tIdx < n && s.dates[tIdx] < testStart) tIdx++;

    const mine = spells?.get(name) ?? (spells ? [] : undefined);
    for (let i = 0; i < n; i++) {
      const d = day[i];
      if (!inRange[d]) continue;
      if (mine && !mine.some(([a, b]) => s.dates[i] >= a && s.dates[i] <= b)) continue; // not a member that day
      anyInRange = true;
      const b = r * F;
      let ok = true;
      for (let f = 0; f < nPre; f++) {
        const v = cols[f][i];
        X[b + f] = v;
        if (v - v === 0) everFinite[f] = 1;
        else ok = false;
      }
      if (!ok) continue; // the next row overwrites this one
      symbol[r] = name;
      date[r] = s.dates[i];
      decisionTimes[r] = dt[i];
      seriesIndex[r] = i;
      rowDay[r] = d;
      const code = dayCode[d];
      segment[r] = code;
      const lim = code === Segment.TRAIN ? vIdx : code === Segment.VALID ? tIdx : n;
      // a label whose `h` bars span bars missing from this symbol (sessions the others traded) would read several
      // sessions as `h`: blanked, as one that reads a later segment
      const no = (h: number) => i + h >= lim || (i + h < n && day[i + h] - d !== h);
      trend[r] = no(H.trend) ? -1 : lab.trend[i];
      fwdReturn[r] = no(H.fwdReturn) ? NaN : lab.fwdReturn[i];
      // what a held position earns is booked across a hole, from the symbol's next bar to the one after (every
      // move once; blanked, the moves around a hole were lost to every book, buy-and-hold included)
      fwdOpenReturn[r] = i + H.fwdOpenReturn >= lim ? NaN : lab.fwdOpenReturn[i];
      fwdVar1[r] = no(H.fwdVar1) ? NaN : lab.fwdVar1[i];
      fwdVar5[r] = no(H.fwdVar5) ? NaN : lab.fwdVar5[i];
      fwdVar22[r] = no(H.fwdVar22) ? NaN : lab.fwdVar22[i];
      r++;
    }
    let last = n;
    while (last > 0 && s.dates[last - 1] > spec.test[1]) last--;
    series.set(name, last === n ? s : cloneSeries(s, last));
  }

  if (anyInRange) {
    const never = pre.filter((_, f) => !everFinite[f]);
    if (never.length) {
      // a data problem the user can fix (no row could be built), not a bug
      const volume = never.filter((f) => /volume/.test(f));
      throw new DataValidationError(
        `features never finite in the segments: ${never.join(", ")} (` +
          (volume.length
            ? "a volume of 0 or one value throughout, as an index's before its volume was recorded (^GSPC's " +
              "before 1950): choose dates or symbols with a traded volume"
            : "missing market context or too little history?") +
          ")",
      );
    }
  }
  const total = r;
  symbol.length = total;
  date.length = total;
  const labels: Labels = {
    trend: trend.subarray(0, total),
    fwdReturn: fwdReturn.subarray(0, total),
    fwdOpenReturn: fwdOpenReturn.subarray(0, total),
    fwdVar1: fwdVar1.subarray(0, total),
    fwdVar5: fwdVar5.subarray(0, total),
    fwdVar22: fwdVar22.subarray(0, total),
  };

  // ---- cross-sectional ranks ----
  for (let k = 0; k < rankSrc.length; k++) {
    const src = pre.indexOf(rankSrc[k]);
    const v = new Float64Array(total);
    for (let i = 0; i < total; i++) v[i] = X[i * F + src];
    const rk = crossSectionalRank(v, rowDay.subarray(0, total));
    const dst = nPre + k;
    for (let i = 0; i < total; i++) X[i * F + dst] = rk[i];
  }

  const built: BuiltDataset = {
    featureSet: { name: featureSet.name, version: featureSet.version },
    featureNames,
    n: total,
    X: X.subarray(0, total * F),
    symbol,
    date,
    decisionTime: decisionTimes.subarray(0, total),
    seriesIndex: seriesIndex.subarray(0, total),
    segment: segment.subarray(0, total),
    segments: { ...spec, train: [...spec.train], valid: [...spec.valid], test: [...spec.test] },
    labels,
    series,
    featureGroups: { base, news: newsNames, extra: extraNames, rank: rankNames },
    labelHorizon,
    // with the publication times the checks above resolved (the index's default: its date's decision time), so
    // a consumer of the context (the gate's market conditions) joins it as the builder did, with no rule of its own
    market: m ? { ...m, knownAt: mKnown! } : undefined,
  };
  if (input.windowLength !== undefined) windowView(built, { length: input.windowLength });
  return built;
}

/** Membership spells as `[from, to]` date pairs per symbol (an open spell ends at 9999-12-31). */
function spellsBySymbol(
  m: readonly Pick<UniverseMember, "symbol" | "from" | "to">[],
): Map<string, [IsoDate, IsoDate][]> {
  const out = new Map<string, [IsoDate, IsoDate][]>();
  for (const x of m) {
    const to = x.to ?? "9999-12-31";
    if (!(x.from <= to)) throw new RangeError(`membership of ${x.symbol}: from ${x.from} is after to ${to}`);
    let l = out.get(x.symbol);
    if (!l) out.set(x.symbol, l = []);
    l.push([x.from, to]);
  }
  return out;
}

/**
 * News columns of one symbol. Items assigned to calendar sessions the symbol did not trade are carried to the
 * symbol's next session. Checks every joined item's `knownAt` against the row's decision time.
 */
function newsColumns(
  news: ReturnType<typeof newsByDecision>,
  sym: string,
  day: Int32Array,
  dt: Float64Array,
  window: number,
  decay: number,
): Float64Array[] {
  const n = day.length;
  const count = new Float64Array(n), sent = new Float64Array(n), sentSum = new Float64Array(n);
  const count5 = new Float64Array(n), decayed = new Float64Array(n);
  const d = news.bySymbol.get(sym);
  if (d) {
    let prev = -1;
    for (let i = 0; i < n; i++) {
      let c = 0, sc = 0, ss = 0;
      for (let u = prev + 1; u <= day[i]; u++) {
        c += d.count[u];
        sc += d.sentCount[u];
        ss += d.sentSum[u];
        if (d.maxKnownAt[u] > dt[i]) {
          throw new LookaheadError(
            `news for ${sym || "the market"} known at ${iso(d.maxKnownAt[u])} joined to ${
              iso(dt[i])
            }, before it was public`,
          );
        }
      }
      prev = day[i];
      count[i] = c;
      sent[i] = sc > 0 ? ss / sc : 0;
      sentSum[i] = ss;
    }
  }
  for (let i = 0; i < n; i++) {
    let c = 0, s = 0, w = 1;
    for (let j = 0; j < window && i - j >= 0; j++) {
      c += count[i - j];
      s += w * sentSum[i - j];
      w *= decay;
    }
    count5[i] = c;
    decayed[i] = s;
  }
  return [count, sent, count5, decayed];
}

function extraColumn(name: string, e: Extra | undefined, dt: Float64Array, sym: string): Float64Array {
  const out = new Float64Array(dt.length).fill(NaN);
  if (!e) return out;
  for (let i = 0; i < dt.length; i++) {
    const k = asOfIndex(e.eff, dt[i]);
    if (k < 0) continue;
    if (e.known[k] > dt[i]) throw new LookaheadError(`extra ${name} of ${sym} joined before it was known`);
    out[i] = e.value[k];
  }
  return out;
}
