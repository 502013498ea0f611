import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { DataSourceError } from "../core/mod.ts";
import { arrayOf, optional, validateShape } from "./_validate.ts";
import { createReplayFetch, DEFAULT_IGNORED_PARAMS, replayKey } from "./replay.ts";

const YAHOO = new URL("../../../shared/data/yahoo-fixtures/", import.meta.url);
const NASDAQ = new URL("../../../shared/data/nasdaq-fixtures/", import.meta.url);

Deno.test("replayKey: parameter order, ignored params, host and encoding do not matter", () => {
  const ignore = new Set(DEFAULT_IGNORED_PARAMS);
  const a = replayKey(
    "GET",
    "https://query2.finance.yahoo.com/v7/finance/options/AAPL?formatted=false&lang=en-US&region=US&crumb=abc",
    ignore,
  );
  const b = replayKey(
    "get",
    "https://query1.finance.yahoo.com/v7/finance/options/AAPL?crumb=REDACTED&formatted=false",
    ignore,
  );
  equal(a, b);
  equal(a, "GET /v7/finance/options/AAPL?formatted=false");
  equal(
    replayKey("GET", "https://api.nasdaq.com/x?FormGroup=Annual+Reports&b=1", ignore),
    replayKey("GET", "https://api.nasdaq.com/x?b=1&FormGroup=Annual%20Reports", ignore),
  );
  ok(replayKey("GET", "https://h/x?a=1", ignore) !== replayKey("GET", "https://h/x?a=2", ignore));
});

Deno.test("createReplayFetch: both recording formats, bodies and statuses as recorded", async () => {
  const f = await createReplayFetch([YAHOO, NASDAQ]);
  equal(f.size, 215 + 16 - 1, "quoteSummary-secFilings-AAPL and -new record the same request");
  const y = await f(
    "https://query2.finance.yahoo.com/v10/finance/quoteSummary/QQQ?formatted=false&modules=incomeStatementHistory&crumb=x",
  );
  equal(y.status, 404);
  equal((await y.json()).quoteSummary.error.code, "Not Found");
  const n = await f("https://api.nasdaq.com/api/ipo/calendar?date=2023-11");
  equal(n.status, 200);
  equal((await n.json()).data.priced.rows[0].proposedTickerSymbol, "PAPL");
  deepEqual(f.unmatched, []);
  equal(f.calls.length, 2);
  ok(f.calls[1].file!.endsWith("ipo-calendar__1.json"));
});

Deno.test("createReplayFetch: unmatched -> 404 naming the request, recorded; crumb handshake answered", async () => {
  const f = await createReplayFetch(NASDAQ);
  const r = await f("https://api.nasdaq.com/api/calendar/earnings?date=1999-01-04");
  equal(r.status, 404);
  ok((await r.text()).includes("no recorded response for GET /api/calendar/earnings?date=1999-01-04"));
  deepEqual(f.unmatched, ["https://api.nasdaq.com/api/calendar/earnings?date=1999-01-04"]);
  const cookie = await f("https://finance.yahoo.com/quote/AAPL");
  ok(cookie.headers.getSetCookie().some((c) => c.startsWith("A3=")));
  await cookie.body?.cancel();
  equal(await (await f("https://query1.finance.yahoo.com/v1/test/getcrumb")).text(), "REDACTED");
});

Deno.test("validateShape: unknown fields fine, missing or mistyped required ones named", () => {
  const shape = { a: { b: arrayOf({ c: "number" }) }, d: optional("string"), e: "numeric" } as const;
  validateShape({ a: { b: [{ c: 1, extra: true }] }, e: { raw: 3 }, more: 1 }, shape, "root", {
    source: "s",
  });
  throws(
    () => validateShape({ a: { b: [{ c: 1 }, {}] }, e: 1 }, shape, "root", { source: "s", symbol: "X" }),
    (e: unknown) =>
      e instanceof DataSourceError && e.message === "s X: changed response shape: missing root.a.b[1].c",
  );
  throws(
    () => validateShape({ a: { b: [] }, e: "abc" }, shape, "root", { source: "s" }),
    /root\.e is string, expected numeric/,
  );
  throws(
    () => validateShape({ a: { b: {} }, e: 1 }, shape, "root", { source: "s" }),
    /root\.a\.b is object, expected array/,
  );
});
