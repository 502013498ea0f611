import { deepEqual, equal, throws } from "node:assert/strict";
import { sentimentIndex, tokenize } from "./text.ts";

Deno.test("tokenize: lower-cases, maps numbers and percentages, splits n't", () => {
  deepEqual(tokenize("Net sales rose 12.5 % to EUR 1,200 mn ."), [
    "net",
    "sales",
    "rose",
    "<num>",
    "<pct>",
    "to",
    "eur",
    "<num>",
    "mn",
  ]);
  deepEqual(tokenize("Profit didn't grow"), ["profit", "did", "not", "grow"]);
  deepEqual(tokenize("up 15%"), ["up", "<pct>"]);
});

Deno.test("sentimentIndex: class order negative, neutral, positive", () => {
  equal(sentimentIndex("negative"), 0);
  equal(sentimentIndex("neutral\r"), 1);
  equal(sentimentIndex("Positive"), 2);
  throws(() => sentimentIndex("mixed"), RangeError);
});
