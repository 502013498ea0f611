import { deepEqual, equal, throws } from "node:assert/strict";
import { Lru } from "./lru.ts";

Deno.test("lru: the least recently used entry goes first, by count and by weight", () => {
  const c = new Lru<string>(3, 10, (v) => v.length);
  c.set("a", "xx");
  c.set("b", "yy");
  c.set("c", "zz");
  equal(c.get("a"), "xx"); // a is now the most recent
  c.set("d", "ww"); // over 3 entries: b goes
  equal(c.has("b"), false);
  deepEqual(["a", "c", "d"].map((k) => c.get(k)), ["xx", "zz", "ww"]);
  equal(c.weight, 6);
  c.set("e", "1234567"); // 4 entries of weight 13: the oldest go until both fit (a, then c)
  equal(c.size, 2);
  deepEqual([c.has("a"), c.has("c"), c.has("d"), c.has("e")], [false, false, true, true]);
  equal(c.weight, 9);
  c.set("d", "w"); // replacing re-weighs
  equal(c.weight, 8);
  c.set("big", "x".repeat(11)); // heavier than the whole budget: nothing stays
  equal(c.size, 0);
  equal(c.weight, 0);
  c.set("n", "");
  equal(c.get("missing"), undefined);
  c.clear();
  equal(c.size, 0);
  throws(() => new Lru(-1), RangeError);
});
