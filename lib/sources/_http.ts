/**
 * Network behaviour shared by the HTTP sources: a per-host rate limiter, retries with jittered exponential
 * backoff on 429/5xx and network errors, a clear `DataSourceError` on 401/403, per-attempt timeouts, and
 * `collectMany` so that one failing symbol does not stop the others.
 * @module
 */
import { DataSourceError, oneLine } from "../core/mod.ts";

/** Time source, injectable for tests. */
export interface Clock {
  /** Epoch ms. */
  now(): number;
  /** Resolves after `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
}

/** The wall clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => ms <= 0 ? Promise.resolve() : new Promise((r) => setTimeout(r, ms)),
};

/**
 * Spaces request starts per host: at most `perSec` starts per second for each host. Slots are reserved
 * synchronously, so concurrent callers queue up in call order.
 */
export class HostRateLimiter {
  readonly #intervalMs: (host: string) => number;
  readonly #next = new Map<string, number>();
  readonly #clock: Clock;
  /** `perSec`: one rate for every host, or a rate per host (hosts not listed use `default`, else unlimited). */
  constructor(perSec: number | Record<string, number>, clock: Clock = systemClock) {
    const toMs = (
      r: number | undefined,
    ) => (r === undefined || !(r > 0) || !Number.isFinite(r) ? 0 : 1000 / r);
    if (typeof perSec === "number") {
      if (!(perSec >= 0)) throw new RangeError(`rate limit must be >= 0, got ${perSec}`);
      const ms = toMs(perSec);
      this.#intervalMs = () => ms;
    } else {
      this.#intervalMs = (h) => toMs(perSec[h] ?? perSec.default);
    }
    this.#clock = clock;
  }
  /** Waits for this host's next free slot. */
  async acquire(host: string): Promise<void> {
    const interval = this.#intervalMs(host);
    if (interval <= 0) return;
    const now = this.#clock.now();
    const slot = Math.max(now, this.#next.get(host) ?? -Infinity);
    this.#next.set(host, slot + interval);
    if (slot > now) await this.#clock.sleep(slot - now);
  }
}

/** Options of {@linkcode resilientFetch}. */
export interface HttpOptions {
  /** Source name for errors (`yahoo`, `nasdaq`). */
  source: string;
  /** Requests per second per host (a number for all hosts, or per host name with an optional `default`). */
  rateLimitPerSec?: number | Record<string, number>;
  /** Retries after the first attempt on 429/5xx/network errors/timeouts (default 3). */
  retries?: number;
  /** Base backoff in ms: attempt k waits a uniform random time in [0, min(maxBackoffMs, backoffMs * 2^k)] (default 500). */
  backoffMs?: number;
  /** Backoff cap in ms (default 30 000). */
  maxBackoffMs?: number;
  /** Per-attempt timeout until response headers arrive, in ms (default 30 000; 0 disables). */
  timeoutMs?: number;
  /** Clock for sleeping and rate limiting (tests inject a fake one). */
  clock?: Clock;
  /** Random source in [0, 1) for the jitter (default `Math.random`). */
  random?: () => number;
  /** Called before each retry sleep. */
  onRetry?: (
    info: { url: string; attempt: number; status?: number; delayMs: number; error?: unknown },
  ) => void;
}

/** The HTTP options every web source takes (Yahoo, Nasdaq). */
export interface SourceHttpOptions {
  /** The fetch to use (default `globalThis.fetch`); pass a replaying fetch for tests and `--replay`. */
  fetch?: typeof fetch;
  /** Requests per second per host (each source says its default). */
  rateLimitPerSec?: number;
  /** Retries on 429/5xx/network errors (default 3). */
  retries?: number;
  /** Backoff base in ms (default 500). */
  backoffMs?: number;
  /** Per-attempt timeout in ms (default 30 000). */
  timeoutMs?: number;
  /** Clock (rate limiter, backoff, observation time when no `Date` header). */
  clock?: Clock;
  /** Jitter source (tests). */
  random?: () => number;
}

/** The `resilientFetch` of web source `source` made with `opts`, `defaultRate` requests per second unless set. */
export function sourceFetch(
  source: string,
  opts: SourceHttpOptions,
  defaultRate: number,
  clock: Clock,
): typeof fetch {
  return resilientFetch(opts.fetch, {
    source,
    rateLimitPerSec: opts.rateLimitPerSec ?? defaultRate,
    retries: opts.retries,
    backoffMs: opts.backoffMs,
    timeoutMs: opts.timeoutMs,
    clock,
    random: opts.random,
  });
}

/** Full-jitter exponential backoff: uniform in [0, min(max, base * 2^attempt)]. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  return Math.floor(random() * Math.min(maxMs, baseMs * 2 ** attempt));
}

function describe(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}`;
  } catch {
    return url.split("?")[0];
  }
}

function retryAfterMs(res: Response, clock: Clock): number | undefined {
  const h = res.headers.get("retry-after");
  if (!h) return undefined;
  const secs = Number(h);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(h);
  return Number.isFinite(at) ? Math.max(0, at - clock.now()) : undefined;
}

async function discard(res: Response): Promise<void> {
  try {
    await res.body?.cancel();
  } catch { /* already consumed */ }
}

/** Text of an error response, shortened, for messages. */
async function snippet(res: Response): Promise<string> {
  try {
    const t = (await res.text()).replace(/\s+/g, " ").trim();
    return t.length > 160 ? `${t.slice(0, 160)}...` : t;
  } catch {
    return "";
  }
}

