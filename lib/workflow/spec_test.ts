import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { ConfigError } from "../core/mod.ts";
import { checkUniverseSize, makeSpec, RANKING_METHODS } from "./spec.ts";
import { bookText, costsText, portfolioOptions, sizingRule } from "./book.ts";

Deno.test("a ranking portfolio (top-k, long-short) on fewer than 2 symbols is a one-line ConfigError naming kelly", () => {
  for (const method of RANKING_METHODS) {
    const spec = makeSpec({ portfolio: { method } });
    throws(() => checkUniverseSize(spec, 1), (e: Error) => {
      ok(e instanceof ConfigError && e.userError, String(e));
      ok(
        e.message.startsWith(
          `portfolio.method ${method} ranks names against each other and needs at least 2 symbols, got 1 symbol`,
        ),
        e.message,
      );
      ok(/use portfolio\.method: kelly/.test(e.message), e.message);
      equal(e.message.includes("\n"), false);
      return true;
    });
    checkUniverseSize(spec, 2);
    checkUniverseSize(spec, 500);
  }
  // kelly sizes each name on its own edge: one symbol is enough, none is not
  const kelly = makeSpec({ portfolio: { method: "kelly" } });
  checkUniverseSize(kelly, 1);
  throws(() => checkUniverseSize(kelly, 0), /portfolio\.method kelly needs at least 1 symbol, got 0 symbols/);
  // the default spec (the pipeline's default.yaml) ranks
  throws(() => checkUniverseSize(makeSpec(), 1), ConfigError);
});

Deno.test("spec portfolio.risk: checked by the risk stage's own ranges, as a one-line ConfigError", () => {
  const spec = makeSpec({ portfolio: { risk: { varLimit: { limit: 0.02 } } } });
  deepEqual(spec.portfolio.risk, { varLimit: { limit: 0.02 } });
  throws(
    () => makeSpec({ portfolio: { risk: { drawdownBrake: { threshold: 1.5 } } } }),
    (e: Error) =>
      e instanceof ConfigError &&
      /^spec portfolio\.risk: drawdownBrake\.threshold \(0 < threshold < 1\) out of range: 1\.5$/.test(
        e.message,
      ),
  );
});

Deno.test("spec portfolio.tilt: only with the tilt method, in [0, 10]; a tilt book needs 1 symbol", () => {
  equal(makeSpec({ portfolio: { method: "tilt", tilt: 2 } }).portfolio.tilt, 2);
  throws(
    () => makeSpec({ portfolio: { tilt: 2 } }),
    (e: Error) =>
      e instanceof ConfigError &&
      e.message === "spec portfolio.tilt: 2 is read only by the tilt method, not topk-dropout",
  );
  throws(() => makeSpec({ portfolio: { method: "tilt", tilt: -1 } }), /tilt: -1 must be in \[0, 10\]/);
  checkUniverseSize(makeSpec({ portfolio: { method: "tilt" } }), 1);
});

Deno.test("spec portfolio.rebalance: in (0, 1], reaches the book's options and the signal's rule", () => {
  const spec = makeSpec({ portfolio: { rebalance: 0.25 } });
  equal(portfolioOptions(spec).rebalance, 0.25);
  equal(sizingRule(spec).rebalance, 0.25);
  equal("rebalance" in portfolioOptions(makeSpec()), false);
  throws(() => makeSpec({ portfolio: { rebalance: 0 } }), /spec portfolio\.rebalance: 0 must be in \(0, 1\]/);
});

Deno.test("costsText: the spec's costs in words, the book's capital of the impact term included", () => {
  equal(costsText(makeSpec()), "5 bps per side + square-root impact x1 on a $10M book");
  equal(
    costsText(makeSpec({ costs: { costBps: 2, impact: 0.5, capital: 2.5e8 } })),
    "2 bps per side + square-root impact x0.5 on a $250M book",
  );
  equal(costsText(makeSpec({ costs: { costBps: 10, impact: 0 } })), "10 bps per side, no impact");
  equal(
    costsText(makeSpec({ costs: { costBps: 5, impact: 1, capital: 50_000 } })).endsWith("$50,000 book"),
    true,
  );
});

Deno.test("bookText: the spec's book in words, for the research table's caption", () => {
  equal(
    bookText(makeSpec()),
    "top-k dropout (top 50, at most 5 replaced a day), 10% volatility target, gross <= 1, per name <= 0.25",
  );
  equal(
    bookText(makeSpec({ portfolio: { method: "tilt", tilt: 0.5, targetVol: 0, rebalance: 0.5 } })),
    "tilt 0.5 on equal weight, no volatility target, gross <= 1, per name <= 0.25, rebalance 0.5",
  );
  equal(
    bookText(makeSpec({ portfolio: { method: "kelly", kellyFraction: 0.5 } })).split(", ").slice(0, 2).join(
      ", ",
    ),
    "Kelly (0.5 of the full bet, long only)",
  );
  equal(
    bookText(makeSpec({ portfolio: { method: "kelly", kellyFraction: 0.5, longOnly: false } })).split(
      "), ",
    )[0],
    "Kelly (0.5 of the full bet, long and short",
  );
});
