import { equal, ok } from "node:assert/strict";
import { createSyntheticMarket } from "@lib/sources/mod.ts";
import { ownMarketContext } from "./market.ts";

Deno.test("ownMarketContext: the synthetic market's own series only on its own symbols and no named series", async () => {
  const m = createSyntheticMarket({ seed: 1, symbols: 3, sessions: 40 });
  const none = { index: null, vix: null };
  const own = await ownMarketContext(m, none, m.symbols);
  ok(own, "the synthetic universe gets the market's own index and VIX-like series");
  equal(own.dates.length, 40);
  // real symbols read from the stores (a Lambda's run on the default synthetic config) are not on that market:
  // the universe's own index and VIX stand-in, not the synthetic series
  equal(await ownMarketContext(m, none, ["SPY", "QQQ"]), undefined);
  // a symbol the market does not hold beside its own (a typo, one the store never got) has no bars: it leaves
  // the context as it is (it turned the whole run's into the universe's, and a fitted system was refused)
  equal((await ownMarketContext(m, none, [m.symbols[0], "ZZZ"]))?.dates.length, 40);
  // series the config names win
  equal(await ownMarketContext(m, { index: "^GSPC", vix: "^VIX" }, m.symbols), undefined);
});
