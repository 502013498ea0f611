/**
 * Folder-private: a circuit breaker per server backend. Each operation already retries a lost connection
 * with backoff; once one operation has used up its retries because the server cannot be reached, the breaker
 * opens and every further operation fails at once with a `StoreError` marked `unavailable` (naming the
 * server), for `coolMs`. After that one operation may try again (half open): success closes the breaker, a
 * failure opens it for another `coolMs`. So a run whose server died stops in seconds instead of retrying every
 * remaining unit of work.
 * @module
 */
import { StoreError } from "../core/mod.ts";

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
