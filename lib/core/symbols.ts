/**
 * The one symbol pattern every edge checks (CLI flags, config files, Lambda events, the API, CSV files): a
 * symbol enters the system only through {@linkcode checkSymbol} / {@linkcode checkSymbols}, so nothing that
 * reaches a URL path, an object key, a SQL parameter or an HTML report can carry markup, path segments or a
 * query string.
 *
 * Pattern ({@linkcode SYMBOL_PATTERN}): an optional leading `^` (indexes: `^GSPC`), then a letter or digit, then
 * up to 23 more letters, digits, `.`, `-`, `_` or `=` (`BRK.B`, `BRK-B`, `EURUSD=X`, `ES=F`). Letters and
 * digits may be any Unicode letters and digits (`ÄPPL`), never punctuation, spaces, `/`, `?`, `#`, `<`, `>`,
 * quotes or control characters. At most 24 characters.
 * @module
 */
import { InputError } from "./errors.ts";

/** The documented symbol pattern (see the module doc). */
export const SYMBOL_PATTERN: RegExp = /^\^?[\p{L}\p{N}][\p{L}\p{N}._=-]{0,23}$/u;

/** True when `s` is a string matching {@linkcode SYMBOL_PATTERN}. */
export function isSymbol(s: unknown): s is string {
  return typeof s === "string" && SYMBOL_PATTERN.test(s);
}

/**
 * A list kept to one line of a message: its first `n` items and how many more (`A, B, C and 4 more`), joined by
 * `sep`.
 */
export function fewOf(items: readonly string[], n: number, sep = ", "): string {
  return items.slice(0, n).join(sep) + (items.length > n ? ` and ${items.length - n} more` : "");
}

/** What a refused value looks like in a message: short, one line, quotes and controls escaped. */
export function shown(v: unknown): string {
  let s: string;
  try {
    s = typeof v === "string"
      ? JSON.stringify(v)
      : v === undefined
      ? "undefined"
      : JSON.stringify(v) ?? String(v);
  } catch {
    s = Object.prototype.toString.call(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * Returns `s` when it matches {@linkcode SYMBOL_PATTERN}, else throws an `InputError` naming `where` (e.g.
 * `--symbols`, `detail.symbols[2]`, `prices.csv:14`) and the pattern's rule.
 */
export function checkSymbol(s: unknown, where = "symbol"): string {
  if (isSymbol(s)) return s;
  throw new InputError(
    `${where}: ${shown(s)} is not a symbol (letters, digits and . - _ = after an optional ^, at most 24)`,
  );
}

/** Checks a list of symbols (non-empty, each matching the pattern); returns it. */
export function checkSymbols(list: unknown, where = "symbols"): string[] {
  if (!Array.isArray(list)) throw new InputError(`${where}: expected a list of symbols, got ${shown(list)}`);
  if (list.length === 0) throw new InputError(`${where}: empty list of symbols`);
  list.forEach((s, i) => checkSymbol(s, list.length > 1 ? `${where}[${i}]` : where));
  return list as string[];
}

/**
 * Parses a comma-separated symbol list as given on a command line or in an environment variable: trims,
 * drops empty entries, optionally upper-cases, then checks every symbol. Throws `InputError` naming `where`.
 */
export function parseSymbolList(text: string, where: string, opts: { upperCase?: boolean } = {}): string[] {
  const list = text.split(",").map((s) => s.trim()).filter(Boolean).map((s) =>
    opts.upperCase ? s.toUpperCase() : s
  );
  if (list.length === 0) throw new InputError(`${where} is empty`);
  for (const s of list) checkSymbol(s, where);
  return list;
}

/**
 * The message refusing a symbol listed twice, in any case (Yahoo, Nasdaq, the CSV files and the stores match
 * symbols regardless of case: a run would collect it twice and count its rows twice), or `null` when none is.
 * One line naming `where`: `--symbols: SPY is given twice`, `--symbols: AAPL and aapl are the same symbol`.
 * The one rule every edge applies (`deno task collect --symbols`, the pipeline's `--symbols` and
 * `source.symbols`, the Lambdas' `FMAI_SYMBOLS` and `detail.symbols`); the caller throws its own error type.
 */
export function repeatedSymbol(symbols: readonly string[], where: string): string | null {
  const seen = new Map<string, string>();
  for (const s of symbols) {
    const first = seen.get(s.toUpperCase());
    if (first !== undefined) {
      return first === s
        ? `${where}: ${s} is given twice`
        : `${where}: ${first} and ${s} are the same symbol`;
    }
    seen.set(s.toUpperCase(), s);
  }
  return null;
}

/**
 * `symbols` (each already checked) as the system spells them: refused when one is listed twice in any case
 * ({@linkcode repeatedSymbol}; `error` is the class thrown, `InputError` by default, so a config or environment
 * edge throws its `ConfigError`), else upper-cased, as the sources and `deno task collect` store them (`spy` is
 * `SPY`, `^gspc` is `^GSPC`). Each upper-cased symbol is checked again ({@linkcode checkSymbol}, naming
 * `where[i]`: upper-casing may lengthen a symbol or add a combining mark). Returns the symbols and what changed,
 * one `spy is SPY` per renamed symbol (empty when none was).
 */
export function normalizeSymbols(
  symbols: readonly string[],
  where: string,
  error: new (message: string) => Error = InputError,
): { symbols: string[]; renamed: string[] } {
  const twice = repeatedSymbol(symbols, where);
  if (twice) throw new error(twice);
  const upper = symbols.map((s, i) => checkSymbol(s.toUpperCase(), `${where}[${i}]`));
  return {
    symbols: upper,
    renamed: symbols.flatMap((s, i) => s === upper[i] ? [] : [`${s} is ${upper[i]}`]),
  };
}
