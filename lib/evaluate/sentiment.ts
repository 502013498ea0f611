/**
 * EVALUATION.md section 4, news and text sentiment.
 *
 * - Financial PhraseBank `Sentences_50Agree` (latin-1, `sentence@label`, split on the last `@`): the fixed
 *   stratified 80/10/10 split (seed 42) in `testdata/phrasebank_split.json` (ids = 0-based line index). The
 *   finance lexicon (no fitting) and ours, TF-IDF + multinomial logistic regression trained on the train part
 *   with the L2 penalty chosen on validation, are scored on test: accuracy and macro F1, also on the test
 *   sentences that are in `Sentences_AllAgree` (UTF-8). FinBERT's published 0.86 / 0.97 are printed as context.
 * - News -> returns: Benzinga headlines (Eastern time with offset; prices from `sp500-5yr-ohlcv`) and StockNet
 *   tweets (`created_at_utc`; StockNet's own adjusted prices). Each item goes to the session at whose close it
 *   is first known (`sessionForKnownAt`: after 16:00 New York -> next session); the daily mean score per ticker
 *   is compared with the return from that session's close to the next session's close: pooled IC / RankIC,
 *   daily cross-sectional IC (days with >= 5 tickers) and hit rate (sign agreement where the score is not 0).
 * - Market news -> the market: the CNBC and Guardian headlines (no ticker), by the same rule, against SPY's
 *   next-session total return (one series: IC / RankIC over days and hit rate).
 * @module
 */
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { DataValidationError, mulberry32, sessionForKnownAt, shuffleInPlace } from "../core/mod.ts";
import {
  dailyIc,
  LexiconModel,
  lmScorer as lmScorerOf,
  pearson,
  scoreNews,
  SENTIMENT_CLASSES,
  sentimentIndex,
  spearman,
  TextLogisticModel,
  threadsLabel,
} from "../models/mod.ts";
import { asNewsItems, frozenEncoderHead } from "./sentiment_lm.ts";
import { barFigure, type Figure, type Table } from "../report/mod.ts";
import { createCsvNews, csvPresets, csvRecords, newsInstant, newsKnownAt } from "../sources/mod.ts";
import type { EvalContext, Metric, SectionResult } from "./types.ts";
import { readSharedFile, withSurvivorshipNote } from "./data.ts";
import SPLIT from "./testdata/phrasebank_split.json" with { type: "json" };

/** Data files of section 4, relative to the shared data folder. */
export const SENTIMENT_FILES = {
  phrasebank50: "financial-phrasebank/Sentences_50Agree.txt",
  phrasebankAll: "financial-phrasebank/Sentences_AllAgree.txt",
  benzinga: "benzinga-analyst-ratings-subset/analyst_ratings_processed_A-ACAT_subset.csv",
  sp500: "sp500-5yr-ohlcv/all_stocks_5yr.csv.gz",
  stocknetTweets: "stocknet-tweets-prices/stocknet_tweets_preprocessed.csv.gz",
  stocknetPrices: "stocknet-tweets-prices/stocknet_prices_raw.csv.gz",
  cnbc: "financial-news-headlines-cnbc-guardian/cnbc_headlines.csv",
  guardian: "financial-news-headlines-cnbc-guardian/guardian_headlines.csv",
  spy: "us-index-etf-daily-yahoo/SPY.csv",
} as const;

/** The ticker market-wide headlines are scored against: the S&P 500 ETF, on its total return. */
export const MARKET_NEWS_TICKER = "SPY";

/** Published FinBERT accuracy (Araci 2019) on PhraseBank 50% agree and all agree: context, not ours. */
export const FINBERT_ANCHORS = { agree50: 0.86, agreeAll: 0.97 } as const;

/** One labelled sentence. */
export interface LabelledSentence {
  text: string;
  label: 0 | 1 | 2;
}

/** Parses PhraseBank lines `sentence@label` (split on the last `@`). */
export function parsePhraseBank(text: string, where = "phrasebank"): LabelledSentence[] {
  const out: LabelledSentence[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, "");
    if (!line) continue;
    const at = line.lastIndexOf("@");
    if (at < 0) throw new DataValidationError("no @label", { where: `${where}:${i + 1}` });
    out.push({ text: line.slice(0, at).trim(), label: sentimentIndex(line.slice(at + 1)) });
  }
  return out;
}

