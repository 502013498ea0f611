/**
 * A seeded synthetic market: many tickers driven by a market factor, GARCH(1,1) volatility clustering, Student-t
 * innovations, a two-state (calm/stressed) Markov regime, dated news whose sentiment moves a later session's
 * return by a configurable amount, and planted price levels near which reversals are more likely. It records
 * its ground truth (`truth`) so tests can check that the pipeline finds what was planted, and nothing when
 * nothing was planted (`nullMarket`).
 *
 * Return model (log close-to-close return of ticker `i` on session `t`, regime `s_t`):
 * ```
 * m_t    = drift[s_t] + k[s_t] * sqrt(hm_t) * zm_t                  market factor
 * r_it   = beta_i * m_t + k[s_t] * sqrt(h_it) * z_it + news_it + level_it
 * h_i,t+1 = omega_i + alpha_i * h_it * z_it^2 + beta_i * h_it     (same recursion for hm)
 * ```
 * `z` are unit-variance Student-t draws (`df`), `k = [1, stressVolMult]`, `drift = [drift, stressDrift]`.
 * `news_it = newsEffect * sum(sentiment)` of the items whose effect session is `t` (the sentiment is published
 * only as headline text from a small grammar, `_headlines.ts`; the number is in `truth`): an item becomes usable at
 * the first close at or after it is published (`sessionForKnownAt(knownAt)`: the same session when published
 * before the close, the next one after the close) and moves the session AFTER that one. `level_it =
 * ±levelReversal * sqrt(var_it)` with probability `levelStrength` when the previous close lies within
 * `levelBand` of a planted level (up above a support, down below a resistance).
 *
 * Every random component has its own stream per ticker, so the same seed gives the same noise whether effects
 * are planted or not: a planted market and its null twin differ only by the planted effects.
 * @module
 */
import { closeTime, DataSourceError, isSession, nextSession } from "../core/mod.ts";
import type { Bar, CorporateAction, Instant, IsoDate, NewsItem } from "../core/mod.ts";
import { Rng, streamSeed } from "./_random.ts";
import { syntheticHeadline } from "./_headlines.ts";
import { checkNotEmpty, checkRequest } from "./source.ts";
import { barAt, checkBars } from "./_records.ts";
import type { BarRequest, MarketSource } from "./source.ts";

/** The two-state Markov regime (calm = 0, stressed = 1). */
export interface RegimeOptions {
  /** Daily probability of going from calm to stressed (default 0.01). */
  pEnterStress: number;
  /** Daily probability of going from stressed back to calm (default 0.05). */
  pExitStress: number;
  /** Market-factor drift per session in the stressed regime (default -0.001). */
  stressDrift: number;
  /** Volatility multiplier in the stressed regime (default 2). */
  stressVolMult: number;
}

/** GARCH(1,1) parameter ranges; each ticker draws its own `alpha`, `beta` uniformly from them. */
export interface GarchOptions {
  /** Default [0.05, 0.1]. */
  alpha: [number, number];
  /** Default [0.82, 0.88]. */
  beta: [number, number];
}

/**
 * The synthetic market's first session by default. The market is generated session by session, so one seed
 * gives the same bars and news on the same dates however many sessions it has (a longer market extends a
 * shorter one).
 */
export const SYNTHETIC_START = "2015-01-02";

