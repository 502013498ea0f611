import { fileURLToPath } from "node:url";
import { deepEqual, equal, notEqual, ok, rejects, throws } from "node:assert/strict";
import {
  closeTime,
  ConfigError,
  nextSession,
  prevSession,
  sessions,
  SHADOW_SIGNAL_SOURCE,
} from "@lib/core/mod.ts";
import {
  aliasState,
  listVersions,
  loadVersion,
  NEWS_SCORES_COLLECTION,
  promoteVersion,
  registerVersion,
  setAlias,
} from "@lib/models/mod.ts";
import { type BarRequest, createSyntheticMarket, csvSourceFor, type MarketSource } from "@lib/sources/mod.ts";
import {
  type Doc,
  openEmbeddedStores,
  reportKey,
  rowToSignal,
  signalToRow,
  type Stores,
} from "@lib/store/mod.ts";
import { issuedView } from "@lib/serve/mod.ts";
import { type Config, loadConfig, retrainWindow, specFromConfig } from "./config.ts";
import { DEFAULT_SPEC, loadSystem, SYSTEM_FORMAT_VERSION } from "@lib/workflow/mod.ts";
import { main } from "./signal_cli.ts";
import { syntheticMarketFor } from "./source.ts";
import { createProgress } from "./progress.ts";
import { ensureTables, runCollect } from "./collect/mod.ts";
import {
  type CheckResult,
  collectNote,
  compareOnScorecard,
  failedChecksText,
  gitFromEnv,
  paperLine,
  productionSegments,
  runSignal,
  scoredText,
  SIGNAL_SOURCE,
  specChangeNotes,
  tradedReturns,
  updateScorecard,
  versionAccount,
} from "./signal.ts";
import { scorecardTotals } from "@lib/backtest/mod.ts";

/**
 * A small, fast configuration: 6 synthetic symbols, two linear trend models, news scored by the lexicon (the
 * language model's path is the research run's, tested in pipeline_test.ts).
 */
const REPORTS = await Deno.makeTempDir({ prefix: "fmai-signal-reports-" });

async function smallConfig(over: Record<string, unknown> = {}) {
  return await loadConfig({
    overrides: {
      source: { synthetic: { symbols: 6, sessions: 420, seed: 3 } },
      models: { trend: ["majority", "logistic"] },
      news: { scorer: "lexicon" },
      // reports go to a scratch folder, not the checkout's reports/
      reportDir: REPORTS,
      ...over,
    },
  });
}

const quiet = { quiet: true, git: { sha: "0".repeat(40), dirty: false } };

/** A production-run test on the small config and a fresh in-memory embedded store, closed after. */
function storeTest(name: string, fn: (cfg: Config, stores: Stores) => Promise<void>): void {
  Deno.test({
    name,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      const cfg = await smallConfig();
      const stores = openEmbeddedStores(":memory:");
      try {
        await fn(cfg, stores);
      } finally {
        await stores.close();
      }
    },
  });
}

/** `version`'s system registered again as fitted on the language model's sentiment, and made champion. */
async function lmChampion(stores: Stores, version: string) {
  const { files, manifest } = await loadVersion(stores.objects, "system", version);
  const lm = await registerVersion(stores.objects, "system", files, {
    ...manifest.lineage,
    newsScorer: "lm:finsent-mpnet@v1",
  });
  await promoteVersion(stores.objects, "system", lm.version);
  return lm;
}

async function issuedRows(stores: Stores, date: string) {
  return (await stores.tables.query("signals", { where: { date }, orderBy: ["model_version", "symbol"] }))
    .filter((r) => r.model_version !== "").map(rowToSignal);
}

storeTest(
  "signal: first run fits, registers with lineage and issues; a re-run of the date changes nothing",
  async (cfg, stores) => {
    let t = Date.now();
    const first = await runSignal(cfg, { ...quiet, stores, now: () => t });
    equal(first.model, "refit");
    equal(first.promoted, true);
    equal(first.signals.length, 6);
    equal(first.written, 6);
    const v = first.modelVersion;
    equal((await aliasState(stores.objects, "system")).aliases.champion, v);
    const { manifest } = await loadVersion(stores.objects, "system", v);
    equal(manifest.lineage.asOf, first.asOf);
    equal(manifest.lineage.data.snapshot.length, 6);
    ok(manifest.lineage.data.snapshot.every((e) => e.lastDate === first.asOf && e.rows > 300));
    ok(manifest.lineage.windows.calibration[1] < first.asOf);
    equal(manifest.lineage.git.sha, "0".repeat(40));
    ok(manifest.lineage.newsScorer?.startsWith("lexicon@"), manifest.lineage.newsScorer);
    ok(manifest.files.includes("drift_reference.json"));
    const s0 = first.signals[0];
    equal(s0.provenance?.modelVersion, v);
    equal(s0.provenance?.featureHash.length, 64);
    // every expert with a calibrated edge records it (an abstaining expert has none)
    const withEdge = s0.contributions.filter((c) => c.calibrated);
    ok(withEdge.length >= s0.contributions.length - 1, JSON.stringify(s0.contributions));
    ok(withEdge.every((c) => c.calibrated!.length === 1 && Number.isFinite(c.calibrated![0])));
    ok(Math.abs(s0.contributions.reduce((a, c) => a + c.weight, 0) - 1) < 1e-9);
    // the action and confidence come from the decision edge the signal records: for the (default) top-k book the
    // edge minus the day's mean edge, so a sell may carry a positive edge
    const edges = first.signals.map((s) => s.provenance!.sizing.score);
    const mean = edges.reduce((a, b) => a + b, 0) / edges.length;
    for (const s of first.signals) {
      const d = s.provenance!.sizing.decisionEdge!;
      ok(Math.abs(d - (s.provenance!.sizing.score - mean)) < 1e-12, `${s.symbol}: ${d}`);
      equal(s.action, s.size > 0 ? "buy" : s.size < 0 || d < 0 ? "sell" : "hold", s.symbol);
    }
    ok(first.checks.some((c) => c.kind === "psi"));
    ok(first.checks.some((c) => c.kind === "freshness" && c.name === "*" && c.value === 0));
    const before = await issuedRows(stores, first.asOf);
    const reportBefore = await stores.objects.get(reportKey(`signal-${first.asOf}`, "report.html"));
    ok(reportBefore && reportBefore.length > 0, "the issued run's report is stored");
    t += 3_600_000;
    const again = await runSignal(cfg, { ...quiet, stores, now: () => t });
    // the stored report is the issuing run's record: a re-run keeps it (its promotion line was replaced by the
    // re-run's "that run stands")
    deepEqual(
      await stores.objects.get(reportKey(`signal-${first.asOf}`, "report.html")),
      reportBefore,
      "the stored report is kept",
    );
    equal(again.model, "loaded");
    equal(again.modelVersion, v);
    equal(again.written, 0);
    deepEqual(again.differs, []);
    deepEqual(await issuedRows(stores, first.asOf), before, "nothing rewritten, issue time kept");
    // the health checks in one order in both runs (the report's table): kind, then name
    deepEqual(again.checks.map((c) => `${c.kind}/${c.name}`), first.checks.map((c) => `${c.kind}/${c.name}`));
    equal(await stores.tables.count("signal_runs"), 1);
    equal((await listVersions(stores.objects, "system")).length, 1);
    // the synthetic market's own index and VIX-like series, as the research run joins them (the daily run used
    // the universe's stand-in), recorded as the version's market context
    equal((await listVersions(stores.objects, "system"))[0].lineage.market, "own");
    // a forced refit on the same data reproduces the registered version bit for bit (no run-time facts such as
    // fit wall times in the artifacts): no new version, nothing written
    t += 3_600_000;
    const refit = await runSignal(cfg, { ...quiet, stores, now: () => t, refit: true });
    equal(refit.model, "refit");
    equal(refit.modelVersion, v);
    equal(refit.promotion, "refit reproduced the champion");
    equal(refit.written, 0);
    equal((await listVersions(stores.objects, "system")).length, 1);
  },
);

storeTest(
  "signal: an --as-of after the synthetic market's sessions extends it, as collect does (the same bars for the same dates)",
  async (cfg, stores) => {
    const m = syntheticMarketFor(cfg.source.synthetic);
    const last = m.dates[m.dates.length - 1], later = sessions(last, "2099-12-31")[30];
    const out = await runSignal(cfg, { ...quiet, stores, asOf: later });
    equal(out.asOf, later);
    equal(out.signals.length, 6);
    // the stored bars up to the market's last session are the config's 420-session market's own
    const [bar] = await stores.tables.query("bars", { where: { symbol: m.symbols[0], date: last } });
    const want = (await m.bars({ symbols: [m.symbols[0]], from: last, to: last })).get(m.symbols[0])![0];
    equal(bar.close, want.close);
  },
);

Deno.test({
  name:
    "signal: a refit of a tfjs network reproduces the version from another report folder, after other networks were built",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const stores = openEmbeddedStores(":memory:");
    try {
      const cfg = await smallConfig({ models: { trend: ["majority", "mlp-tfjs"] } });
      const first = await runSignal(cfg, { ...quiet, stores });
      // tfjs names unnamed layers from process-wide counters (dense_Dense4, then dense_Dense10): a refit in a
      // process that built networks before was another version; and where reports go is not what was fitted
      const elsewhere = { ...cfg, reportDir: `${REPORTS}/elsewhere` };
      const refit = await runSignal(elsewhere, { ...quiet, stores, refit: true });
      equal(refit.model, "refit");
      equal(refit.modelVersion, first.modelVersion);
      equal(refit.promotion, "refit reproduced the champion");
      equal((await listVersions(stores.objects, "system")).length, 1);
    } finally {
      await stores.close();
    }
  },
});

storeTest(
  "signal: a new model version adds signals beside the issued ones; an as-of replay never uses a later fit",
  async (cfg, stores) => {
    const first = await runSignal(cfg, { ...quiet, stores, now: () => Date.now() });
    // another version for the same date: a forced refit with another seed
    const cfg2 = await smallConfig({ models: { trend: ["majority", "logistic"], seed: 7 } });
    const second = await runSignal(cfg2, { ...quiet, stores, refit: true, now: () => Date.now() + 1000 });
    // the champion still issues the day's signals (already issued: nothing rewritten); the refit is the challenger
    // and issues beside it as a shadow run
    equal(second.modelVersion, first.modelVersion);
    equal(second.written, 0);
    equal(second.shadow.length, 1);
    const challenger = second.shadow[0].version;
    notEqual(challenger, first.modelVersion);
    equal(second.shadow[0].written, 6);
    ok(second.shadow[0].signals.every((x) => x.source === SHADOW_SIGNAL_SOURCE));
    const rows = await issuedRows(stores, first.asOf);
    equal(rows.length, 12, "both versions' signals are kept");
    deepEqual(
      rows.filter((r) => r.provenance!.modelVersion === first.modelVersion),
      first.signals.map((s) => s),
    );
    const aliases = (await aliasState(stores.objects, "system")).aliases;
    deepEqual(aliases, { champion: first.modelVersion, challenger });
    // an earlier as-of date: the registered versions saw later data, so the run refits on data up to it
    const earlier = prevSession(prevSession(first.asOf));
    const past = await runSignal(cfg, { ...quiet, stores, asOf: earlier, now: () => Date.now() + 2000 });
    equal(past.model, "refit");
    ok(past.promotion.startsWith(`replay of ${earlier}`), past.promotion);
    deepEqual((await aliasState(stores.objects, "system")).aliases, aliases, "a replay moves no alias");
    const { manifest } = await loadVersion(stores.objects, "system", past.modelVersion);
    ok(manifest.lineage.asOf <= earlier, "no look-ahead: the fit's data ends by the as-of date");
    ok(manifest.lineage.data.snapshot.every((e) => e.lastDate <= earlier));
    // the next run at the last date scores the earlier date (its exit open is known by then)
    const later = await runSignal(cfg, { ...quiet, stores, now: () => Date.now() + 3000 });
    equal(later.written, 0);
    ok(later.scoredDays >= 1);
    const sc = await stores.tables.query("scorecard", { where: { model_version: past.modelVersion } });
    equal(sc.length, 1);
    equal(sc[0].date, earlier);
    equal(sc[0].n, 6);
    ok(Number(sc[0].traded) <= 6 && Number(sc[0].hits) <= Number(sc[0].traded));
  },
);

/** A test of the retrain schedule (every 3 sessions, 2 scored to decide) over the last 7 synthetic sessions. */
function scheduleTest(
  name: string,
  fn: (cfg: Config, stores: Stores, dates: string[]) => Promise<void>,
): void {
  Deno.test({
    name,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      const cfg = await smallConfig({ production: { retrain: { every: 3, minScoredSessions: 2 } } });
      const dates = createSyntheticMarket({ seed: 3, symbols: 6, sessions: 420 }).dates.slice(-7);
      const stores = openEmbeddedStores(":memory:");
      try {
        await fn(cfg, stores, dates);
      } finally {
        await stores.close();
      }
    },
  });
}

