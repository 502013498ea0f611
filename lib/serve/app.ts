/**
 * The signal API: Hono routes described by zod schemas (`@hono/zod-openapi`), so one definition validates the
 * request and generates `/openapi.json`. API keys (hashes only) and per-key rate limits guard `/v1/*` and
 * `/metrics`; every refusal is a one-line JSON error with its status; no stack trace leaves the process. The
 * app is a plain `fetch` handler: `Deno.serve`, Node, AWS Lambda (`hono/aws-lambda`) and Cloud Run run it
 * unchanged.
 * @module
 */
import { createRoute, OpenAPIHono, type z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler, TypedResponse } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { matchedRoutes } from "hono/route";
import { storedDayScore } from "../backtest/mod.ts";
import {
  ConfigError,
  type IsoDate,
  nextSession,
  nyDate,
  oneLine,
  repeatedSymbol,
  SHADOW_SIGNAL_SOURCE,
  shown,
  StoreError,
} from "../core/mod.ts";
import { aliasTarget, type VersionManifest } from "../models/mod.ts";
import type { KeyRing } from "./keys.ts";
import { Lru } from "./lru.ts";
import { ApiMetrics } from "./metrics.ts";
import { RateLimiter } from "./rate_limit.ts";
import {
  type IssuedJson,
  type ReaderOptions,
  type RunRef,
  type ServeStores,
  SignalReader,
} from "./reader.ts";
import {
  ErrorSchema,
  HealthQuery,
  HealthResponse,
  HealthzResponse,
  HistoryQuery,
  HistoryResponse,
  instantOf,
  ManifestResponse,
  ModelsResponse,
  ScorecardDaysResponse,
  ScorecardQuery,
  ScorecardResponse,
  SignalsQuery,
  SignalsResponse,
  SymbolParam,
  VERSION_RE,
  VersionParam,
} from "./schemas.ts";

/** Options of the API. */
export interface ApiOptions {
  stores: ServeStores;
  /** The accepted keys (a `KeyRing`, or anything that checks like one, e.g. a ring reloaded from a file). */
  keys: Pick<KeyRing, "check">;
  /** Registry name of the fitted system (default `system`). */
  modelName?: string;
  /** Origins allowed by CORS (see `parseCorsOrigins`); empty or absent = CORS off (no CORS headers at all). */
  corsOrigins?: string[];
  /** Longest accepted request URL (its path and query, as sent) in bytes (default 2048); longer is 414. */
  maxUrlLength?: number;
  /** Largest accepted request body in bytes (default 1024; the API takes no bodies); larger is 413. */
  maxBodyBytes?: number;
  /** Clock, epoch ms (default `Date.now`). */
  now?: () => number;
  /** Where server-side errors are logged (default `console.error`); clients never see them. */
  log?: (message: string, error?: unknown) => void;
  /** Rate limiter (default a new one). */
  rateLimiter?: RateLimiter;
  /** Settled replays (immutable answers) kept in memory, least recently used out first (default 5000; 32 MiB). */
  replayCacheEntries?: number;
  /** The reader's cache of issued signals (see `SignalReader`). */
  reader?: ReaderOptions;
}

/** An API instance: the Hono app (a `fetch` handler) and its metrics. */
export interface Api {
  app: OpenAPIHono;
  metrics: ApiMetrics;
  fetch: (req: Request) => Response | Promise<Response>;
}

/** Replayed answers (`asOf` at least this far in the past) are immutable and say so in `Cache-Control`. */
const SETTLED_MS = 60_000;
const MAX_HISTORY = 5000;

/**
 * A refusal inside a handler: becomes `{"error": message}` with `status`. 400: the request is malformed (a bad
 * or unknown parameter, a value out of range); 404: it is well formed but names what was never issued or
 * registered (a symbol, a date, a model version or alias); 503: the store is unavailable.
 */
export class ApiError extends Error {
  readonly status: 400 | 404 | 503;
  constructor(status: 400 | 404 | 503, message: string) {
    super(message);
    this.status = status;
  }
}

