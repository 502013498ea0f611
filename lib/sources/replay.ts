/**
 * A replaying `fetch` built from recorded HTTP exchanges (the Yahoo and Nasdaq fixture folders, or our own
 * test fixtures). Used by the tests and by `--replay` runs: the sources run their real code path, only the
 * network is swapped.
 *
 * Recorded file formats (detected per file):
 * - yahoo-finance2: `{request: {url, method}, response: {status, statusText, headers, bodyJson | body}}`
 * - Nasdaq (OpenBB cassettes): `{request: {method, url}, status, contentType, body}`
 *
 * Matching: method + path + query parameters, ignoring the host (Yahoo's query1/query2 are the same API),
 * the parameter order, and the parameters listed in `ignoreParams` (by default the per-session ones the
 * yahoo-finance2 library adds: `crumb`, `lang`, `region`, `corsDomain`, `.tsrc`). When several files record
 * the same request, the one given last wins (so a test can put a malformed copy after the real folder).
 *
 * Uses `node:fs` only, so it also runs in the Node bundles of the lambdas.
 * @module
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { DataValidationError } from "../core/mod.ts";
import { fileURLToPath } from "node:url";

/** Options of {@linkcode createReplayFetch}. */
export interface ReplayOptions {
  /** Query parameters ignored when matching (default {@linkcode DEFAULT_IGNORED_PARAMS}). */
  ignoreParams?: readonly string[];
  /**
   * Answer yahoo-finance2's cookie + crumb handshake (`finance.yahoo.com/quote/...` with a cookie and
   * `/v1/test/getcrumb` with the crumb `REDACTED`, as in the recorded URLs). Default true.
   */
  yahooCrumb?: boolean;
}

/** Parameters ignored by default when matching a request to a recording. */
export const DEFAULT_IGNORED_PARAMS: readonly string[] = ["crumb", "lang", "region", "corsDomain", ".tsrc"];

/** One request the replaying fetch saw. */
export interface ReplayCall {
  method: string;
  url: string;
  /** The recording that answered it, or undefined when unmatched. */
  file?: string;
}

/** A `fetch` that replays recordings, with what it saw. */
export interface ReplayFetch {
  (input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /** Every request, in order. */
  readonly calls: ReplayCall[];
  /** URLs of requests that matched no recording (answered 404). */
  readonly unmatched: string[];
  /** Number of indexed recordings. */
  readonly size: number;
  /** The matching key of a URL (for debugging). */
  keyOf(method: string, url: string): string;
}

interface Recording {
  file: string;
  status: number;
  statusText: string;
  headers: Record<string, string>;
  body: string;
}

/** Matching key: `METHOD /path?a=1&b=2` with sorted, filtered, decoded parameters. */
export function replayKey(method: string, url: string, ignore: ReadonlySet<string>): string {
  const u = new URL(url);
  const params = [...u.searchParams.entries()].filter(([k]) => !ignore.has(k));
  params.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  const q = params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
  return `${method.toUpperCase()} ${decodeURIComponent(u.pathname)}${q ? `?${q}` : ""}`;
}

/**
 * One recording; a file that is not JSON, or not a recording of either format, is a `DataValidationError`
 * naming it (a corrupt recording is never skipped without a word).
 */
function parseRecording(file: string, text: string): { method: string; url: string; rec: Recording } {
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new DataValidationError(`corrupt recording: not JSON (${(e as Error).message})`, {
      where: file,
      cause: e,
    });
  }
  const req = j?.request as { url?: unknown; method?: unknown } | undefined;
  if (!req || typeof req.url !== "string") {
    throw new DataValidationError("not a recording: no request.url", { where: file });
  }
  const method = typeof req.method === "string" ? req.method : "GET";
  const res = j.response as Record<string, unknown> | undefined;
  if (res && typeof res === "object") {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries((res.headers as Record<string, unknown>) ?? {})) {
      if (k.toLowerCase() === "set-cookie" || k.toLowerCase() === "content-length") continue;
      headers[k] = Array.isArray(v) ? v.join(", ") : String(v);
    }
    const body = "bodyJson" in res
      ? JSON.stringify(res.bodyJson)
      : typeof res.body === "string"
      ? res.body
      : "";
    if (!Object.keys(headers).some((k) => k.toLowerCase() === "content-type") && "bodyJson" in res) {
      headers["content-type"] = "application/json";
    }
    return {
      method,
      url: req.url,
      rec: {
        file,
        status: Number(res.status ?? 200),
        statusText: String(res.statusText ?? ""),
        headers,
        body,
      },
    };
  }
  if ("status" in j || "body" in j) {
    const body = typeof j.body === "string" ? j.body : JSON.stringify(j.body ?? null);
    const headers = { "content-type": String(j.contentType ?? "application/json") };
    return {
      method,
      url: req.url,
      rec: { file, status: Number(j.status ?? 200), statusText: "", headers, body },
    };
  }
  throw new DataValidationError("not a recording: no response, status or body", { where: file });
}

