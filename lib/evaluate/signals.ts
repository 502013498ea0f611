/**
 * Section 5 of EVALUATION.md, signals and backtest: the fitted system of the trend run (lib/workflow) traded on
 * the trend test segment (decided at the close, filled at the next open, 5 bps per side): the mixture of experts
 * next to each single expert, each of the six ensembles, each single trend model, always long at the volatility
 * target, and equal-weight buy-and-hold.
 * @module
 */
import { activeMetrics, type BacktestResult, bootstrapSharpe, deflatedSharpeOfSet } from "../backtest/mod.ts";
import { DECISION_DATE_AXIS, lineFigure, type Table } from "../report/mod.ts";
import {
  ALWAYS_LONG,
  backtestPredictions,
  BUY_AND_HOLD,
  DEFAULT_SPEC,
  systemAttribution,
} from "../workflow/mod.ts";
import { SP500_DIR, withSurvivorshipNote } from "./data.ts";
import {
  evalMoeBooks,
  NULL_Z_BOUND,
  nullCheckData,
  nullCheckOf,
  TILT_MOE,
  type TrendRun,
  trendRunFor,
} from "./trend.ts";
import type { EvalContext, Metric, SectionResult } from "./types.ts";

/** Portfolio of the protocol run (the pipeline's default configuration). */
export const EVAL_PORTFOLIO = { ...DEFAULT_SPEC.portfolio };
/** Cost per side in basis points. */
export const EVAL_COST_BPS = DEFAULT_SPEC.costs.costBps;

/** Backtest metric names, in table order, with their direction. */
export const SIGNAL_METRICS: { name: string; higher?: boolean }[] = [
  { name: "ann_return", higher: true },
  { name: "ann_vol" },
  { name: "sharpe", higher: true },
  { name: "sharpe_ci_lo", higher: true },
  { name: "sharpe_ci_hi", higher: true },
  { name: "deflated_sharpe", higher: true },
  { name: "sortino", higher: true },
  { name: "max_drawdown", higher: true },
  { name: "excess_return", higher: true },
  { name: "information_ratio", higher: true },
  { name: "turnover", higher: false },
  { name: "exposure" },
  { name: "hit_rate", higher: true },
];

/**
 * The scoreboard's numbers of every backtest: its own metrics, the stationary-bootstrap 95% interval of the
 * Sharpe ratio, the deflated Sharpe ratio for the number of strategies compared (the baselines included), and
 * the excess return and information ratio over equal-weight buy-and-hold of the same universe.
 */
export function strategyMetrics(
  results: Map<string, BacktestResult>,
  seed: number,
): Map<string, Record<string, number>> {
  const names = [...results.keys()];
  const bench = results.get(BUY_AND_HOLD)!.returns;
  const { dsr } = deflatedSharpeOfSet(names.map((n) => results.get(n)!.returns));
  const out = new Map<string, Record<string, number>>();
  names.forEach((n, k) => {
    const r = results.get(n)!, m = r.metrics;
    const ci = bootstrapSharpe(r.returns, { seed });
    const act = activeMetrics(r.returns, bench);
    out.set(n, {
      ann_return: m.annReturn,
      ann_vol: m.annVol,
      sharpe: m.sharpe,
      sharpe_ci_lo: ci.lo,
      sharpe_ci_hi: ci.hi,
      deflated_sharpe: dsr[k],
      sortino: m.sortino,
      max_drawdown: m.maxDrawdown,
      excess_return: act.excessReturn,
      information_ratio: n === BUY_AND_HOLD ? NaN : act.informationRatio,
      turnover: m.turnover,
      exposure: m.exposure,
      hit_rate: m.hitRate,
    });
  });
  return out;
}

/**
 * Every strategy's backtest on the test rows of a run's fitted system (the mixture of experts, each expert, each
 * ensemble, each base model, always-long vol-targeted, buy-and-hold), with the mean gate weight per expert.
 */
export function runSignals(
  run: TrendRun,
): { results: Map<string, BacktestResult>; timings: Record<string, number>; gateMean: number[] } {
  const t0 = performance.now();
  const spec = run.system.spec;
  const results = backtestPredictions(run.ds, run.test, spec, { moeBooks: evalMoeBooks(spec) });
  const timings = { backtest: performance.now() - t0 };
  const K = run.test.gate.names.length, n = run.test.rows.length;
  const gateMean = Array.from({ length: K }, (_, k) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += run.test.gate.weights[i * K + k];
    return n ? s / n : NaN;
  });
  return { results, timings, gateMean };
}

