import { ok } from "node:assert/strict";
import { computeMetrics } from "./metrics.ts";

const near = (a: number, b: number) => ok(Math.abs(a - b) < 1e-12, `${a} != ${b}`);

Deno.test("metrics: hand-computed Sharpe, Sortino, drawdown, annualized return", () => {
  const R = new Float64Array([0.01, -0.02, 0.03, -0.01]);
  const m = computeMetrics(R, { turnover: 0.1, hitRate: 0.5, trades: 3, exposure: 1 }, 252);
  const mean = 0.0025;
  const sd = Math.sqrt(((0.0075) ** 2 + (0.0225) ** 2 + (0.0275) ** 2 + (0.0125) ** 2) / 3);
  near(m.sharpe, mean / sd * Math.sqrt(252));
  near(m.sortino, mean / Math.sqrt((0.0004 + 0.0001) / 4) * Math.sqrt(252));
  near(m.annVol, sd * Math.sqrt(252));
  const total = 1.01 * 0.98 * 1.03 * 0.99 - 1;
  near(m.totalReturn, total);
  near(m.annReturn, Math.pow(1 + total, 252 / 4) - 1);
  near(m.maxDrawdown, -0.02); // peak 1.01 -> 0.9898
  near(m.annTurnover, 25.2);
});
