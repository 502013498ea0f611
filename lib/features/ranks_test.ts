import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { crossSectionalRank, crossSectionalRanker, crossSectionalRankMatrix } from "./ranks.ts";
import { mulberry32 } from "../core/mod.ts";

function naiveRank(values: Float64Array, groups: Int32Array): Float64Array {
  const out = new Float64Array(values.length).fill(NaN);
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i])) continue;
    let less = 0, eq = 0, m = 0;
    for (let j = 0; j < values.length; j++) {
      if (groups[j] !== groups[i] || Number.isNaN(values[j])) continue;
      m++;
      if (values[j] < values[i]) less++;
      else if (values[j] === values[i]) eq++;
    }
    out[i] = m === 1 ? 0.5 : (less + (eq - 1) / 2) / (m - 1);
  }
  return out;
}

Deno.test("crossSectionalRank: ties averaged, NaN kept, scaled to [0, 1] per group", () => {
  const v = Float64Array.from([3, 1, NaN, 3, 2, 7, 5, 9]);
  const g = Int32Array.from([0, 0, 0, 0, 0, 1, 1, 2]);
  const r = crossSectionalRank(v, g);
  // group 0: values 3, 1, 3, 2 -> ranks 3.5, 1, 3.5, 2 of m = 4 -> (rank - 1) / 3
  deepEqual(Array.from(r), [2.5 / 3, 0, NaN, 2.5 / 3, 1 / 3, 1, 0, 0.5]);
});

Deno.test("crossSectionalRank matches a naive ranking on interleaved, sparse groups", () => {
  const rand = mulberry32(12345);
  for (const spread of [1, 1_000_000_000]) {
    const n = 2000;
    const v = Float64Array.from({ length: n }, () => (rand() < 0.05 ? NaN : Math.floor(rand() * 50) - 25));
    const g = Int32Array.from({ length: n }, () => Math.floor(rand() * 37) * spread - 5);
    const r = crossSectionalRank(v, g), want = naiveRank(v, g);
    const again = crossSectionalRanker(g);
    ok(again(v).every((x, i) => Object.is(x, r[i])), "a reused ranker gives the same ranks");
    ok(again(v).every((x, i) => Object.is(x, r[i])), "and again on its second call");
    for (let i = 0; i < n; i++) {
      if (Number.isNaN(want[i])) ok(Number.isNaN(r[i]));
      else ok(Math.abs(r[i] - want[i]) < 1e-12 && r[i] >= 0 && r[i] <= 1, `row ${i}`);
    }
  }
});

Deno.test("crossSectionalRankMatrix ranks each column of a row-major matrix", () => {
  const X = Float64Array.from([1, 10, 2, 30, 3, 20]); // 3 rows x 2 cols, one group
  const r = crossSectionalRankMatrix(X, 2, Int32Array.from([4, 4, 4]));
  deepEqual(Array.from(r), [0, 0, 0.5, 1, 1, 0.5]);
  throws(() => crossSectionalRankMatrix(X, 4, Int32Array.from([4, 4, 4])), RangeError);
  equal(crossSectionalRank(new Float64Array(0), new Int32Array(0)).length, 0);
});
