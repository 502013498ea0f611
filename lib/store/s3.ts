/**
 * The S3 object backend (`npm:@aws-sdk/client-s3`), for AWS S3 and S3-compatible servers (MinIO started by
 * `deno task services:up`; path-style addressing for local servers).
 *
 * Key layout (see `keys.ts`; the same on every object backend), stored under an optional `prefix` inside the
 * bucket (`s3://<bucket>/<prefix><key>`):
 *
 * - `raw/<source>/<yyyy>/<mm>/<dd>/<name>`: raw responses as fetched;
 * - `charts/<symbol>/<date>.<ext>`: chart images;
 * - `models/<name>/<version>/<file>`: model artifacts;
 * - `reports/<run>/<file>`: reports of a run.
 *
 * Bodies of `multipartBytes` (default 5 MiB) or more go up as multipart uploads (`@aws-sdk/lib-storage`,
 * 5 MiB parts). The content type is stored as the object's `Content-Type`. `list` pages through
 * `ListObjectsV2` and reads each object's content type with `HEAD` (S3 listings do not carry it).
 * Connection errors are retried by the SDK with backoff (`maxAttempts`), then end as a `StoreError`. A
 * conditional write (`putIf`) is S3's own: `PutObject` with `If-Match` (the tag is the object's ETag) or
 * `If-None-Match: *`; a 412 (or a 409 from a concurrent conditional write) is "changed in between".
 * @module
 */
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { ConfigError, StoreError } from "../core/mod.ts";
import type { ObjectInfo, ObjectStore } from "./types.ts";
import { checkObjectKey, checkObjectPrefix, defaultContentType } from "./keys.ts";
import { CircuitBreaker } from "./_breaker.ts";
import { checkS3Prefix } from "./config.ts";

/** Settings of the S3 backend. */
export interface S3Config {
  /** Endpoint of an S3-compatible server (`http://127.0.0.1:9000`); omit for AWS. */
  endpoint?: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Session token of temporary credentials (an AWS Lambda role's `AWS_SESSION_TOKEN`). */
  sessionToken?: string;
  /** Path-style URLs (`<endpoint>/<bucket>/<key>`); default true when `endpoint` is set. */
  forcePathStyle?: boolean;
  /** Prefix inside the bucket for every key (`""` or ending with `/`). */
  prefix?: string;
  /** Create the bucket when it is missing (default true). */
  createBucket?: boolean;
  /**
   * Open only a bucket that exists (a command that only reads): a missing one is a `ConfigError` naming it, and
   * nothing is created (`createBucket` is not read). Default false.
   */
  existing?: boolean;
  /** Attempts per request, retrying connection and throttling errors with backoff (default 4). */
  maxAttempts?: number;
  /** Connect timeout in ms (default 5000). */
  timeoutMs?: number;
  /** Bodies at least this large use multipart upload (default 5 MiB, the S3 minimum part size). */
  multipartBytes?: number;
  /** Keys per `ListObjectsV2` page (default and S3 maximum 1000). */
  listPageSize?: number;
}

const BACKEND = "s3";
const PART = 5 * 1024 * 1024;
const HEAD_CONCURRENCY = 16;

function status(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function isNotFound(err: unknown): boolean {
  const name = (err as { name?: string })?.name;
  return status(err) === 404 || name === "NoSuchKey" || name === "NotFound" || name === "NoSuchBucket";
}

const DENIED = new Set(["InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "Forbidden"]);
const NET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EHOSTUNREACH", "ETIMEDOUT", "ENOTFOUND", "EPIPE"]);

/** True when the request never got an HTTP answer (server down or unreachable). */
function isConnectionError(err: unknown): boolean {
  if (status(err) !== undefined) return false;
  const e = err as { code?: unknown; name?: unknown; cause?: { code?: unknown } };
  return NET_CODES.has(String(e?.code)) || NET_CODES.has(String(e?.cause?.code)) ||
    e?.name === "TimeoutError" || e?.name === "NetworkingError";
}

/**
 * What went wrong, in words: the SDK names an error it cannot parse `UnknownError` (a HEAD answered 403 has no
 * body), so the HTTP status decides: 401/403 is wrong keys or a missing permission, named as such.
 */
function describeS3Error(err: unknown): string {
  const st = status(err);
  const name = (err as { name?: string })?.name ?? "";
  if (st === 401 || st === 403 || DENIED.has(name)) {
    const detail = name && name !== "UnknownError" ? `${name}, ` : "";
    return `access denied (${detail}HTTP ${st ?? 403}): wrong access key id or secret key ` +
      `(FMAI_S3_ACCESS_KEY_ID, FMAI_S3_SECRET_ACCESS_KEY), or the key may not use this bucket`;
  }
  if (name === "UnknownError" || name === "") return `HTTP ${st ?? "error"} without an error body`;
  const msg = err instanceof Error ? err.message : String(err);
  return `${name}: ${msg}`.replace(/\s*\n\s*/g, " ");
}

function storeError(what: string, err: unknown): StoreError {
  const attempts = (err as { $metadata?: { attempts?: number } })?.$metadata?.attempts;
  return new StoreError(
    `${what} failed${attempts && attempts > 1 ? ` after ${attempts} attempts` : ""}: ${describeS3Error(err)}`,
    { backend: BACKEND, cause: err },
  );
}

/** The S3 `ObjectStore`; see the module doc for the key layout. */
class S3Objects implements ObjectStore {
  readonly backend = BACKEND;
  readonly #c: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #multipart: number;
  readonly #page: number;
  readonly #breaker: CircuitBreaker;
  #closed = false;

  constructor(client: S3Client, cfg: S3Config) {
    this.#c = client;
    this.#breaker = new CircuitBreaker(BACKEND, `s3 endpoint ${cfg.endpoint ?? `AWS (${cfg.region})`}`);
    this.#bucket = cfg.bucket;
    this.#prefix = cfg.prefix ?? "";
    this.#multipart = cfg.multipartBytes ?? PART;
    this.#page = cfg.listPageSize ?? 1000;
  }

  async #do<T>(what: string, op: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new StoreError(`${what}: store is closed`, { backend: BACKEND });
    this.#breaker.check(what);
    try {
      const r = await op();
      this.#breaker.success();
      return r;
    } catch (err) {
      if (isConnectionError(err)) {
        const code = (err as { code?: unknown; cause?: { code?: unknown } }).code ??
          (err as { cause?: { code?: unknown } }).cause?.code ?? (err as Error).name;
        const attempts = (err as { $metadata?: { attempts?: number } })?.$metadata?.attempts;
        throw this.#breaker.trip(
          what,
          `${String(code)}${attempts ? ` after ${attempts} attempts` : ""}`,
          err,
        );
      }
      throw storeError(what, err);
    }
  }

  /** A `ConfigError` when the bucket does not exist; creates nothing. */
  async requireBucket(): Promise<void> {
    const there = await this.#do(`find bucket ${this.#bucket}`, async () => {
      try {
        await this.#c.send(new HeadBucketCommand({ Bucket: this.#bucket }));
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
    });
    if (!there) {
      throw new ConfigError(
        `s3 bucket ${this.#bucket} does not exist (nothing was ever written there; a mistyped bucket?)`,
      );
    }
  }

  /** Creates the bucket when it does not exist. */
  async ensureBucket(): Promise<void> {
    await this.#do(`create bucket ${this.#bucket}`, async () => {
      try {
        await this.#c.send(new HeadBucketCommand({ Bucket: this.#bucket }));
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      try {
        await this.#c.send(new CreateBucketCommand({ Bucket: this.#bucket }));
      } catch (err) {
        const name = (err as { name?: string }).name;
        if (name !== "BucketAlreadyOwnedByYou" && name !== "BucketAlreadyExists") throw err;
      }
    });
  }