/** Options of {@link createSyntheticMarket}; every field has a default. */
export interface SyntheticOptions {
  /** PRNG seed (default 42). */
  seed?: number;
  /** Number of tickers (default 20), named `SYN00`, `SYN01`, ... */
  symbols?: number;
  /** Ticker name prefix (default `SYN`). */
  symbolPrefix?: string;
  /** First session (default {@link SYNTHETIC_START}; moved to the next session if it is not one). */
  start?: IsoDate;
  /** Number of sessions on the real US calendar (default 1000). */
  sessions?: number;
  /** Calm-regime market-factor drift per session (default 0.0004). */
  drift?: number;
  /** Unconditional daily sd of the market factor (default 0.01). */
  marketVol?: number;
  /** Range of unconditional daily idiosyncratic sd per ticker (default [0.01, 0.02]). */
  idioVol?: [number, number];
  /** Range of market betas (default [0.6, 1.4]). */
  beta?: [number, number];
  /** GARCH(1,1) ranges, or `false` for constant volatility. */
  garch?: Partial<GarchOptions> | false;
  /** Student-t degrees of freedom of the innovations (default 5; `Infinity` = Gaussian; must be > 2). */
  df?: number;
  /** Regime switching, or `false` for always calm. */
  regimes?: Partial<RegimeOptions> | false;
  /** Range of starting prices (default [20, 200]). */
  startPrice?: [number, number];
  /** Expected news items per ticker per session (Poisson; default 0.05). */
  newsRate?: number;
  /** Share of news published after the close (default 0.3). */
  afterCloseShare?: number;
  /** Log-return shift per unit sentiment on the affected session (default 0 = nothing planted). */
  newsEffect?: number;
  /** Probability that a reversal drift applies near a level (default 0 = no levels planted). */
  levelStrength?: number;
  /** Levels per ticker, half below and half above the start price (default 6). */
  levelsPerSymbol?: number;
  /** Log distance between neighbouring levels: level k is `startPrice * exp(k * levelSpacing)` (default 0.12). */
  levelSpacing?: number;
  /** Relative band around a level that counts as "near" (default 0.015). */
  levelBand?: number;
  /** Size of the reversal drift in units of the session's conditional sd (default 1). */
  levelReversal?: number;
  /**
   * Regime-dependent effects (default `false`: nothing planted, the market is bit for bit what it was before this
   * option existed): momentum that works only in the calm regime and short-term reversal that works only in the
   * stressed one, so only a combiner that routes by regime can use both. See {@link PlantedRegimeOptions}.
   */
  plantedRegime?: Partial<PlantedRegimeOptions> | false;
}

/**
 * Planted regime effects on the idiosyncratic (market-neutral) part of each ticker's return, so they are
 * cross-sectional: with `I` the cumulated residual log return `Σ (r_u - β m_u)`, `v_t` the true conditional
 * variance of the residual on session `t` and `σ_t = sqrt(v_t)`, on session `t` (signals known at the close of
 * `t-1`):
 * ```
 * mom_t = (I[t-1-skip] - I[t-1-lookback]) / sqrt(v_{t-1} (lookback - skip))      (past trend, last `skip` sessions left out)
 * rev_t = (I[t-1] - I[t-1-reversalLookback]) / sqrt(v_{t-1} reversalLookback)   (the last few sessions)
 * calm:     r_t += momentum · σ_t · clip(mom_t, -2, 2)
 * stressed: r_t -= reversal · σ_t · clip(rev_t, -2, 2)
 * ```
 * Regime switching must be on (`regimes` not `false`), or only the calm effect exists.
 */
export interface PlantedRegimeOptions {
  /** Calm-regime momentum strength (shift in sds per unit of the standardized trend). Default 0.15. */
  momentum: number;
  /** Momentum lookback in sessions. Default 60. */
  momentumLookback: number;
  /** Most recent sessions left out of the momentum signal. Default 5. */
  momentumSkip: number;
  /** Stressed-regime reversal strength. Default 0.15. */
  reversal: number;
  /** Reversal lookback in sessions. Default 5. */
  reversalLookback: number;
}

/** Options with every default filled in. */
export interface ResolvedSyntheticOptions {
  seed: number;
  symbols: number;
  symbolPrefix: string;
  start: IsoDate;
  sessions: number;
  drift: number;
  marketVol: number;
  idioVol: [number, number];
  beta: [number, number];
  garch: GarchOptions | false;
  df: number;
  regimes: RegimeOptions | false;
  startPrice: [number, number];
  newsRate: number;
  afterCloseShare: number;
  newsEffect: number;
  levelStrength: number;
  levelsPerSymbol: number;
  levelSpacing: number;
  levelBand: number;
  levelReversal: number;
  plantedRegime: PlantedRegimeOptions | false;
}

