/**
 * Per-key rate limits: a token bucket per key id (sustained `ratePerSec`, up to `burst` at once), refilled from
 * a monotonic clock. One process's view: behind several instances (warm Lambda containers, Cloud Run instances) each enforces the
 * full rate, so a key's effective limit is its rate times the instances serving it.
 * @module
 */

/** The outcome of taking one token. */
export interface RateDecision {
  allowed: boolean;
  /** Tokens left after this request (floor). */
  remaining: number;
  /** Seconds until one token is available again (0 when allowed). */
  retryAfterSec: number;
  /** Seconds until the bucket is full again (`burst` tokens; 0 when it is full), rounded up. */
  resetSec: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Token buckets by key. */
export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #now: () => number;

  /** `now` returns milliseconds (default `performance.now`). */
  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** Takes one token from `key`'s bucket. */
  take(key: string, ratePerSec: number, burst: number): RateDecision {
    const t = this.#now();
    let b = this.#buckets.get(key);
    if (!b) {
      b = { tokens: burst, at: t };
      this.#buckets.set(key, b);
    }
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * ratePerSec);
    b.at = t;
    const allowed = b.tokens >= 1;
    if (allowed) b.tokens -= 1;
    const resetSec = Math.ceil((burst - b.tokens) / ratePerSec);
    if (allowed) return { allowed, remaining: Math.floor(b.tokens), retryAfterSec: 0, resetSec };
    return {
      allowed,
      remaining: 0,
      retryAfterSec: Math.max(1, Math.ceil((1 - b.tokens) / ratePerSec)),
      resetSec,
    };
  }
}