  /** A write's checked key, bytes and content type (a `TypeError`/`RangeError` for a bad one). */
  #putParams(key: string, body: Uint8Array | string, opts?: { contentType?: string }) {
    checkObjectKey(key);
    if (typeof body !== "string" && !(body instanceof Uint8Array)) {
      throw new TypeError(`put ${key}: body must be a Uint8Array or a string`);
    }
    const ct = opts?.contentType ?? defaultContentType(body);
    if (typeof ct !== "string" || ct === "") throw new TypeError(`put ${key}: contentType must be a string`);
    const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
    return { Bucket: this.#bucket, Key: this.#prefix + key, Body: bytes, ContentType: ct };
  }

  async put(key: string, body: Uint8Array | string, opts?: { contentType?: string }): Promise<void> {
    const params = this.#putParams(key, body, opts);
    const bytes = params.Body;
    await this.#do(`put ${key}`, async () => {
      if (bytes.length >= this.#multipart) {
        await new Upload({ client: this.#c, params, partSize: PART, queueSize: 4, leavePartsOnError: false })
          .done();
      } else {
        await this.#c.send(new PutObjectCommand({ ...params, ContentLength: bytes.length }));
      }
    });
  }

  /** The object's bytes and ETag, or null when it does not exist. */
  async #getObject(key: string): Promise<{ body: Uint8Array; etag: string | undefined } | null> {
    checkObjectKey(key);
    return await this.#do(`get ${key}`, async () => {
      try {
        const r = await this.#c.send(new GetObjectCommand({ Bucket: this.#bucket, Key: this.#prefix + key }));
        return {
          body: r.Body ? new Uint8Array(await r.Body.transformToByteArray()) : new Uint8Array(0),
          etag: r.ETag,
        };
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    });
  }

  async get(key: string): Promise<Uint8Array | null> {
    return (await this.#getObject(key))?.body ?? null;
  }

  async getTagged(key: string): Promise<{ body: Uint8Array; tag: string } | null> {
    const o = await this.#getObject(key);
    if (o === null) return null;
    if (!o.etag) throw new StoreError(`get ${key}: the server sent no ETag`, { backend: BACKEND });
    return { body: o.body, tag: o.etag };
  }

  async putIf(
    key: string,
    body: Uint8Array | string,
    expected: string | null,
    opts?: { contentType?: string },
  ): Promise<boolean> {
    const params = this.#putParams(key, body, opts);
    return await this.#do(`put ${key}`, async () => {
      try {
        await this.#c.send(
          new PutObjectCommand({
            ...params,
            ContentLength: params.Body.length,
            ...(expected === null ? { IfNoneMatch: "*" } : { IfMatch: expected }),
          }),
        );
        return true;
      } catch (err) {
        const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        // 412: not the expected version (or it exists); 409: another conditional write in flight; 404: If-Match
        // on an object deleted in between
        if (status === 412 || status === 409 || (expected !== null && isNotFound(err))) return false;
        throw err;
      }
    });
  }

  async #head(fullKey: string, key: string): Promise<ObjectInfo | null> {
    try {
      const r = await this.#c.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: fullKey }));
      return { key, size: r.ContentLength ?? 0, contentType: r.ContentType ?? "application/octet-stream" };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    checkObjectKey(key);
    return await this.#do(`head ${key}`, () => this.#head(this.#prefix + key, key));
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    checkObjectPrefix(prefix);
    return await this.#do(`list ${prefix || "(all)"}`, async () => {
      const keys: { full: string; key: string; size: number }[] = [];
      let token: string | undefined;
      do {
        const r = await this.#c.send(
          new ListObjectsV2Command({
            Bucket: this.#bucket,
            Prefix: this.#prefix + prefix,
            ContinuationToken: token,
            MaxKeys: this.#page,
          }),
        );
        for (const o of r.Contents ?? []) {
          if (o.Key === undefined) continue;
          keys.push({ full: o.Key, key: o.Key.slice(this.#prefix.length), size: o.Size ?? 0 });
        }
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
      keys.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      const out: ObjectInfo[] = [];
      for (let i = 0; i < keys.length; i += HEAD_CONCURRENCY) {
        const heads = await Promise.all(
          keys.slice(i, i + HEAD_CONCURRENCY).map((k) => this.#head(k.full, k.key)),
        );
        for (const h of heads) if (h !== null) out.push(h); // deleted meanwhile: skip
      }
      return out;
    });
  }

  async delete(key: string): Promise<void> {
    checkObjectKey(key);
    await this.#do(`delete ${key}`, async () => {
      await this.#c.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: this.#prefix + key }));
    });
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#c.destroy();
    }
    return Promise.resolve();
  }
}