/** One planted news event. */
export interface PlantedNews {
  /** Same id as the `NewsItem`. */
  id: string;
  symbol: string;
  publishedAt: Instant;
  sentiment: number;
  afterClose: boolean;
  /** The session at whose close the item is first usable (`sessionForKnownAt(publishedAt)`). */
  usableOn: IsoDate;
  /** The session whose close-to-close return it moves (`nextSession(usableOn)`), `null` past the end. */
  affects: IsoDate | null;
  /** Log-return shift applied (`newsEffect * sentiment`). */
  shift: number;
}

/** A session on which a level reversal drift was applied. */
export interface LevelHit {
  date: IsoDate;
  level: number;
  /** +1 pushed up (support), -1 pushed down (resistance). */
  direction: 1 | -1;
  /** Log-return shift applied. */
  shift: number;
}

/** Ground truth of one ticker. */
export interface TickerTruth {
  symbol: string;
  beta: number;
  /** GARCH(1,1) of the idiosyncratic part (`alpha = beta = 0` when GARCH is off). */
  garch: { omega: number; alpha: number; beta: number };
  startPrice: number;
  /** True conditional variance of each session's log return (given the regime; planted shifts excluded). */
  variance: Float64Array;
  /** Each session's log close-to-close return, as generated (planted shifts included). */
  logReturn: Float64Array;
  /** Market-wide regime path (0 calm, 1 stressed), the same array as `GroundTruth.regime`. */
  regime: Uint8Array;
  /** Planted level prices (empty when `levelStrength` is 0). */
  levels: number[];
  levelHits: LevelHit[];
  news: PlantedNews[];
  /** Log-return shift of the planted regime effects per session (all zero when `plantedRegime` is off). */
  regimeShift: Float64Array;
}

/** Everything the simulator planted. */
export interface GroundTruth {
  options: ResolvedSyntheticOptions;
  dates: IsoDate[];
  /** Regime per session: 0 calm, 1 stressed. */
  regime: Uint8Array;
  /** Market factor return per session. */
  marketReturn: Float64Array;
  /** Market factor conditional variance per session (regime-scaled). */
  marketVariance: Float64Array;
  tickers: Record<string, TickerTruth>;
  /** All news events, sorted by `publishedAt`. */
  news: PlantedNews[];
}

/** Market context of a synthetic market, aligned to its dates (the shape of the dataset's `MarketInput`). */
export interface SyntheticMarketContext {
  dates: IsoDate[];
  /** Index level: `100 · exp(Σ m_t)`, the market factor cumulated. */
  indexClose: Float64Array;
  /**
   * A VIX-like implied volatility in percent, known at the close of `t`: the market factor's conditional
   * volatility for session `t + 1` given the regime of `t`, annualized, times a 1.1 variance premium and a 5%
   * lognormal noise of its own stream: `100 · 1.1 · k[s_t] · sqrt(252 · h_{t+1}) · e^{0.05 ε_t}`.
   */
  vix: Float64Array;
}

/** A synthetic {@link MarketSource} with its ground truth. */
export interface SyntheticMarket extends MarketSource {
  readonly symbols: string[];
  readonly dates: IsoDate[];
  readonly truth: GroundTruth;
  /** Index and VIX-like series over every session (its own random stream: the bars do not depend on it). */
  marketContext(): SyntheticMarketContext;
  /** Corporate actions: the simulator plants none (validates the request, returns `[]`). */
  actions(req: BarRequest): Promise<CorporateAction[]>;
  /** News items of the symbols published on sessions in `[from, to]`, sorted by `publishedAt`. */
  news(req: BarRequest): Promise<NewsItem[]>;
}

interface SeriesData {
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
  news: NewsItem[];
  /** Session index of the date each news item was published on. */
  newsDay: number[];
}

function range(v: [number, number] | undefined, d: [number, number], what: string): [number, number] {
  const r = v ?? d;
  if (!Array.isArray(r) || r.length !== 2 || !(r[0] <= r[1])) {
    throw new RangeError(`${what} must be [lo, hi]`);
  }
  return [r[0], r[1]];
}