scheduleTest(
  "signal: refits follow the schedule from the newest fit; the challenger runs in the shadow and is compared on the same sessions",
  async (cfg, stores, dates) => {
    const runs = [];
    for (const [i, asOf] of dates.entries()) {
      runs.push(await runSignal(cfg, { ...quiet, stores, asOf, now: () => Date.now() + i * 1000 }));
    }
    // fits on the first date and every third session after it; not every day once the first refit is due
    // a fit on the first date; the next one 3 sessions after it (the challenger, in the champion's shadow
    // from then on); it is decided on the 7th date (2 sessions scored for both), and the schedule goes on
    deepEqual(runs.map((r) => (r.shadow.length ? "shadow" : r.model)), [
      "refit",
      "loaded",
      "loaded",
      "shadow",
      "shadow",
      "shadow",
      "shadow",
    ]);
    equal(runs[3].shadow[0].version, runs[4].shadow[0].version);
    ok(
      runs[4].promotion.includes(
        `challenger ${runs[3].shadow[0].version}: 0 sessions scored for both (need 2)`,
      ),
      runs[4].promotion,
    );
    equal((await listVersions(stores.objects, "system")).length, 3);
    const champion = runs[0].modelVersion;
    ok(runs.every((r) => r.modelVersion === champion || r.promoted), "the champion issues every day");
    // the shadow run of the 4th date is scored beside the champion's: compared on common sessions
    ok(/mean IC over \d+ common sessions/.test(runs[6].promotion), runs[6].promotion);
    const shadowRows = await stores.tables.count("signals", { source: SHADOW_SIGNAL_SOURCE });
    equal(shadowRows, 6 * 4);
  },
);

scheduleTest(
  "signal: a scheduled refit killed before its challenger alias is done again by the re-run of its date",
  async (cfg, stores, dates) => {
    for (const asOf of dates.slice(0, 3)) await runSignal(cfg, { ...quiet, stores, asOf });
    // the 4th date is due: its refit is registered, then the run stops as the challenger alias is written
    await rejects(
      () => runSignal(cfg, { ...quiet, stores: failingAliases(stores), asOf: dates[3] }),
      /killed/,
    );
    const [orphan] = (await listVersions(stores.objects, "system")).filter((v) =>
      v.lineage.asOf === dates[3]
    );
    ok(orphan, "the refit is registered");
    equal((await aliasState(stores.objects, "system")).aliases.challenger, undefined);
    // the re-run of the date is due again (the orphan is no fit of the alias chain): the challenger, in the shadow
    const again = await runSignal(cfg, { ...quiet, stores, asOf: dates[3] });
    equal((await aliasState(stores.objects, "system")).aliases.challenger, orphan.version);
    equal(again.shadow[0]?.version, orphan.version, again.promotion);
    // and the schedule goes on from it, as after an uninterrupted run (no refit on the next date)
    equal((await runSignal(cfg, { ...quiet, stores, asOf: dates[4] })).model, "loaded");
  },
);

storeTest(
  "signal: a champion fitted on another news scorer is refused before any write; --refit replaces it and issues",
  async (cfg, stores) => {
    const d = createSyntheticMarket({ seed: 3, symbols: 6, sessions: 420 }).dates.slice(-3);
    const first = await runSignal(cfg, { ...quiet, stores, asOf: d[0] });
    const lm = await lmChampion(stores, first.modelVersion);
    const aliases = (await aliasState(stores.objects, "system")).aliases;
    await rejects(
      () => runSignal(cfg, { ...quiet, stores, asOf: d[1] }),
      /was fitted on news scored by lm:finsent-mpnet@v1, this run scores with lexicon/,
    );
    deepEqual((await aliasState(stores.objects, "system")).aliases, aliases, "no alias moved");
    equal(await stores.tables.count("signal_runs", { as_of: d[1] }), 0);
    // refused before the collect too: the day's bars are not fetched for a run that cannot decide
    equal(await stores.tables.count("bars", { date: d[1] }), 0, "nothing collected");
    // without --as-of the run refuses on the session the collect would reach, before collecting it
    await rejects(
      () => runSignal(cfg, { ...quiet, stores }),
      /was fitted on news scored by lm:finsent-mpnet@v1, this run scores with lexicon/,
    );
    equal(await stores.tables.count("bars", { date: { gt: d[0] } }), 0, "nothing collected");
    // --refit: the champion cannot decide on this news, so the refit takes over and issues the day's signals
    const refit = await runSignal(cfg, { ...quiet, stores, asOf: d[1], refit: true });
    equal(refit.model, "refit");
    ok(refit.promoted && refit.promotion.startsWith(`promoted: the champion ${lm.version}`), refit.promotion);
    equal(refit.written, 6);
    deepEqual(refit.shadow, []);
    const next = await runSignal(cfg, { ...quiet, stores, asOf: d[2] });
    equal(next.modelVersion, refit.modelVersion);
    equal(next.model, "loaded");
  },
);

storeTest(
  "signal: the demo's refitWhenCannotServe refits, with a note, where the champion cannot serve; else it loads",
  async (cfg, stores) => {
    const d = createSyntheticMarket({ seed: 3, symbols: 6, sessions: 420 }).dates.slice(-2);
    const first = await runSignal(cfg, { ...quiet, stores, asOf: d[0] });
    // a champion that can serve is loaded as without the option: no refit, no note
    const notes: string[] = [];
    const progress = { ...createProgress({ quiet: true }), note: (t: string) => void notes.push(t) };
    const same = await runSignal(cfg, { ...quiet, stores, asOf: d[0], refitWhenCannotServe: true, progress });
    equal(same.model, "loaded");
    equal(same.modelVersion, first.modelVersion);
    ok(!notes.some((n) => n.includes("refitting")), notes.join("\n"));
    // the champion now reads as fitted on the language model (as a demo's store does once the model is installed):
    // the next date refuses without the option and refits with it
    const lm = await lmChampion(stores, first.modelVersion);
    await rejects(
      () => runSignal(cfg, { ...quiet, stores, asOf: d[1] }),
      /was fitted on news scored by lm:finsent-mpnet@v1, this run scores with lexicon/,
    );
    const again = await runSignal(cfg, {
      ...quiet,
      stores,
      asOf: d[1],
      refitWhenCannotServe: true,
      progress,
    });
    equal(again.model, "refit");
    ok(again.promoted, again.promotion);
    equal(again.written, 6);
    ok(
      notes.some((n) =>
        n.startsWith(`system@${lm.version} was fitted on news scored by lm:finsent-mpnet@v1`) &&
        n.includes("refitting")
      ),
      notes.join("\n"),
    );
    equal((await aliasState(stores.objects, "system")).aliases.champion, again.modelVersion);
    // a re-run of the date (deno task signal: no option) keeps what the refit issued
    const next = await runSignal(cfg, { ...quiet, stores, asOf: d[1] });
    equal(next.model, "loaded");
    equal(next.modelVersion, again.modelVersion);
  },
);

storeTest(
  "signal: a store that holds bars of none of the run's symbols gets a note before the run collects into it",
  async (cfg, stores) => {
    await ensureTables(stores);
    await stores.tables.upsert("bars", [{
      symbol: "SPY",
      date: "2016-01-04",
      open: 1,
      high: 1,
      low: 1,
      close: 1,
      volume: 1,
      known_at: closeTime("2016-01-04"),
    }]);
    const notes: string[] = [];
    const progress = { ...createProgress({ quiet: true }), note: (t: string) => void notes.push(t) };
    await runSignal(cfg, { ...quiet, stores, progress });
    ok(
      notes.some((n) => /^the store holds bars, none of this run's symbols \(synthetic: SYN00,/.test(n)),
      notes.join("\n"),
    );
    // the next run finds its own symbols stored: no note
    notes.length = 0;
    await runSignal(cfg, { ...quiet, stores, progress });
    ok(!notes.some((n) => n.startsWith("the store holds bars")), notes.join("\n"));
  },
);

storeTest(
  "signal: a champion saved in an older system format is refused before any write; --refit replaces it",
  async (cfg, stores) => {
    const d = createSyntheticMarket({ seed: 3, symbols: 6, sessions: 420 }).dates.slice(-3);
    const first = await runSignal(cfg, { ...quiet, stores, asOf: d[0] });
    const { files, manifest } = await loadVersion(stores.objects, "system", first.modelVersion);
    equal(manifest.lineage.artifactFormat, SYSTEM_FORMAT_VERSION);
    // a version registered before formats were recorded (format 2: its gate read the VIX of the decision day)
    const { artifactFormat: _, ...oldLineage } = manifest.lineage;
    const old = await registerVersion(stores.objects, "system", files, oldLineage);
    await promoteVersion(stores.objects, "system", old.version);
    const aliases = (await aliasState(stores.objects, "system")).aliases;
    await rejects(
      () => runSignal(cfg, { ...quiet, stores, asOf: d[1] }),
      new RegExp(
        `system@${old.version} was saved in system format 2, this build loads format 3: refit with --refit$`,
      ),
    );
    deepEqual((await aliasState(stores.objects, "system")).aliases, aliases, "no alias moved");
    equal(await stores.tables.count("signal_runs", { as_of: d[1] }), 0);
    const refit = await runSignal(cfg, { ...quiet, stores, asOf: d[1], refit: true });
    equal(refit.model, "refit");
    ok(
      refit.promoted && refit.promotion.startsWith(`promoted: the champion ${old.version} was saved`),
      refit.promotion,
    );
    equal(refit.written, 6);
    const next = await runSignal(cfg, { ...quiet, stores, asOf: d[2] });
    equal(next.modelVersion, refit.modelVersion);
    equal(next.model, "loaded");
    // the loader refuses such an artifact too, in one line
    const json = files["system.json"];
    const sys = JSON.parse(typeof json === "string" ? json : new TextDecoder().decode(json));
    await rejects(
      () => loadSystem({ ...files, "system.json": JSON.stringify({ ...sys, version: 2 }) }),
      /system artifact format 2; this build reads format 3: refit the system/,
    );
  },
);

storeTest(
  "signal: re-running a date after its shadowed challenger was promoted keeps the issued run, writes nothing",
  async (cfg, stores) => {
    const first = await runSignal(cfg, { ...quiet, stores });
    const cfg2 = await smallConfig({ models: { trend: ["majority", "logistic"], seed: 7 } });
    const second = await runSignal(cfg2, { ...quiet, stores, refit: true });
    const challenger = second.shadow[0].version;
    await promoteVersion(stores.objects, "system", challenger);
    const rows = await stores.tables.count("signals"), runs = await stores.tables.count("signal_runs");
    const again = await runSignal(cfg2, { ...quiet, stores });
    equal(again.asOf, first.asOf);
    // the date was issued by the first version: the re-run reports that run (the API serves it), not the shadow
    equal(again.modelVersion, first.modelVersion);
    equal(again.model, "loaded");
    equal(again.written, 0);
    deepEqual(again.signals, first.signals);
    ok(
      again.promotion.includes(`${first.modelVersion} issued ${first.asOf}: that run stands`),
      again.promotion,
    );
    deepEqual(again.shadow.map((x) => [x.version, x.written]), [[challenger, 0]]);
    equal(await stores.tables.count("signals"), rows);
    equal(await stores.tables.count("signal_runs"), runs);
    equal(await stores.tables.count("signals", { model_version: challenger, source: "moe" }), 0);
  },
);

/**
 * `stores` whose `part` fails (`error`) when `method` is called with a first argument `fails` accepts: a run
 * killed at that write.
 */
function failingAt(
  stores: Stores,
  part: "tables" | "objects",
  method: string,
  fails: (first: unknown) => boolean,
  error = "killed",
): Stores {
  const target = stores[part] as object;
  return {
    ...stores,
    [part]: new Proxy(target, {
      get(o, k) {
        const v = Reflect.get(o, k);
        if (k !== method) return typeof v === "function" ? v.bind(o) : v;
        return (first: unknown, ...rest: unknown[]) =>
          fails(first) ? Promise.reject(new Error(error)) : v.call(o, first, ...rest);
      },
    }),
  };
}

/** `stores` whose tables fail as a run's rows are written (after its signals): a run that dies before it is visible. */
const failingRunRows = (stores: Stores) =>
  failingAt(stores, "tables", "upsert", (table) => table === "signal_runs", "store down");

/**
 * `stores` whose objects fail as the registry's aliases are written (after a new version's manifest): a first run
 * killed between `manifest.json` and `aliases.json`.
 */
const failingAliases = (stores: Stores) => failingAt(stores, "objects", "putIf", () => true);

storeTest(
  "signal: a first run killed after registering its version, before the champion alias: the re-run makes it the champion, as an uninterrupted run",
  async (cfg, stores) => {
    const t = Date.now();
    await rejects(() => runSignal(cfg, { ...quiet, stores: failingAliases(stores), now: () => t }), /killed/);
    const [v] = await listVersions(stores.objects, "system");
    deepEqual(
      (await aliasState(stores.objects, "system")).aliases,
      {},
      "the version is registered, no alias",
    );
    const notes: string[] = [];
    const progress = { ...createProgress({ quiet: true }), note: (n: string) => void notes.push(n) };
    const again = await runSignal(cfg, { ...quiet, stores, now: () => t + 60_000, progress });
    ok(
      notes.some((n) => n.startsWith(`system@${v.version} was registered by a run that stopped`)),
      notes.join("\n"),
    );
    // what an uninterrupted first run leaves
    const ctl = openEmbeddedStores(":memory:");
    try {
      const first = await runSignal(cfg, { ...quiet, stores: ctl, now: () => t });
      equal(first.modelVersion, v.version);
      equal(again.modelVersion, first.modelVersion);
      equal(again.promotion, first.promotion);
      equal(again.promotion, "first version: champion");
      equal(again.promoted, true);
      const aliases = async (s: Stores) => {
        const st = await aliasState(s.objects, "system");
        return { ...st, history: st.history.map(({ at: _, ...h }) => h) };
      };
      deepEqual(await aliases(stores), await aliases(ctl));
      deepEqual(
        (await listVersions(stores.objects, "system")).map((m) => m.digest),
        (await listVersions(ctl.objects, "system")).map((m) => m.digest),
      );
      const view = (xs: Awaited<ReturnType<typeof issuedRows>>) =>
        xs.map((x) => [x.symbol, x.action, x.size, x.confidence, x.provenance?.modelVersion]);
      deepEqual(view(await issuedRows(stores, again.asOf)), view(await issuedRows(ctl, first.asOf)));
      const payload = async (s: Stores) =>
        JSON.parse(
          String((await s.tables.query("signal_runs", { where: { as_of: first.asOf } }))[0].payload),
        );
      equal((await payload(stores)).promotion, (await payload(ctl)).promotion);
      // the next refit is the challenger, and a rollback has no earlier champion, as after an uninterrupted run
      const cfg2 = await smallConfig({ models: { trend: ["majority", "logistic"], seed: 7 } });
      const refit = await runSignal(cfg2, { ...quiet, stores, refit: true, now: () => t + 120_000 });
      ok(refit.promotion.includes("is the challenger"), refit.promotion);
      equal(refit.modelVersion, v.version, "the champion issues");
      // a re-run that refits (--refit) makes the registered version the champion first, then decides its refit
      const k2 = openEmbeddedStores(":memory:");
      try {
        await rejects(() => runSignal(cfg, { ...quiet, stores: failingAliases(k2), now: () => t }), /killed/);
        const r = await runSignal(cfg, { ...quiet, stores: k2, refit: true, now: () => t + 60_000 });
        equal(r.promotion, `first version ${v.version}: champion; refit reproduced the champion`);
        equal((await aliasState(k2.objects, "system")).aliases.champion, v.version);
      } finally {
        await k2.close();
      }
    } finally {
      await ctl.close();
    }
  },
);

/** `stores` whose objects fail as a run's stored report is written: a run killed as it writes its report. */
const failingReport = (stores: Stores) =>
  failingAt(stores, "objects", "put", (key) => String(key).startsWith("reports/"));

/** The stored report of a date, as text ("" when there is none). */
async function storedReport(stores: Stores, asOf: string): Promise<string> {
  const b = await stores.objects.get(reportKey(`signal-${asOf}`, "report.html"));
  return b ? new TextDecoder().decode(b) : "";
}

/** The promotion line a date's production run row recorded. */
async function recordedLine(stores: Stores, asOf: string): Promise<string> {
  const [r] = await stores.tables.query("signal_runs", { where: { as_of: asOf, source: SIGNAL_SOURCE } });
  return JSON.parse(String(r.payload)).promotion;
}

storeTest(
  "signal: the run rows are written last, after the stored report: a run stopped before them is not visible, and the run that makes the date visible stores its report",
  async (cfg, stores) => {
    const [d0, d1] = createSyntheticMarket({ seed: 3, symbols: 6, sessions: 420 }).dates.slice(-3);
    // stopped as it stores its report: nothing is visible yet
    await rejects(() => runSignal(cfg, { ...quiet, stores: failingReport(stores), asOf: d0 }), /killed/);
    equal(await stores.tables.count("signal_runs"), 0, "no run row before the stored report");
    const first = await runSignal(cfg, { ...quiet, stores, asOf: d0 });
    equal(await stores.tables.count("signal_runs"), 1);
    ok((await storedReport(stores, d0)).includes(await recordedLine(stores, d0)));
    // stopped as it writes its run rows (after the stored report): the re-run that makes the date visible
    // stores the report again with its own promotion line, the one its run row records
    const cfg2 = await smallConfig({ models: { trend: ["majority", "logistic"], seed: 7 } });
    await rejects(
      () => runSignal(cfg2, { ...quiet, stores: failingRunRows(stores), asOf: d1, refit: true }),
      /store down/,
    );
    const stopped = await storedReport(stores, d1);
    ok(stopped.includes("is the challenger"), "stored before the run rows");
    const done = await runSignal(cfg2, { ...quiet, stores, asOf: d1 });
    const line = await recordedLine(stores, d1);
    equal(line, done.promotion);
    ok(line.includes("not decided yet"), line);
    ok((await storedReport(stores, d1)).includes(line), line);
    // a stored report missing for an issued date (removed, or a run that stopped between the two before the run
    // rows came last) is stored by a re-run with the promotion line the issuing run recorded, not the re-run's
    await stores.objects.delete(reportKey(`signal-${d0}`, "report.html"));
    const again = await runSignal(cfg, { ...quiet, stores, asOf: d0 });
    equal(again.modelVersion, first.modelVersion);
    ok(again.promotion.includes("that run stands"), again.promotion);
    const html = await storedReport(stores, d0);
    ok(html.includes(await recordedLine(stores, d0)) && !html.includes("that run stands"));
  },
);

storeTest(
  "signal: a --refit re-run of an issued date keeps the stored report with the issuing run's promotion line",
  async (cfg, stores) => {
    const first = await runSignal(cfg, { ...quiet, stores });
    const report = await storedReport(stores, first.asOf);
    ok(report.includes("first version: champion"));
    const cfg2 = await smallConfig({ models: { trend: ["majority", "logistic"], seed: 7 } });
    for (const _ of [1, 2]) {
      const refit = await runSignal(cfg2, { ...quiet, stores, refit: true });
      equal(refit.written, 0, "the champion had issued the date");
      ok(refit.promotion.includes("is the challenger"), refit.promotion);
      equal(await storedReport(stores, first.asOf), report, "the stored report is kept");
    }
  },
);

/** The daily run on `dates` (indexes into `d`) in that order, each at its own evening or at `wall`. */
async function runDates(cfg: Config, stores: Stores, d: string[], idx: number[], wall?: () => number) {
  const out = new Map<number, Awaited<ReturnType<typeof runSignal>>>();
  for (const i of idx) {
    const now = wall ?? (() => closeTime(d[i]) + 3_600_000);
    out.set(i, await runSignal(cfg, { ...quiet, stores, asOf: d[i], now }));
  }
  return out;
}

Deno.test({
  name:
    "signal: a backfill is decided as it was then: the champion of that time issues it, no later outcome is read, no alias moves",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const cfg = await smallConfig({ production: { retrain: { every: 3, minScoredSessions: 3 } } });
    const all = createSyntheticMarket({ seed: 3, symbols: 6, sessions: 420 }).dates;
    const d = all.slice(all.length - 13, all.length - 1);
    // the daily run on every date in order, and a store where the run was down on d4..d6 and ran d7..d9 first
    const inOrder = openEmbeddedStores(":memory:"), down = openEmbeddedStores(":memory:");
    try {
      const ctl = await runDates(cfg, inOrder, d, [0, 1, 2, 3, 4, 5, 6]);
      await runDates(cfg, down, d, [0, 1, 2, 3, 7, 8, 9]);
      const aliases = (await aliasState(down.objects, "system")).aliases;
      const versions = (await listVersions(down.objects, "system")).length;
      let wall = closeTime(d[9]) + 7_200_000;
      const back = await runDates(cfg, down, d, [4, 5, 6], () => (wall += 60_000));
      for (const i of [4, 5, 6]) {
        const [b, c] = [back.get(i)!, ctl.get(i)!];
        equal(b.modelVersion, c.modelVersion, `${d[i]}: issued by the champion of that time`);
        deepEqual(b.shadow.map((x) => x.version), c.shadow.map((x) => x.version), `${d[i]}: its shadow run`);
        deepEqual(
          b.signals.map((x) => [x.symbol, x.action, x.size]),
          c.signals.map((x) => [x.symbol, x.action, x.size]),
        );
        equal(b.promoted, false);
        ok(b.promotion.startsWith(`replay of ${d[i]}: `), b.promotion);
      }
      deepEqual((await aliasState(down.objects, "system")).aliases, aliases, "a backfill moves no alias");
      equal((await listVersions(down.objects, "system")).length, versions, "nothing fitted");
      // the comparison as of d6 counts only outcomes known by then (the exit open two sessions after)
      const late = await comparedAsOf(down, aliases, d[6]);
      const now = await comparedAsOf(down, aliases, undefined);
      ok(late.sessions < now.sessions, `${late.sessions} vs ${now.sessions}`);
    } finally {
      await inOrder.close();
      await down.close();
    }
  },
});

