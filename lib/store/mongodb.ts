/**
 * The MongoDB document backend (`npm:mongodb`), also used against FerretDB v1 (a MongoDB wire-protocol server
 * on SQLite) started by `deno task services:up`.
 *
 * Layout: one MongoDB collection per document collection (`news`, `reports`, ...). A document's `id` is stored
 * as `_id`, so the primary key makes re-ingestion idempotent, plus `_fmai_words`: the lower-cased words of its
 * `headline`/`summary`/`title` (the tokenizer of the embedded store), stripped again on read.
 *
 * Indexes: `{symbols: 1, knownAt: 1}` (one symbol over a time range; `symbols` is multikey), `{knownAt: 1}`
 * (time range across symbols) and `{_fmai_words: 1}`, the text index: a text query is
 * `{_fmai_words: {$all: words}}`, exact whole-word matching with the same results as the embedded store.
 * MongoDB's own `text` index was not used: `$text` stems words and drops stop words (different results), and
 * FerretDB v1 has no `text` index or `$text` at all.
 *
 * Upserts go in batches (1,000 documents): find which ids exist (`$in`), insert the new ones with one ordered
 * `insertMany`, read the stored versions of the others, replace the changed ones with ordered `replaceOne`
 * upserts and skip identical ones (they count as updated). So re-ingesting the same data writes nothing.
 * On FerretDB each batch is inserted unordered first (the duplicate-key errors name the existing ids), and
 * the existing documents of the whole call are compared after one read.
 *
 * FerretDB v1 (SQLite backend) facts this code works around: it pushes down only `{_id: value}` filters
 * (every other query scans the collection, about 0.2 ms per document), so existing documents are read
 * one by one (few) or with one scan (many); `replaceOne` takes about 15 ms; an `update` command holds one pooled SQLite connection per matched
 * statement until it ends (100 in its pool: a larger command deadlocks the server), so replaces go in commands
 * of 16; re-creating an existing compound index panics it, so only missing indexes are created.
 * @module
 */
import {
  type AnyBulkWriteOperation,
  type Collection,
  type Filter,
  type IndexDescription,
  MongoBulkWriteError,
  MongoClient,
} from "mongodb";
import { connect as netConnect } from "node:net";
import { isDeepStrictEqual } from "node:util";
import { StoreError } from "../core/mod.ts";
import type { Doc, DocQuery, DocumentStore, UpsertResult } from "./types.ts";
import { checkCollection, TEXT_FIELDS, textWords, validateDocs, WORDS_FIELD } from "./_validate.ts";
import { CircuitBreaker } from "./_breaker.ts";
import { isMongoDatabaseName, isMongoUri } from "./config.ts";
import { redactUrl } from "./urls.ts";

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
  /** Documents per bulk write: a whole number >= 1 (default 1000). */
  batchSize?: number;
}

type Stored = { _id: string; [field: string]: unknown };

const BACKEND = "mongodb";

/**
 * Whether `err` means the server could not be reached (retried, then the breaker opens). A bulk write whose
 * batch failed on the network (the server died under an `insertMany`) comes as a `MongoBulkWriteError`
 * wrapping the network error in `errorResponse`: that is one too.
 */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err instanceof MongoBulkWriteError) {
    const inner = (err as { errorResponse?: unknown }).errorResponse;
    return inner !== err && inner instanceof Error && isConnectionError(inner);
  }
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

/**
 * Whether `host:port` refuses a TCP connection (nothing listens there): true only on `ECONNREFUSED`; a
 * connection accepted, any other error, or no answer within `ms` is false (the driver then decides, with its
 * own timeouts).
 */
function refuses(host: string, port: number, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = netConnect({ host, port });
    const done = (refused: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(refused);
    };
    const timer = setTimeout(() => done(false), ms);
    sock.once("connect", () => done(false));
    sock.once("error", (e) => done((e as { code?: unknown }).code === "ECONNREFUSED"));
  });
}

