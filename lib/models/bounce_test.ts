import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { createSyntheticMarket } from "../sources/mod.ts";
import { type SymbolSeries, toSeries } from "../dataset/mod.ts";
import { LevelBounceModel, levelRowFeatures } from "./bounce.ts";
import { SwingLevelModel } from "./levels.ts";

async function seriesOf(levelStrength: number): Promise<Map<string, SymbolSeries>> {
  const m = createSyntheticMarket({
    seed: 5,
    symbols: 12,
    sessions: 700,
    levelStrength,
    levelReversal: 2,
    levelBand: 0.03,
  });
  const bars = await m.bars({ symbols: m.symbols, from: m.dates[0], to: m.dates[m.dates.length - 1] });
  return new Map(m.symbols.map((s) => [s, toSeries(bars.get(s)!)]));
}

Deno.test("level bounce model learns that planted levels hold more often than on the unplanted twin", async () => {
  const lm = new SwingLevelModel();
  const planted = new LevelBounceModel().fit(await seriesOf(0.8), lm);
  const twin = new LevelBounceModel().fit(await seriesOf(0), lm);
  ok(
    planted.params.holdRate > twin.params.holdRate + 0.025,
    `hold rate ${planted.params.holdRate} vs ${twin.params.holdRate}`,
  );
  // a level half an ATR away is more likely touched than one 4 ATRs away
  ok(planted.touchProbability(0.5, 1) > planted.touchProbability(4, 1) + 0.2);
  // a support that tends to hold is bullish, the same level as resistance bearish
  const f = {
    supportDist: 0.3,
    supportStrength: 0.6,
    supportTouches: 3,
    resistanceDist: NaN,
    resistanceStrength: NaN,
    resistanceTouches: NaN,
  };
  if (planted.holdProbability(0.3, 0.6, 3, 1) > 0.5) ok(planted.score(f) > 0);
  ok(Number.isNaN(planted.score({ ...f, supportDist: NaN })));
  deepEqual(LevelBounceModel.fromJSON(JSON.parse(JSON.stringify(planted))).score(f), planted.score(f));
});

Deno.test("level bounce model uses only outcomes known by the cutoff", async () => {
  const lm = new SwingLevelModel(), all = await seriesOf(0.6);
  const knownBy: Record<string, number> = {}, cut = new Map<string, SymbolSeries>();
  for (const [s, x] of all) {
    knownBy[s] = 400;
    cut.set(s, {
      ...x,
      dates: x.dates.slice(0, 401),
      open: x.open.slice(0, 401),
      high: x.high.slice(0, 401),
      low: x.low.slice(0, 401),
      close: x.close.slice(0, 401),
      adjClose: x.adjClose.slice(0, 401),
      volume: x.volume.slice(0, 401),
    });
  }
  const a = new LevelBounceModel().fit(all, lm, { knownBy }), b = new LevelBounceModel().fit(cut, lm);
  deepEqual(a.toJSON(), b.toJSON());
  const f = levelRowFeatures(lm, all.get("SYN00")!, 300);
  ok(Number.isFinite(f.supportDist) || Number.isFinite(f.resistanceDist));
  equal(f.supportDist >= 0 || Number.isNaN(f.supportDist), true);
  throws(() => new LevelBounceModel().fit(new Map(), lm), Error);
});
