/**
 * Helpers the benchmarks share: the median of their repeated timings (the middle value, the mean of the two
 * middle ones for an even count: with `--runs 2` the upper one was the slower run, reported as the median), and
 * the MySQL server a benchmark measures, checked before any work, and where the shared data lie.
 * @module
 */
import { embeddedConfig, type MySqlConfig, mySqlConfigFromUrl, openTableStore } from "@lib/store/mod.ts";
import { toolCheck } from "./_args.ts";
import { fileURLToPath } from "node:url";

/** The shared data folder (`../shared/data` beside the checkout), read in place by every benchmark. */
export const SHARED_DATA = fileURLToPath(new URL("../../shared/data", import.meta.url));

/** The median of `xs` (NaN when empty); `xs` is not changed. */
export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * A benchmark's MySQL (`url`, its `FMAI_MYSQL_URL`; undefined when unset), parsed and its server reached before any
 * work: a malformed URL is one line and exit 2 (its password not shown), a server that does not answer one line
 * and exit 1 (an error after the embedded run lost its results).
 */
export async function benchMysql(url: string | undefined): Promise<MySqlConfig | undefined> {
  if (!url) return undefined;
  const cfg = toolCheck(() => mySqlConfigFromUrl(url));
  await toolCheck(async () =>
    await (await openTableStore({ ...embeddedConfig(""), tables: { kind: "mysql", ...cfg } })).close()
  );
  return cfg;
}