/** The sorted distinct words of a document's text fields. */
function docWords(d: Doc): string[] {
  const words = new Set<string>();
  for (const f of TEXT_FIELDS) {
    const v = d[f];
    if (typeof v === "string") { for (const w of textWords(v)) words.add(w); }
  }
  return [...words].sort();
}

function checkQuery(q: DocQuery | undefined): void {
  if (q === undefined) return;
  if (q === null || typeof q !== "object") throw new TypeError("document query must be an object");
  if (q.symbol !== undefined && typeof q.symbol !== "string") {
    throw new TypeError("query symbol must be a string");
  }
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
  const { _id, [WORDS_FIELD]: _words, ...rest } = s;
  return { id: _id, ...rest } as Doc;
}

/** Unordered `insertMany`; returns the indexes of documents whose `_id` already exists (other errors throw). */
async function insertReportingDuplicates(c: Collection<Stored>, docs: Stored[]): Promise<number[]> {
  try {
    await c.insertMany(docs, { ordered: false });
    return [];
  } catch (err) {
    if (!(err instanceof MongoBulkWriteError)) throw err;
    const errs = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
    if (errs.length === 0 || errs.some((e) => e.code !== 11000)) throw err;
    return errs.map((e) => e.index).sort((a, b) => a - b);
  }
}

/** The stored form of a document (already checked by `validateDocs`: no reserved or refused field names). */
function toStored(d: Doc): Stored {
  const { id, ...rest } = d;
  return { _id: id, ...rest, [WORDS_FIELD]: docWords(d) };
}

/** `batchSize` of a config: a whole number >= 1 (default 1000); else a `RangeError` (0 would never advance). */
function batchSizeOf(cfg: MongoConfig): number {
  const n = cfg.batchSize ?? 1000;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new RangeError(`mongodb config: batchSize must be a whole number >= 1, got ${n}`);
  }
  return n;
}

/** The MongoDB `DocumentStore`; see the module doc for layout and indexes. */
class MongoDocuments implements DocumentStore {
  readonly backend = BACKEND;
  /** Whether the server is FerretDB (detected at open from `buildInfo`). */
  ferret = false;
  readonly #client: MongoClient;
  readonly #dbName: string;
  readonly #retries: number;
  readonly #delay: number;
  readonly #batch: number;
  readonly #ready = new Map<string, Promise<void>>();
  readonly #breaker: CircuitBreaker;
  readonly #timeout: number;
  /** Addresses of the servers the driver currently knows as reachable (none before the first connect). */
  readonly #up = new Set<string>();
  #closed = false;

  /** `batch`: documents per write, already checked by {@linkcode batchSizeOf} (only `openMongoDocuments` constructs). */
  constructor(client: MongoClient, cfg: MongoConfig, batch: number) {
    this.#client = client;
    this.#breaker = new CircuitBreaker(BACKEND, `mongodb server ${redactUrl(cfg.uri)}`);
    this.#dbName = cfg.database;
    this.#retries = cfg.retries ?? 4;
    this.#delay = cfg.retryDelayMs ?? 200;
    this.#batch = batch;
    this.#timeout = cfg.timeoutMs ?? 5000;
    client.on("serverDescriptionChanged", (ev) => {
      if (ev.newDescription.type === "Unknown") this.#up.delete(ev.address);
      else this.#up.add(ev.address);
    });
  }

