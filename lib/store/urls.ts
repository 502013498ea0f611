/**
 * Server URLs cut by their structure (never by a pattern over the text), redacted for messages, and the
 * secret values of an environment for `redact`. Driver-free.
 * @module
 */

/** A server URL cut at its structure: scheme, credentials, and the rest (`host:port/path?query`). */
export interface UrlParts {
  scheme: string;
  user: string;
  password: string;
  /** Whether the URL names a password (`user:pw@`), even an empty one. */
  hasPassword: boolean;
  /** Everything after the credentials. */
  rest: string;
}

export function decodeOr(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Cuts `scheme://user:password@host:port/path` by its structure, not by a pattern over the text: the
 * credentials end at the last `@` (a host never holds one, a password may hold `/`, `@`, `:` or `?`), the user
 * ends at the first `:` of the credentials. Percent-escapes are decoded. `null` when there is no `://`.
 */
export function splitUrl(url: string): UrlParts | null {
  const i = url.indexOf("://");
  if (i <= 0) return null;
  const scheme = url.slice(0, i).toLowerCase(), after = url.slice(i + 3);
  const at = after.lastIndexOf("@");
  if (at < 0) return { scheme, user: "", password: "", hasPassword: false, rest: after };
  const cred = after.slice(0, at), colon = cred.indexOf(":");
  return {
    scheme,
    user: decodeOr(colon < 0 ? cred : cred.slice(0, colon)),
    password: colon < 0 ? "" : decodeOr(cred.slice(colon + 1)),
    hasPassword: colon >= 0,
    rest: after.slice(at + 1),
  };
}

/**
 * `url` with its password replaced by `***` (cut by {@linkcode splitUrl}); fit for messages and logs. A URL that
 * does not parse (`mysql//u:pw@h`, `u:pw@h`) has whatever stands between its first `:` and the `@` after it
 * replaced, so a mistyped scheme does not print the password.
 */
export function redactUrl(url: string): string {
  const p = splitUrl(url);
  if (!p) return url.replace(/:[^@\s]*@/, ":***@");
  if (!p.hasPassword) return url;
  return `${p.scheme}://${encodeURIComponent(p.user)}:***@${p.rest}`;
}

/**
 * The local development credentials of `deno task services:up` (the MariaDB password, the MinIO secret key),
 * written in this repository: not secrets. `fmai` is also the product's, database's and file's name, so
 * redacting it turned `Unknown database 'fmai_p3'` into `'***_p3'` and `fmai.sqlite` into `***.sqlite`.
 */
export const LOCAL_DEV_CREDENTIALS: ReadonlySet<string> = new Set(["fmai", "fmai-local-secret"]);

/**
 * The secret values of an environment, found by parsing: the passwords inside `FMAI_MYSQL_URL` and
 * `FMAI_MONGO_URL`, `FMAI_MYSQL_PASSWORD`, and the S3/AWS secret keys and session token, less the public
 * {@link LOCAL_DEV_CREDENTIALS}. Messages printed at the edges pass through `redact(message, secretsOf(env))`.
 */
export function secretsOf(env: Record<string, string | undefined>): string[] {
  const out: string[] = [];
  for (const k of ["FMAI_MYSQL_URL", "FMAI_MONGO_URL"]) {
    const p = env[k] ? splitUrl(env[k]!) : null;
    if (p?.password) out.push(p.password, encodeURIComponent(p.password));
  }
  for (
    const k of [
      "FMAI_MYSQL_PASSWORD",
      "FMAI_S3_SECRET_ACCESS_KEY",
      "AWS_SECRET_ACCESS_KEY",
      "AWS_SESSION_TOKEN",
    ]
  ) {
    if (env[k]) out.push(env[k]!);
  }
  return out.filter((v) => !LOCAL_DEV_CREDENTIALS.has(v));
}
