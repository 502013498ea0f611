import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { ConfigError, InputError } from "@lib/core/mod.ts";
import {
  loadConfig,
  loadConfigWithNotes,
  loadFlagsConfig,
  mergeChecked,
  segmentChoice,
  specFromConfig,
} from "./config.ts";
import { riskLimitsText } from "@lib/workflow/mod.ts";

/** Each override is refused at load with a one-line ConfigError starting with its text. */
async function refusedInOneLine(bad: [Record<string, unknown>, string][]): Promise<void> {
  for (const [overrides, want] of bad) {
    await rejects(
      () => loadConfig({ overrides }),
      (e: Error) => e instanceof ConfigError && e.message.startsWith(want) && !e.message.includes("\n"),
      JSON.stringify(overrides),
    );
  }
}

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

Deno.test("a series published after the close (^VIX) is refused as a traded symbol, before any work", async () => {
  for (const sym of ["^VIX", "^vix3m"]) {
    await rejects(() => loadConfig({ overrides: { source: { symbols: ["SPY", sym] } } }), (e: Error) => {
      equal(e instanceof ConfigError, true);
      equal(
        e.message,
        `config source.symbols[1]: ${sym} is published 15 min after the close: no decision at the close can see it, so it cannot be traded (it is market context)`,
      );
      return true;
    });
  }
  const ok = await loadConfig({ overrides: { source: { symbols: ["SPY", "^GSPC"] } } }); // printed at the close
  deepEqual(ok.source.symbols, ["SPY", "^GSPC"]);
});

Deno.test("a user YAML file is validated too", async () => {
  const f = await Deno.makeTempFile({ suffix: ".yaml" });
  await Deno.writeTextFile(f, "portfolio:\n  topk: 20\n");
  await rejects(
    () => loadConfig({ file: f }),
    /unknown config key portfolio.topk \(did you mean topK\?\)/,
  );
  await Deno.writeTextFile(f, "portfolio: [\n");
  await rejects(() => loadConfig({ file: f }), /invalid YAML/);
  // a name every object inherits is an unknown key (it was a type error: "expected function, got number"), and
  // a list inside a list of names is no name (it passed as the name String() spells, then failed later)
  for (
    const [text, re] of [
      ["constructor: 1\n", /^ConfigError: unknown config key constructor$/],
      ["portfolio:\n  __proto__: {}\n", /^ConfigError: unknown config key portfolio\.__proto__/],
      [
        "models:\n  trend: [[logistic]]\n",
        /^ConfigError: config models\.trend: \["logistic"\] is not one of /,
      ],
    ] as const
  ) {
    await Deno.writeTextFile(f, text);
    await rejects(() => loadConfig({ file: f }), re, text);
  }
  await Deno.remove(f);
});

