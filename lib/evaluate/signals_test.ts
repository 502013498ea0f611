import { deepEqual } from "node:assert/strict";
import { identicalBooks } from "./signals.ts";

Deno.test("signals: a rival whose book is the MoE's on every day is named (the scoreboard's moe was expert:trend)", () => {
  const r = (v: number[]) => ({ returns: Float64Array.from(v) });
  const results = new Map([
    ["moe", r([0.01, -0.02, 0])],
    ["expert:trend", r([0.01, -0.02, 0])],
    ["expert:level", r([0.01, -0.02, 1e-18])],
    ["ensemble:soft", r([0.01, -0.02])],
  ]);
  deepEqual(identicalBooks(results, "moe", [...results.keys()]), ["expert:trend"]);
  deepEqual(identicalBooks(results, "expert:level", ["moe", "expert:trend"]), []);
});
