import { deepEqual, equal, rejects } from "node:assert/strict";
import { ConfigError } from "@lib/core/mod.ts";
import { loadConfig } from "./config.ts";

Deno.test("defaults load and overrides apply", async () => {
  const c = await loadConfig({ overrides: { source: { kind: "csv", csvDir: "/x", symbols: ["AAPL"] } } });
  equal(c.source.kind, "csv");
  deepEqual(c.source.symbols, ["AAPL"]);
  equal(c.backtest.costBps, 5);
});

Deno.test("a config typo is a one-line ConfigError naming the key", async () => {
  await rejects(() => loadConfig({ overrides: { source: { synthtic: {} } } }), (e: Error) => {
    equal(e instanceof ConfigError, true);
    equal(e.message, "unknown config key source.synthtic (did you mean synthetic?)");
    return true;
  });
  await rejects(() => loadConfig({ overrides: { backtest: { costBps: "five" } } }), ConfigError);
  await rejects(() => loadConfig({ overrides: { source: { kind: "bloomberg" } } }), ConfigError);
  await rejects(
    () => loadConfig({ overrides: { source: { from: "2020-02-01", to: "2020-01-01" } } }),
    /empty date range/,
  );
});

Deno.test("a user YAML file is validated too", async () => {
  const f = await Deno.makeTempFile({ suffix: ".yaml" });
  await Deno.writeTextFile(f, "portfolio:\n  topk: 3\n");
  await rejects(
    () => loadConfig({ file: f }),
    /unknown config key portfolio.topk \(did you mean topK\?\)/,
  );
  await Deno.writeTextFile(f, "portfolio: [\n");
  await rejects(() => loadConfig({ file: f }), /invalid YAML/);
  await Deno.remove(f);
});