function prob(v: number, what: string): number {
  if (!(v >= 0 && v <= 1)) throw new RangeError(`${what} must be in [0, 1], got ${v}`);
  return v;
}

/** Fills every default and validates (`RangeError` on a bad value). */
export function resolveSyntheticOptions(o: SyntheticOptions = {}): ResolvedSyntheticOptions {
  const symbols = o.symbols ?? 20;
  if (!Number.isInteger(symbols) || symbols < 1) throw new RangeError(`symbols must be an integer >= 1`);
  const n = o.sessions ?? 1000;
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`sessions must be an integer >= 2`);
  const df = o.df ?? 5;
  if (!(df > 2)) throw new RangeError(`df must be > 2 (Infinity for Gaussian), got ${df}`);
  const garch: GarchOptions | false = o.garch === false ? false : {
    alpha: range(o.garch?.alpha, [0.05, 0.1], "garch.alpha"),
    beta: range(o.garch?.beta, [0.82, 0.88], "garch.beta"),
  };
  if (garch && (garch.alpha[0] < 0 || garch.beta[0] < 0 || garch.alpha[1] + garch.beta[1] >= 1)) {
    throw new RangeError("garch: need alpha, beta >= 0 and alpha + beta < 1");
  }
  const regimes: RegimeOptions | false = o.regimes === false ? false : {
    pEnterStress: prob(o.regimes?.pEnterStress ?? 0.01, "regimes.pEnterStress"),
    pExitStress: prob(o.regimes?.pExitStress ?? 0.05, "regimes.pExitStress"),
    stressDrift: o.regimes?.stressDrift ?? -0.001,
    stressVolMult: o.regimes?.stressVolMult ?? 2,
  };
  const r: ResolvedSyntheticOptions = {
    seed: o.seed ?? 42,
    symbols,
    symbolPrefix: o.symbolPrefix ?? "SYN",
    start: o.start ?? SYNTHETIC_START,
    sessions: n,
    drift: o.drift ?? 0.0004,
    marketVol: o.marketVol ?? 0.01,
    idioVol: range(o.idioVol, [0.01, 0.02], "idioVol"),
    beta: range(o.beta, [0.6, 1.4], "beta"),
    garch,
    df,
    regimes,
    startPrice: range(o.startPrice, [20, 200], "startPrice"),
    newsRate: o.newsRate ?? 0.05,
    afterCloseShare: prob(o.afterCloseShare ?? 0.3, "afterCloseShare"),
    newsEffect: o.newsEffect ?? 0,
    levelStrength: prob(o.levelStrength ?? 0, "levelStrength"),
    levelsPerSymbol: o.levelsPerSymbol ?? 6,
    levelSpacing: o.levelSpacing ?? 0.12,
    levelBand: o.levelBand ?? 0.015,
    levelReversal: o.levelReversal ?? 1,
    plantedRegime: resolvePlantedRegime(o.plantedRegime),
  };
  if (!(r.newsRate >= 0)) throw new RangeError(`newsRate must be >= 0`);
  if (!(r.marketVol > 0) || !(r.idioVol[0] > 0)) throw new RangeError("marketVol and idioVol must be > 0");
  if (r.startPrice[0] <= 0) throw new RangeError("startPrice must be > 0");
  if (!Number.isInteger(r.levelsPerSymbol) || r.levelsPerSymbol < 0) {
    throw new RangeError("levelsPerSymbol must be an integer >= 0");
  }
  if (!(r.levelSpacing > 0)) throw new RangeError("levelSpacing must be > 0");
  if (!(r.levelBand > 0)) throw new RangeError("levelBand must be > 0");
  return r;
}

