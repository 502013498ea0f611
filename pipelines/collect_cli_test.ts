import { equal, ok, throws } from "node:assert/strict";
import { ConfigError } from "@lib/core/mod.ts";
import { openEmbeddedStores } from "@lib/store/mod.ts";
import { main, parseCollectArgs } from "./collect_cli.ts";

const YF = new URL("../../shared/data/yahoo-fixtures", import.meta.url).pathname;
const NQ = new URL("../../shared/data/nasdaq-fixtures", import.meta.url).pathname;

async function capture(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const log = console.log, error = console.error;
  let out = "", err = "";
  console.log = (...a: unknown[]) => void (out += a.join(" ") + "\n");
  console.error = (...a: unknown[]) => void (err += a.join(" ") + "\n");
  try {
    return { code: await main(argv), out, err };
  } finally {
    console.log = log;
    console.error = error;
  }
}

Deno.test("collect cli: user mistakes are one-line errors with exit code 2", async () => {
  throws(() => parseCollectArgs(["--source", "bloomberg"]), ConfigError);
  throws(() => parseCollectArgs(["--symbols", "A", "--kinds", "prices,tweets"]), ConfigError);
  throws(
    () => parseCollectArgs(["--symbols", "AAPL,../../etc/passwd"]),
    /--symbols: "..\/..\/etc\/passwd" is not a symbol/,
  );
  throws(
    () => parseCollectArgs(["--source", "csv", "--kinds", "options", "--data-dir", "x"]),
    /cannot collect/,
  );
  for (
    const argv of [
      ["--source", "yahoo", "--from", "2020-01-01"],
      ["--symbols", "AAPL", "--from", "2020-13-01"],
      ["--symbols", "AAPL", "--from", "2020-02-01", "--to", "2020-01-01"],
      ["--symbols", "AAPL", "--replay", "/no/such/dir"],
      ["--symbols", "AAPL", "--bogus"],
    ]
  ) {
    const r = await capture(argv);
    equal(r.code, 2, `${argv.join(" ")}: ${r.err}`);
    equal(r.err.trim().split("\n").length, 1, r.err);
    ok(r.err.startsWith("error: "), r.err);
  }
});

Deno.test("collect cli: replayed run stores, prints the summary; dry-run writes nothing and shows the incremental plan", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const store = `${dir}/store`;
    const base = [
      "--symbols",
      "AAPL,GOOG",
      "--from",
      "2020-01-01",
      "--to",
      "2020-01-02",
      "--store-dir",
      store,
    ];
    const dry = await capture([...base, "--kinds", "prices", "--dry-run", "--replay", YF]);
    equal(dry.code, 0, dry.err);
    ok(/prices\s+AAPL\s+2020-01-01\.\.2020-01-02/.test(dry.out), dry.out);
    let exists = true;
    await Deno.stat(store).catch(() => (exists = false));
    equal(exists, false, "dry run created nothing");
    const run = await capture([
      ...base,
      "--kinds",
      "prices,news,charts",
      "--quiet",
      "--replay",
      YF,
      "--replay",
      NQ,
    ]);
    equal(run.code, 0, run.out + run.err);
    ok(/collected: 6 ok, 0 failed/.test(run.out), run.out);
    const s = openEmbeddedStores(store);
    try {
      equal(await s.tables.count("bars"), 2);
      equal(await s.documents.count("news"), 8);
      equal((await s.objects.list("charts/")).length, 2);
    } finally {
      await s.close();
    }
    const dry2 = await capture([...base, "--kinds", "prices", "--dry-run"]);
    ok(/prices\s+AAPL\s+skip \(stored up to 2020-01-02\)/.test(dry2.out), dry2.out);
    const failing = await capture([
      ...base,
      "--symbols",
      "AAPL,NOPE",
      "--kinds",
      "options",
      "--quiet",
      "--replay",
      YF,
    ]);
    equal(failing.code, 1, "a failed symbol makes the run exit 1");
    ok(/options\s+NOPE\s+FAILED/.test(failing.out), failing.out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
