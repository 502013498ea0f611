import { equal, throws } from "node:assert/strict";
import { ConfigError, isoDateOf, wholeNumber } from "./mod.ts";

Deno.test("wholeNumber: decimal digits in range", () => {
  equal(wholeNumber("3", "--runs"), 3);
  equal(wholeNumber("007", "--runs"), 7);
  equal(wholeNumber("0", "--seed", { min: 0 }), 0);
  equal(wholeNumber("8", "--n", { max: 8 }), 8);
  equal(wholeNumber("9007199254740991", "--big", { min: 0 }), Number.MAX_SAFE_INTEGER);
});

Deno.test("wholeNumber: anything else is a one-line ConfigError naming where, what is wanted and the value", () => {
  const refused = (raw: string, range: { min?: number; max?: number }, why: string, message: string) =>
    throws(() => wholeNumber(raw, "--x", range, why), (e) => {
      equal(e instanceof ConfigError, true, `${e}`);
      equal((e as Error).message, message);
      return true;
    }, raw);
  for (const bad of ["", " ", " 3", "3 ", "+3", "-1", "0", "1.5", "7.0", "1e3", "0x10", "Infinity", "٣"]) {
    refused(bad, {}, "", `--x: expected a positive whole number, got ${JSON.stringify(bad)}`);
  }
  refused("9007199254740992", { min: 0 }, "", '--x: expected a whole number >= 0, got "9007199254740992"');
  refused("-3", { min: 0 }, "", '--x: expected a whole number >= 0, got "-3"');
  refused("6", { min: 7 }, "", '--x: expected a whole number >= 7, got "6"');
  refused("9", { max: 8 }, "", '--x: expected a whole number from 1 to 8, got "9"');
  refused(
    "7",
    { min: 1, max: 6 },
    " for minilm",
    '--x: expected a whole number from 1 to 6 for minilm, got "7"',
  );
  refused("a\nb", {}, "", '--x: expected a positive whole number, got "a\\nb"');
});

Deno.test("isoDateOf: a calendar date YYYY-MM-DD, else a one-line ConfigError quoting the value", () => {
  equal(isoDateOf("2018-12-20", "--as-of"), "2018-12-20");
  for (const bad of ["2018-12-20 ", " 2019-01-02", "2018-02-30", "2018-1-2", "", "yesterday"]) {
    throws(() => isoDateOf(bad, "--from"), (e) => {
      equal(e instanceof ConfigError, true, `${e}`);
      equal((e as Error).message, `--from: expected a date YYYY-MM-DD, got ${JSON.stringify(bad)}`);
      return true;
    }, bad);
  }
});