Deno.test("signal: if-better compares the mean IC, or with compareOn book the books' compounded return", async () => {
  const stores = openEmbeddedStores(":memory:");
  try {
    await ensureTables(stores);
    const row = (v: string, date: string, ic: number, book: number | null, source = SIGNAL_SOURCE) => ({
      model_version: v,
      source,
      date,
      n: 5,
      traded: 3,
      hits: 2,
      pnl: 0,
      ic,
      book_pnl: book,
      turnover: book === null ? null : 0.1,
      benchmark: book === null ? null : 0,
      known_at: 0,
    });
    await stores.tables.upsert("scorecard", [
      row("a", "2020-01-02", 0.10, null),
      row("a", "2020-01-03", 0.05, 0.01),
      row("a", "2020-01-06", 0.05, -0.01),
      row("b", "2020-01-02", 0.00, null, SHADOW_SIGNAL_SOURCE),
      row("b", "2020-01-03", 0.01, 0.02, SHADOW_SIGNAL_SOURCE),
      row("b", "2020-01-06", 0.01, 0.00, SHADOW_SIGNAL_SOURCE),
    ]);
    const ic = await compareOnScorecard(stores, "a", "b", 3);
    deepEqual(ic, {
      decided: true,
      better: false,
      detail: "mean IC over 3 common sessions: challenger 0.0067 vs champion 0.0667",
    });
    // the book: the day booked before books were recorded (NULL) is left out; 1.01 x 0.99 - 1 = -0.01%
    const book = await compareOnScorecard(stores, "a", "b", 2, { on: "book" });
    deepEqual(book, {
      decided: true,
      better: true,
      detail: "book return over 2 common sessions: challenger +2.00% vs champion -0.01%",
    });
    equal((await compareOnScorecard(stores, "a", "b", 3, { on: "book" })).decided, false);
    // a challenger that only holds (every score the same: no IC on any day) is decided, at IC 0, not never
    await stores.tables.upsert("scorecard", [
      { ...row("c", "2020-01-02", 0, null, SHADOW_SIGNAL_SOURCE), ic: null },
      { ...row("c", "2020-01-03", 0, 0, SHADOW_SIGNAL_SOURCE), ic: null },
      { ...row("c", "2020-01-06", 0, 0, SHADOW_SIGNAL_SOURCE), ic: null },
    ]);
    deepEqual(await compareOnScorecard(stores, "a", "c", 3), {
      decided: true,
      better: false,
      detail:
        "mean IC over 3 common sessions: challenger 0.0000 vs champion 0.0667; the challenger ranked no " +
        "names on 3 of them (one score for every name: no IC), so it cannot take over",
    });
    // nor over a champion whose mean IC is negative: a model that ranks nothing never takes over (its book would
    // hold nothing); one that ranks on most days is compared as before
    await stores.tables.upsert("scorecard", [
      row("d", "2020-01-02", -0.05, null),
      row("d", "2020-01-03", -0.02, 0.01),
      row("d", "2020-01-06", -0.03, 0.01),
      { ...row("e", "2020-01-02", 0, null, SHADOW_SIGNAL_SOURCE), ic: null },
      row("e", "2020-01-03", 0.01, 0.0, SHADOW_SIGNAL_SOURCE),
      { ...row("e", "2020-01-06", 0, 0, SHADOW_SIGNAL_SOURCE), ic: null },
    ]);
    const blind = await compareOnScorecard(stores, "d", "c", 3);
    equal(blind.better, false, blind.detail);
    ok(blind.detail.startsWith("mean IC over 3 common sessions: challenger 0.0000 vs champion -0.0333;"));
    equal((await compareOnScorecard(stores, "d", "e", 3)).better, false, "2 of 3 days without an IC");
    await stores.tables.upsert("scorecard", [row("e", "2020-01-06", -0.01, 0, SHADOW_SIGNAL_SOURCE)]);
    deepEqual(await compareOnScorecard(stores, "d", "e", 3), {
      decided: true,
      better: true,
      detail: "mean IC over 3 common sessions: challenger 0.0000 vs champion -0.0333",
    });
    // on book: a challenger whose book held nothing does not take over from a losing champion (-0.01%)
    await stores.tables.upsert("scorecard", [
      { ...row("f", "2020-01-03", 0, 0, SHADOW_SIGNAL_SOURCE), traded: 0 },
      { ...row("f", "2020-01-06", 0, 0, SHADOW_SIGNAL_SOURCE), traded: 0 },
    ]);
    deepEqual(await compareOnScorecard(stores, "a", "f", 2, { on: "book" }), {
      decided: true,
      better: false,
      detail:
        "book return over 2 common sessions: challenger +0.00% vs champion -0.01%; the challenger's book " +
        "held nothing on 2 of them, so it cannot take over",
    });
  } finally {
    await stores.close();
  }
});

async function comparedAsOf(stores: Stores, a: { champion?: string; challenger?: string }, asOf?: string) {
  const c = await compareOnScorecard(stores, a.champion!, a.challenger!, 1, { asOf });
  return { sessions: Number(/(\d+) (?:common )?sessions/.exec(c.detail)?.[1] ?? -1), detail: c.detail };
}

Deno.test({
  name:
    "signal: a failed run's retry is visible from the retry on (an as-of answer from before it never changes)",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const cfg = await smallConfig();
    const all = createSyntheticMarket({ seed: 3, symbols: 6, sessions: 420 }).dates;
    const d = all.slice(-3);
    const stores = openEmbeddedStores(":memory:");
    try {
      await runDates(cfg, stores, d, [0]);
      // the store fails as the run rows are written: the signals are stored, the run is not visible
      const failing = failingRunRows(stores);
      const t1 = closeTime(d[1]) + 3_600_000;
      await rejects(
        () => runSignal(cfg, { ...quiet, stores: failing, asOf: d[1], now: () => t1 }),
        /store down/,
      );
      equal(await stores.tables.count("signal_runs", { as_of: d[1] }), 0);
      const t2 = t1 + 600_000;
      const retry = await runSignal(cfg, { ...quiet, stores, asOf: d[1], now: () => t2 });
      equal(retry.written, 0, "the stored signals stand");
      const [run] = await stores.tables.query("signal_runs", { where: { as_of: d[1] } });
      equal(Number(run.issued_at), t2, "visible from the retry on");
      // and it says it completed the run, not that the date was issued already
      ok(
        new RegExp(
          `^${retry.signals.length} signals issued \\(written at .* by a run that stopped before it ` +
            "finished; completed now\\)$",
          "m",
        ).test(retry.table),
        retry.table,
      );
      const again = await runSignal(cfg, { ...quiet, stores, asOf: d[1], now: () => t2 + 1 });
      ok(/^already issued at .*: nothing written$/m.test(again.table), again.table);
    } finally {
      await stores.close();
    }
  },
});

