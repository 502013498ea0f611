/**
 * The MongoDB document backend (`npm:mongodb`), also used against FerretDB v1 (a MongoDB wire-protocol server
 * on SQLite) started by `deno task services:up`.
 *
 * Layout: one MongoDB collection per document collection (`news`, `reports`, ...). A document's `id` is stored
 * as `_id`, so the primary key makes re-ingestion idempotent. An upsert batch (1,000 documents) first reads
 * the stored versions of its ids, inserts the new ones with one ordered `insertMany`, replaces the changed ones
 * with ordered `replaceOne` upserts and skips identical ones (they count as updated). FerretDB v1 takes about
 * 15 ms per `replaceOne` but well under 0.1 ms per inserted document, so re-ingesting the same data costs one
 * read per batch.
 * Indexes: `{symbols: 1, knownAt: 1}` (one symbol over a time range; `symbols` is multikey), `{knownAt: 1}`
 * (time range across symbols) and, where the server has one, a text index on `headline`/`summary`/`title`
 * with `default_language: "none"` (no stemming, no stop words). FerretDB v1 has neither text indexes nor
 * `$text`: there a text query is an AND of per-word case-insensitive regexes. On MongoDB the `$text` index
 * narrows the candidates and the same regexes keep the word semantics identical on both servers.
 * @module
 */
import {
  type AnyBulkWriteOperation,
  type Collection,
  type Filter,
  type IndexDescription,
  MongoClient,
} from "mongodb";
import { isDeepStrictEqual } from "node:util";
import { StoreError } from "../core/mod.ts";
import type { Doc, DocQuery, DocumentStore, UpsertResult } from "./types.ts";
import { checkCollection, TEXT_FIELDS, textWords, validateDocs } from "./_validate.ts";

/** Connection settings of the MongoDB backend. */
export interface MongoConfig {
  /** `mongodb://host:port` (credentials may be in the URI). */
  uri: string;
  /** Database name. */
  database: string;
  /** Attempts per operation on connection errors before a `StoreError` (default 4). */
  retries?: number;
  /** First retry delay in ms; doubles each attempt (default 200). */
  retryDelayMs?: number;
  /** Server selection / connect timeout in ms (default 5000). */
  timeoutMs?: number;
  /** Documents per bulk write (default 1000). */
  batchSize?: number;
}

type Stored = { _id: string; [field: string]: unknown };

const BACKEND = "mongodb";

function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const name = err.name;
  if (
    name === "MongoNetworkError" || name === "MongoNetworkTimeoutError" ||
    name === "MongoServerSelectionError" || name === "MongoTopologyClosedError" ||
    name === "MongoNotConnectedError" || name === "PoolClearedError" || name === "MongoPoolClearedError"
  ) return true;
  const labels = (err as { errorLabels?: unknown }).errorLabels;
  if (Array.isArray(labels) && labels.includes("RetryableWriteError")) return true;
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" && /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT)$/.test(code);
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The regex condition "word appears as a whole word in one of the text fields". */
function wordCondition(word: string): Filter<Stored> {
  const re = `(^|[^\\p{L}\\p{N}])${escapeRegex(word)}([^\\p{L}\\p{N}]|$)`;
  return { $or: TEXT_FIELDS.map((f) => ({ [f]: { $regex: re, $options: "i" } })) } as Filter<Stored>;
}

function checkQuery(q: DocQuery | undefined): void {
  if (q === undefined) return;
  if (q === null || typeof q !== "object") throw new TypeError("document query must be an object");
  if (q.symbol !== undefined && typeof q.symbol !== "string") throw new TypeError("query symbol must be a string");
  for (const k of ["from", "to"] as const) {
    const v = q[k];
    if (v !== undefined && (typeof v !== "number" || Number.isNaN(v))) {
      throw new TypeError(`query ${k} must be a number`);
    }
  }
  if (q.text !== undefined && typeof q.text !== "string") throw new TypeError("query text must be a string");
  if (q.limit !== undefined && (!Number.isSafeInteger(q.limit) || q.limit < 0)) {
    throw new RangeError(`query limit must be a non-negative integer, got ${q.limit}`);
  }
  if (q.order !== undefined && q.order !== "asc" && q.order !== "desc") {
    throw new RangeError(`query order must be "asc" or "desc", got ${String(q.order)}`);
  }
}

function toDoc(s: Stored): Doc {
  const { _id, ...rest } = s;
  return { id: _id, ...rest } as Doc;
}

/** The MongoDB `DocumentStore`; see the module doc for layout and indexes. */
class MongoDocuments implements DocumentStore {
  readonly backend = BACKEND;
  /** Whether the server supports text indexes and `$text` (false on FerretDB v1). */
  textIndex = true;
  readonly #client: MongoClient;
  readonly #dbName: string;
  readonly #retries: number;
  readonly #delay: number;
  readonly #batch: number;
  readonly #ready = new Map<string, Promise<void>>();
  #closed = false;