/** A fixed split of sentence ids (0-based line indices). */
export interface IdSplit {
  train: number[];
  validation: number[];
  test: number[];
}

/**
 * Stratified split by class: each class's ids are shuffled (Fisher-Yates, mulberry32(seed)) and cut
 * `floor(0.8 n)` / `round(0.1 n)` / rest; each part is returned sorted.
 */
export function stratifiedSplit(labels: ArrayLike<number>, seed = 42, fractions = [0.8, 0.1]): IdSplit {
  const rand = mulberry32(seed), byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (!byClass.has(c)) byClass.set(c, []);
    byClass.get(c)!.push(i);
  }
  const out: IdSplit = { train: [], validation: [], test: [] };
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const ids = byClass.get(c)!;
    shuffleInPlace(ids, rand);
    const nTr = Math.floor(fractions[0] * ids.length), nVa = Math.round(fractions[1] * ids.length);
    out.train.push(...ids.slice(0, nTr));
    out.validation.push(...ids.slice(nTr, nTr + nVa));
    out.test.push(...ids.slice(nTr + nVa));
  }
  for (const k of ["train", "validation", "test"] as const) out[k].sort((a, b) => a - b);
  return out;
}

/** The committed PhraseBank split (file `testdata/phrasebank_split.json`). */
export const PHRASEBANK_SPLIT: IdSplit & { seed: number; file: string; n: number } = SPLIT;

/** Accuracy and macro F1 (mean over classes present in truth or prediction) of class predictions. */
export function classificationScores(truth: ArrayLike<number>, pred: ArrayLike<number>, classes = 3): {
  n: number;
  accuracy: number;
  macroF1: number;
} {
  let ok = 0;
  const tp = new Float64Array(classes), fp = new Float64Array(classes), fn = new Float64Array(classes);
  for (let i = 0; i < truth.length; i++) {
    if (truth[i] === pred[i]) {
      ok++;
      tp[truth[i]]++;
    } else {
      fp[pred[i]]++;
      fn[truth[i]]++;
    }
  }
  let f = 0, k = 0;
  for (let c = 0; c < classes; c++) {
    if (tp[c] + fp[c] + fn[c] === 0) continue;
    f += (2 * tp[c]) / (2 * tp[c] + fp[c] + fn[c]);
    k++;
  }
  return { n: truth.length, accuracy: truth.length ? ok / truth.length : NaN, macroF1: k ? f / k : NaN };
}

/** Rows of a CSV text (header first) through the project's one CSV parser (`csvRecords` in `lib/sources`). */
export function parseCsv(text: string): string[][] {
  return Array.from(csvRecords(text), (r) => r.fields);
}

/** A dated, ticker-tagged text. */
export interface NewsText {
  ticker: string;
  knownAt: number;
  text: string;
}

/** Daily close series per ticker (dates ascending). */
export type CloseSeries = Map<string, { dates: string[]; close: Float64Array }>;

/** Headlines that are market-wide lists tagged to every ticker they mention (dropped). */
export const LIST_HEADLINE =
  /52-week|stocks? (moving|that|to watch|hitting)|mid-day|pre-market|after-hours|movers|biggest|session update|earnings scheduled|trading higher|trading lower/i;

/** Benzinga headlines (`date` is Eastern time with its offset); list headlines are dropped. */
export function loadBenzinga(sharedDir: string): { items: NewsText[]; dropped: number } {
  const rows = parseCsv(readSharedFile(sharedDir, SENTIMENT_FILES.benzinga, "utf8"));
  const h = rows[0], ti = h.indexOf("title"), di = h.indexOf("date"), si = h.indexOf("stock");
  const items: NewsText[] = [];
  let dropped = 0;
  for (const [i, r] of rows.slice(1).entries()) {
    if (r.length !== h.length) {
      throw new DataValidationError(`record ${i + 1} has ${r.length} fields`, { where: "benzinga" });
    }
    // the news files' one time parser: Benzinga's 16:00:00 is a minute's stamp, known at the end of its minute
    const time = newsInstant(r[di]);
    if (typeof time === "string") throw new DataValidationError(`bad date ${r[di]}`, { where: "benzinga" });
    if (LIST_HEADLINE.test(r[ti])) {
      dropped++;
      continue;
    }
    items.push({ ticker: r[si], knownAt: newsKnownAt(time), text: r[ti] });
  }
  return { items, dropped };
}