Deno.test("segments, walk-forward and portfolio keys are checked at load", async () => {
  const c = await loadConfig({
    overrides: {
      dataset: {
        segments: {
          train: "2013-02-08..2015-06-30",
          valid: "2015-07-01..2015-12-31",
          test: "2016-01-04..2018-02-07",
        },
        walkForward: { mode: "rolling", refitEvery: 21 },
      },
      portfolio: { method: "kelly" },
    },
  });
  equal(c.dataset.segments.test, "2016-01-04..2018-02-07");
  equal(specFromConfig(c).walkForward.mode, "rolling");
  equal(specFromConfig(c).portfolio.method, "kelly");
  deepEqual(segmentChoice(c).train, ["2013-02-08", "2015-06-30"]);
  const bad: [Record<string, unknown>, RegExp][] = [
    [
      { dataset: { segments: { test: "2016-01-04/2018-02-07" } } },
      /dataset\.segments\.test: expected YYYY-MM-DD\.\.YYYY-MM-DD/,
    ],
    [{ dataset: { segments: { test: "2018-01-04..2016-02-07" } } }, /empty date range/],
    [
      { dataset: { segments: { test: "2016-02-30..2016-03-07" } } },
      /test: 2016-02-30 is not a calendar date/,
    ],
    [
      { dataset: { walkForward: { mode: "weekly" } } },
      /walkForward\.mode: "weekly" is not one of off, expanding, rolling/,
    ],
    [{ dataset: { walkForward: { mode: "rolling" }, embargo: 5 } }, /embargo must be 0 with walkForward/],
    [{ portfolio: { method: "top" } }, /portfolio\.method: "top" is not one of/],
    [{ models: { experts: ["trend", "sentiment"] } }, /models\.experts: "sentiment" is not one of/],
  ];
  for (const [overrides, re] of bad) await rejects(() => loadConfig({ overrides }), re);
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
    [
      { portfolio: { kellyFraction: 5 } },
      /config portfolio\.kellyFraction: 5 is out of range: want \(0, 1\]/,
    ],
    [{ backtest: { costBps: -50 } }, /config backtest\.costBps: -50 is out of range/],
    [{ models: { trend: [] } }, /config models\.trend: needs at least 1 item/],
    [{ dataset: { purge: 1.5 } }, /config dataset\.purge: 1\.5 is out of range: want a whole number/],
    [{ portfolio: { maxGross: 0 } }, /portfolio\.maxGross: 0 is out of range/],
    [{ dataset: { walkForward: { refitEvery: 0 } } }, /dataset\.walkForward\.refitEvery: 0 is out of range/],
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

Deno.test("a purge below the label horizon is refused at load, saying why, and a valid one is used as given", async () => {
  for (const purge of [0, 1]) {
    await rejects(() => loadConfig({ overrides: { dataset: { purge } } }), (e: Error) => {
      equal(e instanceof ConfigError, true);
      equal(
        e.message,
        `config dataset.purge: ${purge} is out of range: want a whole number in [2, 250] (sessions purged before ` +
          "each later window: at least the 2-session traded return label)",
      );
      return true;
    });
  }
  equal(specFromConfig(await loadConfig({ overrides: { dataset: { purge: 3 } } })).dataset.purge, 3);
});

Deno.test("values a run would ignore or misplace are refused at load: csvDir without the csv source, empty paths", async () => {
  const cases: [Record<string, unknown>, string][] = [
    [
      { source: { kind: "synthetic", csvDir: "/x" } },
      "source.csvDir (--data-dir) is read only by the csv source, and source.kind is synthetic (--source)",
    ],
    [{ dataDir: "" }, "config dataDir (--store-dir): empty path (name a folder)"],
    [{ reportDir: " " }, "config reportDir: empty path (name a folder)"],
    // an empty universe or CSV folder is refused, never read as "unset" (the fixed list, no folder)
    [
      { source: { universe: "" } },
      "config source.universe (--universe): empty path (name a membership CSV file)",
    ],
    [
      { source: { universe: "  " } },
      "config source.universe (--universe): empty path (name a membership CSV file)",
    ],
    [
      { source: { kind: "csv", csvDir: "" } },
      "config source.csvDir (--data-dir): empty path (name a folder)",
    ],
    [{ source: { csvDir: " " } }, "config source.csvDir (--data-dir): empty path (name a folder)"],
  ];
  for (const [overrides, message] of cases) {
    await rejects(() => loadConfig({ overrides }), (e: Error) => {
      equal(e instanceof ConfigError, true, e.message);
      equal(e.message, message);
      return true;
    });
  }
});

Deno.test("an empty --config names no file: refused, never read as no --config (the defaults)", async () => {
  for (const file of ["", " "]) {
    await rejects(() => loadConfig({ file }), (e: Error) => {
      equal(e instanceof ConfigError, true, e.message);
      equal(e.message, "config file (--config): empty path (name a YAML file)");
      return true;
    });
  }
});

Deno.test("synthetic.sessions below what the synthetic market needs is refused at load, one line", async () => {
  await rejects(() => loadConfig({ overrides: { source: { synthetic: { sessions: 1 } } } }), (e: Error) => {
    equal(e instanceof ConfigError, true, e.message);
    equal(
      e.message,
      "config source.synthetic.sessions: 1 is out of range: want a whole number in [2, 100000] (the synthetic " +
        "market needs two sessions for a return; a run checks it has enough for its segments)",
    );
    return true;
  });
  const c = await loadConfig({ overrides: { source: { synthetic: { sessions: 2 } } } });
  equal(c.source.synthetic.sessions, 2);
});

Deno.test("source.symbols are upper-cased once at load (as collect stores them), and a note says so", async () => {
  const { config: c, notes } = await loadConfigWithNotes({
    overrides: { source: { symbols: ["spy", "QQQ", "^gspc", "brk.b"] } },
  });
  deepEqual(c.source.symbols, ["SPY", "QQQ", "^GSPC", "BRK.B"]);
  deepEqual(notes, [
    "symbols: spy is SPY, ^gspc is ^GSPC, brk.b is BRK.B (symbols are upper case, as collected)",
  ]);
  // the note stays out of the config: the same effective config whatever the spelling (its hash names versions)
  deepEqual(c, await loadConfig({ overrides: { source: { symbols: ["SPY", "QQQ", "^GSPC", "BRK.B"] } } }));
  // nothing changed, nothing said
  const same = await loadConfigWithNotes({ overrides: { source: { symbols: ["SPY", "^GSPC"] } } });
  deepEqual(same.config.source.symbols, ["SPY", "^GSPC"]);
  deepEqual(same.notes, []);
  // from a file too, and the store-reading CLIs (the daily run) print the note
  const dir = await Deno.makeTempDir({ prefix: "fmai-cfg-" });
  try {
    const f = `${dir}/lower.yaml`;
    await Deno.writeTextFile(
      f,
      "source: {kind: csv, csvDir: ../shared/data/us-index-etf-daily-yahoo, symbols: [spy, QQQ]}\n",
    );
    deepEqual((await loadConfig({ file: f })).source.symbols, ["SPY", "QQQ"]);
    const said: string[] = [];
    const flags = await loadFlagsConfig({ config: f, "store-dir": `${dir}/s` }, (line) => said.push(line));
    deepEqual(flags.source.symbols, ["SPY", "QQQ"]);
    deepEqual(said, ["symbols: spy is SPY (symbols are upper case, as collected)"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a symbol listed twice in source.symbols (in any case) is refused at load, as collect refuses it", async () => {
  const cases: [string[], string][] = [
    [["SYN00", "SYN01", "SYN00"], "config source.symbols: SYN00 is given twice"],
    [["spy", "QQQ", "SPY"], "config source.symbols: spy and SPY are the same symbol"],
  ];
  for (const [symbols, message] of cases) {
    await rejects(() => loadConfig({ overrides: { source: { symbols } } }), (e: Error) => {
      equal(e instanceof ConfigError, true, e.message);
      equal(e.message, message);
      return true;
    });
  }
});

Deno.test("refitEvery without a walk-forward is refused at load (flag or file), not ignored; the default's own value is not", async () => {
  // config/default.yaml sets refitEvery 21 with the mode off: that is no user's request
  equal((await loadConfig()).dataset.walkForward.refitEvery, 21);
  await rejects(
    () => loadConfig({ overrides: { dataset: { walkForward: { refitEvery: 5 } } } }),
    (e: Error) => {
      ok(e instanceof ConfigError, String(e));
      equal(
        e.message,
        "config dataset.walkForward.refitEvery (--refit-every): 5 is read only by a walk-forward, and " +
          "dataset.walkForward.mode (--walk-forward) is off: add --walk-forward expanding or rolling, or leave " +
          "--refit-every out",
      );
      return true;
    },
  );
  await rejects(
    () => loadConfig({ overrides: { dataset: { walkForward: { mode: "off", refitEvery: 5 } } } }),
    /refitEvery \(--refit-every\): 5 is read only by a walk-forward/,
  );
  const f = await Deno.makeTempFile({ suffix: ".yaml" });
  try {
    await Deno.writeTextFile(f, "dataset:\n  walkForward:\n    refitEvery: 10\n");
    await rejects(
      () => loadConfig({ file: f }),
      new RegExp(
        `^ConfigError: config ${f}: dataset\\.walkForward\\.refitEvery 10 is read only by a walk-forward, and ` +
          "dataset\\.walkForward\\.mode is off: set the mode to expanding or rolling",
      ),
    );
    // the mode from the command line makes the file's refitEvery count, or turns it off on purpose
    const wf = await loadConfig({ file: f, overrides: { dataset: { walkForward: { mode: "rolling" } } } });
    deepEqual(wf.dataset.walkForward, { mode: "rolling", refitEvery: 10 });
    const off = await loadConfig({ file: f, overrides: { dataset: { walkForward: { mode: "off" } } } });
    equal(off.dataset.walkForward.mode, "off");
    await Deno.writeTextFile(f, "dataset:\n  walkForward: {mode: expanding, refitEvery: 10}\n");
    deepEqual((await loadConfig({ file: f })).dataset.walkForward, { mode: "expanding", refitEvery: 10 });
    const flag = await loadConfig({
      overrides: { dataset: { walkForward: { mode: "expanding", refitEvery: 5 } } },
    });
    deepEqual(flag.dataset.walkForward, { mode: "expanding", refitEvery: 5 });
  } finally {
    await Deno.remove(f);
  }
});

Deno.test("source.market: the source's index and VIX symbols, checked at load; one-line refusals", async () => {
  const { config: c, notes } = await loadConfigWithNotes({
    overrides: { source: { market: { index: "^gspc", vix: "^VIX" } } },
  });
  deepEqual(c.source.market, { index: "^GSPC", vix: "^VIX" });
  deepEqual(notes, ["symbols: ^gspc is ^GSPC (symbols are upper case, as collected)"]);
  deepEqual((await loadConfig()).source.market, { index: null, vix: null }, "default: the universe's own");
  deepEqual((await loadConfig({ overrides: { source: { market: { index: "SPY" } } } })).source.market, {
    index: "SPY",
    vix: null,
  });
  const refused: [unknown, RegExp][] = [
    [{ vix: "^VIX" }, /^config source\.market\.vix needs source\.market\.index/],
    [{ index: "^VIX" }, /^config source\.market\.index: \^VIX is published after the close/],
    [{ index: "not a symbol" }, /^config source\.market\.index: "not a symbol" is not a symbol/],
    [{ index: 5 }, /^config source\.market\.index: expected string, got number/],
    [{ idx: "^GSPC" }, /^unknown config key source\.market\.idx/],
    // one series as both would be joined twice, the index used as the VIX
    [{ index: "^GSPC", vix: "^GSPC" }, /^config source\.market: \^GSPC is given twice$/],
    [{ index: "^GSPC", vix: "^gspc" }, /^config source\.market: \^GSPC and \^gspc are the same symbol$/],
  ];
  for (const [market, re] of refused) {
    await rejects(() => loadConfig({ overrides: { source: { market } } }), (e: Error) => {
      ok(re.test(e.message), e.message);
      equal(e.message.includes("\n"), false);
      return true;
    });
  }
  // the same from a config file
  const dir = await Deno.makeTempDir({ prefix: "fmai-market-" });
  try {
    // --market INDEX over a config naming both: the flag's pair wins, no VIX (a null over the file's string was
    // refused as "expected string, got null")
    await Deno.writeTextFile(`${dir}/both.yaml`, "source: {market: {index: ^GSPC, vix: ^VIX}}\n");
    // (the overrides pipelines/cli.ts makes of --market ^DJI)
    const overrides = { source: { market: { index: "^DJI", vix: null } } };
    deepEqual((await loadConfig({ file: `${dir}/both.yaml`, overrides })).source.market, {
      index: "^DJI",
      vix: null,
    });
    deepEqual(
      (await loadConfig({
        file: `${dir}/both.yaml`,
        overrides: { source: { market: { index: null, vix: null } } },
      }))
        .source.market,
      { index: null, vix: null },
    );
    // null only where the default is null: a string key keeps its type
    await rejects(
      () => loadConfig({ file: `${dir}/both.yaml`, overrides: { reportDir: null } }),
      (e: Error) => e.message === "config reportDir: expected string, got null (null)",
    );
    await Deno.writeTextFile(`${dir}/c.yaml`, "source: {market: {index: ^GSPC, vix: ^GSPC}}\n");
    await rejects(() => loadConfig({ file: `${dir}/c.yaml` }), (e: Error) => {
      equal(e.message, "config source.market: ^GSPC is given twice");
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("portfolio.risk: limits at 0 are off (the spec has no risk key); set ones reach the spec; ranges at load", async () => {
  const off = specFromConfig(await loadConfig({}));
  equal("risk" in off.portfolio, false, "the default spec is unchanged by the off limits");
  const on = specFromConfig(
    await loadConfig({ overrides: { portfolio: { risk: { varLimit: 0.02, drawdownBrake: 0.1 } } } }),
  );
  deepEqual(on.portfolio.risk, {
    varLimit: { limit: 0.02, alpha: 0.01 },
    drawdownBrake: { threshold: 0.1, scale: 0.5, recover: 0.05 },
  });
  const brake = specFromConfig(
    await loadConfig({
      overrides: { portfolio: { risk: { drawdownBrake: 0.2, brakeScale: 0.25, brakeRecover: 0.15 } } },
    }),
  );
  deepEqual(brake.portfolio.risk, { drawdownBrake: { threshold: 0.2, scale: 0.25, recover: 0.15 } });
  // brakeScale 0 is a stop, said as one
  const stop = specFromConfig(
    await loadConfig({ overrides: { portfolio: { risk: { drawdownBrake: 0.2, brakeScale: 0 } } } }),
  );
  equal(stop.portfolio.risk?.drawdownBrake?.scale, 0);
  equal(
    riskLimitsText(stop),
    "drawdown stop at 20.0%: flat from then on (a flat book cannot recover its drawdown)",
  );
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ portfolio: { risk: { varLimit: 1 } } }, /^config portfolio\.risk\.varLimit: 1 is out of range/],
    [{ portfolio: { risk: { varAlpha: 0.5 } } }, /^config portfolio\.risk\.varAlpha: 0\.5 is out of range/],
    [{ portfolio: { risk: { drawdownBrake: -0.1 } } }, /^config portfolio\.risk\.drawdownBrake: -0\.1/],
    [{ portfolio: { risk: { brakeScale: 1 } } }, /^config portfolio\.risk\.brakeScale: 1 is out of range/],
    [
      { portfolio: { risk: { drawdownBrake: 0.1, brakeRecover: 0.2 } } },
      /^config portfolio\.risk\.brakeRecover: 0\.2 is above drawdownBrake 0\.1/,
    ],
    [
      { portfolio: { risk: { varlimit: 0.02 } } },
      /^unknown config key portfolio\.risk\.varlimit \(did you mean varLimit\?\)/,
    ],
    // a key only a limit left off would read is refused, not ignored
    [
      { portfolio: { risk: { varAlpha: 0.05 } } },
      /^config portfolio\.risk\.varAlpha: 0\.05 is read only by the VaR limit, and portfolio\.risk\.varLimit is 0 \(off\)/,
    ],
    [
      { portfolio: { risk: { brakeScale: 0.25 } } },
      /^config portfolio\.risk\.brakeScale: 0\.25 is read only by the drawdown brake, and portfolio\.risk\.drawdownBrake is 0/,
    ],
    [
      { portfolio: { risk: { brakeRecover: 0.05 } } },
      /^config portfolio\.risk\.brakeRecover: 0\.05 is read only by the drawdown brake/,
    ],
    // a stop never releases: its release level would be ignored
    [
      { portfolio: { risk: { drawdownBrake: 0.2, brakeScale: 0, brakeRecover: 0.15 } } },
      /^config portfolio\.risk\.brakeRecover: 0\.15 is read only by a brake that releases, and portfolio\.risk\.brakeScale is 0 \(a stop/,
    ],
  ];
  for (const [overrides, re] of bad) {
    await rejects(
      () => loadConfig({ overrides }),
      (e: Error) => e instanceof ConfigError && re.test(e.message),
    );
  }
  // the same from a config file; the defaults' own varAlpha and brakeScale are not the user's
  const file = await Deno.makeTempFile({ suffix: ".yaml" });
  try {
    await Deno.writeTextFile(file, "portfolio:\n  risk:\n    brakeScale: 0.3\n");
    await rejects(
      () => loadConfig({ file }),
      (e: Error) =>
        e instanceof ConfigError &&
        e.message.startsWith(`config ${file}: portfolio.risk.brakeScale 0.3 is read only by`),
    );
    await Deno.writeTextFile(file, "portfolio:\n  risk:\n    brakeScale: 0.3\n    drawdownBrake: 0.1\n");
    equal((await loadConfig({ file })).portfolio.risk.brakeScale, 0.3);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("portfolio.tilt: reaches the spec only with the tilt method (other specs unchanged); refused with another method", async () => {
  equal("tilt" in specFromConfig(await loadConfig({})).portfolio, false, "the default spec has no tilt key");
  const tilt = specFromConfig(await loadConfig({ overrides: { portfolio: { method: "tilt", tilt: 0.5 } } }));
  equal(tilt.portfolio.method, "tilt");
  equal(tilt.portfolio.tilt, 0.5);
  equal(specFromConfig(await loadConfig({ overrides: { portfolio: { method: "tilt" } } })).portfolio.tilt, 1);
  // each read by its own method
  for (
    const portfolio of [{ method: "kelly", longOnly: false, kellyFraction: 0.5 }, {
      method: "long-short",
      topK: 5,
      nDrop: 1,
    }]
  ) {
    equal((await loadConfig({ overrides: { portfolio } })).portfolio.method, portfolio.method);
  }
  const bad: [Record<string, unknown>, RegExp][] = [
    [
      { portfolio: { tilt: 0.5 } },
      /^config portfolio\.tilt: 0\.5 is read only by the tilt method, and portfolio\.method is topk-dropout: set portfolio\.method: tilt, or leave tilt out$/,
    ],
    [{ portfolio: { method: "tilt", tilt: 11 } }, /^config portfolio\.tilt: 11 is out of range/],
    [{ portfolio: { method: "tilts" } }, /^config portfolio\.method: /],
    // the other keys only one method reads: set with another method they would be ignored
    [
      { portfolio: { kellyFraction: 0.5 } },
      /^config portfolio\.kellyFraction: 0\.5 is read only by the kelly method, and portfolio\.method is topk-dropout: set portfolio\.method: kelly, or leave kellyFraction out$/,
    ],
    [
      { portfolio: { method: "long-short", longOnly: false } },
      /^config portfolio\.longOnly: false is read only by the kelly method/,
    ],
    [
      { portfolio: { method: "kelly", topK: 10 } },
      /^config portfolio\.topK: 10 is read only by the ranking methods \(topk-dropout, long-short\), and portfolio\.method is kelly: set portfolio\.method: topk-dropout or long-short, or leave topK out$/,
    ],
    [
      { portfolio: { method: "tilt", nDrop: 2 } },
      /^config portfolio\.nDrop: 2 is read only by the ranking methods/,
    ],
    // the tilt book holds every tradable name: no threshold selects them
    [
      { portfolio: { method: "tilt", minEdge: 0.5 } },
      /^config portfolio\.minEdge: 0\.5 is read only by the selecting methods \(kelly, topk-dropout, long-short\), and portfolio\.method is tilt: set portfolio\.method: kelly, topk-dropout or long-short, or leave minEdge out$/,
    ],
    // a list item twice names the config key, not the spec's (spec experts.trend)
    [{ models: { trend: ["logistic", "logistic"] } }, /^config models\.trend: logistic is listed twice$/],
    [
      { models: { experts: ["trend", "market", "trend"] } },
      /^config models\.experts: trend is listed twice$/,
    ],
  ];
  for (const [overrides, re] of bad) {
    await rejects(
      () => loadConfig({ overrides }),
      (e: Error) => e instanceof ConfigError && re.test(e.message) && !e.message.includes("\n"),
    );
  }
});

Deno.test("production.retrain.compareOn: ic (default) or book, anything else refused at load", async () => {
  equal((await loadConfig({})).production.retrain.compareOn, "ic");
  const book = await loadConfig({ overrides: { production: { retrain: { compareOn: "book" } } } });
  equal(book.production.retrain.compareOn, "book");
  await rejects(
    () => loadConfig({ overrides: { production: { retrain: { compareOn: "sharpe" } } } }),
    (e: Error) => e instanceof ConfigError && /^config production\.retrain\.compareOn: /.test(e.message),
  );
});

Deno.test("portfolio.rebalance: in the spec only below 1 (the default spec is unchanged), in (0, 1] at load", async () => {
  equal("rebalance" in specFromConfig(await loadConfig({})).portfolio, false);
  const half = specFromConfig(await loadConfig({ overrides: { portfolio: { rebalance: 0.5 } } }));
  equal(half.portfolio.rebalance, 0.5);
  for (const bad of [0, 1.2]) {
    await rejects(
      () => loadConfig({ overrides: { portfolio: { rebalance: bad } } }),
      (e: Error) =>
        e instanceof ConfigError &&
        e.message.startsWith(`config portfolio.rebalance: ${bad} is out of range`),
    );
  }
});

Deno.test("backtest.capital: the impact term's book size reaches the spec only when not the default; range at load", async () => {
  equal("capital" in specFromConfig(await loadConfig({})).costs, false, "the default spec is unchanged");
  const big = specFromConfig(await loadConfig({ overrides: { backtest: { capital: 2.5e8 } } }));
  equal(big.costs.capital, 2.5e8);
  for (const capital of [0, 10, 1e14]) {
    await rejects(
      () => loadConfig({ overrides: { backtest: { capital } } }),
      (e: Error) =>
        e instanceof ConfigError && /^config backtest\.capital: .* is out of range/.test(e.message),
    );
  }
});

Deno.test("a config file's wrong date or symbol is refused even when a flag replaces it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      [
        "source: {from: 2016-02-30}",
        { source: { from: "2016-03-01" } },
        /: source\.from: expected YYYY-MM-DD \(a calendar date\), got "2016-02-30"$/,
      ],
      ["source: {symbols: [SP Y, QQQ]}", { source: { symbols: ["SPY"] } }, /: source\.symbols\[0\]: /],
      ["source: {symbols: [SPY, QQQ, spy]}", { source: { symbols: ["SPY"] } }, /source\.symbols/],
    ];
    for (const [text, overrides, re] of cases) {
      await Deno.writeTextFile(`${dir}/c.yaml`, `${text}\n`);
      await rejects(
        () => loadConfig({ file: `${dir}/c.yaml`, overrides }),
        (e: Error) =>
          (e instanceof ConfigError || e instanceof InputError) &&
          e.message.startsWith(`config ${dir}/c.yaml: `) && re.test(e.message),
        text,
      );
    }
    // a calendar date that does not exist is named in a date range
    await rejects(
      () =>
        loadConfig({
          overrides: {
            dataset: {
              segments: {
                train: "2016-01-04..2017-02-30",
                valid: "2017-03-01..2017-06-30",
                test: "2017-07-03..2017-12-29",
              },
            },
          },
        }),
      (e: Error) => /dataset\.segments\.train: 2017-02-30 is not a calendar date/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a FIFO given as the config file is refused, not read forever", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const fifo = `${dir}/cfg.yaml`;
    const mk = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    equal(mk.code, 0);
    await rejects(
      () => loadConfig({ file: fifo }),
      (e: Error) =>
        e instanceof ConfigError && e.message === `cannot read config file ${fifo}: not a regular file`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a config file that is no mapping is named in the refusal; mergeChecked's own refusals leave the prefix to the caller", async () => {
  const f = await Deno.makeTempFile({ suffix: ".yaml" });
  try {
    for (const [text, got] of [["- a\n- b\n", "array"], ["5\n", "number"]]) {
      await Deno.writeTextFile(f, text);
      await rejects(
        () => loadConfig({ file: f }),
        (e: Error) => e instanceof ConfigError && e.message === `config ${f}: expected a mapping, got ${got}`,
        text,
      );
    }
  } finally {
    await Deno.remove(f);
  }
  // a store file's caller says `config/mysql.yaml: ` itself: the key follows without another "config"
  const where = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return (e as Error).message;
    }
    return "accepted";
  };
  equal(
    where(() =>
      mergeChecked({ store: { tables: { poolSize: 4 } } }, { store: { tables: { poolSize: "four" } } })
    ),
    'store.tables.poolSize: expected number, got string ("four")',
  );
  // the loader's own messages keep their "config " (overrides as before)
  await rejects(
    () => loadConfig({ overrides: { backtest: { costBps: "five" } } }),
    (e: Error) => e.message === 'config backtest.costBps: expected number, got string ("five")',
  );
});

Deno.test("a key only an unset setting reads is refused at load (capital, fractions, the language model, the synthetic market); the defaults' own are not", async () => {
  const dates = {
    train: "2015-01-02..2015-12-31",
    valid: "2016-01-04..2016-06-30",
    test: "2016-07-01..2016-12-30",
  };
  const bad: [Record<string, unknown>, string][] = [
    [
      { backtest: { impact: 0, capital: 5e7 } },
      "config backtest.capital: 50000000 is read only by the impact cost (its orders are sized against the " +
      "volume), and backtest.impact is 0 (off): set backtest.impact above 0, or leave capital out",
    ],
    [
      { dataset: { segments: dates, trainFrac: 0.5 } },
      "config dataset.trainFrac: 0.5 is read only by the split by fractions, and dataset.segments gives all " +
      "three date ranges (--train, --valid, --test): set the segments to null, or leave trainFrac out",
    ],
    [
      { dataset: { segments: dates, validFrac: 0.1 } },
      "config dataset.validFrac: 0.1 is read only by the split",
    ],
    [
      { news: { scorer: "lexicon", model: "finsent-minilm@v1" } },
      "config news.model: finsent-minilm@v1 is read only by the language model, and news.scorer is lexicon: set " +
      "news.scorer: auto or lm, or leave model out",
    ],
    [
      { news: { scorer: "lexicon", variant: "int8" } },
      "config news.variant: int8 is read only by the language",
    ],
    [
      { news: { scorer: "lexicon", threads: 4 } },
      "config news.threads: 4 is read only by the language model",
    ],
    [
      { source: { kind: "csv", csvDir: "/x", synthetic: { seed: 3 } } },
      "config source.synthetic.seed: 3 is read only by the synthetic source, and source.kind is csv (--source, " +
      "--data-dir): set source.kind: synthetic, or leave seed out",
    ],
    [
      { source: { kind: "csv", csvDir: "/x", synthetic: { sessions: 300 } } },
      "config source.synthetic.sessions: 300 is read only by the synthetic source",
    ],
  ];
  await refusedInOneLine(bad);
  // the defaults' own capital, fractions, model and synthetic market are no user's request
  for (
    const overrides of [
      { backtest: { impact: 0 } },
      { dataset: { segments: dates } },
      { news: { scorer: "lexicon" } },
      { source: { kind: "csv", csvDir: "/x" } },
      // each read while its reader is on
      { backtest: { impact: 0.5, capital: 5e7 } },
      { dataset: { trainFrac: 0.5, validFrac: 0.3 } },
      { news: { scorer: "auto", model: "finsent-minilm@v1", variant: "int8", threads: 2 } },
      { source: { synthetic: { seed: 3, sessions: 300 } } },
      // `deno task models promote --require-better` reads both under every promote mode: not refused
      { production: { retrain: { promote: "always", minScoredSessions: 40, compareOn: "book" } } },
    ]
  ) await loadConfig({ overrides });
  // a config file's key is refused when the file itself leaves it unread; a flag that turns its reader off
  // decides that run only (the next run without the flag reads it)
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/c.yaml`;
    await Deno.writeTextFile(file, "dataset: {trainFrac: 0.5}\nsource: {synthetic: {seed: 3}}\n");
    const flags = await loadConfig({
      file,
      overrides: { dataset: { segments: dates }, source: { kind: "csv", csvDir: "/x" } },
    });
    equal(flags.dataset.segments.test, dates.test);
    equal(flags.source.kind, "csv");
    await Deno.writeTextFile(file, `dataset: {trainFrac: 0.5, segments: ${JSON.stringify(dates)}}\n`);
    for (const overrides of [{}, { dataset: { segments: dates } }]) {
      await rejects(
        () => loadConfig({ file, overrides }),
        (e: Error) =>
          e instanceof ConfigError &&
          e.message.startsWith(`config ${file}: dataset.trainFrac 0.5 is read only`),
      );
    }
    await Deno.writeTextFile(file, "source: {kind: csv, csvDir: /x, synthetic: {newsRate: 1}}\n");
    await rejects(
      () => loadConfig({ file }),
      (e: Error) => e.message.startsWith(`config ${file}: source.synthetic.newsRate 1 is read only`),
    );
    // the file's capital under its impact 0, with the impact turned on by the overrides: read
    await Deno.writeTextFile(file, "backtest: {impact: 0, capital: 50000000}\n");
    await rejects(
      () => loadConfig({ file }),
      (e: Error) => e.message.startsWith(`config ${file}: backtest.capital 50000000 is read only`),
    );
    equal((await loadConfig({ file, overrides: { backtest: { impact: 1 } } })).backtest.capital, 5e7);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a portfolio limit that can never bind is refused at load: nDrop above topK, maxWeight above maxGross", async () => {
  const bad: [Record<string, unknown>, string][] = [
    [
      { portfolio: { topK: 2, nDrop: 40 } },
      "config portfolio.nDrop: 40 is above portfolio.topK 2: at most the 2 names held can be replaced a day; " +
      "set nDrop at most 2, or leave nDrop out",
    ],
    [
      { portfolio: { method: "long-short", nDrop: 60 } },
      "config portfolio.nDrop: 60 is above portfolio.topK 50",
    ],
    [
      { portfolio: { maxWeight: 2, maxGross: 0.5 } },
      "config portfolio.maxWeight: 2 is above portfolio.maxGross 0.5, so it never binds (one name's |w| is at " +
      "most the book's gross): set maxWeight at most 0.5, or leave maxWeight out",
    ],
    [{ portfolio: { maxWeight: 1.5 } }, "config portfolio.maxWeight: 1.5 is above portfolio.maxGross 1,"],
  ];
  await refusedInOneLine(bad);
  // at the bound they bind; the defaults' own nDrop (5) and maxWeight (0.25) are no user's request
  for (
    const overrides of [
      { portfolio: { topK: 2, nDrop: 2 } },
      { portfolio: { maxWeight: 0.5, maxGross: 0.5 } },
      { portfolio: { topK: 2 } },
      { portfolio: { maxGross: 0.2 } },
    ]
  ) await loadConfig({ overrides });
});

Deno.test("config/default.yaml loads as a user's file, whole or copied with the lexicon: a default's own value asks for nothing", async () => {
  const def = await loadConfig();
  deepEqual(await loadConfig({ file: "config/default.yaml" }), def);
  const dir = await Deno.makeTempDir();
  try {
    // a copy of the defaults with the lexicon: news.model, variant and threads (and refitEvery with the
    // walk-forward off) are the defaults' values, not a request nothing reads
    const copy = (await Deno.readTextFile("config/default.yaml")).replace(
      /^( {2}scorer:) \S+/m,
      "$1 lexicon",
    );
    ok(copy.includes("  scorer: lexicon"), "the copy switched the scorer");
    await Deno.writeTextFile(`${dir}/copy.yaml`, copy);
    equal((await loadConfig({ file: `${dir}/copy.yaml` })).news.scorer, "lexicon");
    // another value than the default's is a request, refused naming the file
    await Deno.writeTextFile(`${dir}/copy.yaml`, copy.replace(/^( {2}threads:) \S+/m, "$1 3"));
    await rejects(
      () => loadConfig({ file: `${dir}/copy.yaml` }),
      (e: Error) =>
        e.message.startsWith(`config ${dir}/copy.yaml: news.threads 3 is read only by the language model`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