/**
 * Opens the S3 object store: checks the config, creates the bucket when missing (unless `createBucket` is
 * false) and so fails early with a `StoreError` when the server cannot be reached or the keys are wrong.
 */
export async function openS3Objects(cfg: S3Config): Promise<ObjectStore> {
  if (cfg === null || typeof cfg !== "object") throw new TypeError("s3 config must be an object");
  for (const k of ["region", "bucket", "accessKeyId", "secretAccessKey"] as const) {
    if (typeof cfg[k] !== "string" || cfg[k] === "") {
      throw new TypeError(`s3 config: ${k} must be a non-empty string`);
    }
  }
  if (cfg.endpoint !== undefined && !/^https?:\/\/[^/]+/.test(cfg.endpoint)) {
    throw new TypeError(`s3 config: endpoint must be an http(s) URL, got ${JSON.stringify(cfg.endpoint)}`);
  }
  checkS3Prefix(cfg.prefix ?? "", "s3 config: prefix");
  if (cfg.listPageSize !== undefined && !(Number.isInteger(cfg.listPageSize) && cfg.listPageSize >= 1)) {
    throw new RangeError(`s3 config: listPageSize must be a positive integer, got ${cfg.listPageSize}`);
  }
  const timeout = cfg.timeoutMs ?? 5000;
  const client = new S3Client({
    endpoint: cfg.endpoint,
    region: cfg.region,
    forcePathStyle: cfg.forcePathStyle ?? cfg.endpoint !== undefined,
    credentials: {
      accessKeyId: cfg.accessKeyId,
      secretAccessKey: cfg.secretAccessKey,
      ...(cfg.sessionToken ? { sessionToken: cfg.sessionToken } : {}),
    },
    maxAttempts: cfg.maxAttempts ?? 4,
    // S3-compatible servers differ in their support of the newer default checksums; send them only when needed.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    requestHandler: { connectionTimeout: timeout, requestTimeout: Math.max(120_000, timeout) },
  });
  const store = new S3Objects(client, cfg);
  try {
    if (cfg.existing) await store.requireBucket();
    else if (cfg.createBucket ?? true) await store.ensureBucket();
  } catch (err) {
    client.destroy();
    throw err;
  }
  return store;
}