/**
 * The CNBC and Guardian market headlines (no ticker), read by the csv news source (`createCsvNews`, the same
 * parser and point-in-time rules as `--news-file`), as items of {@link MARKET_NEWS_TICKER}: the market's news.
 */
export async function loadMarketHeadlines(sharedDir: string): Promise<NewsText[]> {
  const files = [SENTIMENT_FILES.cnbc, SENTIMENT_FILES.guardian].map((f) => join(sharedDir, f));
  const items = await createCsvNews(files, { name: "market" })
    .news({ symbols: [MARKET_NEWS_TICKER], from: "1990-01-02", to: "2030-12-31" });
  return items.filter((i) => i.symbols.length === 0)
    .map((i) => ({ ticker: MARKET_NEWS_TICKER, knownAt: i.knownAt, text: i.headline }));
}

/** SPY's adjusted (total-return) closes from `us-index-etf-daily-yahoo`. */
export async function loadSpyCloses(sharedDir: string): Promise<CloseSeries> {
  const dir = join(sharedDir, SENTIMENT_FILES.spy, "..");
  const bars = (await csvPresets.yahooDaily(dir).bars({
    symbols: [MARKET_NEWS_TICKER],
    from: "1990-01-02",
    to: "2030-12-31",
  })).get(MARKET_NEWS_TICKER) ?? [];
  if (!bars.length) throw new RangeError(`no ${MARKET_NEWS_TICKER} bars under ${dir}`);
  return new Map([[MARKET_NEWS_TICKER, {
    dates: bars.map((b) => b.date),
    close: Float64Array.from(bars, (b) => b.adjClose),
  }]]);
}

/** StockNet tweets (`created_at_utc` ISO UTC), `$ ticker` cashtags kept as tokens. */
export function loadStocknetTweets(sharedDir: string): NewsText[] {
  const text = new TextDecoder().decode(
    gunzipSync(readSharedFile(sharedDir, SENTIMENT_FILES.stocknetTweets)),
  );
  const rows = parseCsv(text), h = rows[0];
  const ti = h.indexOf("ticker"), ci = h.indexOf("created_at_utc"), xi = h.indexOf("text_tokens");
  const out: NewsText[] = [];
  for (const [i, r] of rows.slice(1).entries()) {
    if (r.length !== h.length) {
      throw new DataValidationError(`record ${i + 1} has ${r.length} fields`, { where: "stocknet tweets" });
    }
    const time = newsInstant(r[ci]);
    if (typeof time !== "string") out.push({ ticker: r[ti], knownAt: newsKnownAt(time), text: r[xi] });
  }
  return out;
}

/** StockNet's adjusted closes per ticker (rows with null prices skipped). */
export function loadStocknetPrices(sharedDir: string): CloseSeries {
  const text = new TextDecoder().decode(
    gunzipSync(readSharedFile(sharedDir, SENTIMENT_FILES.stocknetPrices)),
  );
  return closesFromRows(parseCsv(text), "ticker", "date", "adj_close");
}

/** Closes of `symbols` from `sp500-5yr-ohlcv` (`date,open,high,low,close,volume,Name`). */
export function loadSp500Closes(sharedDir: string, symbols: ReadonlySet<string>): CloseSeries {
  const text = new TextDecoder().decode(gunzipSync(readSharedFile(sharedDir, SENTIMENT_FILES.sp500)));
  const rows = parseCsv(text);
  return closesFromRows(
    [rows[0], ...rows.slice(1).filter((r) => symbols.has(r[r.length - 1].trim()))],
    "Name",
    "date",
    "close",
  );
}

