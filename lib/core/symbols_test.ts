import { deepEqual, equal, throws } from "node:assert/strict";
import { ConfigError, InputError, normalizeSymbols, parseSymbolList, repeatedSymbol } from "./mod.ts";

Deno.test("repeatedSymbol: a symbol listed twice, in any case, is named in one line; none is null", () => {
  equal(repeatedSymbol(["SPY", "QQQ", "SPY"], "--symbols"), "--symbols: SPY is given twice");
  equal(
    repeatedSymbol(["AAPL", "MSFT", "aapl"], "--symbols"),
    "--symbols: AAPL and aapl are the same symbol",
  );
  equal(
    repeatedSymbol(["^gspc", "^GSPC"], "source.symbols"),
    "source.symbols: ^gspc and ^GSPC are the same symbol",
  );
  equal(repeatedSymbol(["SPY", "QQQ", "^GSPC"], "--symbols"), null);
  equal(repeatedSymbol([], "--symbols"), null);
});

Deno.test("parseSymbolList keeps repeats and spelling (the edges refuse repeats with repeatedSymbol)", () => {
  deepEqual(parseSymbolList(" spy, SPY ,,QQQ", "--symbols"), ["spy", "SPY", "QQQ"]);
  deepEqual(parseSymbolList("spy,qqq", "X", { upperCase: true }), ["SPY", "QQQ"]);
  throws(() => parseSymbolList(" , ", "--symbols"), InputError);
});

Deno.test("normalizeSymbols: refuses a repeat (with the caller's error class), else upper-cases and names what changed", () => {
  deepEqual(normalizeSymbols(["spy", "QQQ", "^gspc"], "--symbols"), {
    symbols: ["SPY", "QQQ", "^GSPC"],
    renamed: ["spy is SPY", "^gspc is ^GSPC"],
  });
  deepEqual(normalizeSymbols(["SPY"], "--symbols"), { symbols: ["SPY"], renamed: [] });
  throws(() => normalizeSymbols(["AAPL", "aapl"], "detail.symbols"), (e) => {
    deepEqual([e instanceof InputError, (e as Error).message], [
      true,
      "detail.symbols: AAPL and aapl are the same symbol",
    ]);
    return true;
  });
  throws(() => normalizeSymbols(["SPY", "SPY"], "FMAI_SYMBOLS", ConfigError), (e) => {
    deepEqual([e instanceof ConfigError, (e as Error).message], [true, "FMAI_SYMBOLS: SPY is given twice"]);
    return true;
  });
  // upper-casing may break the pattern (a combining mark, more than 24 characters): refused, naming the entry
  throws(() => normalizeSymbols(["SPY", "ΐ"], "--symbols", ConfigError), (e) => {
    deepEqual([e instanceof InputError, /^--symbols\[1\]: ".*" is not a symbol/.test((e as Error).message)], [
      true,
      true,
    ]);
    return true;
  });
  throws(
    () => normalizeSymbols(["ß".repeat(24)], "--symbols"),
    /^InputError: --symbols\[0\]: "S{48}" is not a symbol/,
  );
});
