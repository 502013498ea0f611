import { fileURLToPath } from "node:url";
import { deepEqual, equal, ok } from "node:assert/strict";
import { readFileSync } from "node:fs";
import { closeTime, nextSession, sessionForKnownAt } from "../core/mod.ts";
import {
  classificationScores,
  loadBenzinga,
  loadMarketHeadlines,
  loadSpyCloses,
  loadStocknetTweets,
  MARKET_NEWS_TICKER,
  newsPanel,
  newsScores,
  parseCsv,
  parsePhraseBank,
  PHRASEBANK_SPLIT,
  stratifiedSplit,
} from "./sentiment.ts";

const PB = new URL("../../../shared/data/financial-phrasebank/Sentences_50Agree.txt", import.meta.url);
const pb = parsePhraseBank(new TextDecoder("latin1").decode(readFileSync(PB)));

Deno.test("PhraseBank 50% agree: 4,846 sentences with the published class counts", () => {
  equal(pb.length, 4846);
  const c = [0, 0, 0];
  for (const s of pb) c[s.label]++;
  deepEqual(c, [604, 2879, 1363]);
});

Deno.test("committed split: regenerates from seed 42, disjoint, covering, stratified 80/10/10", () => {
  const again = stratifiedSplit(pb.map((s) => s.label), PHRASEBANK_SPLIT.seed);
  deepEqual(again.train, PHRASEBANK_SPLIT.train);
  deepEqual(again.validation, PHRASEBANK_SPLIT.validation);
  deepEqual(again.test, PHRASEBANK_SPLIT.test);
  const all = [...PHRASEBANK_SPLIT.train, ...PHRASEBANK_SPLIT.validation, ...PHRASEBANK_SPLIT.test];
  equal(new Set(all).size, pb.length);
  equal(all.length, pb.length);
  for (const part of ["train", "validation", "test"] as const) {
    const ids = PHRASEBANK_SPLIT[part], frac = ids.length / pb.length;
    const pos = ids.filter((i) => pb[i].label === 2).length / ids.length;
    ok(Math.abs(pos - 1363 / 4846) < 0.01, `${part} positive share ${pos}`);
    ok(part === "train" ? Math.abs(frac - 0.8) < 0.01 : Math.abs(frac - 0.1) < 0.01);
  }
});

Deno.test("classificationScores: accuracy and macro F1 by hand", () => {
  const s = classificationScores([0, 0, 1, 2], [0, 1, 1, 2]);
  equal(s.accuracy, 0.75);
  // F1: class0 2/3, class1 2/3, class2 1
  ok(Math.abs(s.macroF1 - (2 / 3 + 2 / 3 + 1) / 3) < 1e-12);
});

Deno.test("parseCsv: quotes, escaped quotes and embedded newlines", () => {
  deepEqual(parseCsv('a,b\n"x, y","say ""hi""\nthere"\n1,2'), [["a", "b"], ["x, y", 'say "hi"\nthere'], [
    "1",
    "2",
  ]]);
});

Deno.test("newsPanel: after-close news counts for the next session (decision-time rule)", () => {
  const d = "2017-03-01", d2 = nextSession(d), d3 = nextSession(d2);
  const prices = new Map([["X", { dates: [d, d2, d3], close: Float64Array.from([100, 110, 99]) }]]);
  const items = [
    { ticker: "X", knownAt: closeTime(d) - 60_000, text: "" }, // 15:59 -> session d, return d -> d2
    { ticker: "X", knownAt: closeTime(d) + 60_000, text: "" }, // 16:01 -> session d2, return d2 -> d3
    { ticker: "Y", knownAt: closeTime(d), text: "" }, // no prices
  ];
  const p = newsPanel(items, [1, -1, 1], prices);
  deepEqual(p.session, [d, d2]);
  deepEqual(Array.from(p.score), [1, -1]);
  ok(Math.abs(p.ret[0] - 0.1) < 1e-12 && Math.abs(p.ret[1] - (99 / 110 - 1)) < 1e-12);
  const s = newsScores(p);
  equal(s.hitRate, 1);
  equal(s.n, 2);
});

Deno.test("market headlines: the CNBC and Guardian files as SPY's news, joined to SPY's next-session total return", async () => {
  const shared = fileURLToPath(new URL("../../../shared/data", import.meta.url));
  const items = await loadMarketHeadlines(shared);
  equal(items.length, 20_600); // 2,800 CNBC + 17,800 Guardian headlines, none repeated
  ok(items.every((i) => i.ticker === MARKET_NEWS_TICKER && i.text.length > 0));
  const spy = await loadSpyCloses(shared);
  const p = spy.get("SPY")!;
  ok(p.dates[0] <= "2017-12-18" && p.dates.at(-1)! >= "2020-07-21");
  // 2018-03-01: 7 CNBC headlines after the close of 02-28 and the 20 Guardian ones dated 28-Feb-18 (a date alone
  // counts after its day), counted with Python's csv module
  const panel = newsPanel(items, items.map(() => 1), spy);
  const k = panel.session.indexOf("2018-03-01");
  ok(k >= 0);
  const day = p.dates.indexOf("2018-03-01");
  ok(Math.abs(panel.ret[k] - (p.close[day + 1] / p.close[day] - 1)) < 1e-15, "the next session's return");
  equal(panel.items[k], 27);
});

Deno.test("Benzinga and StockNet through the news files' time parser: a 16:00:00 stamp counts for the next session", () => {
  const shared = fileURLToPath(new URL("../../../shared/data", import.meta.url));
  const { items } = loadBenzinga(shared);
  // Benzinga stamps to the minute and writes 16:00:00: known at the end of that minute, after the close
  const abax = items.filter((i) => i.ticker === "ABAX" && i.text.startsWith("Abaxis Reports Q3 EPS $0.26"));
  equal(abax.length, 1);
  equal(abax[0].knownAt, Date.parse("2015-01-29T21:00:59.999Z"));
  equal(sessionForKnownAt(abax[0].knownAt), "2015-01-30");
  // none is known at a close's exact second any more (30 were, and joined that close)
  equal(items.filter((i) => closeTime(sessionForKnownAt(i.knownAt)) === i.knownAt).length, 0);
  // the tweets: exact seconds as stated (the first row, 03:59:03Z)
  const tweets = loadStocknetTweets(shared);
  equal(tweets[0].knownAt, Date.parse("2014-01-01T03:59:03Z"));
  equal(tweets.length, 106_338);
});
