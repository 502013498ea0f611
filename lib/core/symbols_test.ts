import { deepEqual, equal, throws } from "node:assert/strict";
import { InputError, parseSymbolList, repeatedSymbol } from "./mod.ts";

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