async function listJson(path: string): Promise<string[]> {
  const st = await stat(path);
  if (st.isFile()) return [path];
  const names = (await readdir(path)).filter((n) => n.endsWith(".json")).sort();
  return names.map((n) => `${path.replace(/\/$/, "")}/${n}`);
}

function toPath(p: string | URL): string {
  return p instanceof URL ? fileURLToPath(p) : p;
}

/**
 * Builds a replaying fetch from recording folders and/or single recording files (later ones win on equal
 * requests). An unmatched request gets a 404 whose JSON body names the request (in the Yahoo error envelope,
 * so yahoo-finance2 surfaces it as the error message) and is listed in `unmatched`.
 */
export async function createReplayFetch(
  sources: string | URL | readonly (string | URL)[],
  opts: ReplayOptions = {},
): Promise<ReplayFetch> {
  const ignore = new Set(opts.ignoreParams ?? DEFAULT_IGNORED_PARAMS);
  const index = new Map<string, Recording>();
  const list = Array.isArray(sources) ? sources : [sources as string | URL];
  for (const s of list) {
    for (const file of await listJson(toPath(s))) {
      const parsed = parseRecording(file, await readFile(file, "utf8"));
      index.set(replayKey(parsed.method, parsed.url, ignore), parsed.rec);
    }
  }
  const calls: ReplayCall[] = [];
  const unmatched: string[] = [];
  const yahooCrumb = opts.yahooCrumb ?? true;

  const f = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
    if (init?.signal?.aborted) return Promise.reject(init.signal.reason);
    const u = new URL(url);
    if (yahooCrumb && u.host === "finance.yahoo.com" && u.pathname.startsWith("/quote/")) {
      calls.push({ method, url, file: "(replay: yahoo cookie)" });
      return Promise.resolve(
        new Response("<html>replay</html>", {
          status: 200,
          headers: {
            "content-type": "text/html",
            "set-cookie": "A3=replay; Domain=.yahoo.com; Path=/; Max-Age=31557600; Secure",
          },
        }),
      );
    }
    if (yahooCrumb && u.pathname === "/v1/test/getcrumb" && u.host.endsWith("finance.yahoo.com")) {
      calls.push({ method, url, file: "(replay: yahoo crumb)" });
      return Promise.resolve(
        new Response("REDACTED", { status: 200, headers: { "content-type": "text/plain" } }),
      );
    }
    const key = replayKey(method, url, ignore);
    const rec = index.get(key);
    if (!rec) {
      calls.push({ method, url });
      unmatched.push(url);
      const description = `replay: no recorded response for ${key}`;
      return Promise.resolve(
        new Response(
          JSON.stringify({ finance: { result: null, error: { code: "Not Found", description } } }),
          {
            status: 404,
            statusText: "Not Found",
            headers: { "content-type": "application/json" },
          },
        ),
      );
    }
    calls.push({ method, url, file: rec.file });
    const nullBody = rec.status === 204 || rec.status === 304;
    return Promise.resolve(
      new Response(nullBody ? null : rec.body, {
        status: rec.status,
        statusText: rec.statusText,
        headers: rec.headers,
      }),
    );
  };
  return Object.assign(f, {
    calls,
    unmatched,
    size: index.size,
    keyOf: (method: string, url: string) => replayKey(method, url, ignore),
  });
}