function resolvePlantedRegime(
  p: Partial<PlantedRegimeOptions> | false | undefined,
): PlantedRegimeOptions | false {
  if (p === undefined || p === false) return false;
  const r: PlantedRegimeOptions = {
    momentum: p.momentum ?? 0.15,
    momentumLookback: p.momentumLookback ?? 60,
    momentumSkip: p.momentumSkip ?? 5,
    reversal: p.reversal ?? 0.15,
    reversalLookback: p.reversalLookback ?? 5,
  };
  if (!(r.momentum >= 0) || !(r.reversal >= 0)) throw new RangeError("plantedRegime: strengths must be >= 0");
  const int = (v: number) => Number.isInteger(v) && v >= 1;
  if (!int(r.momentumLookback) || !int(r.reversalLookback) || !Number.isInteger(r.momentumSkip)) {
    throw new RangeError("plantedRegime: lookbacks must be integers >= 1");
  }
  if (!(r.momentumSkip >= 0 && r.momentumSkip < r.momentumLookback)) {
    throw new RangeError("plantedRegime: momentumSkip must be in [0, momentumLookback)");
  }
  return r;
}

/** Ticker name `i` (`SYN00`, ..., `SYN99`, `SYN100`). */
function tickerName(prefix: string, i: number, count: number): string {
  return `${prefix}${String(i).padStart(Math.max(2, String(count - 1).length), "0")}`;
}

/**
 * Creates a synthetic market (generated eagerly; 20 tickers x 1,000 sessions takes a few milliseconds).
 */