  constructor(client: MongoClient, cfg: MongoConfig) {
    this.#client = client;
    this.#dbName = cfg.database;
    this.#retries = cfg.retries ?? 4;
    this.#delay = cfg.retryDelayMs ?? 200;
    this.#batch = cfg.batchSize ?? 1000;
  }

  /** Runs `op`, retrying connection errors with exponential backoff; any failure ends as a `StoreError`. */
  async retry<T>(what: string, op: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new StoreError(`${what}: store is closed`, { backend: BACKEND });
    for (let attempt = 1;; attempt++) {
      try {
        return await op();
      } catch (err) {
        if (err instanceof StoreError || err instanceof TypeError || err instanceof RangeError) throw err;
        const conn = isConnectionError(err);
        if (!conn || attempt >= this.#retries) {
          const msg = err instanceof Error ? err.message.replace(/\s*\n\s*/g, " ") : String(err);
          throw new StoreError(
            `${what} failed${conn ? ` after ${attempt} attempts (connection)` : ""}: ${msg}`,
            { backend: BACKEND, cause: err },
          );
        }
        await new Promise((r) => setTimeout(r, this.#delay * 2 ** (attempt - 1)));
      }
    }
  }

  #coll(name: string): Collection<Stored> {
    return this.#client.db(this.#dbName).collection<Stored>(name);
  }

  /** Creates the collection's indexes once per store (idempotent on the server too). */
  #ensure(name: string): Promise<void> {
    let p = this.#ready.get(name);
    if (p === undefined) {
      p = this.retry(`create indexes on ${name}`, async () => {
        const c = this.#coll(name);
        // Only missing ones: FerretDB v1.24 panics when asked to re-create an existing compound index.
        let have: Set<string>;
        try {
          have = new Set((await c.listIndexes().toArray()).map((i) => String(i.name)));
        } catch (err) {
          if ((err as { code?: unknown }).code !== 26) throw err; // NamespaceNotFound: no collection yet
          have = new Set();
        }
        const want: IndexDescription[] = [
          { key: { symbols: 1, knownAt: 1 }, name: "symbols_knownAt" },
          { key: { knownAt: 1 }, name: "knownAt" },
        ];
        if (this.textIndex) {
          want.push({
            key: Object.fromEntries(TEXT_FIELDS.map((f) => [f, "text"])),
            name: "text",
            default_language: "none",
          });
        }
        const missing = want.filter((w) => !have.has(w.name!));
        if (missing.length > 0) await c.createIndexes(missing);
      });
      p.catch(() => this.#ready.delete(name));
      this.#ready.set(name, p);
    }
    return p;
  }

  #filter(q: DocQuery | undefined): Filter<Stored> {
    const and: Filter<Stored>[] = [];
    if (q?.symbol !== undefined) and.push({ symbols: q.symbol });
    if (q?.from !== undefined || q?.to !== undefined) {
      const r: Record<string, number> = {};
      if (q.from !== undefined) r.$gte = q.from;
      if (q.to !== undefined) r.$lte = q.to;
      and.push({ knownAt: r });
    }
    const f: Filter<Stored> = {};
    if (q?.text !== undefined) {
      const words = textWords(q.text);
      if (words.length > 0) {
        if (this.textIndex) f.$text = { $search: words.join(" ") };
        for (const w of words) and.push(wordCondition(w));
      }
    }
    if (and.length > 0) f.$and = and;
    return f;
  }