function closesFromRows(rows: string[][], tk: string, dt: string, px: string): CloseSeries {
  const h = rows[0], ti = h.indexOf(tk), di = h.indexOf(dt), pi = h.indexOf(px);
  const tmp = new Map<string, [string, number][]>();
  for (const r of rows.slice(1)) {
    const v = +r[pi];
    if (!(v > 0)) continue;
    if (!tmp.has(r[ti])) tmp.set(r[ti], []);
    tmp.get(r[ti])!.push([r[di], v]);
  }
  const out: CloseSeries = new Map();
  for (const [t, a] of tmp) {
    a.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
    out.set(t, { dates: a.map((x) => x[0]), close: Float64Array.from(a, (x) => x[1]) });
  }
  return out;
}

/** Daily (ticker, session) mean scores joined with the next session's close-to-close return. */
export interface NewsPanel {
  ticker: string[];
  session: string[];
  score: Float64Array;
  ret: Float64Array;
  items: Int32Array;
}

/**
 * Assigns each item to `sessionForKnownAt(knownAt)`, averages scores per (ticker, session) and joins the return
 * `close[s+1] / close[s] - 1` of that ticker's price series (pairs without both closes are dropped).
 */
export function newsPanel(
  items: readonly NewsText[],
  scores: ArrayLike<number>,
  prices: CloseSeries,
): NewsPanel {
  const agg = new Map<string, { s: number; n: number }>();
  const sessionCache = new Map<number, string>();
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    if (!prices.has(it.ticker) || !Number.isFinite(scores[i])) continue;
    const minute = Math.floor(it.knownAt / 60000);
    let s = sessionCache.get(minute);
    if (s === undefined) sessionCache.set(minute, s = sessionForKnownAt(it.knownAt));
    const key = `${it.ticker}|${s}`;
    const a = agg.get(key);
    if (a) {
      a.s += scores[i];
      a.n++;
    } else agg.set(key, { s: scores[i], n: 1 });
  }
  const index = new Map<string, Map<string, number>>();
  for (const [t, p] of prices) index.set(t, new Map(p.dates.map((d, k) => [d, k])));
  const tk: string[] = [], ss: string[] = [], sc: number[] = [], rr: number[] = [], nn: number[] = [];
  for (const key of [...agg.keys()].sort()) {
    const [t, s] = key.split("|"), p = prices.get(t)!, k = index.get(t)!.get(s);
    if (k === undefined || k + 1 >= p.close.length) continue;
    const a = agg.get(key)!;
    tk.push(t);
    ss.push(s);
    sc.push(a.s / a.n);
    rr.push(p.close[k + 1] / p.close[k] - 1);
    nn.push(a.n);
  }
  return {
    ticker: tk,
    session: ss,
    score: Float64Array.from(sc),
    ret: Float64Array.from(rr),
    items: Int32Array.from(nn),
  };
}

/** Pooled IC / RankIC, daily cross-sectional IC (>= `minPerDay` tickers) and hit rate of a news panel. */
export function newsScores(p: NewsPanel, minPerDay = 5): {
  n: number;
  ic: number;
  rankIc: number;
  dailyIc: number;
  dailyIcir: number;
  days: number;
  hitRate: number;
  hitN: number;
} {
  const d = dailyIc(p.score, p.ret, p.session, minPerDay);
  let hit = 0, hn = 0;
  for (let i = 0; i < p.score.length; i++) {
    if (p.score[i] === 0 || p.ret[i] === 0) continue;
    hn++;
    if (Math.sign(p.score[i]) === Math.sign(p.ret[i])) hit++;
  }
  return {
    n: p.score.length,
    ic: pearson(p.score, p.ret),
    rankIc: spearman(p.score, p.ret),
    dailyIc: d.ic.mean,
    dailyIcir: d.ic.ir,
    days: d.ic.days,
    hitRate: hn ? hit / hn : NaN,
    hitN: hn,
  };
}

/** L2 grid searched on the validation part. */
export const TEXT_L2_GRID = [1e-5, 3e-5, 1e-4, 3e-4];
/** With / without the lexicon's polarity tags as extra terms (chosen on validation too). */
export const TEXT_LEXICON_GRID = [false, true];

