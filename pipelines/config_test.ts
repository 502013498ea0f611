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
  await Deno.writeTextFile(f, "signals:\n  treshold: 0.2\n");
  await rejects(
    () => loadConfig({ file: f }),
    /unknown config key signals.treshold \(did you mean threshold\?\)/,
  );
  await Deno.writeTextFile(f, "signals: [\n");
  await rejects(() => loadConfig({ file: f }), /invalid YAML/);
  await Deno.remove(f);
});

Deno.test("every numeric and list key of config/default.yaml declares a range, and the defaults are in it", async () => {
  const { RANGES, checkRange, parseYamlText } = await import("./config.ts");
  const text = await Deno.readTextFile(new URL("../config/default.yaml", import.meta.url));
  const missing: string[] = [];
  const walk = (v: unknown, path: string) => {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
    } else if (typeof v === "number" || Array.isArray(v)) {
      if (!RANGES[path]) missing.push(path);
      else checkRange(path, v);
    }
  };
  walk(parseYamlText(text, "config/default.yaml"), "");
  deepEqual(missing, [], "declare these keys' ranges in RANGES (pipelines/config.ts)");
  for (const k of Object.keys(RANGES)) {
    equal(
      k.split(".").reduce((o: unknown, p) => (o as Record<string, unknown>)?.[p], parseYamlText(text, "")) !==
        undefined,
      true,
      `${k} is a key`,
    );
  }
});

Deno.test("out-of-range values are refused at load, naming key, value and range", async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ signals: { threshold: 5 } }, /config signals\.threshold: 5 is out of range: want \[0, 1\)/],
    [{ backtest: { costBps: -50 } }, /config backtest\.costBps: -50 is out of range/],
    [{ models: { trend: [] } }, /config models\.trend: needs at least 1 item/],
    [{ dataset: { purge: 1.5 } }, /config dataset\.purge: 1\.5 is out of range: want a whole number/],
    [{ signals: { targetVol: 0 } }, /signals\.targetVol: 0 is out of range/],
    [{ source: { symbols: ["AAPL", "X</script>"] } }, /source\.symbols\[1\]: "X<\/script>" is not a symbol/],
  ];
  for (const [overrides, re] of cases) {
    await rejects(() => loadConfig({ overrides }), (e: Error) => {
      equal(e instanceof ConfigError || e.name === "InputError", true, e.message);
      equal(re.test(e.message), true, e.message);
      return true;
    });
  }
});
