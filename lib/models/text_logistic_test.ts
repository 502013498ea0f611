import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { readFileSync } from "node:fs";
import { TextLogisticModel } from "./text_logistic.ts";
import { sentimentIndex } from "./text.ts";

Deno.test("TextLogisticModel learns a planted word rule and round-trips through JSON", () => {
  const texts: string[] = [], y: number[] = [];
  const filler = ["the", "company", "said", "today", "results", "quarter"];
  for (let i = 0; i < 150; i++) {
    const c = i % 3, w = ["slumped", "unchanged", "soared"][c];
    texts.push(`${filler[i % 6]} ${w} ${filler[(i + 2) % 6]}`);
    y.push(c);
  }
  const m = new TextLogisticModel({ l2: 1e-4, minDf: 1 }).fit(texts, y);
  deepEqual(Array.from(m.predict(["sales soared", "sales slumped", "sales unchanged"])), [2, 0, 1]);
  const P = m.predictProba(["sales soared"]);
  ok(Math.abs(P[0] + P[1] + P[2] - 1) < 1e-12);
  const back = TextLogisticModel.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
  deepEqual(Array.from(back.predictProba(texts.slice(0, 9))), Array.from(m.predictProba(texts.slice(0, 9))));
  ok(m.score(["sales soared"])[0] > 0.5);
  const lx = new TextLogisticModel({ l2: 1e-4, minDf: 1, lexicon: true }).fit(texts, y);
  ok(lx.vocabularySize > m.vocabularySize, "lexicon tags add terms");
  const lxBack = TextLogisticModel.fromJSON(JSON.parse(JSON.stringify(lx.toJSON())));
  deepEqual(Array.from(lxBack.predictProba(["profit rose"])), Array.from(lx.predictProba(["profit rose"])));
  throws(() => new TextLogisticModel().predict(["x"]));
  throws(() => new TextLogisticModel().fit(["a"], [5]), RangeError);
});

Deno.test("TextLogisticModel on PhraseBank AllAgree: held-out accuracy well above the majority class", () => {
  const url = new URL("../../../shared/data/financial-phrasebank/Sentences_AllAgree.txt", import.meta.url);
  const lines = readFileSync(url, "utf8").split("\n").filter((l) => l.length > 0);
  const texts = lines.map((l) => l.slice(0, l.lastIndexOf("@")));
  const y = lines.map((l) => sentimentIndex(l.slice(l.lastIndexOf("@") + 1)));
  const tr = texts.map((_, i) => i).filter((i) => i % 4 !== 0),
    te = texts.map((_, i) => i).filter((i) => i % 4 === 0);
  const m = new TextLogisticModel({ l2: 1e-5, maxIter: 150 }).fit(
    tr.map((i) => texts[i]),
    tr.map((i) => y[i]),
  );
  const pred = m.predict(te.map((i) => texts[i]));
  let hit = 0, neutral = 0;
  te.forEach((i, k) => {
    if (pred[k] === y[i]) hit++;
    if (y[i] === 1) neutral++;
  });
  const acc = hit / te.length;
  equal(pred.length, te.length);
  ok(acc > neutral / te.length + 0.2, `accuracy ${acc}, majority ${neutral / te.length}`);
});
