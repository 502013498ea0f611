import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { DeleteBucketCommand, HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { ConfigError, StoreError } from "../core/mod.ts";
import { objectContract } from "./contract_objects.ts";
import { openS3Objects, type S3Config } from "./s3.ts";

const endpoint = Deno.env.get("FMAI_S3_ENDPOINT");
const SKIP = "skipped: run `deno task services:up` then `deno task test:integration`";

function config(extra: Partial<S3Config> = {}): S3Config {
  return {
    endpoint,
    region: Deno.env.get("FMAI_S3_REGION") || "us-east-1",
    bucket: Deno.env.get("FMAI_S3_BUCKET") || "fmai",
    accessKeyId: Deno.env.get("FMAI_S3_ACCESS_KEY_ID") ?? "",
    secretAccessKey: Deno.env.get("FMAI_S3_SECRET_ACCESS_KEY") ?? "",
    forcePathStyle: true,
    ...extra,
  };
}

if (endpoint) {
  objectContract("s3", () => openS3Objects(config()));
  objectContract("s3 with prefix", () => openS3Objects(config({ prefix: "under/a/prefix/" })), {
    largeBytes: 1024,
  });

  Deno.test("s3 objects: creates a missing bucket; prefix keeps stores apart", async () => {
    const bucket = `fmai-test-${Date.now().toString(36)}`;
    const a = await openS3Objects(config({ bucket, prefix: "a/" }));
    const b = await openS3Objects(config({ bucket, prefix: "b/" }));
    try {
      await a.put("models/m/v1/w.bin", new Uint8Array([1, 2, 3]));
      await b.put("models/m/v1/w.bin", "other");
      deepEqual(await a.get("models/m/v1/w.bin"), new Uint8Array([1, 2, 3]));
      deepEqual((await b.list("")).map((o) => o.key), ["models/m/v1/w.bin"]);
      equal((await a.head("models/m/v1/w.bin"))?.contentType, "application/octet-stream");
      equal((await b.head("models/m/v1/w.bin"))?.contentType, "text/plain; charset=utf-8");
    } finally {
      await a.delete("models/m/v1/w.bin");
      await b.delete("models/m/v1/w.bin");
      await a.close();
      await b.close();
      const c = new S3Client({ ...config(), credentials: config() });
      await c.send(new DeleteBucketCommand({ Bucket: bucket }));
      c.destroy();
    }
  });

  Deno.test("s3 objects: existing opens only a bucket that is there; a missing one is refused and not created", async () => {
    const bucket = `fmai-test-none-${Date.now().toString(36)}`;
    await rejects(
      () => openS3Objects(config({ bucket, existing: true })),
      (e: Error) =>
        e instanceof ConfigError &&
        e.message ===
          `s3 bucket ${bucket} does not exist (nothing was ever written there; a mistyped bucket?)`,
    );
    const c = new S3Client({ ...config(), credentials: config() });
    try {
      await rejects(() => c.send(new HeadBucketCommand({ Bucket: bucket })), "the bucket was not created");
    } finally {
      c.destroy();
    }
    // the bucket the suite writes to is there
    const there = await openS3Objects(config({ existing: true }));
    await there.close();
  });

  Deno.test("s3 objects: list follows continuation pages", async () => {
    const s = await openS3Objects(config({ prefix: `paging-${Date.now().toString(36)}/`, listPageSize: 7 }));
    try {
      const keys = Array.from(
        { length: 40 },
        (_, i) => `raw/x/2024/01/02/${String(i).padStart(5, "0")}.json`,
      );
      await Promise.all(keys.map((k) => s.put(k, "{}", { contentType: "application/json" })));
      await s.put("rawish", "x");
      const got = await s.list("raw/");
      deepEqual(got.map((o) => o.key), keys);
      ok(got.every((o) => o.contentType === "application/json" && o.size === 2));
      equal((await s.list("")).length, 41);
    } finally {
      await Promise.all((await s.list("")).map((o) => s.delete(o.key)));
      await s.close();
    }
  });

  Deno.test('s3 objects: wrong credentials are a StoreError that says so (not "UnknownError")', async () => {
    for (const wrong of [{ secretAccessKey: "wrong-secret-key" }, { accessKeyId: "no-such-key" }]) {
      await rejects(openS3Objects(config(wrong)), (e) => {
        ok(e instanceof StoreError && e.backend === "s3", String(e));
        ok(
          /access denied \(.*HTTP 403\): wrong access key id or secret key/.test((e as Error).message),
          (e as Error).message,
        );
        ok(!/UnknownError/.test((e as Error).message), (e as Error).message);
        ok(!(e as Error).message.includes("wrong-secret-key"), "the secret is not shown");
        return true;
      });
    }
  });
} else {
  Deno.test({ name: `s3 objects: ${SKIP}`, ignore: true, fn() {} });
}

Deno.test("s3 objects: an unreachable endpoint fails with a StoreError after retries", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  const t0 = Date.now();
  await rejects(
    openS3Objects({
      endpoint: `http://127.0.0.1:${port}`,
      region: "us-east-1",
      bucket: "b",
      accessKeyId: "k",
      secretAccessKey: "s",
      maxAttempts: 3,
      timeoutMs: 300,
    }),
    (e) =>
      e instanceof StoreError && e.backend === "s3" && e.unavailable &&
      /s3 endpoint http:\/\/127\.0\.0\.1:\d+ is unreachable .*after 3 attempts/.test(e.message),
  );
  ok(Date.now() - t0 < 10_000);
});

Deno.test("s3 objects: bad config is a TypeError/RangeError", async () => {
  const base = { region: "us-east-1", bucket: "b", accessKeyId: "k", secretAccessKey: "s" };
  await rejects(openS3Objects({ ...base, bucket: "" }), TypeError);
  await rejects(openS3Objects({ ...base, endpoint: "127.0.0.1:9000" }), TypeError);
  await rejects(openS3Objects({ ...base, prefix: "no-slash", createBucket: false }), RangeError);
});
