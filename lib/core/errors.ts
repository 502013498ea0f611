/**
 * Typed domain errors. Bad arguments use the built-in `TypeError`/`RangeError`. Every error here has a one-line
 * message; `userError` marks mistakes the user can fix (the CLI prints the message and exits with code 2).
 * @module
 */

/** Base class of the project's domain errors. */
export class FmaiError extends Error {
  /** True when the user can fix it (bad input, config typo): exit code 2, no stack trace. */
  readonly userError: boolean;
  constructor(message: string, options?: { cause?: unknown; userError?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.userError = options?.userError ?? true;
  }
}

/** Errors that are always the user's to fix (exit code 2). */
abstract class UserMistake extends FmaiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, userError: true });
  }
}

/** Errors that are never the user's to fix (an invariant of the system, a model's state). */
abstract class SystemFault extends FmaiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, userError: false });
  }
}

/**
 * A request the user made cannot be served as asked: a symbol outside the pattern, an empty or too short date
 * range, a value out of range on a command line or in an event. Always a user error (exit code 2).
 */
export class InputError extends UserMistake {}

/** A feature, scaler fit window or label would use information from after the decision time. */
export class LookaheadError extends SystemFault {}

/** A data source failed (network, HTTP status, changed response shape, unknown symbol). */
export class DataSourceError extends FmaiError {
  readonly source: string;
  readonly symbol: string | undefined;
  readonly status: number | undefined;
  constructor(
    message: string,
    info: { source: string; symbol?: string; status?: number; cause?: unknown; userError?: boolean },
  ) {
    super(message, { cause: info.cause, userError: info.userError ?? true });
    this.source = info.source;
    this.symbol = info.symbol;
    this.status = info.status;
  }
}

/** Input data is malformed (a bad CSV row, an invalid record in a batch). Names where. */
export class DataValidationError extends FmaiError {
  /** Where the bad input is (file:line, batch row index...). */
  readonly where: string | undefined;
  constructor(message: string, options?: { cause?: unknown; where?: string }) {
    super(options?.where ? `${options.where}: ${message}` : message, { cause: options?.cause });
    this.where = options?.where;
  }
}

/** A store operation failed (connection lost after retries, constraint, migration). */
export class StoreError extends FmaiError {
  readonly backend: string;
  /**
   * True when the server is unreachable (its circuit breaker is open): every further operation on it fails
   * at once, so a run stops instead of retrying each remaining unit of work.
   */
  readonly unavailable: boolean;
  constructor(
    message: string,
    info: { backend: string; cause?: unknown; userError?: boolean; unavailable?: boolean },
  ) {
    super(message, { cause: info.cause, userError: info.userError ?? false });
    this.backend = info.backend;
    this.unavailable = info.unavailable ?? false;
  }
}

/** Configuration is invalid (unknown key, wrong type, missing value). */
export class ConfigError extends UserMistake {}

/** A model cannot be fitted or used (not enough data, not fitted yet). */
export class ModelError extends SystemFault {}

/** Message of any thrown value, on one line. */
export function oneLine(err: unknown): string {
  const msg = err instanceof Error ? `${err.message}` : String(err);
  return msg.replace(/\s*\n\s*/g, " ").trim();
}

/**
 * `text` with every occurrence of each secret value replaced by `***` (exact values, longest first; values
 * shorter than 3 characters are left alone, they would blank unrelated text). The secrets are found by
 * parsing (see `secretsOf` in `lib/store`), never guessed by a pattern over the message.
 */
export function redact(text: string, secrets: Iterable<string>): string {
  const list = [...new Set(secrets)].filter((s) => typeof s === "string" && s.length >= 3)
    .sort((a, b) => b.length - a.length);
  let out = text;
  for (const s of list) {
    out = out.split(s).join("***");
    const enc = encodeURIComponent(s);
    if (enc !== s) out = out.split(enc).join("***");
  }
  return out;
}
