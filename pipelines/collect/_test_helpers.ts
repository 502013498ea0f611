/**
 * Test helpers of the collectors: sources over the recorded Yahoo/Nasdaq responses (the real code path with
 * a replaying fetch), a chart server that serves any date range out of a recorded chart response, fetches
 * that fail after N calls, temporary embedded stores, and a checksum of everything stored.
 * @module
 */
import { createNasdaqSource, createReplayFetch, createYahooSource } from "@lib/sources/mod.ts";
import { ALL_SCHEMAS, openEmbeddedStores, type Stores } from "@lib/store/mod.ts";
import { type CollectSources, createRawRecorder } from "./common.ts";
import { NEWS_COLLECTION } from "./news.ts";
import { REPORTS_COLLECTION } from "./statements.ts";

/** The recorded Yahoo responses. */
export const YAHOO_DIR = new URL("../../../shared/data/yahoo-fixtures/", import.meta.url);
/** The recorded Nasdaq responses. */
export const NASDAQ_DIR = new URL("../../../shared/data/nasdaq-fixtures/", import.meta.url);

/** Yahoo + Nasdaq sources over `fetch`, recording raw bodies; no retries, no rate limit (tests). */
export function sourcesOver(fetch: typeof globalThis.fetch): CollectSources {
  const raw = createRawRecorder(fetch);
  const quiet = { rateLimitPerSec: 10_000, retries: 0, backoffMs: 1 };
  return {
    yahoo: createYahooSource({ fetch: raw.fetch, ...quiet, log: () => {} }),
    nasdaq: createNasdaqSource({ fetch: raw.fetch, ...quiet }),
    raw,
  };
}

/** Replaying sources over the recorded folders (plus `extra` recordings, which win). */
export async function replaySources(extra: (string | URL)[] = []): Promise<CollectSources> {
  return sourcesOver(await createReplayFetch([YAHOO_DIR, NASDAQ_DIR, ...extra]));
}

/** Fresh embedded stores in a temporary folder; `dispose` closes and removes them. */
export async function tempStores(): Promise<{ stores: Stores; dir: string; dispose(): Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "fmai-collect-" });
  const stores = openEmbeddedStores(dir);
  return {
    stores,
    dir,
    async dispose() {
      await stores.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/**
 * A fetch serving `/v8/finance/chart/<symbol>` for ANY `period1..period2` out of one recorded response
 * (timestamps filtered; everything else replayed), as Yahoo itself would answer a narrower range. Records
 * the requested periods in `periods`.
 */
export async function rangeChartFetch(
  recording: string,
): Promise<typeof fetch & { periods: [number, number][] }> {
  const replay = await createReplayFetch([YAHOO_DIR, NASDAQ_DIR]);
  const rec = JSON.parse(await Deno.readTextFile(new URL(recording, YAHOO_DIR)));
  const sym = rec.response.bodyJson.chart.result[0].meta.symbol;
  const periods: [number, number][] = [];
  const f = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
    if (url.pathname !== `/v8/finance/chart/${sym}`) return replay(input, init);
    const p1 = Number(url.searchParams.get("period1")), p2 = Number(url.searchParams.get("period2"));
    periods.push([p1, p2]);
    const body = structuredClone(rec.response.bodyJson);
    const r = body.chart.result[0];
    const keep = (r.timestamp as number[]).map((t) => t >= p1 && t < p2);
    const pick = <T>(a: T[]) => a.filter((_, i) => keep[i]);
    r.timestamp = pick(r.timestamp);
    for (const q of r.indicators.quote) for (const k of Object.keys(q)) q[k] = pick(q[k]);
    for (const a of r.indicators.adjclose ?? []) a.adjclose = pick(a.adjclose);
    for (const kind of ["dividends", "splits"]) {
      const ev = r.events?.[kind];
      if (!ev) continue;
      for (const k of Object.keys(ev)) if (!(Number(k) >= p1 && Number(k) < p2)) delete ev[k];
    }
    return Promise.resolve(
      new Response(JSON.stringify(body), {
        status: 200,
        headers: { "content-type": "application/json", date: rec.response.headers.date },
      }),
    );
  };
  return Object.assign(f, { periods });
}

/** A fetch that answers normally for `n` requests matching `match`, then fails those with a network error. */
export function failAfter(
  base: typeof fetch,
  n: number,
  match: (url: string) => boolean,
): typeof fetch & { failed: number } {
  let seen = 0;
  const f = Object.assign((input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (match(url) && ++seen > n) {
      f.failed++;
      return Promise.reject(new TypeError(`network down (simulated) for ${url}`));
    }
    return base(input, init);
  }, { failed: 0 });
  return f;
}

/** Every table row, document and object key as one canonical string (for "same as a clean run" checks). */
export async function storeDump(stores: Stores, opts: { knownAt?: boolean } = {}): Promise<string> {
  const parts: string[] = [];
  for (const s of ALL_SCHEMAS) {
    await stores.tables.ensureTable(s);
    const rows = await stores.tables.query(s.name, { orderBy: s.key });
    parts.push(
      s.name,
      ...rows.map((r) => JSON.stringify(opts.knownAt === false ? { ...r, known_at: 0 } : r)),
    );
  }
  for (const c of [NEWS_COLLECTION, REPORTS_COLLECTION]) {
    const docs = await stores.documents.find(c);
    parts.push(c, ...docs.map((d) => JSON.stringify(d)).sort());
  }
  parts.push("objects", ...(await stores.objects.list("")).map((o) => `${o.key} ${o.size}`));
  return parts.join("\n");
}

/** Number of rows of a table. */
export function count(stores: Stores, table: string, where?: Record<string, string>): Promise<number> {
  return stores.tables.count(table, where);
}