export function createSyntheticMarket(opts: SyntheticOptions = {}): SyntheticMarket {
  const o = resolveSyntheticOptions(opts);
  const n = o.sessions;
  // calendar
  const dates: IsoDate[] = new Array(n);
  let d = isSession(o.start) ? o.start : nextSession(o.start);
  for (let t = 0; t < n; t++) {
    dates[t] = d;
    if (t < n - 1) d = nextSession(d);
  }
  const closes = new Float64Array(n);
  for (let t = 0; t < n; t++) closes[t] = closeTime(dates[t]);

  // market factor and regimes
  const mRng = new Rng(streamSeed(o.seed, "market"));
  const regime = new Uint8Array(n);
  const marketReturn = new Float64Array(n), marketVariance = new Float64Array(n);
  const mA = o.garch ? 0.08 : 0, mB = o.garch ? 0.9 : 0;
  const mOmega = o.marketVol * o.marketVol * (1 - mA - mB);
  const hm = new Float64Array(n); // GARCH variance before regime scaling
  const hmNext = new Float64Array(n); // the same for session t + 1, known at the close of t
  let h = o.marketVol * o.marketVol;
  let s = 0;
  for (let t = 0; t < n; t++) {
    const u = mRng.next();
    if (o.regimes && t > 0) {
      s = s === 0 ? (u < o.regimes.pEnterStress ? 1 : 0) : (u < o.regimes.pExitStress ? 0 : 1);
    }
    regime[t] = s;
    const k = s === 1 && o.regimes ? o.regimes.stressVolMult : 1;
    const mu = s === 1 && o.regimes ? o.regimes.stressDrift : o.drift;
    const z = mRng.studentT(o.df);
    hm[t] = h;
    marketVariance[t] = k * k * h;
    marketReturn[t] = mu + k * Math.sqrt(h) * z;
    h = mOmega + mA * h * z * z + mB * h;
    hmNext[t] = h;
  }

  const symbols: string[] = [];
  const tickers: Record<string, TickerTruth> = {};
  const data = new Map<string, SeriesData>();
  const allNews: PlantedNews[] = [];
  for (let i = 0; i < o.symbols; i++) {
    const sym = tickerName(o.symbolPrefix, i, o.symbols);
    symbols.push(sym);
    const pRng = new Rng(streamSeed(o.seed, `params:${i}`));
    const zRng = new Rng(streamSeed(o.seed, `innov:${i}`));
    const nRng = new Rng(streamSeed(o.seed, `news:${i}`));
    const hRng = new Rng(streamSeed(o.seed, `headline:${i}`));
    const lRng = new Rng(streamSeed(o.seed, `levels:${i}`));
    const bRng = new Rng(streamSeed(o.seed, `bars:${i}`));
    const beta = pRng.uniform(o.beta[0], o.beta[1]);
    const sd = pRng.uniform(o.idioVol[0], o.idioVol[1]);
    const ga = o.garch ? pRng.uniform(o.garch.alpha[0], o.garch.alpha[1]) : 0;
    const gb = o.garch ? pRng.uniform(o.garch.beta[0], o.garch.beta[1]) : 0;
    const omega = sd * sd * (1 - ga - gb);
    const p0 = Math.exp(pRng.uniform(Math.log(o.startPrice[0]), Math.log(o.startPrice[1])));
    const baseVolume = Math.exp(pRng.uniform(Math.log(5e5), Math.log(2e7)));
    const uncondSd = Math.sqrt(beta * beta * o.marketVol * o.marketVol + sd * sd);
    const levels: number[] = [];
    if (o.levelStrength > 0) {
      const below = Math.floor(o.levelsPerSymbol / 2), above = o.levelsPerSymbol - below;
      for (let k = -below; k <= above; k++) if (k !== 0) levels.push(p0 * Math.exp(k * o.levelSpacing));
    }

    // news: generated first (own stream), effects collected per session index
    const newsShift = new Float64Array(n);
    const news: PlantedNews[] = [];
    const items: NewsItem[] = [];
    const newsDay: number[] = [];
    for (let t = 0; t < n; t++) {
      const count = nRng.poisson(o.newsRate);
      for (let j = 0; j < count; j++) {
        const sentiment = Math.round(nRng.uniform(-1, 1) * 1000) / 1000;
        const afterClose = nRng.next() < o.afterCloseShare;
        const minutes = 1 + Math.floor(nRng.next() * 360); // up to 6 h before/after the close
        nRng.next(); // (was the template draw; kept so the planted timing and sentiments stay the same)
        const publishedAt = closes[t] + (afterClose ? minutes : -minutes) * 60_000;
        const usableIdx = afterClose ? t + 1 : t;
        const affIdx = usableIdx + 1;
        const usableOn = usableIdx < n ? dates[usableIdx] : nextSession(dates[n - 1]);
        const affects = affIdx < n ? dates[affIdx] : null;
        const shift = o.newsEffect * sentiment;
        if (affIdx < n) newsShift[affIdx] += shift;
        const id = `syn-${o.seed}-${sym}-${t}-${j}`;
        news.push({ id, symbol: sym, publishedAt, sentiment, afterClose, usableOn, affects, shift });
        // The sentiment is published only as headline text (see _headlines.ts); the number stays in `truth`.
        items.push({
          id,
          symbols: [sym],
          publishedAt,
          knownAt: publishedAt,
          headline: syntheticHeadline(sentiment, sym, hRng),
          source: "synthetic",
        });
        newsDay.push(t);
      }
    }

    const variance = new Float64Array(n), logReturn = new Float64Array(n);
    const open = new Float64Array(n), high = new Float64Array(n), low = new Float64Array(n);
    const close = new Float64Array(n), volume = new Float64Array(n);
    const levelHits: LevelHit[] = [];
    const regimeShift = new Float64Array(n);
    // planted regime effects act on the idiosyncratic part: cumulated residual return (r - beta m) and its variance
    const cum = new Float64Array(n), idioVar = new Float64Array(n);
    let hi = sd * sd;
    let prev = p0;
    for (let t = 0; t < n; t++) {
      const k = regime[t] === 1 && o.regimes ? o.regimes.stressVolMult : 1;
      const z = zRng.studentT(o.df);
      const v = k * k * (beta * beta * hm[t] + hi);
      variance[t] = v;
      const sig = Math.sqrt(v);
      let r = beta * marketReturn[t] + k * Math.sqrt(hi) * z + newsShift[t];
      const hi0 = hi;
      hi = omega + ga * hi * z * z + gb * hi;
      if (o.plantedRegime) {
        idioVar[t] = k * k * hi0;
        const shift = regimeEffect(o.plantedRegime, regime[t], cum, idioVar, t);
        regimeShift[t] = shift;
        r += shift;
      }
      // level reversal: nearest level within the band of the previous close
      const coin = lRng.next();
      if (levels.length > 0) {
        let best = -1, bestDist = Infinity;
        for (let q = 0; q < levels.length; q++) {
          const dist = Math.abs(prev / levels[q] - 1);
          if (dist < bestDist) {
            bestDist = dist;
            best = q;
          }
        }
        if (bestDist < o.levelBand && coin < o.levelStrength) {
          const direction: 1 | -1 = prev >= levels[best] ? 1 : -1;
          const shift = direction * o.levelReversal * sig;
          r += shift;
          levelHits.push({ date: dates[t], level: levels[best], direction, shift });
        }
      }
      logReturn[t] = r;
      cum[t] = (t > 0 ? cum[t - 1] : 0) + r - beta * marketReturn[t];
      const c = prev * Math.exp(r);
      const op = prev * Math.exp(0.3 * r + 0.2 * sig * bRng.normal());
      const hiP = Math.max(op, c) * Math.exp(0.4 * sig * Math.abs(bRng.normal()));
      const loP = Math.min(op, c) * Math.exp(-0.4 * sig * Math.abs(bRng.normal()));
      open[t] = op;
      high[t] = hiP;
      low[t] = loP;
      close[t] = c;
      volume[t] = Math.max(
        1,
        Math.round(baseVolume * Math.exp(0.25 * bRng.normal()) * (0.5 + 0.5 * Math.abs(r) / uncondSd)),
      );
      prev = c;
    }
    tickers[sym] = {
      symbol: sym,
      beta,
      garch: { omega, alpha: ga, beta: gb },
      startPrice: p0,
      variance,
      logReturn,
      regime,
      levels,
      levelHits,
      news,
      regimeShift,
    };
    data.set(sym, { open, high, low, close, volume, news: items, newsDay });
    for (const e of news) allNews.push(e);
  }
  allNews.sort((a, b) => a.publishedAt - b.publishedAt || (a.id < b.id ? -1 : 1));
  const truth: GroundTruth = {
    options: o,
    dates,
    regime,
    marketReturn,
    marketVariance,
    tickers,
    news: allNews,
  };
  const name = "synthetic";

  function series(sym: string): SeriesData {
    const sd = data.get(sym);
    if (!sd) {
      throw new DataSourceError(
        `synthetic: unknown symbol ${sym} (have ${symbols[0]}..${symbols[symbols.length - 1]})`,
        {
          source: name,
          symbol: sym,
          userError: true,
        },
      );
    }
    return sd;
  }

  function indexRange(from: IsoDate, to: IsoDate): [number, number] {
    let i0 = 0;
    while (i0 < n && dates[i0] < from) i0++;
    let i1 = i0;
    while (i1 < n && dates[i1] <= to) i1++;
    return [i0, i1];
  }

  function marketContext(): SyntheticMarketContext {
    const vRng = new Rng(streamSeed(o.seed, "vix"));
    const indexClose = new Float64Array(n), vix = new Float64Array(n);
    let level = 0;
    for (let t = 0; t < n; t++) {
      level += marketReturn[t];
      indexClose[t] = 100 * Math.exp(level);
      const k = regime[t] === 1 && o.regimes ? o.regimes.stressVolMult : 1;
      vix[t] = 100 * 1.1 * k * Math.sqrt(252 * hmNext[t]) * Math.exp(0.05 * vRng.normal());
    }
    return { dates: [...dates], indexClose, vix };
  }

  return {
    name,
    symbols,
    dates,
    truth,
    marketContext,
    listSymbols() {
      return Promise.resolve([...symbols]);
    },
    bars(req: BarRequest): Promise<Map<string, Bar[]>> {
      return settle(() => buildBars(req));
    },
    actions(req: BarRequest): Promise<CorporateAction[]> {
      return settle(() => {
        checkRequest(req);
        req.symbols.forEach(series);
        return [];
      });
    },
    news(req: BarRequest): Promise<NewsItem[]> {
      return settle(() => buildNews(req));
    },
  };

  function buildBars(req: BarRequest): Map<string, Bar[]> {
    checkRequest(req);
    const found = req.symbols.map(series);
    const [i0, i1] = indexRange(req.from, req.to);
    const out = new Map<string, Bar[]>();
    req.symbols.forEach((sym, k) => {
      const sd = { ...found[k], adjClose: found[k].close }; // adjClose is the close
      const bars: Bar[] = [];
      for (let t = i0; t < i1; t++) bars.push(barAt(sym, dates[t], sd, t, closes[t]));
      // the shared plausibility rules (a simulated market may lie in the future: no clock check)
      out.set(sym, checkBars(name, bars, { now: Infinity, strict: true }).bars);
    });
    checkNotEmpty(name, req, out, `${dates[0]}..${dates[n - 1]}`);
    return out;
  }

  function buildNews(req: BarRequest): NewsItem[] {
    checkRequest(req);
    const found = req.symbols.map(series);
    const out: NewsItem[] = [];
    for (const sd of found) {
      // an item is published on session date t (at most 6 h from its close): filter by that date
      sd.news.forEach((it, q) => {
        const day = dates[sd.newsDay[q]];
        if (day >= req.from && day <= req.to) out.push(it);
      });
    }
    out.sort((a, b) => a.publishedAt - b.publishedAt || (a.id < b.id ? -1 : 1));
    return out;
  }
}