  /**
   * While the driver knows no reachable server, an operation would wait the whole server selection timeout
   * even when nothing listens there. So first a plain TCP connect to each host: if every one refuses, the
   * attempt fails at once with `ECONNREFUSED` (retried with backoff, then the breaker opens, as with the other
   * backends); a server that accepts connections, however slow, is left to the driver's timeouts.
   */
  async #failIfRefused(): Promise<void> {
    if (this.#up.size > 0) return;
    const hosts = this.#client.options.hosts.filter((h) => h.host !== undefined && h.port !== undefined);
    if (hosts.length === 0) return;
    const refused = await Promise.all(hosts.map((h) => refuses(h.host!, h.port!, this.#timeout)));
    if (refused.every((r) => r)) {
      throw Object.assign(new Error(`connect ECONNREFUSED ${hosts.map(String).join(",")}`), {
        code: "ECONNREFUSED",
      });
    }
  }

  /** Runs `op`, retrying connection errors with exponential backoff; any failure ends as a `StoreError`. */
  retry<T>(what: string, op: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new StoreError(`${what}: store is closed`, { backend: BACKEND });
    return this.#breaker.run(what, async () => {
      await this.#failIfRefused();
      return await op();
    }, {
      attempts: this.#retries,
      delayMs: this.#delay,
      connection: isConnectionError,
      code: (e) => String((e as { code?: unknown }).code ?? (e as Error)?.name ?? "connection"),
    });
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
          { key: { [WORDS_FIELD]: 1 }, name: "words" },
        ];
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
    if (q?.text !== undefined) {
      const words = [...new Set(textWords(q.text))];
      if (words.length > 0) and.push({ [WORDS_FIELD]: { $all: words } });
    }
    return and.length === 0 ? {} : and.length === 1 ? and[0] : { $and: and };
  }