function zodLine(err: z.ZodError, target: string): string {
  const i = err.issues[0];
  if (!i) return `invalid ${target}`;
  const path = i.path.join(".");
  if (i.code === "unrecognized_keys") {
    return `${target}: unknown parameter ${
      (i as { keys: string[] }).keys.map((k) => JSON.stringify(k)).join(", ")
    }`;
  }
  if (i.code === "invalid_type" && i.message.includes("undefined")) return `${target} ${path}: required`;
  return `${target}${path ? ` ${path}` : ""}: ${i.message}`;
}

const json = (schema: z.ZodTypeAny, description: string) => ({
  content: { "application/json": { schema } },
  description,
});
/** Every refusal the API answers, by status; each route lists those it can answer (`refusals`). */
const REFUSALS = {
  400: "Invalid request: a malformed or unknown parameter, or a value out of range (one-line message)",
  401: "Missing or invalid API key",
  403: "Revoked API key",
  404:
    "Nothing issued or registered under what the request names (a symbol, a date, a model version or alias)",
  413: "Request body larger than the limit (default 1,024 bytes; the API takes no bodies)",
  414: "Request URL longer than the limit (default 2,048 bytes)",
  429: "Rate limit exceeded (see Retry-After; RateLimit-Limit/-Remaining/-Reset describe the key's bucket)",
  500: "Internal error; the cause is logged on the server, the client gets `internal error`",
  503: "Store unavailable; the cause is logged on the server",
} as const;
type RefusalStatus = keyof typeof REFUSALS;
const refusals = <S extends RefusalStatus>(...statuses: S[]) =>
  Object.fromEntries(statuses.map((s) => [s, json(ErrorSchema, REFUSALS[s])])) as Record<
    S,
    ReturnType<typeof json>
  >;
/** The rate-limit headers of every guarded answer, readable by a browser page of an allowed origin. */
const RATE_HEADERS = ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After"];
/** The path and query of an absolute URL, as written in it. */
export function requestTarget(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  return start < 0 ? "/" : url.slice(start);
}

/**
 * True when the path of a request target has a `.` or `..` segment, written plainly or percent-encoded, between
 * `/` or `\` (a URL parser reads a backslash in an http path as a slash, and resolves the segment).
 */
