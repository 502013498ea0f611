import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { DataSourceError } from "../core/mod.ts";
import { backoffDelay, type Clock, collectMany, HostRateLimiter, resilientFetch } from "./_http.ts";

/** A fake clock: sleep advances time instantly and records the waits. */
function fakeClock(start = 1_000_000): Clock & { t: number; sleeps: number[] } {
  const c = {
    t: start,
    sleeps: [] as number[],
    now: () => c.t,
    sleep: (ms: number) => {
      c.sleeps.push(ms);
      c.t += ms;
      return Promise.resolve();
    },
  };
  return c;
}

/** A fetch answering from a list of statuses, counting attempts. */
function scripted(statuses: number[], headers: Record<string, string> = {}) {
  const seen: string[] = [];
  const f = (input: RequestInfo | URL): Promise<Response> => {
    seen.push(String(input));
    const status = statuses[Math.min(seen.length - 1, statuses.length - 1)];
    return Promise.resolve(new Response(JSON.stringify({ status }), { status, headers }));
  };
  return { f: f as typeof fetch, seen };
}

Deno.test("resilientFetch: 429 then 200 is retried and succeeds", async () => {
  const clock = fakeClock();
  const { f, seen } = scripted([429, 200]);
  const http = resilientFetch(f, { source: "test", clock, backoffMs: 10, random: () => 0.5 });
  const res = await http("https://api.example.com/x?a=1");
  equal(res.status, 200);
  deepEqual(await res.json(), { status: 200 });
  equal(seen.length, 2);
  deepEqual(clock.sleeps, [5]); // 0.5 * 10 * 2^0
});

Deno.test("resilientFetch: Retry-After on 429 is honoured", async () => {
  const clock = fakeClock();
  const { f, seen } = scripted([429, 429, 200], { "retry-after": "2" });
  const http = resilientFetch(f, { source: "test", clock, backoffMs: 10, random: () => 0.5 });
  equal((await http("https://api.example.com/x")).status, 200);
  equal(seen.length, 3);
  deepEqual(clock.sleeps, [2000, 2000]);
});

Deno.test("resilientFetch: 500 x N fails with DataSourceError after N retries", async () => {
  const clock = fakeClock();
  const { f, seen } = scripted([500]);
  const http = resilientFetch(f, { source: "test", clock, retries: 3, backoffMs: 4, random: () => 1 - 1e-9 });
  await rejects(http("https://api.example.com/y"), (e: unknown) => {
    ok(e instanceof DataSourceError);
    equal(e.status, 500);
    equal(e.source, "test");
    ok(/HTTP 500 .*api\.example\.com\/y after 4 attempts/.test(e.message), e.message);
    return true;
  });
  equal(seen.length, 4);
  // Exponential full-jitter backoff: just under 4, 8, 16 ms.
  deepEqual(clock.sleeps, [3, 7, 15]);
});

Deno.test("resilientFetch: 401 and 403 throw at once with the status", async () => {
  for (const status of [401, 403]) {
    const { f, seen } = scripted([status, 200]);
    const http = resilientFetch(f, { source: "yahoo", clock: fakeClock() });
    await rejects(
      http("https://query2.finance.yahoo.com/v7/finance/quote?symbols=AAPL&crumb=x"),
      (e: unknown) => {
        ok(e instanceof DataSourceError);
        equal(e.status, status);
        ok(e.message.includes(`HTTP ${status}`), e.message);
        ok(!e.message.includes("crumb=x"), "query string (crumb) is not leaked into the message");
        return true;
      },
    );
    equal(seen.length, 1, "not retried");
  }
});

Deno.test("resilientFetch: 404 and 200 pass through untouched", async () => {
  const { f } = scripted([404]);
  const http = resilientFetch(f, { source: "t", clock: fakeClock() });
  equal((await http("https://a.example/z")).status, 404);
});

Deno.test("resilientFetch: network errors are retried, then reported with the cause", async () => {
  const clock = fakeClock();
  let n = 0;
  const f = (() => {
    n++;
    return Promise.reject(new TypeError("connection reset"));
  }) as typeof fetch;
  const http = resilientFetch(f, { source: "t", clock, retries: 2, backoffMs: 1 });
  await rejects(http("https://a.example/z"), (e: unknown) => {
    ok(e instanceof DataSourceError);
    ok(/failed after 3 attempts: connection reset/.test(e.message), e.message);
    return true;
  });
  equal(n, 3);
});

Deno.test("resilientFetch: a hanging request times out and is retried", async () => {
  let n = 0;
  const f = ((_: RequestInfo | URL, init?: RequestInit) => {
    n++;
    if (n === 2) return Promise.resolve(new Response("ok"));
    return new Promise<Response>((_, reject) => {
      init?.signal?.addEventListener("abort", () => reject(init.signal!.reason));
    });
  }) as typeof fetch;
  const http = resilientFetch(f, { source: "t", timeoutMs: 20, backoffMs: 1, random: () => 0 });
  equal(await (await http("https://a.example/slow")).text(), "ok");
  equal(n, 2);
});

Deno.test("HostRateLimiter: spaces starts per host, hosts independent (injected clock)", async () => {
  const clock = fakeClock(0);
  const lim = new HostRateLimiter(4, clock); // 250 ms apart
  const starts: [string, number][] = [];
  for (const h of ["a", "a", "b", "a", "b"]) {
    await lim.acquire(h);
    starts.push([h, clock.t]);
  }
  deepEqual(starts, [["a", 0], ["a", 250], ["b", 250], ["a", 500], ["b", 500]]);
});

Deno.test("HostRateLimiter: concurrent callers reserve consecutive slots (through resilientFetch)", async () => {
  // Time stands still while the three requests reserve their slots.
  const sleeps: number[] = [];
  const clock: Clock = { now: () => 0, sleep: (ms) => (sleeps.push(ms), Promise.resolve()) };
  let calls = 0;
  const f = (() => {
    calls++;
    return Promise.resolve(new Response("{}"));
  }) as typeof fetch;
  const http = resilientFetch(f, { source: "t", clock, rateLimitPerSec: 2 });
  // Three requests started together at t=0: the first goes at once, the others wait 500 and 1000 ms.
  await Promise.all([1, 2, 3].map((i) => http(`https://h.example/${i}`).then((r) => r.text())));
  equal(calls, 3);
  deepEqual(sleeps, [500, 1000]);
});

Deno.test("backoffDelay: full jitter, capped", () => {
  equal(backoffDelay(0, 100, 1000, () => 0.999), 99);
  equal(backoffDelay(5, 100, 1000, () => 0.5), 500);
  equal(backoffDelay(3, 100, 1000, () => 0), 0);
});

Deno.test("collectMany: one failing symbol does not stop the others; order kept", async () => {
  let inFlight = 0, peak = 0;
  const res = await collectMany(["A", "B", "C", "D", "E"], async (s) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((r) => setTimeout(r, 1));
    inFlight--;
    if (s === "B" || s === "D") {
      throw new DataSourceError(`down ${s}`, { source: "t", symbol: s, status: 503 });
    }
    return s.toLowerCase();
  }, { concurrency: 2 });
  deepEqual(res.ok, [{ symbol: "A", value: "a" }, { symbol: "C", value: "c" }, { symbol: "E", value: "e" }]);
  deepEqual(res.failed.map((f) => f.symbol), ["B", "D"]);
  equal((res.failed[0].error as DataSourceError).status, 503);
  ok(peak <= 2);
});
