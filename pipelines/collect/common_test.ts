import { equal, ok, rejects } from "node:assert/strict";
import { StoreError } from "@lib/core/mod.ts";
import { runUnits } from "./common.ts";

Deno.test("runUnits: a store server that goes down ends the run with one line of symbols done and left", async () => {
  for (
    const [backend, written] of [["mysql", "nothing of them written"], [
      "mongodb",
      "oldest items may be stored",
    ]]
  ) {
    const down = new StoreError(
      "find news: mongodb server x is unreachable (ECONNREFUSED after 4 attempts)",
      {
        backend,
        unavailable: true,
      },
    );
    await rejects(
      runUnits("news", ["A", "B", "C"], (u) => {
        if (u === "A") return Promise.resolve({ rows: 1, inserted: 1, objects: 0, range: "all" });
        return Promise.reject(down);
      }, { concurrency: 1 }),
      (e) => {
        ok(e instanceof StoreError && e.unavailable && e.backend === backend);
        ok(/collect news stopped: 1 of 3 done, 2 left/.test(e.message), e.message);
        ok(e.message.endsWith(`${written}; re-run to complete)`), e.message);
        equal(e.message.split("\n").length, 1);
        return true;
      },
    );
  }
});
