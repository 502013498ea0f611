import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { ConfigError, FmaiError } from "@lib/core/mod.ts";
import type { MarketSource } from "@lib/sources/mod.ts";
import { leftOutNote, membersOn, runUniverse, sourceSymbols } from "./collect.ts";

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

Deno.test("runUniverse: a universe file's spells over the run's dates name the symbols; membersOn a date", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-universe-" });
  try {
    const file = `${dir}/sp.csv`;
    await Deno.writeTextFile(
      file,
      "symbol,from,to\nAAPL,2010-01-04,\nXOM,2010-01-04,2015-06-30\nMSFT,2016-01-04,\nGE,2001-01-02,2009-12-31\n",
    );
    const conf = { symbols: [] as string[], universe: file };
    const u = await runUniverse(conf, lists(["IGNORED"]), "2012-01-03", "2018-12-31");
    equal(u.universe, "sp");
    deepEqual(u.symbols, ["AAPL", "MSFT", "XOM"], "GE's spell ends before the run: not a member");
    deepEqual(u.leftOut, []);
    deepEqual(membersOn(u, "2014-06-02"), ["AAPL", "XOM"]);
    deepEqual(membersOn(u, "2016-01-04"), ["AAPL", "MSFT"]);
    deepEqual(membersOn(u, "2015-06-30"), ["AAPL", "XOM"], "the last day of a spell is inside it");
    // configured symbols stay the user's, bounded by the spells
    const only = await runUniverse({ ...conf, symbols: ["AAPL"] }, lists([]), "2012-01-03", "2018-12-31");
    deepEqual(membersOn(only, "2014-06-02"), ["AAPL"]);
    await rejects(
      () => runUniverse({ ...conf, symbols: ["AAPL", "GE", "IBM"] }, lists([]), "2012-01-03", "2018-12-31"),
      /source\.symbols GE, IBM: not a member of source\.universe .*sp\.csv in 2012-01-03\.\.2018-12-31/,
    );
    // no spell meets the dates, or a member printed after the close: refused, nothing substituted
    await rejects(
      () => runUniverse(conf, lists(["AAPL"]), "1995-01-03", "1999-12-31"),
      /source\.universe .*sp\.csv: no membership spell meets 1995-01-03\.\.1999-12-31/,
    );
    await Deno.writeTextFile(file, "symbol,from,to\nSPY,2010-01-04,\n^VIX,2010-01-04,\n");
    await rejects(() => runUniverse(conf, lists([]), "2012-01-03", "2018-12-31"), ConfigError);
    // a fixed universe: every symbol is a member every day
    const fixed = await runUniverse(
      { symbols: ["A", "B"], universe: null },
      lists([]),
      "2012-01-03",
      "2012-12-31",
    );
    deepEqual(membersOn(fixed, "2012-06-01"), ["A", "B"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runUniverse: only a null universe means the fixed list; an empty path is read and refused", async () => {
  for (const universe of ["", " "]) {
    await rejects(
      () => runUniverse({ symbols: ["A"], universe }, lists(["A", "B"]), "2012-01-03", "2012-12-31"),
      (e: Error) => e instanceof FmaiError && e.userError && /universe: cannot read/.test(e.message),
    );
  }
});