Deno.test({
  name:
    "signal: the paper scorecard books each day's return after the turnover from the previous session's book, beside equal weight",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const cfg = await smallConfig();
    const all = createSyntheticMarket({ seed: 3, symbols: 6, sessions: 420 }).dates;
    const d = all.slice(-5, -1);
    const stores = openEmbeddedStores(":memory:");
    try {
      const runs = await runDates(cfg, stores, d, [0, 1, 3]);
      const version = runs.get(0)!.modelVersion;
      equal(runs.get(1)!.modelVersion, version, "no refit between these sessions");
      equal(runs.get(3)!.modelVersion, version);
      const c = specFromConfig(cfg).costs.costBps / 10_000;
      const sizes = async (date: string) =>
        new Map(
          (await stores.tables.query("signals", { where: { date, model_version: version, source: "moe" } }))
            .map(rowToSignal).map((x) => [x.symbol, x.size]),
        );
      const opens = new Map(
        (await stores.tables.query("bars", { where: { date: { gte: d[1] } } }))
          .map((r) => [`${r.symbol}|${r.date}`, Number(r.open)]),
      );
      // the book of a decision date: fill at the next open, exit at the open after
      const book = (w: Map<string, number>, entry: string, exit: string, prev: Map<string, number>) => {
        let pnl = 0, turnover = 0, sum = 0;
        for (const [sym, size] of w) {
          const r = opens.get(`${sym}|${exit}`)! / opens.get(`${sym}|${entry}`)! - 1;
          pnl += size * r;
          sum += r;
          turnover += Math.abs(size - (prev.get(sym) ?? 0));
        }
        for (const [sym, size] of prev) if (!w.has(sym)) turnover += Math.abs(size);
        return { pnl: pnl - c * turnover, turnover, benchmark: sum / w.size };
      };
      const w0 = await sizes(d[0]), w1 = await sizes(d[1]);
      ok([...w0.values()].some((x) => x !== 0), "the first book holds something");
      const want = [book(w0, d[1], d[2], new Map()), book(w1, d[2], d[3], w0)];
      const sc = await stores.tables.query("scorecard", {
        where: { model_version: version },
        orderBy: ["date"],
      });
      deepEqual(sc.map((r) => r.date), [d[0], d[1]], "the dates whose exit open is known at the last run");
      sc.forEach((r, k) => {
        const near = (a: unknown, b: number, what: string) =>
          ok(Math.abs(Number(a) - b) < 1e-12, `${r.date} ${what}: ${a} vs ${b}`);
        near(r.book_pnl, want[k].pnl, "book");
        near(r.turnover, want[k].turnover, "turnover");
        near(r.benchmark, want[k].benchmark, "equal weight");
      });
      // the first day starts from cash: its turnover is the whole book
      ok(Math.abs(Number(sc[0].turnover) - [...w0.values()].reduce((a, x) => a + Math.abs(x), 0)) < 1e-12);
      const p = runs.get(3)!.paper;
      equal(p.days, 2);
      equal(p.bookDays, 2);
      ok(Math.abs(p.bookReturn! - ((1 + want[0].pnl) * (1 + want[1].pnl) - 1)) < 1e-12);
      ok(Math.abs(p.benchmarkReturn! - ((1 + want[0].benchmark) * (1 + want[1].benchmark) - 1)) < 1e-12);
      ok(runs.get(3)!.table.includes(`paper ${version}: book `), runs.get(3)!.table);
      const html = await Deno.readTextFile(runs.get(3)!.reportPath);
      ok(html.includes("<caption>the latest 2 of 2 scored sessions"), "the report lists the scored sessions");
      ok(html.includes(`<tr><td>${d[1]}</td><td>${(100 * want[1].pnl).toFixed(2)}%</td>`), "latest first");
      // a replay at the second date knows no exit yet: nothing scored, and the line says so
      const replay = await runSignal(cfg, {
        ...quiet,
        stores,
        asOf: d[1],
        now: () => closeTime(d[3]) + 7_200_000,
      });
      equal(replay.paper.days, 0);
      ok(replay.table.includes(`paper ${version} has no scored session yet`), replay.table);
    } finally {
      await stores.close();
    }
  },
});

Deno.test("signal: the paper line gives the book beside equal weight, and its Sharpe only from a month of sessions on", () => {
  const day = (bookPnl: number) => ({
    n: 2,
    traded: 1,
    hits: 1,
    pnl: 0,
    ic: 0.1,
    bookPnl,
    turnover: 0.5,
    benchmark: 0.001,
  });
  equal(paperLine("v", scorecardTotals([])), "v has no scored session yet");
  equal(
    paperLine("v", scorecardTotals([day(0.01), day(-0.02)])),
    "v: book -1.02% over 2 sessions (equal weight +0.20%), max drawdown -2.00%, turnover 0.50/day; " +
      "hit rate 100.0% of 2 positions, mean IC 0.100 over 2 sessions",
  );
  const month = Array.from({ length: 21 }, (_, k) => day(k % 2 ? 0.002 : -0.001));
  // 10 days of +0.2%, 11 of -0.1%: mean / sd x √252 = 4.43 (checked with Python's statistics module)
  ok(
    paperLine("v", scorecardTotals(month)).startsWith(
      "v: book +0.90% over 21 sessions (equal weight +2.12%), Sharpe 4.43, max drawdown -0.10%",
    ),
  );
  const old = { ...day(0), bookPnl: null, turnover: null, benchmark: null };
  equal(
    paperLine("v", scorecardTotals([old])),
    "v: hit rate 100.0% of 1 position, mean IC 0.100 over 1 session",
  );
});

Deno.test({
  name:
    "signal: the spec's risk limits size the daily book (a tight VaR limit shrinks it) and the signal's rule records them",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const sized = async (over: Record<string, unknown>) => {
      const stores = openEmbeddedStores(":memory:");
      try {
        const out = await runSignal(await smallConfig(over), { ...quiet, stores, now: () => Date.now() });
        return {
          gross: out.signals.reduce((a, x) => a + Math.abs(x.size), 0),
          rule: out.signals[0].provenance!.sizing.rule,
          brake: out.brake,
        };
      } finally {
        await stores.close();
      }
    };
    const free = await sized({});
    const capped = await sized({ portfolio: { risk: { varLimit: 0.001 } } });
    ok(free.gross > 0, "the unlimited book holds something");
    ok(
      capped.gross > 0 && capped.gross < free.gross / 2,
      `VaR 0.1% of capital: ${capped.gross} vs ${free.gross}`,
    );
    equal(free.rule.varLimit, undefined);
    equal(free.brake, null, "no brake, no brake state");
    equal(capped.brake, null, "a VaR limit alone has no brake state");
    equal(capped.rule.varLimit, 0.001);
    equal(capped.rule.varAlpha, 0.01);
    equal(capped.rule.method, free.rule.method);
  },
});

storeTest(
  "signal: a loaded champion sized by portfolio.method tilt holds every name, leaned on its edges, and records the rule",
  async (cfg, stores) => {
    const d = createSyntheticMarket({ seed: 3, symbols: 6, sessions: 420 }).dates.slice(-2);
    const first = await runSignal(cfg, { ...quiet, stores, asOf: d[0] });
    const tilt = await smallConfig({ portfolio: { method: "tilt", tilt: 1 } });
    const notes: string[] = [];
    const progress = { ...createProgress({ quiet: true }), note: (t: string) => void notes.push(t) };
    const out = await runSignal(tilt, { ...quiet, stores, asOf: d[1], progress });
    equal(out.model, "loaded");
    equal(out.modelVersion, first.modelVersion);
    ok(
      notes.some((n) =>
        n.includes(`portfolio.method "topk-dropout" -> "tilt"`) && n.includes("portfolio.tilt – -> 1")
      ),
      notes.join("\n"),
    );
    equal(out.signals.length, 6);
    ok(out.signals.every((x) => x.size >= 0), "long only");
    ok(out.signals.filter((x) => x.size > 0).length >= 3, "it holds the universe, less the names far below");
    const rule = out.signals[0].provenance!.sizing.rule;
    equal(rule.method, "tilt");
    equal(rule.tilt, 1);
  },
);

Deno.test({
  name:
    "signal: under a VaR limit each issued signal records the book's VaR before the cap; the run says if it bound",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const run = async (portfolio: Record<string, unknown>, rerun = false) => {
      const stores = openEmbeddedStores(":memory:");
      try {
        const cfg = await smallConfig({ portfolio });
        let out = await runSignal(cfg, { ...quiet, stores });
        if (rerun) out = await runSignal(cfg, { ...quiet, stores });
        // each run writes the same report file: read it before the next
        return {
          out,
          stored: await issuedRows(stores, out.asOf),
          html: await Deno.readTextFile(out.reportPath),
        };
      } finally {
        await stores.close();
      }
    };
    const tight = await run({ risk: { varLimit: 0.001 } }, true),
      loose = await run({ risk: { varLimit: 0.5 } });
    const plain = await run({});
    const caps = (x: typeof tight) => x.stored.map((s) => s.provenance!.sizing.varCap);
    // one record per day: every signal of the book carries the same
    for (const x of [tight, loose]) equal(new Set(caps(x).map((c) => JSON.stringify(c))).size, 1);
    const [t, l] = [caps(tight)[0]!, caps(loose)[0]!];
    deepEqual([t.limit, t.alpha, l.limit, l.alpha], [0.001, 0.01, 0.5, 0.01]);
    ok(t.var > 0.001 && l.var > 0 && l.var < 0.5, `${t.var} ${l.var}`);
    const gross = (x: typeof tight) => x.stored.reduce((g, s) => g + Math.abs(s.size), 0);
    ok(gross(tight) < gross(loose) && gross(tight) > 0, `${gross(tight)} ${gross(loose)}`);
    const line = (x: typeof tight) => x.out.table.split("\n").filter((r) => r.startsWith("VaR limit"));
    deepEqual(line(tight), [
      `VaR limit: the book's one-day 99% VaR was ${
        (100 * t.var).toFixed(2)
      }% of capital, over the 0.10% limit: ` +
      "scaled down to it",
    ]);
    deepEqual(line(loose), [
      `VaR limit: not binding (the book's one-day 99% VaR ${
        (100 * l.var).toFixed(2)
      }% of capital, limit 50.00%)`,
    ]);
    ok(tight.html.includes("over the 0.10% limit: scaled down to it"), "the report says it");
    ok(!plain.html.includes("VaR limit"));
    // without a limit: nothing recorded, nothing said
    ok(caps(plain).every((c) => c === undefined));
    deepEqual(line(plain), []);
  },
});

Deno.test({
  name:
    "signal: the production drawdown brake reads the paper account (the issued books' settled returns), not the rebuilt path",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const d = createSyntheticMarket({ seed: 3, symbols: 6, sessions: 420 }).dates.slice(-4);
    const cfg = await smallConfig({ portfolio: { risk: { drawdownBrake: 0.05 } } });
    /**
     * The four days issued into a fresh store; `loss`: the account's first settled day is booked at -20% (before
     * the last day is issued, or with `rerun` after it, and the last day run again).
     */
    const issue = async (loss: boolean, rerun = false, refit = false) => {
      const stores = openEmbeddedStores(":memory:");
      const notes: string[] = [];
      const progress = { ...createProgress({ quiet: true }), note: (t: string) => void notes.push(t) };
      try {
        let out: Awaited<ReturnType<typeof runSignal>> | undefined;
        for (const [i, date] of [...d, ...(rerun ? [d[3]] : [])].entries()) {
          if (loss && i === (rerun ? 4 : 3)) {
            // d[0] settled at d[2]'s open and that run scored it: the account now starts 20% down
            const rows = await stores.tables.query("scorecard", {
              where: { date: d[0], source: SIGNAL_SOURCE },
            });
            equal(rows.length, 1);
            await stores.tables.upsert("scorecard", [{ ...rows[0], book_pnl: -0.2 }]);
          }
          notes.length = 0;
          out = await runSignal(cfg, { ...quiet, stores, asOf: date, progress });
        }
        // a refit of the last day runs in the shadow beside the issued signals
        if (refit) out = await runSignal(cfg, { ...quiet, stores, asOf: d[3], refit: true });
        return {
          out: out!,
          notes: notes.filter((n) => n.startsWith("drawdown brake")),
          stored: await issuedRows(stores, d[3]),
        };
      } finally {
        await stores.close();
      }
    };
    const calm = await issue(false), hit = await issue(true);
    equal(calm.out.modelVersion, hit.out.modelVersion);
    // d[0] and d[1] have settled by d[3] (d[2]'s own trade settles at d[4]'s open)
    equal(calm.notes.length, 1);
    ok(/over 2 settled sessions: not engaged$/.test(calm.notes[0]), calm.notes[0]);
    ok(
      /^drawdown brake: the paper account is 2\d\.\d\d% below its peak over 2 settled sessions: engaged$/
        .test(hit.notes[0]),
      hit.notes[0],
    );
    deepEqual([calm.out.brake?.braking, calm.out.brake?.days, hit.out.brake?.braking], [false, 2, true]);
    // each issued signal records the account's state, through the store too
    for (const x of hit.stored) {
      const b = x.provenance!.sizing.brake!;
      equal(b.engaged, true);
      equal(b.sessions, 2);
      ok(b.drawdown > 0.2 && b.drawdown < 0.3, `${b.drawdown}`);
    }
    ok(
      calm.stored.every((x) => x.provenance!.sizing.brake?.engaged === false),
      "calm: recorded, not engaged",
    );
    // the summary and the report say it too
    ok(hit.out.table.split("\n").includes(hit.notes[0]), hit.out.table);
    ok(
      (await Deno.readTextFile(hit.out.reportPath)).includes(hit.notes[0].slice(0, 40)),
      "the report says it",
    );
    // the same version, data and path: the braked book is the calm one scaled by brakeScale (default 0.5)
    const calmSize = new Map(calm.out.signals.map((x) => [x.symbol, x.size]));
    ok(calm.out.signals.some((x) => x.size !== 0), "the calm book holds something");
    for (const x of hit.out.signals) ok(Math.abs(x.size - 0.5 * calmSize.get(x.symbol)!) < 1e-12, x.symbol);
    // re-running the issued last day after the loss was booked changes nothing: the summary, the report and the
    // result say the state the signals were sized with, and the account read now beside it
    const again = await issue(true, true);
    equal(again.out.written, 0);
    deepEqual(again.out.signals.map((x) => x.size), calm.out.signals.map((x) => x.size));
    deepEqual([again.out.brake?.braking, again.out.brake?.days], [false, 2]);
    const line = again.out.table.split("\n").find((l) => l.startsWith("drawdown brake"))!;
    ok(
      line.startsWith(calm.notes[0]) &&
        /\(as issued; read now: the paper account is 2\d\.\d\d% below its peak .*: engaged\)$/.test(line),
      line,
    );
    ok(
      (await Deno.readTextFile(again.out.reportPath)).includes("(as issued; read now"),
      "the report says it",
    );
    // a challenger refitted on the braked day runs in the shadow on its own paper account (nothing settled
    // yet), not braked for the champion's losses
    const shadow = (await issue(true, false, true)).out.shadow;
    equal(shadow.length, 1);
    ok(shadow[0].signals.some((x) => x.size !== 0), "the shadow book holds something");
    for (const x of shadow[0].signals) {
      deepEqual(x.provenance!.sizing.brake, { engaged: false, drawdown: 0, sessions: 0 });
    }
  },
});

