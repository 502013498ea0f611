import { equal, ok } from "node:assert/strict";
import { readFileSync } from "node:fs";
import { LexiconModel, lexiconScore } from "./lexicon.ts";
import { sentimentIndex } from "./text.ts";

Deno.test("lexiconScore: polarity, negation and 'loss narrowed'", () => {
  ok(lexiconScore("Operating profit rose to EUR 5 mn").score > 0);
  ok(lexiconScore("Sales fell sharply and the company warned").score < 0);
  ok(lexiconScore("Sales did not fall").score > 0);
  ok(lexiconScore("The loss narrowed to EUR 2 mn").score > 0);
  equal(lexiconScore("The company is based in Helsinki").score, 0);
});

Deno.test("LexiconModel beats the majority class on PhraseBank AllAgree (real data)", () => {
  const url = new URL("../../../shared/data/financial-phrasebank/Sentences_AllAgree.txt", import.meta.url);
  const lines = readFileSync(url, "utf8").split("\n").filter((l) => l.length > 0);
  const texts = lines.map((l) => l.slice(0, l.lastIndexOf("@")));
  const y = lines.map((l) => sentimentIndex(l.slice(l.lastIndexOf("@") + 1)));
  const pred = new LexiconModel().predict(texts);
  let hit = 0;
  const counts = [0, 0, 0];
  for (let i = 0; i < y.length; i++) {
    if (pred[i] === y[i]) hit++;
    counts[y[i]]++;
  }
  const acc = hit / y.length, majority = Math.max(...counts) / y.length;
  ok(acc > majority + 0.1, `lexicon accuracy ${acc} vs majority ${majority}`);
});
