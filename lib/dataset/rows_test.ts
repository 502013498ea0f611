import { deepEqual } from "node:assert/strict";
import { oneSessionReturn } from "./rows.ts";
import type { Dataset, SymbolSeries } from "./types.ts";

Deno.test("oneSessionReturn: the traded label where it is the next session's move, NaN across a hole", () => {
  const days = ["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07", "2020-01-08", "2020-01-09"];
  // B has no bar on 2020-01-06: its labels on 01-02 and 01-03 span it
  const bDays = days.filter((d) => d !== "2020-01-06");
  const series = new Map([
    ["A", { dates: days } as unknown as SymbolSeries],
    ["B", { dates: bDays } as unknown as SymbolSeries],
  ]);
  const symbol = [...days.map(() => "A"), ...bDays.map(() => "B")];
  const date = [...days, ...bDays];
  const seriesIndex = Int32Array.from([...days.map((_, i) => i), ...bDays.map((_, i) => i)]);
  const fwdOpenReturn = Float64Array.from(date, (_, r) => (r + 1) / 100);
  fwdOpenReturn[5] = NaN; // A's last row: not known
  const ds = { series, symbol, date, seriesIndex, labels: { fwdOpenReturn } } as unknown as Pick<
    Dataset,
    "series" | "symbol" | "seriesIndex" | "date" | "labels"
  >;
  const all = Int32Array.from(date, (_, r) => r);
  const got = Array.from(oneSessionReturn(ds, all));
  // A: every label but the unknown last; B: 01-02 (opens 01-03 -> 01-07) and 01-03 (01-07 -> 01-08) span the
  // hole, 01-07 on is one session each (B's last bar, 01-09, has no later bar to show a hole)
  deepEqual(got, [0.01, 0.02, 0.03, 0.04, 0.05, NaN, NaN, NaN, 0.09, 0.1, 0.11]);
  deepEqual(Array.from(oneSessionReturn(ds, [7, 0])), [NaN, 0.01]);
});