Deno.test("signal: a version's own paper account: its settled books, issued or in the shadow, never another version's", async () => {
  const stores = openEmbeddedStores(":memory:");
  try {
    await ensureTables(stores);
    const [d1, d2, d3, d4, d5] = sessions("2021-06-01", "2021-06-07");
    const row = (model_version: string, source: string, date: string, book_pnl: number | null) => ({
      model_version,
      source,
      date,
      n: 2,
      traded: 2,
      hits: 1,
      pnl: 0,
      ic: 0,
      known_at: 0,
      book_pnl,
      turnover: 0,
      benchmark: 0,
    });
    await stores.tables.upsert("scorecard", [
      row("V", SHADOW_SIGNAL_SOURCE, d1, -0.1),
      row("W", SIGNAL_SOURCE, d1, -0.3), // the champion's loss is not V's
      row("V", SHADOW_SIGNAL_SOURCE, d2, 0.05),
      row("V", SIGNAL_SOURCE, d2, 0.04), // promoted later the same date: the issued book counts
      row("V", SHADOW_SIGNAL_SOURCE, d3, null), // scored before books were booked
      row("V", SHADOW_SIGNAL_SOURCE, d4, 0.2), // not settled by d5 (exit at the open of d6)
    ]);
    deepEqual(await versionAccount(stores, "V", d5), [-0.1, 0.04]);
    deepEqual(await versionAccount(stores, "W", d5), [-0.3]);
    deepEqual(await versionAccount(stores, "X", d5), []);
  } finally {
    await stores.close();
  }
});

Deno.test("signal: specChangeNotes says which config changes size the loaded version's book now and which wait for a refit", () => {
  const fitted = DEFAULT_SPEC;
  equal(specChangeNotes("v1", fitted, fitted).length, 0);
  const run = {
    ...fitted,
    portfolio: { ...fitted.portfolio, topK: 10, risk: { varLimit: { limit: 0.02 } } },
    experts: { ...fitted.experts, trend: ["majority", "logistic"] },
    costs: { costBps: 10, impact: 0 },
    walkForward: { mode: "expanding" as const, refitEvery: 5 },
  };
  deepEqual(specChangeNotes("v1", fitted, run), [
    "sizing: the config's portfolio sizes v1's book (nothing in it is fitted): portfolio.risk.varLimit.limit – -> 0.02, " +
    "portfolio.topK 50 -> 10",
    "v1 keeps what it was fitted with until the next refit (deno task signal --refit fits one now): experts.trend " +
    '["majority","momentum","logistic","mlp-tfjs"] -> ["majority","logistic"]',
  ]);
});

Deno.test({
  name:
    "signal: a loaded champion sizes with the config's portfolio (risk limits included) and says so; its fitted parts wait for a refit",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const cfg = await smallConfig();
    const d = createSyntheticMarket({ seed: 3, symbols: 6, sessions: 420 }).dates.slice(-3, -1);
    const day2 = async (second: Config) => {
      const stores = openEmbeddedStores(":memory:");
      try {
        await runDates(cfg, stores, d, [0]);
        const out = await runSignal(second, {
          ...quiet,
          stores,
          asOf: d[1],
          now: () => closeTime(d[1]) + 3_600_000,
        });
        equal(out.model, "loaded");
        return { out, gross: out.signals.reduce((a, x) => a + Math.abs(x.size), 0) };
      } finally {
        await stores.close();
      }
    };
    const same = await day2(cfg);
    ok(!same.out.table.includes("sizing: the config's portfolio"), "an unchanged config says nothing");
    const capped = await day2(await smallConfig({ portfolio: { risk: { varLimit: 0.001 } } }));
    ok(capped.out.table.includes("sizing: the config's portfolio sizes"), capped.out.table);
    ok(capped.gross > 0 && capped.gross < same.gross / 2, `${capped.gross} vs ${same.gross}`);
    equal(capped.out.signals[0].provenance!.sizing.rule.varLimit, 0.001);
    const models = await day2(await smallConfig({ models: { trend: ["majority"] } }));
    ok(
      /keeps what it was fitted with until the next refit .*experts\.trend/.test(models.out.table),
      models.out.table,
    );
    deepEqual(models.out.signals.map((x) => x.size), same.out.signals.map((x) => x.size), "sized as before");
  },
});

Deno.test({
  name:
    "signal: late data: a re-run keeps the health first recorded; a date is scored once every traded return is known",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const m = createSyntheticMarket({ seed: 3, symbols: 6, sessions: 420 });
    const d = m.dates, n = d.length;
    const late = (await m.listSymbols!()).sort()[0];
    // a feed whose bars of `late` stop after `until`
    const lagging = (until: string) => ({
      ...m,
      bars: async (req: BarRequest) => {
        const out = await m.bars(req);
        const b = out.get(late);
        if (b) out.set(late, b.filter((x) => x.date <= until));
        return out;
      },
    });
    const cfg = await smallConfig();
    const stores = openEmbeddedStores(":memory:");
    try {
      const first = await runSignal(cfg, { ...quiet, stores, asOf: d[n - 6] });
      equal(first.signals.length, 6);
      // two sessions on, `late` has no bars after the first date: its entry and exit opens are unknown
      const stale = await runSignal(cfg, { ...quiet, stores, asOf: d[n - 4], source: lagging(d[n - 6]) });
      const health = async () =>
        (await stores.tables.query("health", { where: { as_of: d[n - 4] }, orderBy: ["kind", "name"] }))
          .map((r) => `${r.kind}|${r.name}|${r.value}|${r.status}`);
      const recorded = await health();
      ok(
        recorded.includes(`freshness|${late}|2|${stale.checks.find((c) => c.name === late)!.status}`),
        recorded.join(),
      );
      equal(
        await stores.tables.count("scorecard", { date: d[n - 6] }),
        0,
        "not scored while a traded return is missing",
      );
      // the bars arrive; re-running the date writes nothing and keeps the health as first recorded
      const again = await runSignal(cfg, { ...quiet, stores, asOf: d[n - 4], source: m });
      equal(again.written, 0);
      deepEqual(await health(), recorded);
      // and reports that health, not today's recomputation (its freshness lag for `late` is gone now)
      equal(again.status, stale.status);
      deepEqual(again.checks.find((c) => c.name === late), stale.checks.find((c) => c.name === late));
      ok(again.table.includes(`health: ${stale.status}`), again.table);
      const sc = await stores.tables.query("scorecard", { where: { date: d[n - 6] } });
      equal(sc.length, 1);
      equal(sc[0].n, 6, "scored on every signal once the opens are known");
    } finally {
      await stores.close();
    }
  },
});

Deno.test({
  name:
    "signal: a CSV folder's listed symbols leave out ^VIX (published after the close); source.to bounds the run",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const cfg = await loadConfig({
      overrides: {
        source: {
          kind: "csv",
          csvDir: fileURLToPath(new URL("../../shared/data/us-index-etf-daily-yahoo", import.meta.url)),
          from: "2015-01-02",
          to: "2018-12-31",
        },
        models: { trend: ["majority", "logistic"] },
        news: { scorer: "lexicon" },
        reportDir: REPORTS,
      },
    });
    const stores = openEmbeddedStores(":memory:");
    try {
      const out = await runSignal(cfg, { ...quiet, stores });
      deepEqual(out.signals.map((x) => x.symbol).sort(), [
        "DIA",
        "IWM",
        "QQQ",
        "SPY",
        "^DJI",
        "^GSPC",
        "^NDX",
        "^RUT",
      ]);
      // source.to bounds the daily run: the folder goes on to 2022-11-18, the decision is on 2018-12-31
      equal(out.asOf, "2018-12-31");
      equal(out.forSession, "2019-01-02");
      const stored = await stores.tables.query("bars", { where: { symbol: "SPY" }, orderBy: ["date"] });
      equal(stored[stored.length - 1].date, "2018-12-31", "nothing after source.to is collected");
      await rejects(
        () => runSignal(cfg, { ...quiet, stores, asOf: "2019-01-02" }),
        /--as-of: 2019-01-02 is after source.to 2018-12-31/,
      );
      // stores that already hold later sessions (another run's): the decision still stops at source.to
      const later = { ...cfg, source: { ...cfg.source, to: "2018-06-30" } }; // a Saturday
      const again = await runSignal(later, { ...quiet, stores, noCollect: true });
      equal(again.asOf, "2018-06-29");
      equal(again.model, "refit", "the registered system saw data after 2018-06-29: not used");
    } finally {
      await stores.close();
    }
  },
});

Deno.test({
  name:
    "signal: market-wide news (a news file without a symbol column) reaches the system's mkt_news_* features; a system fitted with it is not served without it",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const data = fileURLToPath(new URL("../../shared/data/", import.meta.url));
    const source = {
      kind: "csv",
      csvDir: `${data}us-index-etf-daily-yahoo`,
      symbols: ["SPY", "QQQ", "IWM", "DIA"],
      from: "2016-01-04",
    };
    const withNews = await loadConfig({
      overrides: {
        source: {
          ...source,
          newsFiles: [`${data}financial-news-headlines-cnbc-guardian/cnbc_headlines.csv`],
        },
        models: { trend: ["majority", "logistic"] },
        news: { scorer: "lexicon" },
        reportDir: REPORTS,
      },
    });
    const stores = openEmbeddedStores(":memory:");
    try {
      const out = await runSignal(withNews, { ...quiet, stores, asOf: "2020-03-16" });
      equal(out.model, "refit");
      const [v] = await listVersions(stores.objects, withNews.production.model);
      const sys = await loadSystem(
        (await loadVersion(stores.objects, withNews.production.model, v.version)).files,
      );
      deepEqual(sys.spec.dataset.marketNews, ["cnbc_headlines.csv"]);
      ok(sys.featureNames.includes("mkt_news_sent_decay"), sys.featureNames.join(","));
      // the same store and dates without the market-wide file: refused in one line, served again with it
      const without = { ...withNews, source: { ...withNews.source, newsFiles: [] } };
      await rejects(
        () => runSignal(without, { ...quiet, stores, asOf: "2020-03-17" }),
        (e: Error) =>
          e instanceof ConfigError &&
          /was fitted on market-wide news \(the mkt_news_\* features\) from cnbc_headlines\.csv, this run's is none .*set source\.newsFiles to match, or refit with --refit/
            .test(e.message),
      );
      // other market-wide files than it was fitted on: refused too (their items would change the features' scale)
      const guardian = `${data}financial-news-headlines-cnbc-guardian/guardian_headlines.csv`;
      const more = {
        ...withNews,
        source: { ...withNews.source, newsFiles: [...withNews.source.newsFiles, guardian] },
      };
      await rejects(
        () => runSignal(more, { ...quiet, stores, asOf: "2020-03-17" }),
        /from cnbc_headlines\.csv, this run's is cnbc_headlines\.csv, guardian_headlines\.csv/,
      );
      const again = await runSignal(withNews, { ...quiet, stores, asOf: "2020-03-17" });
      equal(again.model, "loaded");
    } finally {
      await stores.close();
    }
  },
});

