import { equal, ok, throws } from "node:assert/strict";
import { createHash } from "node:crypto";
import { createSyntheticMarket, plantedRegimeMarket, type SyntheticMarket } from "./synthetic.ts";

async function digest(m: SyntheticMarket): Promise<string> {
  const req = { symbols: m.symbols, from: m.dates[0], to: m.dates[m.dates.length - 1] };
  const bars = await m.bars(req);
  const h = createHash("sha256");
  for (const s of m.symbols) {
    for (const b of bars.get(s)!) h.update(`${b.date},${b.open},${b.high},${b.low},${b.close},${b.volume};`);
  }
  h.update(JSON.stringify(await m.news(req)));
  return h.digest("hex");
}

Deno.test("synthetic: the planted-regime option is off by default and leaves the markets bit for bit unchanged", async () => {
  // Digests taken before the option existed, re-taken when headlines became text from a grammar (issue 12): the
  // bars and every news field but `headline` and the dropped `sentiment` number were checked equal to the
  // earlier digests' market before re-pinning.
  equal(
    await digest(createSyntheticMarket()),
    "848c1f9b835fd91c17c88da28f632c9a804ab70b0a3fe3521d0a8c95ad811f54",
  );
  equal(
    await digest(
      createSyntheticMarket({ seed: 7, newsEffect: 0.01, levelStrength: 0.3, symbols: 5, sessions: 300 }),
    ),
    "a7605d516a5e921b66bc08210e10d2eba99c4f58cf3ee0fe157a7a3c7087eae5",
  );
  const m = createSyntheticMarket({ sessions: 50, symbols: 2 });
  ok(m.truth.tickers[m.symbols[0]].regimeShift.every((v) => v === 0));
  throws(() => createSyntheticMarket({ plantedRegime: { momentumSkip: 70 } }), RangeError);
  throws(() => createSyntheticMarket({ plantedRegime: { reversal: -1 } }), RangeError);
});

function corr(a: number[], b: number[]): number {
  const n = a.length, ma = a.reduce((s, v) => s + v, 0) / n, mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

/**
 * Correlation of each signal (from residual returns known at t-1) with the residual return of t, per regime,
 * pooled over tickers.
 */
function effects(m: SyntheticMarket) {
  const out = { calm: { mom: [[], []], rev: [[], []] }, stress: { mom: [[], []], rev: [[], []] } } as Record<
    "calm" | "stress",
    Record<"mom" | "rev", [number[], number[]]>
  >;
  for (const s of m.symbols) {
    const tr = m.truth.tickers[s];
    const cum: number[] = [];
    const resid = tr.logReturn.map((r, t) => r - tr.beta * m.truth.marketReturn[t]);
    resid.reduce((a, r, i) => (cum[i] = a + r), 0);
    const idioSd = (t: number) => Math.sqrt(tr.variance[t] - tr.beta ** 2 * m.truth.marketVariance[t]);
    for (let t = 70; t < tr.logReturn.length; t++) {
      const sd = idioSd(t - 1);
      const mom = (cum[t - 6] - cum[t - 61]) / (sd * Math.sqrt(55));
      const rev = -(cum[t - 1] - cum[t - 6]) / (sd * Math.sqrt(5));
      const z = resid[t] / idioSd(t);
      const g = m.truth.regime[t] === 0 ? out.calm : out.stress;
      g.mom[0].push(mom), g.mom[1].push(z), g.rev[0].push(rev), g.rev[1].push(z);
    }
  }
  const c = (p: [number[], number[]]) => corr(p[0], p[1]);
  return {
    calmMom: c(out.calm.mom),
    calmRev: c(out.calm.rev),
    stressMom: c(out.stress.mom),
    stressRev: c(out.stress.rev),
    nStress: out.stress.mom[0].length,
  };
}

Deno.test("planted regimes: momentum works only when calm, reversal only when stressed; the null twin has neither", () => {
  const m = plantedRegimeMarket(3, { symbols: 30, sessions: 1200 });
  const e = effects(m);
  const share = e.nStress / (30 * (1200 - 70));
  ok(share > 0.15 && share < 0.5, `stressed share ${share}`);
  ok(e.calmMom > 0.08, `calm momentum IC ${e.calmMom}`);
  ok(Math.abs(e.stressMom) < 0.04, `stressed momentum IC ${e.stressMom}`);
  ok(e.stressRev > 0.08, `stressed reversal IC ${e.stressRev}`);
  ok(e.calmRev < 0.02, `calm reversal IC ${e.calmRev}`);
  const twin = effects(plantedRegimeMarket(3, { symbols: 30, sessions: 1200, plantedRegime: false }));
  for (const [k, v] of Object.entries(twin)) {
    if (k !== "nStress") ok(Math.abs(v) < 0.03, `null twin ${k} ${v}`);
  }
  // ground truth: the shift is recorded and matches the regime's sign convention
  const tr = m.truth.tickers[m.symbols[0]];
  ok(tr.regimeShift.some((v) => v !== 0));
});

Deno.test("planted regimes: the VIX-like series shows the regime and uses nothing after the close", () => {
  const m = plantedRegimeMarket(5, { symbols: 3, sessions: 800 });
  const ctx = m.marketContext();
  equal(ctx.vix.length, 800);
  let calm = 0, nc = 0, stress = 0, ns = 0;
  ctx.vix.forEach((
    v,
    t,
  ) => (m.truth.regime[t] ? ([stress, ns] = [stress + v, ns + 1]) : ([calm, nc] = [calm + v, nc + 1])));
  ok(stress / ns > 2 * (calm / nc), `VIX stressed ${stress / ns} vs calm ${calm / nc}`);
  // truncating the market leaves every earlier value unchanged (no look-ahead)
  const short = plantedRegimeMarket(5, { symbols: 3, sessions: 400 }).marketContext();
  for (let t = 0; t < 400; t++) {
    equal(short.vix[t], ctx.vix[t]);
    equal(short.indexClose[t], ctx.indexClose[t]);
  }
});
