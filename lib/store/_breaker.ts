/**
 * Folder-private: a circuit breaker per server backend. Each operation already retries a lost connection
 * with backoff; once one operation has used up its retries because the server cannot be reached, the breaker
 * opens and every further operation fails at once with a `StoreError` marked `unavailable` (naming the
 * server), for `coolMs`. After that one operation may try again (half open): success closes the breaker, a
 * failure opens it for another `coolMs`. So a run whose server died stops in seconds instead of retrying every
 * remaining unit of work.
 * @module
 */
import { FmaiError, StoreError } from "../core/mod.ts";

/** How {@linkcode CircuitBreaker.run} treats a failure. */
export interface RetryRules {
  /** Attempts in all (at least 1). */
  attempts: number;
  /** First backoff in ms; doubles each attempt. */
  delayMs: number;
  /** The server could not be reached (retried; when the attempts run out, the breaker opens). */
  connection: (e: unknown) => boolean;
  /** Another failure worth retrying (a deadlock); when the attempts run out it is a plain `StoreError`. */
  transient?: (e: unknown) => boolean;
  /** The short code of a connection failure for the message (`ECONNREFUSED`). */
  code: (e: unknown) => string;
}

/** One breaker per opened store (one server). */
export class CircuitBreaker {
  readonly #backend: string;
  readonly #server: string;
  readonly #coolMs: number;
  readonly #now: () => number;
  #openUntil = 0;
  #reason = "";

  /** `server` names the server in messages (`mysql at 127.0.0.1:3307`). */
  constructor(backend: string, server: string, opts: { coolMs?: number; now?: () => number } = {}) {
    this.#backend = backend;
    this.#server = server;
    this.#coolMs = opts.coolMs ?? 30_000;
    this.#now = opts.now ?? Date.now;
  }

  /** True while operations are refused. */
  get open(): boolean {
    return this.#now() < this.#openUntil;
  }

  /** Throws the `unavailable` `StoreError` while the breaker is open. */
  check(what: string): void {
    if (this.open) {
      throw new StoreError(`${what}: ${this.#server} is unreachable (${this.#reason}); not retrying yet`, {
        backend: this.#backend,
        unavailable: true,
      });
    }
  }

  /** An operation reached the server: close the breaker. */
  success(): void {
    this.#openUntil = 0;
  }

  /**
   * Runs `op` under the breaker: typed errors pass through; a connection failure or a transient one is
   * retried with exponential backoff; any other failure, or a transient one out of attempts, is a `StoreError`
   * (`${what}: message`); a connection failure out of attempts opens the breaker.
   */
  async run<T>(what: string, op: () => Promise<T>, rules: RetryRules): Promise<T> {
    this.check(what);
    const attempts = Math.max(1, rules.attempts);
    for (let i = 1;; i++) {
      try {
        const r = await op();
        this.success();
        return r;
      } catch (e) {
        if (e instanceof FmaiError || e instanceof TypeError || e instanceof RangeError) throw e;
        const conn = rules.connection(e);
        if (conn && i >= attempts) throw this.trip(what, `${rules.code(e)} after ${i} attempts`, e);
        if ((!conn && !rules.transient?.(e)) || i >= attempts) {
          const msg = e instanceof Error ? e.message.replace(/\s*\n\s*/g, " ") : String(e);
          throw new StoreError(`${what}: ${msg}`, { backend: this.#backend, cause: e });
        }
        await new Promise((res) => setTimeout(res, rules.delayMs * 2 ** (i - 1)));
      }
    }
  }

  /**
   * An operation used up its retries without reaching the server: opens the breaker and returns the
   * `unavailable` `StoreError` to throw (one line naming the server and the last failure).
   */
  trip(what: string, reason: string, cause?: unknown): StoreError {
    this.#reason = reason;
    this.#openUntil = this.#now() + this.#coolMs;
    return new StoreError(`${what}: ${this.#server} is unreachable (${reason})`, {
      backend: this.#backend,
      cause,
      unavailable: true,
    });
  }
}