/**
 * Wraps `base` (default `globalThis.fetch`) with the network rules:
 * - each attempt waits for the per-host rate limiter, and is aborted after `timeoutMs`;
 * - 429 and 5xx responses, network errors and timeouts are retried `retries` times with jittered backoff
 *   (a `Retry-After` header is honoured, capped at `maxBackoffMs`); after that a `DataSourceError` with the
 *   last status is thrown;
 * - 401/403 throw a `DataSourceError` with the status at once (not retried: blocked, or cookie/crumb expired);
 * - any other response (2xx, 3xx, 404...) is returned as is for the caller to interpret.
 */
export function resilientFetch(base: typeof fetch | undefined, opts: HttpOptions): typeof fetch {
  const clock = opts.clock ?? systemClock;
  const random = opts.random ?? Math.random;
  const retries = opts.retries ?? 3;
  const backoffMs = opts.backoffMs ?? 500;
  const maxBackoffMs = opts.maxBackoffMs ?? 30_000;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const limiter = new HostRateLimiter(opts.rateLimitPerSec ?? 0, clock);
  const source = opts.source;
  if (!(retries >= 0)) throw new RangeError(`retries must be >= 0, got ${retries}`);

  return async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const doFetch = base ?? globalThis.fetch;
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    let host = "";
    try {
      host = new URL(url).host;
    } catch {
      throw new TypeError(`invalid URL: ${url}`);
    }
    const what = describe(url);
    let lastStatus: number | undefined;
    let lastError: unknown;
    let lastRetryAfter: number | undefined;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) {
        const hinted = lastStatus === 429 || lastStatus === 503 ? lastRetryAfter : undefined;
        const delayMs = Math.min(
          maxBackoffMs,
          hinted ?? backoffDelay(attempt - 1, backoffMs, maxBackoffMs, random),
        );
        opts.onRetry?.({ url, attempt, status: lastStatus, delayMs, error: lastError });
        await clock.sleep(delayMs);
      }
      if (init?.signal?.aborted) throw init.signal.reason;
      await limiter.acquire(host);
      const ctl = new AbortController();
      const outer = init?.signal;
      const onAbort = () => ctl.abort(outer?.reason);
      outer?.addEventListener("abort", onAbort, { once: true });
      let timedOut = false;
      const timer = timeoutMs > 0
        ? setTimeout(() => {
          timedOut = true;
          ctl.abort(new DOMException("timeout", "TimeoutError"));
        }, timeoutMs)
        : undefined;
      let res: Response;
      try {
        res = await doFetch(input, { ...init, signal: ctl.signal });
      } catch (err) {
        if (outer?.aborted) throw err;
        if (err instanceof DataSourceError) throw err;
        lastStatus = undefined;
        lastRetryAfter = undefined;
        lastError = timedOut ? new Error(`timed out after ${timeoutMs} ms`, { cause: err }) : err;
        continue;
      } finally {
        if (timer !== undefined) clearTimeout(timer);
        outer?.removeEventListener("abort", onAbort);
      }
      const status = res.status;
      if (status === 401 || status === 403) {
        const body = await snippet(res);
        throw new DataSourceError(
          `${source}: HTTP ${status} ${res.statusText || (status === 401 ? "Unauthorized" : "Forbidden")} ` +
            `for ${what} (access denied: blocked, or session/crumb expired)${body ? `: ${body}` : ""}`,
          { source, status, userError: false },
        );
      }
      if (status === 429 || status >= 500) {
        lastStatus = status;
        lastError = undefined;
        lastRetryAfter = retryAfterMs(res, clock);
        if (attempt === retries) {
          const body = await snippet(res);
          throw new DataSourceError(
            `${source}: HTTP ${status} for ${what} after ${attempt + 1} attempts${body ? `: ${body}` : ""}`,
            { source, status, userError: false },
          );
        }
        await discard(res);
        continue;
      }
      return res;
    }
    throw new DataSourceError(
      `${source}: request to ${what} failed after ${retries + 1} attempts: ${oneLine(lastError)}`,
      { source, status: lastStatus, cause: lastError, userError: false },
    );
  };
}

/** Outcome of {@linkcode collectMany}. */
export interface CollectResult<T> {
  ok: { symbol: string; value: T }[];
  failed: { symbol: string; error: unknown }[];
  /** Symbols never started because a failure matched `stopWhen` (input order). */
  notRun: string[];
}

/**
 * Runs `fn` for every symbol with at most `concurrency` in flight; a failure is recorded and does not stop
 * the others, unless it matches `stopWhen` (for example: the store's server is down): then no further symbol
 * starts, the ones in flight finish, and the rest are listed in `notRun`. Results keep the input order.
 */
export async function collectMany<T>(
  symbols: readonly string[],
  fn: (symbol: string) => Promise<T>,
  opts: {
    concurrency?: number;
    onDone?: (symbol: string, error?: unknown) => void;
    stopWhen?: (error: unknown) => boolean;
  } = {},
): Promise<CollectResult<T>> {
  const concurrency = Math.max(1, Math.floor(opts.concurrency ?? 4));
  const slots: ({ ok: true; value: T } | { ok: false; error: unknown } | undefined)[] = new Array(
    symbols.length,
  );
  let next = 0, stopped = false;
  async function worker(): Promise<void> {
    while (next < symbols.length && !stopped) {
      const i = next++;
      try {
        slots[i] = { ok: true, value: await fn(symbols[i]) };
        opts.onDone?.(symbols[i]);
      } catch (error) {
        slots[i] = { ok: false, error };
        if (opts.stopWhen?.(error)) stopped = true;
        opts.onDone?.(symbols[i], error);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, symbols.length) }, worker));
  const out: CollectResult<T> = { ok: [], failed: [], notRun: [] };
  slots.forEach((s, i) => {
    if (s?.ok) out.ok.push({ symbol: symbols[i], value: s.value });
    else if (s) out.failed.push({ symbol: symbols[i], error: s.error });
    else out.notRun.push(symbols[i]);
  });
  return out;
}