  async upsert(collection: string, docs: Doc[]): Promise<UpsertResult> {
    checkCollection(collection);
    validateDocs(collection, docs); // ids, types, reserved and refused field names: before any write
    if (docs.length === 0) return { inserted: 0, updated: 0 };
    await this.#ensure(collection);
    const c = this.#coll(collection);
    let inserted = 0, updated = 0;
    // FerretDB: the existing documents of all batches, compared in one lookup at the end (last version wins).
    const existingAll = new Map<string, Stored>();
    for (let i = 0; i < docs.length; i += this.#batch) {
      const what = `upsert ${collection} docs ${i}..${Math.min(docs.length, i + this.#batch) - 1}`;
      // Later duplicates of an id in the batch win, as with a sequence of replaces.
      const byId = new Map<string, Stored>();
      const batch = docs.slice(i, i + this.#batch);
      for (let j = 0; j < batch.length; j++) {
        const s = toStored(batch[j]);
        byId.set(s._id, s);
      }
      updated += batch.length - byId.size;
      if (this.ferret) {
        // Insert first (fast there); the ids that already exist come back as duplicate-key errors.
        const list = [...byId.values()];
        const dup = await this.retry(what, () => insertReportingDuplicates(c, list));
        inserted += list.length - dup.length;
        updated += dup.length;
        for (const k of dup) {
          existingAll.delete(list[k]._id);
          existingAll.set(list[k]._id, list[k]);
        }
        continue;
      }
      const stored = new Map((await this.#lookup(what, c, [...byId.keys()])).map((s) => [s._id, s]));
      const fresh = [...byId.values()].filter((s) => !stored.has(s._id));
      const changed = [...byId.values()].filter((s) =>
        stored.has(s._id) && !isDeepStrictEqual(stored.get(s._id), s)
      );
      updated += byId.size - fresh.length;
      if (fresh.length > 0) {
        try {
          await this.retry(what, () => c.insertMany(fresh, { ordered: true }));
          inserted += fresh.length;
        } catch (err) {
          // Another writer inserted some of these ids meanwhile: replace them all (idempotent).
          if (!(err instanceof StoreError) || (err.cause as { code?: unknown })?.code !== 11000) throw err;
          const r = await this.#replace(what, c, fresh);
          inserted += r.inserted;
          updated += r.updated;
        }
      }
      if (changed.length > 0) await this.#replace(what, c, changed);
    }
    if (existingAll.size > 0) {
      const what = `upsert ${collection}: compare ${existingAll.size} existing documents`;
      const stored = new Map((await this.#lookup(what, c, [...existingAll.keys()])).map((s) => [s._id, s]));
      const changed = [...existingAll.values()].filter((s) => !isDeepStrictEqual(stored.get(s._id), s));
      if (changed.length > 0) await this.#replace(what, c, changed);
    }
    return { inserted, updated };
  }

  /**
   * The stored documents among `ids`: one `$in` query. FerretDB pushes down only `_id` equality: there up to
   * 200 ids are read one by one (about 3 ms each), more with one scan of the collection.
   */
  async #lookup(what: string, c: Collection<Stored>, ids: string[]): Promise<Stored[]> {
    if (ids.length === 0) return [];
    if (!this.ferret) return await this.retry(what, () => c.find({ _id: { $in: ids } }).toArray());
    return await this.retry(what, async () => {
      const out: Stored[] = [];
      if (ids.length <= 200) {
        for (const id of ids) {
          const s = await c.findOne({ _id: id });
          if (s !== null) out.push(s);
        }
      } else {
        const want = new Set(ids);
        for await (const s of c.find({})) if (want.has(s._id)) out.push(s);
      }
      return out;
    });
  }

  /** Ordered `replaceOne` upserts (in commands of 16 on FerretDB; see the module doc). */
  async #replace(what: string, c: Collection<Stored>, docs: Stored[]): Promise<UpsertResult> {
    const chunk = this.ferret ? 16 : 1000;
    let inserted = 0, updated = 0;
    for (let i = 0; i < docs.length; i += chunk) {
      const ops: AnyBulkWriteOperation<Stored>[] = docs.slice(i, i + chunk).map((d) => ({
        replaceOne: { filter: { _id: d._id }, replacement: d, upsert: true },
      }));
      const r = await this.retry(what, () => c.bulkWrite(ops, { ordered: true }));
      inserted += r.upsertedCount;
      updated += r.matchedCount;
    }
    return { inserted, updated };
  }

  async get(collection: string, id: string): Promise<Doc | null> {
    checkCollection(collection);
    if (typeof id !== "string") throw new TypeError(`get ${collection}: id must be a string`);
    const s = await this.retry(
      `get ${collection}/${id}`,
      () => this.#coll(collection).findOne({ _id: id }, { projection: { [WORDS_FIELD]: 0 } }),
    );
    return s === null ? null : toDoc(s);
  }

  async find(collection: string, q?: DocQuery): Promise<Doc[]> {
    checkCollection(collection);
    checkQuery(q);
    if (q?.limit === 0) return [];
    const dir = q?.order === "desc" ? -1 : 1;
    const rows = await this.retry(`find ${collection}`, () => {
      let cur = this.#coll(collection).find(this.#filter(q), { projection: { [WORDS_FIELD]: 0 } })
        .sort({ knownAt: dir, _id: dir });
      if (q?.limit !== undefined) cur = cur.limit(q.limit);
      return cur.toArray();
    });
    return rows.map(toDoc);
  }

  async count(collection: string, q?: DocQuery): Promise<number> {
    checkCollection(collection);
    checkQuery(q);
    const n = await this.retry(
      `count ${collection}`,
      () => this.#coll(collection).countDocuments(this.#filter(q)),
    );
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
  if (!isMongoUri(cfg.uri)) {
    throw new TypeError("mongodb config: uri must be a mongodb:// URI");
  }
  if (!isMongoDatabaseName(cfg.database)) {
    throw new TypeError(`mongodb config: invalid database name ${JSON.stringify(cfg.database)}`);
  }
  const batch = batchSizeOf(cfg); // before a client exists
  const timeout = cfg.timeoutMs ?? 5000;
  const client = new MongoClient(cfg.uri, {
    serverSelectionTimeoutMS: timeout,
    connectTimeoutMS: timeout,
    socketTimeoutMS: Math.max(60_000, timeout),
    retryWrites: false,
    maxPoolSize: 8,
  });
  const store = new MongoDocuments(client, cfg, batch);
  try {
    await store.retry(`connect to ${redactUrl(cfg.uri)}`, async () => {
      await client.connect();
      await client.db(cfg.database).command({ ping: 1 });
      const info = await client.db("admin").command({ buildInfo: 1 });
      store.ferret = "ferretdbVersion" in info;
    });
  } catch (err) {
    await client.close().catch(() => {});
    throw err;
  }
  return store;
}