Deno.test({
  name:
    "signal: a point-in-time universe decides on its members of the as-of date and checks only their freshness",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const m = createSyntheticMarket({ seed: 3, symbols: 6, sessions: 420 });
    const syms = (await m.listSymbols!()).sort();
    const d = m.dates;
    // gone: delisted on d[300] (no bars after); dropped: left the index on d[350] but still trades; late: joined d[100]
    const [gone, dropped, late] = [syms[1], syms[2], syms[3]];
    const source = {
      ...m,
      bars: async (req: BarRequest) => {
        const out = await m.bars(req);
        const b = out.get(gone);
        if (b) out.set(gone, b.filter((x) => x.date <= d[300]));
        return out;
      },
    };
    const dir = await Deno.makeTempDir({ prefix: "fmai-universe-" });
    const file = `${dir}/idx.csv`;
    await Deno.writeTextFile(
      file,
      "symbol,from,to\n" + syms.map((s) =>
        s === gone
          ? `${s},${d[0]},${d[300]}`
          : s === dropped
          ? `${s},${d[0]},${d[350]}`
          : s === late
          ? `${s},${d[100]},`
          : `${s},${d[0]},`
      ).join("\n") + "\n",
    );
    const cfg = await smallConfig();
    const stores = openEmbeddedStores(":memory:");
    try {
      const out = await runSignal({ ...cfg, source: { ...cfg.source, universe: file } }, {
        ...quiet,
        stores,
        source,
      });
      equal(out.asOf, d[d.length - 1]);
      deepEqual(
        out.signals.map((x) =>
          x.symbol
        ).sort(),
        syms.filter((s) => s !== gone && s !== dropped),
        "signals only for the members on the as-of date",
      );
      ok(
        !out.checks.some((c) => c.kind === "freshness" && c.name === gone),
        "a former member need not be fresh",
      );
      equal(out.checks.find((c) => c.kind === "freshness" && c.name === "*")!.value, 0);
      ok(out.checks.every((c) => c.kind !== "freshness" || c.status === "ok"));
      equal(await stores.tables.count("universe_membership", { universe: "idx" }), 6);
      // a universe whose spells miss the run's dates is refused before any work
      await Deno.writeTextFile(file, `symbol,from,to\n${syms[0]},1990-01-02,1990-12-31\n`);
      await rejects(
        () => runSignal({ ...cfg, source: { ...cfg.source, universe: file } }, { ...quiet, stores, source }),
        /source\.universe .*idx\.csv: no membership spell meets/,
      );
    } finally {
      await stores.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("signal: bad --as-of and flags are one-line errors with exit code 2 before any work", async () => {
  const cfg = await smallConfig();
  await rejects(() => runSignal(cfg, { ...quiet, asOf: "2018-13-01" }), ConfigError);
  await rejects(() => runSignal(cfg, { ...quiet, asOf: "2018-12-25" }), /not a trading session/);
  await rejects(
    () => runSignal(cfg, { ...quiet, asOf: "2018-02-30" }),
    /--as-of: expected a date YYYY-MM-DD/,
  );
  const errors: string[] = [];
  const orig = console.error;
  console.error = (m: string) => errors.push(m);
  try {
    equal(await main(["--as-of", "yesterday"]), 2);
    equal(await main(["--bogus"]), 2);
    equal(await main(["--as-of", "2018-02-30"]), 2);
    // the value quoted, so a stray space shows
    equal(await main(["--as-of", "2018-12-20 "]), 2);
    equal(errors.at(-1), 'error: --as-of: expected a date YYYY-MM-DD, got "2018-12-20 "');
    // the places the run writes, and the news model, are checked before any store is opened or data collected
    const dir = await Deno.makeTempDir({ prefix: "fmai-signal-bad-" });
    try {
      equal(await main(["--report", dir, "--store-dir", `${dir}/s`]), 2);
      equal(await main(["--report", "", "--store-dir", `${dir}/s`]), 2);
      equal(await main(["--store-dir", "/proc/fmai-nope"]), 2);
      // --no-collect decides on a stored universe: a folder without a store is refused, not made a store
      equal(await main(["--no-collect", "--store-dir", `${dir}/s`, "--report", `${dir}/r.html`]), 2);
      ok(errors.at(-1)!.startsWith(`error: --store-dir ${dir}/s: no store there (`), errors.at(-1));
      await rejects(
        () =>
          runSignal({
            ...cfg,
            dataDir: `${dir}/s`,
            news: { ...cfg.news, scorer: "lm", model: "nonexistent@v9" },
          }, quiet),
        /language model nonexistent@v9 is not installed/,
      );
      await rejects(() => Deno.stat(`${dir}/s`), Deno.errors.NotFound, "nothing was written");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  } finally {
    console.error = orig;
  }
  ok(errors.every((e) => !e.includes("\n")), errors.join("|"));
});

Deno.test("signal: what a csv source cannot give (a symbol, the market context, the --as-of date) is refused before any store is opened", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-signal-source-" });
  try {
    const csv = {
      kind: "csv",
      csvDir: fileURLToPath(new URL("../../shared/data/us-index-etf-daily-yahoo", import.meta.url)),
      symbols: ["SPY", "QQQ"],
      from: "2019-01-02",
    };
    // two names: an if-better challenger is compared on its book (a day's IC needs three)
    const at = async (source: Record<string, unknown>, asOf?: string, compareOn = "book") =>
      await runSignal(
        await loadConfig({
          overrides: {
            source: { ...csv, ...source },
            dataDir: `${dir}/s`,
            reportDir: dir,
            production: { retrain: { compareOn } },
          },
        }),
        { ...quiet, ...(asOf ? { asOf } : {}) },
      ).catch((e) => e);
    // on IC the challenger of two names could never be decided (and would block every later refit)
    let e = await at({}, "2021-06-01", "ic");
    ok(e instanceof ConfigError, String(e));
    equal(
      e.message,
      "production.retrain.compareOn ic needs at least 3 symbols (a day's IC ranks them), got 2: set " +
        "production.retrain.compareOn: book",
    );
    // a symbol the folder does not hold was skipped by the collect as failed and then taken for one not listed
    // yet (exit 0); the research run and `deno task collect` refuse it
    e = await at({ symbols: ["SPY", "QQQ", "ZZZZ"] }, "2021-06-01");
    equal(e.name, "DataSourceError", String(e));
    ok(/unknown symbol ZZZZ: .* 9 symbols/.test(e.message), e.message);
    e = await at({ market: { index: "^FOO", vix: null } }, "2021-06-01");
    ok(/unknown symbol \^FOO/.test(e.message), e.message);
    e = await at({}, "2023-06-01");
    ok(e instanceof ConfigError, String(e));
    equal(e.message, "--as-of: 2023-06-01 is after the source's last session 2022-11-18 (csv:yahoo-daily)");
    e = await at({}, "2018-06-01");
    equal(e.message, "--as-of: 2018-06-01 is before source.from 2019-01-02");
    ok(!e.message.includes("\n"));
    equal([...Deno.readDirSync(dir)].length, 0, "no store opened");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("signal: a ranking portfolio on one symbol is refused in one line before any store is opened", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cfg = await smallConfig({ source: { symbols: ["SYN00"] }, dataDir: `${dir}/store` });
    const e = await runSignal(cfg, quiet).catch((e) => e);
    ok(e instanceof ConfigError, String(e));
    ok(
      /^portfolio\.method topk-dropout ranks names against each other and needs at least 2 symbols/.test(
        e.message,
      ),
    );
    equal([...Deno.readDirSync(dir)].length, 0, "no store opened");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a production fit on too little history is refused, saying how many sessions it needs", () => {
  const cal = sessions("2020-01-02", "2020-12-31");
  const expanding = retrainWindow("expanding");
  const at = (n: number) => () => productionSegments(cal, cal[n - 1], expanding, 0.2, DEFAULT_SPEC);
  // 60 sessions of feature warm-up, 20 of calibration and 2 + 2 of purge around it: 118 leave 30 to train on
  throws(
    at(117),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message ===
        "not enough history to fit: 117 stored sessions up to 2020-06-18 leave 29 to train on after the " +
          "60-session feature warm-up, the calibration share and the purge (need 30); collect earlier data " +
          "(about 118 sessions)",
  );
  const s = at(118)();
  deepEqual(s.train, [cal[0], cal[89]]);
  equal(sessions(cal[60], s.train[1]).length, 30);
  // a rolling window too short for its calibration share is refused whatever the history
  throws(
    () => productionSegments(cal, cal[250], retrainWindow("rolling 60"), 0.7, DEFAULT_SPEC),
    /production\.retrain\.window rolling 60 is too short at calibrationFrac 0\.7: widen it$/,
  );
});

storeTest(
  "signal: under retrain.promote never a refit is the challenger, and the run says it is promoted by hand",
  async (cfg, stores) => {
    const first = await runSignal(cfg, { ...quiet, stores });
    const never = await smallConfig({
      models: { trend: ["majority", "logistic"], seed: 7 },
      production: { retrain: { promote: "never" } },
    });
    const second = await runSignal(never, { ...quiet, stores, refit: true });
    equal(second.promoted, false);
    equal(second.modelVersion, first.modelVersion);
    const challenger = (await aliasState(stores.objects, "system")).aliases.challenger;
    notEqual(challenger, first.modelVersion);
    equal(
      second.promotion,
      `${challenger} is the challenger; ${first.modelVersion} stays champion (retrain.promote: never; promote ` +
        `with deno task models promote)`,
    );
  },
);

storeTest(
  "signal: under retrain.promote never, a champion this build cannot serve is refused naming the challenger",
  async (_cfg, stores) => {
    const d = createSyntheticMarket({ seed: 3, symbols: 6, sessions: 420 }).dates.slice(-3);
    const never = await smallConfig({ production: { retrain: { promote: "never" } } });
    const first = await runSignal(never, { ...quiet, stores, asOf: d[0] });
    const seed7 = await smallConfig({
      models: { trend: ["majority", "logistic"], seed: 7 },
      production: { retrain: { promote: "never" } },
    });
    await runSignal(seed7, { ...quiet, stores, asOf: d[0], refit: true });
    const challenger = (await aliasState(stores.objects, "system")).aliases.challenger;
    ok(challenger && challenger !== first.modelVersion);
    // the champion re-registered as saved before formats were recorded (format 2)
    const { files, manifest } = await loadVersion(stores.objects, "system", first.modelVersion);
    const { artifactFormat: _, ...oldLineage } = manifest.lineage;
    const old = await registerVersion(stores.objects, "system", files, oldLineage);
    await promoteVersion(stores.objects, "system", old.version);
    await setAlias(stores.objects, "system", "challenger", challenger);
    await rejects(
      () => runSignal(seed7, { ...quiet, stores, asOf: d[1] }),
      new RegExp(
        `promote the challenger \\(deno task models promote ${challenger}\\), or refit with --refit$`,
      ),
    );
  },
);

storeTest(
  "signal: a champion alias the registry no longer holds is refused before any work, naming the way out; a missing challenger is retired",
  async (cfg, stores) => {
    const d = createSyntheticMarket({ seed: 3, symbols: 6, sessions: 420 }).dates.slice(-3);
    const first = await runSignal(cfg, { ...quiet, stores, asOf: d[0] });
    // two more versions (the same system under other lineage): x made champion, y the challenger; then their
    // folders lose their manifests (a cleanup, a lifecycle rule, a partial copy)
    const { files, manifest } = await loadVersion(stores.objects, "system", first.modelVersion);
    const [x, y] = [
      await registerVersion(stores.objects, "system", files, { ...manifest.lineage, seed: 1001 }),
      await registerVersion(stores.objects, "system", files, { ...manifest.lineage, seed: 1002 }),
    ];
    await promoteVersion(stores.objects, "system", x.version);
    await setAlias(stores.objects, "system", "challenger", y.version);
    for (const v of [x, y]) await stores.objects.delete(`models/system/${v.version}/manifest.json`);
    const aliases = await aliasState(stores.objects, "system");
    const runs = await stores.tables.count("signal_runs");
    await rejects(
      () => runSignal(cfg, { ...quiet, stores, asOf: d[1] }),
      (e: Error) => {
        equal(
          e.message,
          `the system champion alias points at ${x.version}, which the registry (the objects store) does not ` +
            `hold (deleted or not copied): make a registered version the champion (deno task models promote ` +
            `${first.modelVersion}; deno task models list shows them), then run again`,
        );
        return true;
      },
    );
    // nothing collected, fitted, registered or issued; no alias moved
    deepEqual(await stores.tables.query("bars", { where: { date: d[1] } }), []);
    equal(await stores.tables.count("signal_runs"), runs);
    deepEqual((await listVersions(stores.objects, "system")).map((v) => v.version), [first.modelVersion]);
    deepEqual(await aliasState(stores.objects, "system"), aliases);
    // the way out: promote a registered version (the missing champion goes on no rollback stack); the
    // challenger the registry does not hold is retired by the run instead of being waited on for ever
    await promoteVersion(stores.objects, "system", first.modelVersion);
    deepEqual((await aliasState(stores.objects, "system")).previousChampions, [first.modelVersion]);
    const next = await runSignal(cfg, { ...quiet, stores, asOf: d[1] });
    equal(next.modelVersion, first.modelVersion);
    ok(
      next.promotion.startsWith(`challenger ${y.version} retired: it is not in the registry`),
      next.promotion,
    );
    equal((await aliasState(stores.objects, "system")).aliases.challenger, undefined);
  },
);

Deno.test({
  name:
    "signal: a symbol added after the fit is not traded (hold, size 0) and its stored signal says why; the API shows it",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const m = createSyntheticMarket({ seed: 3, symbols: 6, sessions: 420 });
    const syms = (await m.listSymbols!()).sort();
    const d = m.dates.slice(-2);
    const stores = openEmbeddedStores(":memory:");
    try {
      const five = await smallConfig({
        source: { synthetic: { symbols: 6, sessions: 420, seed: 3 }, symbols: syms.slice(0, 5) },
      });
      const fit = await runSignal(five, { ...quiet, stores, asOf: d[0] });
      equal(fit.signals.length, 5);
      const six = await smallConfig({
        source: { synthetic: { symbols: 6, sessions: 420, seed: 3 }, symbols: syms },
      });
      const next = await runSignal(six, { ...quiet, stores, asOf: d[1] });
      equal(next.model, "loaded");
      equal(next.modelVersion, fit.modelVersion);
      const added = next.signals.find((s) => s.symbol === syms[5])!;
      deepEqual([added.action, added.size, added.confidence], ["hold", 0, 0]);
      ok(/no volatility forecast: .* is not in the fitted/.test(added.provenance!.sizing.untradable ?? ""));
      ok(
        next.signals.filter((s) => s.symbol !== syms[5]).every((s) =>
          s.provenance!.sizing.untradable === undefined
        ),
      );
      const [row] = await stores.tables.query("signals", { where: { symbol: syms[5], date: d[1] } });
      deepEqual(rowToSignal(row), added, "stored with the reason");
      deepEqual(issuedView(added).sizing.untradable, added.provenance!.sizing.untradable);
    } finally {
      await stores.close();
    }
  },
});

Deno.test({
  name:
    "signal: a backfill on a date a refit is due issues the champion of then with the refit in its shadow; a retry after a failure decides the same",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const cfg = await smallConfig({ production: { retrain: { every: 3, minScoredSessions: 1 } } });
    const all = createSyntheticMarket({ seed: 3, symbols: 6, sessions: 420 }).dates;
    const d = all.slice(all.length - 13, all.length - 1);
    const inOrder = openEmbeddedStores(":memory:"), down = openEmbeddedStores(":memory:");
    try {
      const ctl = (await runDates(cfg, inOrder, d, [0, 1, 2, 3, 4, 5, 6])).get(6)!;
      ok(ctl.shadow.length > 0, "a refit was due on d6 and ran in the champion's shadow");
      await runDates(cfg, down, d, [0, 1, 2, 3, 4, 5, 7]);
      // the first attempt at the backfill fails as its run rows are written (after its refit was registered)
      const failing = failingRunRows(down);
      const t1 = closeTime(d[7]) + 7_200_000;
      await rejects(
        () => runSignal(cfg, { ...quiet, stores: failing, asOf: d[6], now: () => t1 }),
        /store down/,
      );
      const back = await runSignal(cfg, { ...quiet, stores: down, asOf: d[6], now: () => t1 + 60_000 });
      equal(back.modelVersion, ctl.modelVersion, "issued by the champion of that time");
      deepEqual(
        back.shadow.map((x) => x.version),
        ctl.shadow.map((x) => x.version),
        "its refit in the shadow",
      );
      equal(back.written, 0, "the failed attempt's signals stand");
      const issued = await down.tables.query("signals", { where: { date: d[6], source: "moe" } });
      deepEqual(
        [...new Set(issued.map((r) => r.model_version))],
        [ctl.modelVersion],
        "one production version",
      );
    } finally {
      await inOrder.close();
      await down.close();
    }
  },
});

Deno.test({
  name:
    "signal: source.market: the run collects the source's ^GSPC and ^VIX, records its market context, and " +
    "refuses a version fitted on another",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = fileURLToPath(new URL("../../shared/data/us-index-etf-daily-yahoo", import.meta.url));
    const cfgOf = async (market: unknown) =>
      await loadConfig({
        overrides: {
          source: {
            kind: "csv",
            csvDir: dir,
            symbols: ["SPY", "QQQ", "DIA", "IWM"],
            from: "2014-01-02",
            to: "2018-06-29",
            market,
          },
          models: { trend: ["majority", "logistic"] },
          news: { scorer: "lexicon" },
          reportDir: REPORTS,
        },
      });
    const stores = openEmbeddedStores(":memory:");
    try {
      const own = await cfgOf({ index: "^GSPC", vix: "^VIX" });
      const first = await runSignal(own, { ...quiet, stores, asOf: "2018-03-01" });
      const { manifest } = await loadVersion(stores.objects, "system", first.modelVersion);
      equal(manifest.lineage.market, "^GSPC,^VIX");
      ok(await stores.tables.count("bars", { symbol: "^VIX" }) > 1000, "the VIX is collected into the store");
      // the VIX of the as-of date prints at 16:15: the data the fit saw ends the session before
      const vix = manifest.lineage.data.snapshot.find((e) => e.symbol === "^VIX")!;
      equal(vix.lastDate, "2018-02-28");
      equal(manifest.lineage.data.snapshot.find((e) => e.symbol === "^GSPC")!.lastDate, "2018-03-01");
      deepEqual(
        first.checks.filter((c) => c.kind === "freshness" && c.name.startsWith("^")),
        [],
        "both fresh",
      );
      // the same version serves the next day; a VIX a session late is a freshness warning (lag 1: the VIX of
      // 03-01 is due at the close of 03-02)
      await stores.tables.delete("bars", { symbol: "^VIX", date: "2018-03-01" });
      const csv = await csvSourceFor(dir);
      const lateVix = Object.assign(Object.create(csv) as MarketSource, {
        bars: async (req: BarRequest) => {
          const m = await csv.bars(req);
          if (m.has("^VIX")) m.set("^VIX", m.get("^VIX")!.filter((b) => b.date < "2018-03-01"));
          return m;
        },
      });
      const next = await runSignal(own, { ...quiet, stores, asOf: "2018-03-02", source: lateVix });
      equal(next.modelVersion, first.modelVersion);
      deepEqual(
        next.checks.filter((c) => c.kind === "freshness" && c.name.startsWith("^")).map((
          c,
        ) => [c.name, c.value]),
        [["^VIX", 1]],
      );
      // a run on another market context is refused before any signal, alias or version is written
      const runs = await stores.tables.count("signal_runs");
      await rejects(
        async () =>
          runSignal(await cfgOf({ index: null, vix: null }), { ...quiet, stores, asOf: "2018-03-05" }),
        /was fitted on market context \^GSPC,\^VIX, this run's is universe: set source\.market to match, or refit with --refit$/,
      );
      equal(await stores.tables.count("signal_runs"), runs);
    } finally {
      await stores.close();
    }
  },
});

storeTest(
  "signal: holes in the stored bars are refused as in the research run, before anything is written; a few missing sessions are not",
  async (cfg, stores) => {
    const m = createSyntheticMarket({ seed: 3, symbols: 6, sessions: 420 });
    const sym = (await m.listSymbols!()).sort()[1];
    const d = m.dates.slice(-3);
    const first = await runSignal(cfg, { ...quiet, stores, asOf: d[0] });
    // three sessions missing: returns span them, the run goes on (a note in the terminal)
    for (const date of m.dates.slice(200, 203)) await stores.tables.delete("bars", { symbol: sym, date });
    const next = await runSignal(cfg, { ...quiet, stores, asOf: d[1] });
    equal(next.modelVersion, first.modelVersion);
    // 25 in a row: refused, naming the symbol, the gap and what to do; no run, version or signal is written
    for (const date of m.dates.slice(250, 275)) await stores.tables.delete("bars", { symbol: sym, date });
    const [runs, sigs] = [await stores.tables.count("signal_runs"), await stores.tables.count("signals")];
    const versions = (await listVersions(stores.objects, "system")).length;
    await rejects(() => runSignal(cfg, { ...quiet, stores, asOf: d[2] }), (e: Error) => {
      equal(e.name, "InputError");
      ok(
        e.message.startsWith(`${sym} misses 28 of `) &&
          e.message.includes(`longest gap 25 sessions, ${m.dates[250]}..${m.dates[274]}`) &&
          e.message.endsWith("; leave the symbol out of source.symbols or fill the store's missing sessions"),
        e.message,
      );
      return true;
    });
    deepEqual(
      [await stores.tables.count("signal_runs"), await stores.tables.count("signals")],
      [runs, sigs],
    );
    equal((await listVersions(stores.objects, "system")).length, versions);
    // a rolling window reads only its own sessions and the warm-up before them: the older hole does not matter
    const rolling = await smallConfig({ production: { retrain: { window: "rolling 80" } } });
    const r = await runSignal(rolling, { ...quiet, stores, asOf: d[2] });
    equal(r.signals.length, 6);
  },
);

storeTest(
  "signal: a run refused for its serving version (another news scorer) scores no news and writes no score",
  async (cfg, stores) => {
    const d = createSyntheticMarket({ seed: 3, symbols: 6, sessions: 420 }).dates.slice(-2);
    const first = await runSignal(cfg, { ...quiet, stores, asOf: d[0] });
    await lmChampion(stores, first.modelVersion);
    // an empty score cache: a run that scored its news would fill it again
    await stores.documents.dropCollection!(NEWS_SCORES_COLLECTION);
    let upserts = 0;
    const counting: Stores = {
      ...stores,
      documents: new Proxy(stores.documents, {
        get(t, k) {
          const v = Reflect.get(t, k);
          if (k !== "upsert") return typeof v === "function" ? v.bind(t) : v;
          return (collection: string, docs: Doc[]) => {
            if (collection === NEWS_SCORES_COLLECTION) upserts++;
            return v.call(t, collection, docs);
          };
        },
      }) as Stores["documents"],
    };
    const steps: string[] = [];
    const base = createProgress({ quiet: true });
    const progress = { ...base, start: (s: string) => (steps.push(s), base.start(s)) };
    await rejects(
      () => runSignal(cfg, { ...quiet, stores: counting, asOf: d[1], progress }),
      /was fitted on news scored by lm:finsent-mpnet@v1, this run scores with lexicon/,
    );
    ok(!steps.some((s) => s.startsWith("news scoring")), steps.join(" | "));
    equal(upserts, 0, "no score written");
    equal(await stores.documents.count(NEWS_SCORES_COLLECTION), 0, "the score cache is as it was");
  },
);

Deno.test({
  name:
    "signal: a symbol with no bars yet is a listing warning, not stale; listed with too few bars for the " +
    "features it is a hold with the reason; a re-run shows the config's symbol order",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const m = createSyntheticMarket({ seed: 3, symbols: 6, sessions: 420 });
    const syms = (await m.listSymbols!()).sort();
    const d = m.dates, n = d.length;
    // `late` lists on d[n - 60]: 60 bars on the last date, one short of the features' 60-session warm-up
    const late = syms[2];
    const source = {
      ...m,
      bars: async (req: BarRequest) => {
        const out = await m.bars(req);
        const b = out.get(late);
        if (b) out.set(late, b.filter((x) => x.date >= d[n - 60]));
        return out;
      },
    };
    // the config's order is not the alphabetical one
    const order = [...syms].reverse();
    const cfg = await smallConfig({
      source: { synthetic: { symbols: 6, sessions: 420, seed: 3 }, symbols: order },
      // drift thresholds out of reach: the run's status is the listing check's alone
      production: { retrain: { every: 200 }, drift: { psiWarn: 100, psiFail: 100 } },
    });
    const stores = openEmbeddedStores(":memory:");
    try {
      const notes: string[] = [];
      const progress = { ...createProgress({ quiet: true }), note: (t: string) => void notes.push(t) };
      const before = await runSignal(cfg, { ...quiet, stores, source, progress, asOf: d[n - 61] });
      ok(notes.some((x) => x.startsWith(`${late}: no bars yet by ${d[n - 61]}`)), notes.join("\n"));
      deepEqual(
        before.checks.filter((c) => c.name === late).map((c) => [c.kind, c.value, c.status]),
        [["listing", 0, "warn"]],
        "not a stale symbol",
      );
      equal(before.checks.find((c) => c.kind === "freshness" && c.name === "*")!.value, 0);
      equal(before.status, "warn", "a warning, not a failure");
      equal(before.exitCode, 0);
      deepEqual(before.signals.map((s) => s.symbol), order.filter((s) => s !== late));
      const [recorded] = await stores.tables.query("health", { where: { kind: "listing", name: late } });
      equal(recorded.fail, null, "no fail threshold");
      // listed, 60 bars: a hold of size 0 that says why, stored like the other untradable reasons
      const after = await runSignal(cfg, { ...quiet, stores, source, asOf: d[n - 1] });
      equal(after.model, "loaded");
      deepEqual(after.signals.map((s) => s.symbol), order, "every traded symbol, in the config's order");
      const held = after.signals.find((s) => s.symbol === late)!;
      deepEqual([held.action, held.size, held.confidence], ["hold", 0, 0]);
      equal(
        held.provenance!.sizing.untradable,
        "too few bars for the features: 60 of 61 (a 60-session warm-up)",
      );
      const [row] = await stores.tables.query("signals", { where: { symbol: late, date: d[n - 1] } });
      deepEqual(rowToSignal(row), held, "stored with the reason");
      ok(!after.checks.some((c) => c.name === late && c.status !== "ok"));
      // the terminal summary says why it is held
      ok(
        after.table.includes(
          `not tradable (hold, size 0): ${late} (too few bars for the features: 60 of 61 (a 60-session warm-up))`,
        ),
        after.table,
      );
      // a re-run lists the issued signals in the same order, in the summary and its table
      const again = await runSignal(cfg, { ...quiet, stores, source, asOf: d[n - 1] });
      equal(again.written, 0);
      deepEqual(again.signals.map((s) => s.symbol), order);
      const tableOrder = (t: string) =>
        t.split("\n").map((l) => l.split(/\s+/)[0]).filter((w) => syms.includes(w));
      deepEqual(tableOrder(again.table), tableOrder(after.table));
      deepEqual(tableOrder(after.table), order);
    } finally {
      await stores.close();
    }
  },
});

storeTest(
  "signal: a configured symbol the store holds no bar of (--no-collect) is named with the listing warning; the synthetic market's own context stays",
  async (cfg, stores) => {
    const m = createSyntheticMarket({ seed: 3, symbols: 6, sessions: 420 });
    const syms = (await m.listSymbols!()).sort();
    const d = m.dates, n = d.length;
    // fitted on the synthetic market's own context on d[n - 2]; the store then holds d[n - 1] too
    const first = await runSignal(cfg, { ...quiet, stores, asOf: d[n - 2], now: () => closeTime(d[n - 2]) });
    equal(first.model, "refit");
    await runCollect(["prices"], { market: m }, stores, { symbols: syms, from: d[n - 1], to: d[n - 1] });
    const withZzz = await smallConfig({
      source: { synthetic: { symbols: 6, sessions: 420, seed: 3 }, symbols: [...syms, "ZZZ"] },
      production: { drift: { psiWarn: 100, psiFail: 100 } },
    });
    const notes: string[] = [];
    const progress = { ...createProgress({ quiet: true }), note: (t: string) => void notes.push(t) };
    // it was refused: "was fitted on market context own, this run's is universe", ZZZ never in a check
    const r = await runSignal(withZzz, {
      ...quiet,
      stores,
      progress,
      noCollect: true,
      asOf: d[n - 1],
      now: () => closeTime(d[n - 1]) + 3_600_000,
    });
    ok(
      notes.includes("market context: the synthetic market's own index and VIX-like series"),
      notes.join("\n"),
    );
    ok(notes.some((x) => x.startsWith(`ZZZ: no bars yet by ${d[n - 1]}`)), notes.join("\n"));
    equal(r.model, "loaded", "the fitted system serves it: nothing refitted");
    deepEqual(
      r.checks.filter((c) => c.name === "ZZZ").map((c) => [c.kind, c.status]),
      [["listing", "warn"]],
    );
    deepEqual(r.signals.map((x) => x.symbol).sort(), syms);
  },
);

storeTest(
  "signal: --refit while the challenger is still being scored replaces it, and the run says which pair was compared",
  async (_, stores) => {
    const cfg = await smallConfig({ production: { retrain: { every: 3, minScoredSessions: 5 } } });
    const d = createSyntheticMarket({ seed: 3, symbols: 6, sessions: 420 }).dates.slice(-6);
    const runs = await runDates(cfg, stores, d, [0, 1, 2, 3, 4]);
    const old = runs.get(3)!.shadow[0].version;
    const r = await runSignal(cfg, {
      ...quiet,
      stores,
      asOf: d[5],
      refit: true,
      now: () => closeTime(d[5]) + 3_600_000,
    });
    const fresh = (await aliasState(stores.objects, "system")).aliases.challenger;
    ok(fresh !== undefined && fresh !== old, "a new challenger");
    ok(
      r.promotion.includes(`challenger ${old}: `) &&
        r.promotion.includes(`it replaces the undecided challenger ${old}`),
      r.promotion,
    );
  },
);

Deno.test("failedChecksText: stale symbols first (they fail a run alone), then drifted features by name", () => {
  const c = (kind: CheckResult["kind"], name: string, status: CheckResult["status"] = "fail") => ({
    kind,
    name,
    value: 1,
    warn: 0.1,
    fail: 0.25,
    status,
  });
  const checks = [
    c("psi", "rsi_14"),
    c("psi", "adx_14"),
    c("psi", "macd", "warn"),
    c("psi", "atr_ratio_14"),
    c("freshness", "DHR"),
    c("psi", "ema_ratio_12"),
    c("psi", "dist_high_60"),
  ];
  equal(
    failedChecksText(checks, 5),
    "freshness DHR, psi adx_14, psi atr_ratio_14, psi dist_high_60, psi ema_ratio_12 and 1 more",
  );
  // the order of the stored checks does not matter
  equal(failedChecksText([...checks].reverse(), 5), failedChecksText(checks, 5));
});

Deno.test("collectNote: symbols without bars in the range are named (not listed yet or stale), other failures with reasons", () => {
  const row = (symbol: string, ok: boolean, inserted: number, error?: string) => ({
    kind: "prices" as const,
    symbol,
    ok,
    rows: inserted,
    inserted,
    objects: 0,
    range: "",
    ...(error ? { error } : {}),
  });
  equal(collectNote([row("XOM", true, 62)]), "62 new rows");
  equal(
    collectNote([
      row("XOM", true, 62),
      row(
        "DXC",
        false,
        0,
        "empty date range: csv:sp500-5yr has no bars for DXC between 2017-01-03 and 2017-03-31",
      ),
      row(
        "BHF",
        false,
        0,
        "empty date range: csv:sp500-5yr has no bars for BHF between 2017-01-03 and 2017-03-31",
      ),
      row("JNJ", false, 0, "timeout\nafter 30 s"),
    ]),
    "62 new rows; no bars in the range for DXC, BHF (not listed yet or stale: see the listing and freshness " +
      "checks); 1 failed (JNJ: timeout after 30 s)",
  );
});

Deno.test("scoredText: sessions, and the runs on them when a challenger's shadow run was scored beside", () => {
  equal(scoredText({ runs: 0, sessions: 0 }), "0 sessions scored");
  equal(scoredText({ runs: 1, sessions: 1 }), "1 session scored");
  equal(scoredText({ runs: 2, sessions: 1 }), "2 runs scored on 1 session");
  equal(scoredText({ runs: 4, sessions: 2 }), "4 runs scored on 2 sessions");
});

Deno.test("scorecard: a new champion's first production day trades from the book the old champion left, not from cash", async () => {
  const stores = openEmbeddedStores(":memory:");
  try {
    await ensureTables(stores);
    const days = sessions("2020-01-02", "2020-01-10");
    const [d0, d1] = days;
    await stores.tables.upsert(
      "bars",
      ["A", "B", "C"].flatMap((symbol) =>
        days.map((date, i) => ({
          symbol,
          date,
          open: 100 + i,
          high: 102 + i,
          low: 99 + i,
          close: 101 + i,
          adj_close: 101 + i,
          volume: 1e6,
          known_at: Date.parse(`${date}T21:00:00Z`),
        }))
      ),
    );
    const run = (version: string, asOf: string, issuedAt: number) => ({
      model_version: version,
      as_of: asOf,
      source: SIGNAL_SOURCE,
      for_date: nextSession(asOf),
      symbols: 3,
      status: "ok",
      payload: "{}",
      issued_at: issuedAt,
      known_at: issuedAt,
    });
    const sig = (version: string, date: string, symbol: string, size: number) =>
      signalToRow({
        source: SIGNAL_SOURCE,
        symbol,
        date,
        action: size > 0 ? "buy" : "hold",
        size,
        confidence: 0.5,
        contributions: [],
        knownAt: Date.parse(`${date}T21:00:00Z`),
        provenance: {
          modelVersion: version,
          asOf: Date.parse(`${date}T21:00:00Z`),
          issuedAt: 1,
          featureHash: "0".repeat(64),
          sizing: { rawScore: size, score: size, forecastVol: 0.01, rule: {} },
        },
      });
    // v1 issued d0 (A and B at half each); v2, promoted, issued d1 (C only)
    await stores.tables.upsert("signal_runs", [run("v1", d0, 1), run("v2", d1, 2)]);
    await stores.tables.upsert("signals", [
      sig("v1", d0, "A", 0.5),
      sig("v1", d0, "B", 0.5),
      sig("v1", d0, "C", 0),
      sig("v2", d1, "A", 0),
      sig("v2", d1, "B", 0),
      sig("v2", d1, "C", 0.5),
    ]);
    deepEqual(await updateScorecard(stores, days[5], 5, 1, () => 0), { runs: 2, sessions: 2 });
    const row = (await stores.tables.query("scorecard", { where: { model_version: "v2" } }))[0];
    // sold A and B (0.5 each) and bought C (0.5): 1.5, not the 0.5 of a book bought from cash
    equal(row.turnover, 1.5);
    equal((await stores.tables.query("scorecard", { where: { model_version: "v1" } }))[0].turnover, 1);
  } finally {
    await stores.close();
  }
});

Deno.test("signal: an --as-of before the synthetic market's first session is one line, before any store is opened", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cfg = await loadConfig({ overrides: { dataDir: dir } });
    // it crashed: "internal error (a bug): empty date range: 2015-01-02 > 2014-12-31"
    await rejects(
      () => runSignal(cfg, { asOf: "2014-12-31", quiet: true }),
      (e: Error) =>
        e instanceof ConfigError &&
        e.message === "--as-of: 2014-12-31 is before the synthetic market's first session 2015-01-02",
    );
    equal([...Deno.readDirSync(dir)].length, 0, "no store opened");
    // with --no-collect the store decides (a Lambda's may hold real symbols' earlier bars): no synthetic market
    // is built for the date, and an empty store says it holds no bars (it crashed building the market)
    const stores = openEmbeddedStores(":memory:");
    try {
      await rejects(
        () => runSignal(cfg, { ...quiet, asOf: "2014-12-31", noCollect: true, stores }),
        (e: Error) => e instanceof ConfigError && e.message.startsWith("no stored bars for the universe"),
      );
    } finally {
      await stores.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

storeTest(
  "signal: a report file the run cannot write is refused before anything is fitted or issued",
  async (cfg, stores) => {
    const dir = await Deno.makeTempDir({ prefix: "fmai-signal-report-" });
    try {
      // a folder where the report of the decision session goes: the run issued its signals, then failed renaming
      // its report over it (an OS error, a temporary file left behind, the stored report never written)
      const asOf = "2016-06-01";
      await Deno.mkdir(`${dir}/signal-${asOf}.html`);
      await rejects(
        () => runSignal({ ...cfg, reportDir: dir }, { ...quiet, stores, asOf }),
        (e: Error) =>
          e instanceof ConfigError &&
          // no "e.g. .../report.html": the file's name is the run's, not the user's
          e.message === `reportDir ${dir}/signal-${asOf}.html: is a folder, not a file`,
      );
      equal(await stores.tables.count("signal_runs"), 0, "nothing issued");
      equal(await stores.tables.count("signals"), 0);
      deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [`signal-${asOf}.html`], "no temporary file");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("tradedReturns: open to open in total-return prices: the stored dividends and splits, else the vendor's adjusted closes", () => {
  const bar = (symbol: string, date: string, open: number, close: number, adjClose = close) => ({
    symbol,
    date,
    open,
    high: Math.max(open, close),
    low: Math.min(open, close),
    close,
    adjClose,
    volume: 1000,
    knownAt: closeTime(date),
  });
  const [entry, exit] = ["2016-06-16", "2016-06-17"];
  const bars = [
    bar("RAW", entry, 100, 100),
    bar("RAW", exit, 101, 101),
    // the vendor back-adjusted the entry bar for a dividend going ex on the exit day (factor 0.98)
    bar("ADJ", entry, 100, 100, 98),
    bar("ADJ", exit, 99, 99),
    bar("DIV", entry, 100, 100),
    bar("DIV", exit, 98, 98),
    bar("SPL", entry, 100, 100),
    bar("SPL", exit, 51, 51),
    bar("GONE", entry, 100, 100),
  ];
  const actions = [
    { symbol: "DIV", date: exit, kind: "dividend" as const, value: 2, knownAt: closeTime(exit) },
    { symbol: "SPL", date: exit, kind: "split" as const, value: 2, knownAt: closeTime(exit) },
  ];
  const r = tradedReturns(bars, actions, entry, exit);
  ok(Math.abs(r.get("RAW")! - 0.01) < 1e-12);
  ok(Math.abs(r.get("ADJ")! - (99 / 98 - 1)) < 1e-12, `${r.get("ADJ")}`);
  ok(Math.abs(r.get("DIV")!) < 1e-12, `the 2 paid offsets the fall to 98: ${r.get("DIV")}`);
  ok(Math.abs(r.get("SPL")! - 0.02) < 1e-12, `${r.get("SPL")}`);
  equal(r.has("GONE"), false, "no exit open: not scored");
});

Deno.test("FMAI_GIT_SHA is a commit or unknown and FMAI_GIT_DIRTY 0 or 1: anything else is refused in one line before any store", async () => {
  equal(gitFromEnv({}), null);
  equal(gitFromEnv({ FMAI_GIT_SHA: "" }), null);
  deepEqual(gitFromEnv({ FMAI_GIT_SHA: "abc1234" }), { sha: "abc1234", dirty: false });
  deepEqual(gitFromEnv({ FMAI_GIT_SHA: "f".repeat(40), FMAI_GIT_DIRTY: "1" }), {
    sha: "f".repeat(40),
    dirty: true,
  });
  // serverless.yml's default when a deploy by hand does not set it
  deepEqual(gitFromEnv({ FMAI_GIT_SHA: "unknown", FMAI_GIT_DIRTY: "0" }), { sha: "unknown", dirty: false });
  // trusted as is before: "main" or a short or padded hash went into every model's lineage
  for (const sha of ["main", "abc123", "g".repeat(7), "0".repeat(41), " abc1234"]) {
    throws(
      () => gitFromEnv({ FMAI_GIT_SHA: sha }),
      /^ConfigError: FMAI_GIT_SHA: expected a commit \(7 to 40 hex/,
    );
  }
  // only 1 counted, anything else was read as clean
  for (const dirty of ["yes", "true", "2"]) {
    throws(
      () => gitFromEnv({ FMAI_GIT_SHA: "abc1234", FMAI_GIT_DIRTY: dirty }),
      /^ConfigError: FMAI_GIT_DIRTY must be 1 \(the build had changes\) or 0, got "/,
    );
  }
  throws(
    () => gitFromEnv({ FMAI_GIT_DIRTY: "1" }),
    /^ConfigError: FMAI_GIT_DIRTY is set but FMAI_GIT_SHA is not/,
  );
  // the daily run refuses it before its store is made
  const dir = await Deno.makeTempDir({ prefix: "fmai-git-env-" });
  Deno.env.set("FMAI_GIT_SHA", "main");
  try {
    await rejects(
      async () => runSignal(await smallConfig({ dataDir: dir }), { quiet: true }),
      (e) => e instanceof ConfigError && /^FMAI_GIT_SHA: /.test(e.message),
    );
    deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    Deno.env.delete("FMAI_GIT_SHA");
    await Deno.remove(dir, { recursive: true });
  }
});
