import { deepEqual, equal, ok } from "node:assert/strict";
import type { MarketSource } from "@lib/sources/mod.ts";
import { leftOutNote, sourceSymbols } from "./collect.ts";

const lists = (symbols: string[]) =>
  ({ listSymbols: () => Promise.resolve(symbols) }) as unknown as MarketSource;

Deno.test("sourceSymbols: a listed universe loses what is published after the close, and the note says so", async () => {
  const r = await sourceSymbols([], lists(["SPY", "^VIX", "^GSPC", "^vxn", "QQQ"]));
  deepEqual(r.symbols, ["SPY", "^GSPC", "QQQ"]);
  deepEqual(r.leftOut, ["^VIX", "^vxn"]);
  const note = leftOutNote(r.leftOut);
  ok(note.includes("^VIX, ^vxn") && note.includes("published after the close"), note);
  deepEqual(await sourceSymbols([], lists(["AAPL"])), { symbols: ["AAPL"], leftOut: [] });
  equal(leftOutNote([]), "");
  // configured symbols are the user's own list (config load refuses ^VIX there): taken as given
  deepEqual(await sourceSymbols(["MSFT"], lists(["AAPL"])), { symbols: ["MSFT"], leftOut: [] });
});
