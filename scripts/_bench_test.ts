import { equal, ok } from "node:assert/strict";
import { median } from "./_bench.ts";

Deno.test("bench median: the middle value, the mean of the two middle ones for an even count", () => {
  equal(median([3, 1, 2]), 2);
  equal(median([4, 1, 3, 2]), 2.5);
  equal(median([10, 20]), 15);
  equal(median([7]), 7);
  ok(Number.isNaN(median([])));
  const xs = [5, 1];
  median(xs);
  equal(xs[0], 5, "input unchanged");
});