/**
 * The books among `names` whose net return is `of`'s on every day (`Object.is`: the same book, not a close one).
 */
export function identicalBooks(
  results: ReadonlyMap<string, { returns: Float64Array }>,
  of: string,
  names: readonly string[],
): string[] {
  const a = results.get(of)!.returns;
  return names.filter((n) => {
    const r = results.get(n)!.returns;
    return n !== of && r.length === a.length && r.every((v, i) => Object.is(v, a[i]));
  });
}

/** Section 5: signals and backtest. */
export async function signalsSection(ctx: EvalContext): Promise<SectionResult> {
  const run = await trendRunFor(ctx);
  const { results, timings, gateMean } = runSignals(run);
  const seg = `test ${run.ds.segments.test[0]}..${run.ds.segments.test[1]}`;
  const data = `${SP500_DIR}/all_stocks_5yr.csv.gz (${run.ds.series.size} tickers)`;
  const metrics: Metric[] = [];
  let t0 = performance.now();
  const byName = strategyMetrics(results, ctx.seed);
  timings["metrics"] = performance.now() - t0;
  const names = [...results.keys()];
  for (const [method, r] of byName) {
    for (const m of SIGNAL_METRICS) {
      metrics.push({
        section: "signals",
        name: m.name,
        method,
        value: r[m.name],
        segment: seg,
        data,
        seed: ctx.seed,
        higherIsBetter: m.higher,
      });
    }
  }

  // Null check at every traded stage: the same system on a random walk has no gross edge anywhere.
  const { check, waitMs } = await nullCheckOf(ctx, run.ds.series.size);
  timings["null_check"] = waitMs;
  const nullData = nullCheckData(ctx.seed, check);
  const failed: string[] = [];
  const nullZ = new Map<string, number>();
  for (const [method, z] of check.signalsZ) {
    nullZ.set(method, z);
    metrics.push({
      section: "signals",
      name: "null_check_z",
      method,
      value: z,
      segment: seg,
      data: nullData,
      seed: ctx.seed,
    });
    if (!(Math.abs(z) < NULL_Z_BOUND)) failed.push(`${method} (z ${z.toFixed(2)})`);
  }

  // per-regime attribution of the MoE book: mean gate weight and P&L contribution per gate output
  t0 = performance.now();
  const att = systemAttribution(
    run.test,
    run.system.book(run.ds, run.test),
    run.system.spec.portfolio.method,
  );
  timings["attribution"] = performance.now() - t0;
  att.regimes.forEach((reg, r) => {
    att.outputs.forEach((out, k) => {
      const method = `${out} @ ${reg}`;
      metrics.push({
        section: "signals",
        name: "regime_gate_weight",
        method,
        value: att.meanWeight[r][k],
        segment: seg,
        data,
        seed: ctx.seed,
      });
      if (k < att.pnl[r].length) {
        metrics.push({
          section: "signals",
          name: "regime_pnl_annualized",
          method,
          value: att.annualized[r][k],
          segment: seg,
          data,
          seed: ctx.seed,
        });
      }
    });
  });
  const attributionTable: Table = {
    caption:
      "Mixture of experts by market regime (test; volatility tercile / index trend): mean gate weight and " +
      "P&L contribution per gate output (each row's gross P&L split over the experts in proportion to their " +
      "contributions to its edge; pnl = sum, pnl_annualized = per day of the test x 252; abstain carries none)",
    columns: att.table.columns,
    rows: att.table.rows,
  };

  const p = run.system.spec.portfolio;
  const table: Table = {
    caption: `Backtest, ${seg}: every strategy through the same book (${p.method}, top ${p.topK}, ` +
      `${(p.targetVol * 100).toFixed(0)}% ex-ante volatility target, gross <= ${p.maxGross}, per name <= ` +
      `${p.maxWeight}; "${TILT_MOE}": the mixture through the tilt book, equal weight leaned on its edges), ` +
      `next-open fills, ${EVAL_COST_BPS} bps per side plus square-root impact; Sharpe with its ` +
      `stationary-bootstrap 95% interval, deflated Sharpe for the ${
        names.filter((n) => Number.isFinite(byName.get(n)!.sharpe)).length
      } strategies compared that have a Sharpe ratio (one that never trades has none), excess return ` +
      `(the annualized mean daily excess, arithmetic, so not the difference of the geometric ann_return column) ` +
      `and information ratio over equal-weight buy-and-hold; turnover = mean daily two-way (buys plus sells, sum |Δw|); null_check_z = gross ` +
      `edge z of the same system on a random walk.`,
    columns: ["method", ...SIGNAL_METRICS.map((m) => m.name), "null_check_z"],
    rows: names.map((n) => [n, ...SIGNAL_METRICS.map((m) => byName.get(n)![m.name]), nullZ.get(n) ?? null]),
  };
  const figNames = names.filter((n) => !n.startsWith("model:"));
  const figures = [
    lineFigure(
      "Cumulative return of each method (test, net of costs)",
      figNames.map((n) => {
        const r = results.get(n)!;
        return { name: n, x: [...r.dates], y: r.equity.map((e) => e - 1) };
      }),
      { yTitle: "cumulative return", yTickFormat: ".0%", xTitle: DECISION_DATE_AXIS },
    ),
  ];
  const sh = (n: string) => byName.get(n)!.sharpe;
  const moe = byName.get("moe")!, bh = byName.get(BUY_AND_HOLD)!, tilt = byName.get(TILT_MOE)!;
  const rivals = names.filter((n) =>
    n.startsWith("expert:") || n.startsWith("ensemble:") || n.startsWith("model:")
  );
  const beaten = rivals.filter((n) => sh(n) >= moe.sharpe);
  // a rival whose book is the MoE's day by day: the mixture adds nothing over it
  const same = identicalBooks(results, "moe", rivals);
  const notes = [
    `MoE Sharpe ${moe.sharpe.toFixed(2)} [${moe.sharpe_ci_lo.toFixed(2)}, ${moe.sharpe_ci_hi.toFixed(2)}], ` +
    `max drawdown ${(moe.max_drawdown * 100).toFixed(1)}%; equal-weight buy-and-hold ${
      bh.sharpe.toFixed(2)
    }, ` +
    `${(bh.max_drawdown * 100).toFixed(1)}%; always long vol-targeted ${sh(ALWAYS_LONG).toFixed(2)}.`,
    beaten.length === 0
      ? `The MoE's Sharpe is above every single expert, ensemble and model (${rivals.length}).`
      : `Not above every rival: ${beaten.map((n) => `${n} ${sh(n).toFixed(2)}`).join(", ")} >= MoE.`,
    ...(same.length
      ? [
        `The MoE book is ${
          same.join(", ")
        }'s, day by day (the same net return every test day): on this test ` +
        `the mixture adds nothing over ${same.length === 1 ? "that book" : "those books"}.`,
      ]
      : []),
    moe.sharpe >= bh.sharpe && moe.max_drawdown > bh.max_drawdown
      ? "The MoE book is at or above buy-and-hold's Sharpe at a smaller drawdown."
      : "The MoE book does not reach buy-and-hold's Sharpe at a smaller drawdown in this test.",
    `The MoE's edges as a tilt on equal weight (${TILT_MOE}: portfolio.method tilt, its default tilt, fixed ` +
    `before this section read it): Sharpe ${tilt.sharpe.toFixed(2)} [${tilt.sharpe_ci_lo.toFixed(2)}, ${
      tilt.sharpe_ci_hi.toFixed(2)
    }], max drawdown ${(tilt.max_drawdown * 100).toFixed(1)}%, excess return over buy-and-hold (arithmetic) ${
      (tilt.excess_return * 100).toFixed(2)
    }%, turnover ${tilt.turnover.toFixed(3)}; ` +
    (tilt.sharpe >= bh.sharpe && tilt.max_drawdown > bh.max_drawdown
      ? "at or above buy-and-hold's Sharpe at a smaller drawdown."
      : "not at buy-and-hold's Sharpe at a smaller drawdown."),
    `Mean gate weights on test (${run.test.gate.names.join(", ")}): ${
      gateMean.map((g) => g.toFixed(3)).join(", ")
    }.`,
    `Gate specialist slopes fitted on the calibration window (${run.system.expertNames.join(", ")}): beta ${
      run.system.gateSpecialists.beta.map((b) => b.toFixed(3)).join(", ")
    }, alpha ${
      run.system.gateSpecialists.alpha.map((a) => a.toFixed(3)).join(", ")
    }; an expert's edge enters the MoE as alpha + beta x edge, so one at beta 0 adds no view across names ` +
    "whatever its gate weight.",
    failed.length === 0
      ? `null check PASS: on ${nullData} no strategy has a gross edge (|z| < ${NULL_Z_BOUND}).`
      : `null check FAIL: gross edge on a random walk: ${failed.join(", ")}.`,
  ];
  return withSurvivorshipNote({
    section: "signals",
    title: "5. Signals and backtest",
    metrics,
    figures,
    tables: [table, attributionTable],
    notes,
    timings,
  });
}