  async upsert(collection: string, docs: Doc[]): Promise<UpsertResult> {
    checkCollection(collection);
    validateDocs(collection, docs);
    if (docs.length === 0) return { inserted: 0, updated: 0 };
    await this.#ensure(collection);
    const c = this.#coll(collection);
    let inserted = 0, updated = 0;
    for (let i = 0; i < docs.length; i += this.#batch) {
      const what = `upsert ${collection} docs ${i}..${Math.min(docs.length, i + this.#batch) - 1}`;
      // Later duplicates of an id in the batch win, as with a sequence of replaces.
      const byId = new Map<string, Stored>();
      for (const d of docs.slice(i, i + this.#batch)) {
        const { id, ...rest } = d;
        byId.set(id, { _id: id, ...rest });
      }
      const dupes = Math.min(docs.length - i, this.#batch) - byId.size;
      const stored = await this.retry(
        what,
        () => c.find({ _id: { $in: [...byId.keys()] } }).toArray(),
      );
      const have = new Map(stored.map((s) => [s._id, s]));
      const fresh: Stored[] = [];
      const changed: Stored[] = [];
      for (const [id, s] of byId) {
        const old = have.get(id);
        if (old === undefined) fresh.push(s);
        else if (!isDeepStrictEqual(old, s)) changed.push(s);
      }
      updated += byId.size - fresh.length + dupes;
      if (fresh.length > 0) {
        try {
          await this.retry(what, () => c.insertMany(fresh, { ordered: true }));
          inserted += fresh.length;
        } catch (err) {
          // Another writer inserted some of these ids meanwhile: replace them all (idempotent).
          if (!(err instanceof StoreError) || (err.cause as { code?: unknown })?.code !== 11000) throw err;
          const r = await this.#replace(what, c, fresh);
          inserted += r.upsertedCount;
          updated += r.matchedCount;
        }
      }
      if (changed.length > 0) await this.#replace(what, c, changed);
    }
    return { inserted, updated };
  }

  /** Ordered `replaceOne` upserts (slow on FerretDB v1: about 15 ms per document, so only for changes). */
  #replace(what: string, c: Collection<Stored>, docs: Stored[]) {
    const ops: AnyBulkWriteOperation<Stored>[] = docs.map((d) => ({
      replaceOne: { filter: { _id: d._id }, replacement: d, upsert: true },
    }));
    return this.retry(what, () => c.bulkWrite(ops, { ordered: true }));
  }

  async get(collection: string, id: string): Promise<Doc | null> {
    checkCollection(collection);
    if (typeof id !== "string") throw new TypeError(`get ${collection}: id must be a string`);
    const s = await this.retry(`get ${collection}/${id}`, () => this.#coll(collection).findOne({ _id: id }));
    return s === null ? null : toDoc(s);
  }

  async find(collection: string, q?: DocQuery): Promise<Doc[]> {
    checkCollection(collection);
    checkQuery(q);
    if (q?.limit === 0) return [];
    if (q?.text !== undefined) await this.#ensure(collection);
    const dir = q?.order === "desc" ? -1 : 1;
    const rows = await this.retry(`find ${collection}`, () => {
      let cur = this.#coll(collection).find(this.#filter(q)).sort({ knownAt: dir, _id: dir });
      if (q?.limit !== undefined) cur = cur.limit(q.limit);
      return cur.toArray();
    });
    return rows.map(toDoc);
  }

  async count(collection: string, q?: DocQuery): Promise<number> {
    checkCollection(collection);
    checkQuery(q);
    if (q?.text !== undefined) await this.#ensure(collection);
    const n = await this.retry(`count ${collection}`, () => this.#coll(collection).countDocuments(this.#filter(q)));
    return q?.limit !== undefined ? Math.min(n, q.limit) : n;
  }

  async dropCollection(collection: string): Promise<void> {
    checkCollection(collection);
    this.#ready.delete(collection);
    await this.retry(`drop ${collection}`, async () => {
      try {
        await this.#coll(collection).drop();
      } catch (err) {
        if ((err as { code?: unknown }).code !== 26) throw err; // NamespaceNotFound: nothing to drop
      }
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#client.close();
  }
}

/**
 * Opens the MongoDB (or FerretDB) document store: connects (retrying connection errors with backoff, then a
 * `StoreError`) and pings the server.
 */
export async function openMongoDocuments(cfg: MongoConfig): Promise<DocumentStore> {
  if (cfg === null || typeof cfg !== "object") throw new TypeError("mongodb config must be an object");
  if (typeof cfg.uri !== "string" || !/^mongodb(\+srv)?:\/\//.test(cfg.uri)) {
    throw new TypeError("mongodb config: uri must be a mongodb:// URI");
  }
  if (typeof cfg.database !== "string" || !/^[A-Za-z0-9_-]{1,63}$/.test(cfg.database)) {
    throw new TypeError(`mongodb config: invalid database name ${JSON.stringify(cfg.database)}`);
  }
  const timeout = cfg.timeoutMs ?? 5000;
  const client = new MongoClient(cfg.uri, {
    serverSelectionTimeoutMS: timeout,
    connectTimeoutMS: timeout,
    socketTimeoutMS: Math.max(60_000, timeout),
    retryWrites: false,
    maxPoolSize: 8,
  });
  const store = new MongoDocuments(client, cfg);
  try {
    await store.retry(`connect to ${cfg.uri.replace(/\/\/[^@/]*@/, "//***@")}`, async () => {
      await client.connect();
      await client.db(cfg.database).command({ ping: 1 });
      const info = await client.db("admin").command({ buildInfo: 1 });
      // FerretDB v1 answers buildInfo with `ferretdbVersion` and has no text indexes.
      store.textIndex = !("ferretdbVersion" in info);
    });
  } catch (err) {
    await client.close().catch(() => {});
    throw err;
  }
  return store;
}
