import { equal, throws } from "node:assert/strict";
import { chartKey, checkObjectKey, checkObjectPrefix, modelKey, rawKey, reportKey } from "./keys.ts";

Deno.test("keys: the documented layout", () => {
  equal(rawKey("yahoo", Date.UTC(2024, 0, 5, 23, 59), "AAPL.json"), "raw/yahoo/2024/01/05/AAPL.json");
  equal(rawKey("nasdaq", Date.UTC(1999, 11, 31), "x"), "raw/nasdaq/1999/12/31/x");
  equal(chartKey("AAPL", "2024-01-02"), "charts/AAPL/2024-01-02.png");
  equal(chartKey("BRK.B", "2024-01-02", "svg"), "charts/BRK.B/2024-01-02.svg");
  equal(modelKey("mlp", "v3", "weights/group1.bin"), "models/mlp/v3/weights/group1.bin");
  equal(reportKey("2024-01-02T00-00", "index.html"), "reports/2024-01-02T00-00/index.html");
});

Deno.test("keys: bad keys and segments are TypeError/RangeError", () => {
  for (const k of ["", "/a", "a/../b", "..", "a//b", "a/", "./a", "a\\b", "a\nb"]) {
    throws(() => checkObjectKey(k), RangeError, k);
  }
  throws(() => checkObjectKey(3), TypeError);
  throws(() => checkObjectKey("x".repeat(1025)), RangeError);
  equal(checkObjectKey("raw/yahoo/2024/01/05/a b ü.json"), "raw/yahoo/2024/01/05/a b ü.json");
  equal(checkObjectPrefix(""), "");
  equal(checkObjectPrefix("raw/"), "raw/");
  equal(checkObjectPrefix("ra"), "ra");
  throws(() => checkObjectPrefix("../"), RangeError);
  throws(() => checkObjectPrefix("/raw"), RangeError);
  throws(() => rawKey("a/b", 0, "x"), RangeError);
  throws(() => rawKey("a", NaN, "x"), RangeError);
  throws(() => chartKey("AAPL", "2024-1-2"), RangeError);
  throws(() => modelKey("m", "..", "f"), RangeError);
  throws(() => modelKey("m", "v1", "../../etc/passwd"), RangeError);
});