/**
 * The planted regime shift of session `t` (see {@link PlantedRegimeOptions}): momentum in the calm regime,
 * reversal in the stressed one, from the cumulated idiosyncratic returns `cum` up to session `t - 1` and the
 * idiosyncratic variances `idioVar` up to `t`. 0 until the lookback is available.
 */
function regimeEffect(
  p: PlantedRegimeOptions,
  regime: number,
  cum: Float64Array,
  idioVar: Float64Array,
  t: number,
): number {
  const at = (i: number) => (i >= 0 ? cum[i] : 0);
  const v = t > 0 ? idioVar[t - 1] : 0;
  if (!(v > 0)) return 0;
  const sig = Math.sqrt(idioVar[t]);
  const clip = (x: number) => Math.max(-2, Math.min(2, x));
  if (regime === 0) {
    if (p.momentum === 0 || t - 1 - p.momentumLookback < -1) return 0;
    const m = (at(t - 1 - p.momentumSkip) - at(t - 1 - p.momentumLookback)) /
      Math.sqrt(v * (p.momentumLookback - p.momentumSkip));
    return p.momentum * sig * clip(m);
  }
  if (p.reversal === 0 || t - 1 - p.reversalLookback < -1) return 0;
  const r = (at(t - 1) - at(t - 1 - p.reversalLookback)) / Math.sqrt(v * p.reversalLookback);
  return -p.reversal * sig * clip(r);
}

