import { equal } from "node:assert/strict";
import { fixed } from "./report.ts";

Deno.test("the summary line shows a non-finite number (the Sharpe of a book that never traded) as the table does", () => {
  equal(fixed(NaN, 2), "–");
  equal(fixed(Infinity, 1, "%"), "–");
  equal(fixed(1.2345, 2), "1.23");
  equal(fixed(100 * 0.0512, 1, "%"), "5.1%");
  equal(fixed(0, 1, "%"), "0.0%");
});