export function hasDotSegment(target: string): boolean {
  const path = target.split(/[?#]/, 1)[0];
  return path.split(/[/\\]/).some((seg) => /^(?:\.|%2e){1,2}$/i.test(seg));
}

/**
 * The CORS origins of `FMAI_API_CORS_ORIGINS` (comma-separated; empty or absent: none, CORS off), as
 * `deno task serve` and the Lambda `api` read it. Each entry must be an origin: `http` or `https`, a host, an
 * optional port, nothing else (no path, query, user); it is kept as a browser sends it (`https://A.example:443/`
 * is `https://a.example`), since the app allows exactly the origins listed. `*` is refused: in a list it would
 * match no page's origin (name each origin). A bad entry is a one-line `ConfigError` naming `where` and it.
 */
export function parseCorsOrigins(text: string | undefined, where = "FMAI_API_CORS_ORIGINS"): string[] {
  const entries = (text ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  return entries.map((entry, i) => {
    const url = URL.canParse(entry) ? new URL(entry) : null;
    if (url && (url.protocol === "http:" || url.protocol === "https:") && url.href === `${url.origin}/`) {
      return url.origin;
    }
    const which = entries.length > 1 ? ` (entry ${i + 1} of ${entries.length})` : "";
    const hint = entry === "*" ? "; a wildcard is not taken, list each origin" : "";
    throw new ConfigError(
      `${where}: ${shown(entry)}${which} is not an origin (http or https, a host and an optional port, no ` +
        `path: e.g. https://a.example, http://localhost:3000${hint})`,
    );
  });
}

/** What a request under `/v1/*` may be refused with besides its own checks: size, key, rate, failures. */
const GUARDED = [401, 403, 413, 414, 429, 500, 503] as const;
/** The refusals of a `/v1/*` route that validates its request and can find nothing (400, 404). */
const errors = refusals(400, 404, ...GUARDED);
const security: Record<string, string[]>[] = [{ ApiKey: [] }, { Bearer: [] }];

/**
 * A 200 JSON answer `{...head, "signals": [...], ...tail}` whose signals are already serialized: the same bytes
 * as `c.json` of the whole object, without parsing or re-serializing the signals.
 */
function jsonWith(
  c: Context,
  head: Record<string, unknown>,
  signals: IssuedJson[],
  tail: Record<string, unknown> = {},
) {
  const h = JSON.stringify(head), t = JSON.stringify(tail);
  const body = `${h.slice(0, -1)},"signals":[${signals.map((s) => s.json).join(",")}]${
    t === "{}" ? "}" : `,${t.slice(1)}`
  }`;
  // the route's typed response, built from bytes
  return c.body(body, 200, { "Content-Type": "application/json" }) as unknown as TypedResponse<
    never,
    200,
    "json"
  >;
}

/** The date one year before `date` (Feb 29 becomes Feb 28; never before 0000-01-01). */
export function yearBefore(date: IsoDate): IsoDate {
  const y = Number(date.slice(0, 4));
  if (y === 0) return "0000-01-01";
  const md = date.slice(4) === "-02-29" ? "-02-28" : date.slice(4);
  return `${String(y - 1).padStart(4, "0")}${md}`;
}

/** The stored status of a run (`ok`, `warn` or `fail`); anything else is a broken invariant of the store. */
function runStatus(run: RunRef): "ok" | "warn" | "fail" {
  const s = run.status;
  if (s === "ok" || s === "warn" || s === "fail") return s;
  throw new Error(
    `run ${run.modelVersion} ${run.date}: stored status ${JSON.stringify(s)} is not ok|warn|fail`,
  );
}

/**
 * The route a request is counted under: the pattern of the handler its method and path matched (also when a
 * middleware answered first: a replay-cache hit, a refused key, a rate limit), or `unmatched`.
 */
function routeOf(c: Context): string {
  // middleware is registered for every method (`ALL`); handlers for GET
  return matchedRoutes(c).findLast((r) => r.method !== "ALL")?.path ?? "unmatched";
}

/** Builds the API over the stores. */
export function createApi(opts: ApiOptions): Api {
  const reader = new SignalReader(opts.stores, opts.modelName ?? "system", opts.reader);
  const metrics = new ApiMetrics();
  const limiter = opts.rateLimiter ?? new RateLimiter();
  const now = opts.now ?? Date.now;
  const log = opts.log ?? ((m: string, e?: unknown) => console.error(m, e ?? ""));
  const maxUrl = opts.maxUrlLength ?? 2048;
  const maxBody = opts.maxBodyBytes ?? 1024;
  const maxReplays = opts.replayCacheEntries ?? 5000;
  const maxReplayBytes = 32 * 1024 * 1024;

  // a refusal or failure is never marked immutable (a handler may have set a replay's policy before it threw):
  // only stored answers are replays, and a 5xx is no answer at all
  const fail = (c: Context, status: RefusalStatus, error: string) => {
    c.header("Cache-Control", "no-store");
    return c.json({ error }, status);
  };

  const app = new OpenAPIHono({
    defaultHook: (result, c) => {
      if (!result.success) {
        metrics.refuse("validation");
        return fail(c, 400, zodLine(result.error, result.target));
      }
      return undefined;
    },
  });

  // outermost: metrics by route pattern (the handler's, also when a middleware answered first: a replay-cache
  // hit, a refused key, a rate limit), and a response for anything thrown
  app.use("*", async (c, next) => {
    const t0 = performance.now();
    await next();
    metrics.observe(routeOf(c), c.req.method, c.res.status, (performance.now() - t0) / 1000);
  });
  app.use("*", async (c, next) => {
    // the request target (path and query) as sent: the scheme and host are not the client's to lengthen (a
    // Host header) nor the same behind a gateway (the Lambda's URL is API Gateway's domain)
    const target = requestTarget(c.req.url);
    if (target.length > maxUrl) {
      metrics.refuse("size");
      return fail(c, 414, `request URL longer than ${maxUrl} bytes`);
    }
    // `.` and `..` segments name no resource: answered 404 as sent, not resolved (a Lambda's Request would resolve
    // them before routing, the server's does not)
    if (hasDotSegment(target)) return fail(c, 404, "not found");
    // a GET's body never reaches the body limit below (the runtime drops it): its declared length is refused here
    if (Number(c.req.header("content-length") ?? 0) > maxBody) {
      metrics.refuse("size");
      return fail(c, 413, `request body larger than ${maxBody} bytes`);
    }
    await next();
    return undefined;
  });
  app.use(
    "*",
    bodyLimit({
      maxSize: maxBody,
      onError: (c) => {
        metrics.refuse("size");
        return fail(c, 413, `request body larger than ${maxBody} bytes`);
      },
    }),
  );
  if (opts.corsOrigins?.length) {
    app.use(
      "*",
      cors({ origin: opts.corsOrigins, allowMethods: ["GET"], maxAge: 600, exposeHeaders: RATE_HEADERS }),
    );
  }
  const guard: MiddlewareHandler = async (c, next) => {
    const auth = c.req.header("authorization");
    const key = c.req.header("x-api-key") ??
      (auth && /^Bearer\s+/i.test(auth) ? auth.replace(/^Bearer\s+/i, "").trim() : null);
    const checked = await opts.keys.check(key);
    if (!checked.ok) {
      metrics.refuse("auth");
      if (checked.status === 401) c.header("WWW-Authenticate", 'Bearer realm="fmai"');
      return fail(c, checked.status, checked.error);
    }
    const k = checked.key;
    const d = limiter.take(k.id, k.ratePerSec, k.burst);
    // the token bucket as the RateLimit fields of draft-ietf-httpapi-ratelimit-headers: its capacity (`burst`
    // requests at once), the requests left now, and the seconds until it is full again (one token per 1/rate s)
    c.header("RateLimit-Limit", String(k.burst));
    c.header("RateLimit-Remaining", String(d.remaining));
    c.header("RateLimit-Reset", String(d.resetSec));
    if (!d.allowed) {
      metrics.refuse("rate_limit");
      c.header("Retry-After", String(d.retryAfterSec));
      return fail(c, 429, `rate limit of ${k.ratePerSec} requests/s exceeded`);
    }
    await next();
    return undefined;
  };
  app.use("/v1/*", guard);
  app.use("/metrics", guard);
  // the routes that take no query parameter refuse one, as the others refuse a parameter they do not know;
  // /healthz takes any (a monitor or load balancer may add a cache-buster such as ?_=123)
  const noQuery: MiddlewareHandler = async (c, next) => {
    const keys = [...new Set(new URL(c.req.url).searchParams.keys())];
    if (keys.length) {
      return fail(c, 400, `query: unknown parameter ${keys.map((k) => JSON.stringify(k)).join(", ")}`);
    }
    await next();
    return undefined;
  };
  for (const path of ["/v1/models", "/v1/models/*", "/metrics", "/openapi.json"]) {
    app.use(path, noQuery);
  }
  // settled replays never change: keep their bytes (a bounded LRU), after auth and rate limits
  const replays = new Lru<{ body: string; headers: [string, string][] }>(
    maxReplays,
    maxReplayBytes,
    (v) => v.body.length,
  );
  app.use("/v1/*", async (c, next) => {
    const hit = replays.get(c.req.url);
    if (hit) {
      for (const [k, v] of hit.headers) c.header(k, v);
      return c.body(hit.body, 200);
    }
    await next();
    if (c.res.status === 200 && c.res.headers.get("cache-control")?.includes("immutable")) {
      const body = await c.res.clone().text();
      replays.set(c.req.url, {
        body,
        headers: [
          ["Content-Type", c.res.headers.get("content-type") ?? "application/json"],
          ["Cache-Control", c.res.headers.get("cache-control")!],
        ],
      });
    }
    return undefined;
  });

  app.openAPIRegistry.registerComponent("securitySchemes", "ApiKey", {
    type: "apiKey",
    in: "header",
    name: "X-API-Key",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "Bearer", { type: "http", scheme: "bearer" });

  /** A model version (`YYYY-MM-DD.<10 hex>`), not an alias. */
  const isVersion = (m: string): boolean => /\./.test(m);
  /**
   * asOf of a request: the replay instant, or now; and the cache policy it allows. A settled replay is
   * immutable only when it names no model or a version: an alias (`champion`) is resolved when the request is
   * answered, and moves (`deno task models promote`), so the same request may later answer for another version.
   */
  const asOfOf = (c: Context, s: string | undefined, model: string | undefined): number => {
    const t = s === undefined ? now() : instantOf(s);
    const settled = s !== undefined && t <= now() - SETTLED_MS && (model === undefined || isVersion(model));
    c.header("Cache-Control", settled ? "private, max-age=31536000, immutable" : "no-store");
    return t;
  };
  const resolveModel = async (m: string | undefined): Promise<string | null | undefined> => {
    if (m === undefined) return null;
    if (isVersion(m)) return m;
    // an alias that was set (`constructor` is no alias); undefined: unknown
    return aliasTarget((await reader.models()).aliases, m) ?? undefined;
  };
  /** Refuses (404) a symbol no run visible at `asOf` issued: the answer of a replay never changes. */
  const checkSymbol = async (symbol: string, asOf: number): Promise<void> => {
    if (!(await reader.knownSymbol(symbol, asOf))) throw new ApiError(404, `unknown symbol ${symbol}`);
  };

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/signals",
      summary: "Signals of one decision date (latest by default), as issued",
      security,
      request: { query: SignalsQuery },
      responses: { 200: json(SignalsResponse, "The signals of one run"), ...errors },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const asOf = asOfOf(c, q.asOf, q.model);
      const model = await resolveModel(q.model);
      if (model === undefined) throw new ApiError(404, `unknown model alias ${q.model}`);
      // a symbol named twice, in any case, is refused as every other edge refuses it (lib/core repeatedSymbol)
      const twice = q.symbols ? repeatedSymbol(q.symbols.split(","), "query symbols") : null;
      if (twice) throw new ApiError(400, twice);
      const symbols = q.symbols ? q.symbols.toUpperCase().split(",").sort() : null;
      for (const s of symbols ?? []) await checkSymbol(s, asOf);
      const run = await reader.run(q.date ?? null, asOf, model);
      if (!run) {
        throw new ApiError(
          404,
          `no signals issued${q.date ? ` for ${q.date}` : ""}${model ? ` by ${model}` : ""}`,
        );
      }
      const signals = await reader.signalsOf(run, symbols);
      const have = new Set(signals.map((s) => s.symbol));
      return jsonWith(
        c,
        {
          date: run.date,
          forSession: nextSession(run.date),
          modelVersion: run.modelVersion,
          issuedAt: new Date(run.issuedAt).toISOString(),
        },
        signals,
        { notInRun: symbols ? symbols.filter((s) => !have.has(s)) : [] },
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/signals/{symbol}",
      summary: "One symbol's signal history, each date as issued",
      security,
      request: { params: SymbolParam, query: HistoryQuery },
      responses: { 200: json(HistoryResponse, "Signals by date"), ...errors },
    }),
    async (c) => {
      const symbol = c.req.valid("param").symbol.toUpperCase();
      const q = c.req.valid("query");
      const asOf = asOfOf(c, q.asOf, q.model);
      const limit = q.limit === undefined ? 1000 : Number(q.limit);
      if (!(limit >= 1 && limit <= MAX_HISTORY)) {
        throw new ApiError(400, `query limit: expected 1..${MAX_HISTORY}`);
      }
      if (q.from !== undefined && q.to !== undefined && q.from > q.to) {
        throw new ApiError(400, `query from ${q.from} is after to ${q.to}`);
      }
      const model = await resolveModel(q.model);
      if (model === undefined) throw new ApiError(404, `unknown model alias ${q.model}`);
      // without `from` and `to`: the year up to the latest date issued by asOf (a store of past years answers its
      // last year, not an empty one); `from` alone reaches the New York date of asOf
      const latest = q.to === undefined && q.from === undefined
        ? (await reader.run(null, asOf, model))?.date
        : undefined;
      const to: IsoDate = q.to ?? latest ?? nyDate(asOf);
      const from: IsoDate = q.from ?? yearBefore(to);
      if (from > to) throw new ApiError(400, `query from ${from} is after to ${to}`);
      await checkSymbol(symbol, asOf);
      // one more than asked: whether `limit` cut older dates off is said in `truncated`
      const signals = await reader.history(symbol, from, to, asOf, model, limit + 1);
      const truncated = signals.length > limit;
      return jsonWith(c, { symbol, from, to }, truncated ? signals.slice(1) : signals, { truncated });
    },
  );

  const summary = (m: VersionManifest, aliases: Record<string, string>) => ({
    version: m.version,
    aliases: Object.keys(aliases).filter((a) => aliases[a] === m.version).sort(),
    digest: m.digest,
    createdAt: new Date(m.lineage.createdAt).toISOString(),
    trainWindow: [...m.lineage.windows.train],
    calibrationWindow: [...m.lineage.windows.calibration],
    featureSet: m.lineage.featureSet.id,
    metrics: m.lineage.metrics,
  });

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/models",
      summary: "Registered model versions and aliases",
      security,
      responses: { 200: json(ModelsResponse, "Versions, oldest first"), ...refusals(400, ...GUARDED) },
    }),
    async (c) => {
      c.header("Cache-Control", "no-store");
      const { versions, aliases } = await reader.models();
      return c.json({
        name: reader.modelName,
        aliases: Object.fromEntries(Object.entries(aliases.aliases).sort()),
        versions: versions.map((m) => summary(m, aliases.aliases)),
      }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/models/{version}",
      summary: "The manifest of one version (or of the version an alias points at)",
      security,
      request: { params: VersionParam },
      responses: { 200: json(ManifestResponse, "The manifest with lineage"), ...errors },
    }),
    async (c) => {
      const { version } = c.req.valid("param");
      const m = await reader.model(version);
      if (!m) throw new ApiError(404, `unknown model version ${version}`);
      c.header(
        "Cache-Control",
        VERSION_RE.test(version) && version.includes(".")
          ? "private, max-age=31536000, immutable"
          : "no-store",
      );
      return c.json(m as unknown as Record<string, unknown>, 200);
    },
  );

  /** The scorecard a `/v1/scorecard*` query asks for: its date range (checked) and the rows known at `asOf`. */
  const scorecardOf = async (c: Context, q: z.infer<typeof ScorecardQuery>) => {
    const asOf = asOfOf(c, q.asOf, q.model);
    const from = q.from ?? "1900-01-01", to = q.to ?? nyDate(asOf);
    if (from > to) throw new ApiError(400, `query from ${from} is after to ${to}`);
    const model = await resolveModel(q.model);
    if (model === undefined) throw new ApiError(404, `unknown model alias ${q.model}`);
    return { from, to, ...(await reader.scorecard(from, to, asOf, model)) };
  };

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/scorecard",
      summary: "Paper scorecard of issued signals: hit rate, P&L and IC by model version",
      security,
      request: { query: ScorecardQuery },
      responses: { 200: json(ScorecardResponse, "Totals per model version"), ...errors },
    }),
    async (c) => {
      const { from, to, entries } = await scorecardOf(c, c.req.valid("query"));
      return c.json({ from, to, models: entries }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/scorecard/days",
      summary:
        "The scored days of the paper scorecard: per model version and date, the book's return beside equal weight",
      security,
      request: { query: ScorecardQuery },
      responses: {
        200: json(ScorecardDaysResponse, "Scored days by model version, source and date"),
        ...errors,
      },
    }),
    async (c) => {
      const { from, to, days } = await scorecardOf(c, c.req.valid("query"));
      return c.json({
        from,
        to,
        days: days.map((r) => {
          const d = storedDayScore(r);
          return {
            modelVersion: String(r.model_version),
            source: String(r.source),
            date: String(r.date),
            signals: d.n,
            traded: d.traded,
            hits: d.hits,
            pnl: d.pnl,
            ic: d.ic,
            bookPnl: d.bookPnl,
            turnover: d.turnover,
            benchmark: d.benchmark,
          };
        }),
      }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/health",
      summary: "Feature drift (PSI against the training window) and data freshness of a run",
      security,
      request: { query: HealthQuery },
      responses: { 200: json(HealthResponse, "Checks of one run"), ...errors },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const asOf = asOfOf(c, q.asOf, q.model);
      const model = await resolveModel(q.model);
      if (model === undefined) throw new ApiError(404, `unknown model alias ${q.model}`);
      const run = await reader.run(q.date ?? null, asOf, model);
      if (!run) throw new ApiError(404, `no run${q.date ? ` for ${q.date}` : ""}`);
      // health is recorded for a date's production run only: a shadow run answers with the checks and status of
      // the production run it ran beside (the same data), and names it
      const recorded = run.source === SHADOW_SIGNAL_SOURCE ? await reader.shadowed(run, asOf) : run;
      if (!recorded) {
        throw new ApiError(
          404,
          `no health recorded for the shadow run of ${run.modelVersion} on ${run.date}` +
            (run.shadowOf ? ` (the run it shadowed, ${run.shadowOf}, was not issued by then)` : ""),
        );
      }
      const checks = await reader.health(recorded);
      // the recorded run's status, as the daily run stored it (it fails on stale data or a share of failed
      // features, not on any one check); each check keeps its own status
      return c.json({
        date: run.date,
        modelVersion: run.modelVersion,
        shadowOf: recorded === run ? null : recorded.modelVersion,
        status: runStatus(recorded),
        checks,
      }, 200);
    },
  );

  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/healthz",
    summary: "Liveness: whether the tables store answers (no key needed)",
    responses: {
      200: json(HealthzResponse, "The store answers"),
      ...refusals(413, 414, 503),
    },
  });
  app.get("/healthz", async (c) => {
    c.header("Cache-Control", "no-store");
    try {
      await reader.ping();
      return c.json({ status: "ok" }, 200);
    } catch (e) {
      log("healthz: store check failed", e);
      return fail(c, 503, "store unavailable");
    }
  });

  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/metrics",
    summary:
      "Prometheus text (format 0.0.4): requests by route, method and status, latency, refusals, models",
    security,
    responses: {
      200: {
        content: { "text/plain; version=0.0.4; charset=utf-8": { schema: { type: "string" } } },
        description: "The exposition text",
      },
      // 500: the key check may fail (a key ring reloads its file)
      ...refusals(400, 401, 403, 413, 414, 429, 500),
    },
  });
  app.get("/metrics", async (c) => {
    const models: Record<string, string> = {};
    try {
      const a = (await reader.models()).aliases.aliases;
      Object.assign(models, a);
      const latest = await reader.run(null, now(), null);
      if (latest) models.latest_issued = latest.modelVersion;
    } catch (e) {
      log("metrics: cannot read the model aliases", e);
    }
    return c.text(metrics.render(models), 200, {
      "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
    });
  });

  const doc = {
    openapi: "3.1.0",
    info: {
      title: "fmai signal API",
      version: "1",
      description:
        "Next-session buy/sell/hold signals with sizes and provenance; as-of replay of any issued signal.",
    },
  };
  let openapi: string | null = null;
  app.get("/openapi.json", (c) => {
    openapi ??= JSON.stringify(app.getOpenAPI31Document(doc));
    return c.body(openapi, 200, { "Content-Type": "application/json" });
  });

  app.notFound((c) => fail(c, 404, "not found"));
  app.onError((e, c) => {
    if (e instanceof ApiError) return fail(c, e.status, e.message);
    if (e instanceof StoreError) {
      log(`store error on ${c.req.method} ${c.req.path}: ${oneLine(e)}`, e);
      return fail(c, 503, "store unavailable");
    }
    log(`internal error on ${c.req.method} ${c.req.path}`, e);
    return fail(c, 500, "internal error");
  });

  return { app, metrics, fetch: (req: Request) => app.fetch(req) };
}