/** Section 4 of EVALUATION.md. */
export async function sentimentSection(ctx: EvalContext): Promise<SectionResult> {
  const t0 = performance.now(), timings: Record<string, number> = {};
  const metrics: Metric[] = [], tables: Table[] = [], figures: Figure[] = [], notes: string[] = [];
  const push = (name: string, method: string, value: number, segment: string, data: string, hib = true) =>
    metrics.push({
      section: "sentiment",
      name,
      method,
      value,
      segment,
      data,
      seed: ctx.seed,
      higherIsBetter: hib,
    });

  // --- PhraseBank
  const pb = parsePhraseBank(
    new TextDecoder("latin1").decode(readSharedFile(ctx.sharedDir, SENTIMENT_FILES.phrasebank50)),
    SENTIMENT_FILES.phrasebank50,
  );
  const split = PHRASEBANK_SPLIT;
  if (pb.length !== split.n) {
    throw new DataValidationError(`${pb.length} sentences, the committed split has ${split.n}`, {
      where: SENTIMENT_FILES.phrasebank50,
    });
  }
  const allAgree = new Set(
    parsePhraseBank(readSharedFile(ctx.sharedDir, SENTIMENT_FILES.phrasebankAll, "utf8")).map((s) => s.text),
  );
  const pick = (ids: number[]) => ({
    x: ids.map((i) => pb[i].text),
    y: Int8Array.from(ids, (i) => pb[i].label),
  });
  const tr = pick(split.train), va = pick(split.validation), te = pick(split.test);
  const teAll = split.test.filter((i) => allAgree.has(pb[i].text));
  timings.phrasebank_load_ms = performance.now() - t0;

  let t1 = performance.now();
  let best: { l2: number; lexicon: boolean; f1: number } | null = null;
  const tuneRows: (string | number)[][] = [];
  const grid = ctx.reduced
    ? [1e-5, 1e-4].map((l2) => ({ l2, lexicon: true }))
    : TEXT_LEXICON_GRID.flatMap((lexicon) => TEXT_L2_GRID.map((l2) => ({ l2, lexicon })));
  for (const { l2, lexicon } of grid) {
    const m = new TextLogisticModel({ l2, lexicon }).fit(tr.x, tr.y);
    const s = classificationScores(va.y, m.predict(va.x));
    tuneRows.push([l2, lexicon ? "yes" : "no", s.accuracy, s.macroF1, m.iterations]);
    if (!best || s.macroF1 > best.f1) best = { l2, lexicon, f1: s.macroF1 };
  }
  timings.text_logistic_tune_ms = performance.now() - t1;
  t1 = performance.now();
  const ours = new TextLogisticModel({ l2: best!.l2, lexicon: best!.lexicon }).fit(tr.x, tr.y);
  timings.text_logistic_fit_ms = performance.now() - t1;
  const lex = new LexiconModel();
  const pbData = `${SENTIMENT_FILES.phrasebank50} (+ ${SENTIMENT_FILES.phrasebankAll})`;
  const rows: (string | number)[][] = [];
  const majority = (() => {
    const c = [0, 0, 0];
    for (const v of tr.y) c[v]++;
    return c.indexOf(Math.max(...c));
  })();
  const predictors: [string, (x: string[]) => ArrayLike<number>][] = [
    ["majority", (x) => new Int8Array(x.length).fill(majority)],
    ["lexicon", (x) => lex.predict(x)],
    ["text-logistic", (x) => ours.predict(x)],
  ];
  const posAll = split.test.map((id, k) => [id, k]).filter(([id]) => allAgree.has(pb[id].text)).map(([, k]) =>
    k
  );
  const record = (name: string, all: ArrayLike<number>) => {
    const s50 = classificationScores(te.y, all);
    const sAll = classificationScores(
      Int8Array.from(posAll, (k) => te.y[k]),
      Int8Array.from(posAll, (k) => all[k]),
    );
    push("phrasebank_accuracy", name, s50.accuracy, "phrasebank-50agree test", pbData);
    push("phrasebank_macro_f1", name, s50.macroF1, "phrasebank-50agree test", pbData);
    push("phrasebank_accuracy", name, sAll.accuracy, "phrasebank-50agree test ∩ allagree", pbData);
    push("phrasebank_macro_f1", name, sAll.macroF1, "phrasebank-50agree test ∩ allagree", pbData);
    rows.push([name, s50.accuracy, s50.macroF1, sAll.accuracy, sAll.macroF1]);
  };
  for (const [name, f] of predictors) {
    t1 = performance.now();
    const all = f(te.x);
    timings[`predict_${name}_ms`] = performance.now() - t1;
    record(name, all);
  }
  // --- language models: frozen encoder + logistic head, fine-tuned encoders (fp32, int8), all in TypeScript
  const lm = ctx.lm;
  if (lm) {
    for (const ref of lm.frozen) {
      t1 = performance.now();
      ctx.log?.(
        `sentiment: frozen ${ref} + logistic head (embedding ${
          tr.x.length + va.x.length + te.x.length
        } sentences)`,
      );
      const model = await lm.load(ref);
      try {
        const r = await frozenEncoderHead(model, tr, va, te, lm.embeddings);
        const name = `frozen ${model.name} + head`;
        record(name, r.pred);
        notes.push(
          `${name}: mean-pooled embeddings, multinomial logistic head, l2 ${r.l2} chosen on validation (accuracy ${
            r.valAccuracy.toFixed(3)
          }).`,
        );
      } finally {
        await model.release();
      }
      timings[`frozen_${ref}_ms`] = performance.now() - t1;
    }
    for (const ref of lm.finetuned) {
      const first = await lm.load(ref);
      const variants = Object.keys(first.meta.variants).sort();
      const meta = first.meta;
      await first.release();
      for (const variant of variants) {
        t1 = performance.now();
        const model = await lm.load(ref, { variant });
        try {
          record(model.id, await model.predict(te.x));
        } finally {
          await model.release();
        }
        const ms = performance.now() - t1;
        timings[`predict_${ref}/${variant}_ms`] = ms;
        notes.push(
          `${ref}/${variant}: ${
            (te.x.length / (ms / 1000)).toFixed(0)
          } sentences/s on the test part (incl. load; ${threadsLabel(model.threadHistory)}).`,
        );
      }
      const tr0 = meta.train as {
        chosenEpoch?: number;
        trainLayers?: number;
        layers?: number;
        steps?: number;
        members?: {
          seed: number;
          chosenEpoch: number;
          validation: { accuracy: number };
          test: { accuracy: number };
        }[] | null;
      } | undefined;
      const members = tr0?.members?.length
        ? `; a ${tr0.members.length}-member seed ensemble sharing the frozen bottom, class probabilities averaged (members alone, PyTorch: ${
          tr0.members.map((m) =>
            `seed ${m.seed} epoch ${m.chosenEpoch}, validation ${m.validation.accuracy.toFixed(4)}, test ${
              m.test.accuracy.toFixed(4)
            }`
          ).join("; ")
        })`
        : "";
      notes.push(
        `${ref}: ${meta.upstream}, top ${tr0?.trainLayers} of ${tr0?.layers} layers + head fine-tuned on the train part (${tr0?.steps} steps, epoch ${tr0?.chosenEpoch} chosen on validation${
          meta.reduced ? "; REDUCED run" : ""
        }${members}), temperature ${
          Number(meta.temperature).toFixed(3)
        } fitted on validation. ${meta.license}`,
      );
    }
  } else {
    notes.push(
      `language-model rows skipped: ${
        ctx.lmMissing ??
          "no text models given (deno task evaluate hands the section the installed ones; a direct call, e.g. " +
            "from a notebook, gives none)"
      }`,
    );
  }
  rows.push(["FinBERT (published, context)", FINBERT_ANCHORS.agree50, "", FINBERT_ANCHORS.agreeAll, ""]);
  tables.push({
    columns: ["method", "accuracy (50% agree)", "macro F1 (50%)", "accuracy (all agree)", "macro F1 (all)"],
    rows,
    caption:
      `PhraseBank test part: ${te.x.length} sentences, ${teAll.length} of them in AllAgree. Split: seed ${split.seed}, ` +
      `train ${tr.x.length} / validation ${va.x.length} / test ${te.x.length}.`,
  });
  tables.push({
    columns: ["l2", "lexicon tags", "val accuracy", "val macro F1", "L-BFGS iterations"],
    rows: tuneRows,
    caption: ctx.reduced
      ? `text-logistic: l2 chosen on validation macro F1 (reduced grid; lexicon tags fixed on): l2 = ${
        best!.l2
      }`
      : `text-logistic chosen on validation macro F1: l2 = ${best!.l2}, lexicon tags ${best!.lexicon}`,
  });
  notes.push(
    `text-logistic (ours): TF-IDF unigrams+bigrams (min df 2, ${ours.vocabularySize} terms), lexicon polarity tags ${
      best!.lexicon ? "on" : "off"
    }, multinomial logistic, l2 ${best!.l2}; ${
      ctx.reduced
        ? `l2 chosen on validation macro F1 from ${
          grid.map((g) => g.l2).join(", ")
        }, lexicon tags fixed on (the reduced run's grid; a full run also chooses the tags)`
        : "both chosen on validation macro F1"
    }. FinBERT 0.86 / 0.97 are published numbers (Araci 2019), not measured here.`,
    "lexicon: a compact hand-written finance word list in the Loughran-McDonald style (not the LM dictionary), negation within 3 tokens, 'loss narrowed'-type rule.",
  );

  // --- News -> returns
  const reduced = ctx.reduced;
  const newsRows: (string | number)[][] = [];
  const icBars: { x: string; y: number }[] = [];
  const recordNews = (label: string, name: string, panel: NewsPanel, data: string, segNote = "") => {
    const s = newsScores(panel);
    const seg = `${label}${segNote} ${panel.session[0] ?? ""}..${panel.session.at(-1) ?? ""}`;
    push("news_ic", name, s.ic, seg, data);
    push("news_rank_ic", name, s.rankIc, seg, data);
    push("news_daily_ic", name, s.dailyIc, seg, data); // NaN when no day has >= 5 tickers
    push("news_hit_rate", name, s.hitRate, seg, data);
    newsRows.push([label + segNote, name, s.n, s.ic, s.rankIc, s.dailyIc, s.days, s.hitRate, s.hitN]);
    icBars.push({ x: `${label}${segNote}/${name}`, y: s.rankIc });
  };
  const runNews = async (
    label: string,
    items: NewsText[],
    prices: CloseSeries,
    data: string,
    lmRef: string | null,
    variant = "fp32",
  ) => {
    const texts = items.map((i) => i.text);
    for (
      const [name, scoreFn] of [
        ["lexicon", (x: string[]) => lex.score(x)],
        ["text-logistic", (x: string[]) => ours.score(x)],
      ] as const
    ) {
      const t2 = performance.now();
      const panel = newsPanel(items, scoreFn(texts), prices);
      timings[`news_${label}_${name}_ms`] = performance.now() - t2;
      recordNews(label, name, panel, data);
    }
    if (!lm || !lmRef) return;
    // The text model: every item scored point in time (cached by item id and model), the same decision-time
    // rule. A reduced run scores every 5th item and compares with the lexicon on the same items.
    const sub = reduced ? items.filter((_, i) => i % 5 === 0) : items;
    const segNote = reduced ? " (every 5th item)" : "";
    const model = await lm.load(lmRef, { variant });
    try {
      const t2 = performance.now();
      const res = await scoreNews(asNewsItems(label, sub), lmScorerOf(model), lm.cache, {
        onProgress: (d, t) => ctx.log?.(`sentiment: ${label} ${model.id} ${d}/${t}`),
      });
      timings[`news_${label}_lm_ms`] = performance.now() - t2;
      if (res.scored) {
        notes.push(
          `${label}: ${model.id} scored ${res.scored} items (${res.texts} distinct texts, ${
            (res.texts / (res.scoreMs / 1000)).toFixed(0)
          }/s on ${threadsLabel(model.threadHistory)}; ${res.cached} from the score cache).`,
        );
      } else {notes.push(
          `${label}: ${model.id} scores for all ${res.cached} items came from the score cache.`,
        );}
      recordNews(label, model.id, newsPanel(sub, res.items.map((i) => i.sentiment!), prices), data, segNote);
      if (reduced) {
        recordNews(
          label,
          "lexicon",
          newsPanel(sub, lex.score(sub.map((i) => i.text)), prices),
          data,
          segNote,
        );
      }
    } finally {
      await model.release();
    }
  };
  t1 = performance.now();
  const bz = loadBenzinga(ctx.sharedDir);
  const bzPrices = loadSp500Closes(ctx.sharedDir, new Set(bz.items.map((i) => i.ticker)));
  timings.benzinga_load_ms = performance.now() - t1;
  await runNews(
    "benzinga",
    bz.items,
    bzPrices,
    `${SENTIMENT_FILES.benzinga} + ${SENTIMENT_FILES.sp500}`,
    lm?.newsModel ?? null,
  );
  notes.push(
    `benzinga: ${bz.items.length} headlines kept (${bz.dropped} market-wide list headlines dropped); prices for ${
      [...bzPrices.keys()].join(", ")
    } from sp500-5yr-ohlcv (2013-02-08..2018-02-07).`,
  );
  t1 = performance.now();
  let tweets = loadStocknetTweets(ctx.sharedDir);
  const snPrices = loadStocknetPrices(ctx.sharedDir);
  if (reduced) tweets = tweets.filter((_, i) => i % 10 === 0);
  timings.stocknet_load_ms = performance.now() - t1;
  await runNews(
    "stocknet",
    tweets,
    snPrices,
    `${SENTIMENT_FILES.stocknetTweets} + ${SENTIMENT_FILES.stocknetPrices}`,
    lm?.bulkModel ?? null,
    lm?.bulkVariant,
  );
  notes.push(
    `stocknet: ${tweets.length} tweets${
      reduced ? " (reduced: every 10th)" : ""
    }, adjusted closes from StockNet; items after the 16:00 New York close count for the next session.`,
  );
  // market-wide headlines: one series (the market's daily mean sentiment vs SPY's next session), bulk-scored
  t1 = performance.now();
  let market = await loadMarketHeadlines(ctx.sharedDir);
  const spy = await loadSpyCloses(ctx.sharedDir);
  if (reduced) market = market.filter((_, i) => i % 10 === 0);
  timings.market_load_ms = performance.now() - t1;
  await runNews(
    "market",
    market,
    spy,
    `${SENTIMENT_FILES.cnbc} + ${SENTIMENT_FILES.guardian} + ${SENTIMENT_FILES.spy}`,
    lm?.bulkModel ?? null,
    lm?.bulkVariant,
  );
  notes.push(
    `market: ${market.length} CNBC and Guardian headlines${
      reduced ? " (reduced: every 10th)" : ""
    } with no ticker (read by the csv news source, as --news-file reads them: a date alone or a month alone ` +
      `counts after that day's or month's end), as the market's news: the daily mean sentiment vs SPY's ` +
      `next-session total return (adjusted close). One series, so there is no daily cross-sectional IC. Scored ` +
      `by the lexicon and text-logistic${lm?.bulkModel ? " and the bulk text model" : ""}.`,
  );
  tables.push({
    columns: ["data", "method", "ticker-days", "IC", "RankIC", "daily IC", "days", "hit rate", "hit n"],
    rows: newsRows,
    caption: "Daily mean sentiment per ticker vs the next session's close-to-close return",
  });
  figures.push(
    barFigure(
      "News sentiment -> next-session return: pooled RankIC",
      icBars.map((b) => b.x),
      icBars.map((b) => b.y),
      "RankIC",
    ),
  );
  notes.push(`Classes: ${SENTIMENT_CLASSES.join(", ")}.`);
  timings.total_ms = performance.now() - t0;
  return withSurvivorshipNote({
    section: "sentiment",
    title: "4. News and text sentiment",
    metrics,
    figures,
    tables,
    notes,
    timings,
  });
}