/** Runs `fn` and turns its result or its exception into a promise (errors reject, never throw). */
function settle<T>(fn: () => T): Promise<T> {
  return new Promise((resolve) => resolve(fn()));
}

/**
 * A market with planted regime effects (see {@link PlantedRegimeOptions}): long calm and stressed spells
 * (enter stress 1% a day, leave 2.5% a day: about a third of sessions stressed), stressed volatility 2.5x, no
 * stress drift, calm momentum and stressed reversal at the default strengths, no news or level effects. Only a
 * combiner that routes by regime (the VIX-like `marketContext()` or the index volatility shows it) can use both.
 */
export function plantedRegimeMarket(seed = 42, overrides: SyntheticOptions = {}): SyntheticMarket {
  return createSyntheticMarket({
    seed,
    drift: 0.0002,
    regimes: { pEnterStress: 0.01, pExitStress: 0.025, stressDrift: 0, stressVolMult: 2.5 },
    newsEffect: 0,
    levelStrength: 0,
    plantedRegime: {},
    ...overrides,
  });
}

/**
 * The null market: a zero-drift random walk with nothing planted (no regimes, no news effect, no levels), but
 * with GARCH volatility and fat tails, and with news items whose sentiment moves nothing.
 */
export function nullMarket(seed = 42, overrides: SyntheticOptions = {}): SyntheticMarket {
  return createSyntheticMarket({
    seed,
    drift: 0,
    regimes: false,
    newsEffect: 0,
    levelStrength: 0,
    ...overrides,
  });
}
