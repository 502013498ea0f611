/**
 * The local S3 server of `scripts/services.ts`: MinIO built with `go install` through the Go module proxy at a
 * pinned version into `~/.cache/fmai/bin` (a few minutes once; cached afterwards), data under `.services/s3`,
 * root credentials `FMAI_S3_ACCESS_KEY_ID` / `FMAI_S3_SECRET_ACCESS_KEY`, and the bucket `FMAI_S3_BUCKET`.
 * @module
 */
import { CreateBucketCommand, HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import {
  CACHE_DIR,
  cachedBinaryService,
  exists,
  run,
  type Service,
  SERVICES_DIR,
  type ServiceSettings,
} from "./_services_common.ts";

/**
 * The pinned MinIO module version (MinIO tags releases as `RELEASE.<date>`, not semver, so the Go proxy knows
 * commits by pseudo-version; this is the newest one the proxy lists as `@latest`).
 */
export const MINIO_VERSION = "v0.0.0-20260212201848-7aac2a2c5b7c";
const DIR = `${SERVICES_DIR}/s3`;
const BIN = `${CACHE_DIR}/bin/minio-${MINIO_VERSION}`;

/** Builds the pinned MinIO into the cache (no-op when built). */
export async function buildMinio(): Promise<string> {
  if (await exists(BIN)) return BIN;
  const gobin = `${CACHE_DIR}/gobin-minio`;
  await Deno.mkdir(gobin, { recursive: true });
  await run("go", ["install", "-trimpath", `github.com/minio/minio@${MINIO_VERSION}`], {
    env: { ...Deno.env.toObject(), GOTOOLCHAIN: "local", GOBIN: gobin },
    cwd: CACHE_DIR,
  });
  await Deno.mkdir(`${CACHE_DIR}/bin`, { recursive: true });
  await Deno.rename(`${gobin}/minio`, BIN);
  return BIN;
}

/** An S3 client for the local server. */
export function localS3Client(s: ServiceSettings): S3Client {
  return new S3Client({
    endpoint: `http://127.0.0.1:${s.s3Port}`,
    region: s.s3Region,
    forcePathStyle: true,
    credentials: { accessKeyId: s.s3AccessKey, secretAccessKey: s.s3SecretKey },
    maxAttempts: 1,
  });
}

/** The MinIO service. */
export function minioService(s: ServiceSettings): Service {
  let bucketReady = false;
  const base = cachedBinaryService({
    name: "s3",
    impl: `MinIO ${MINIO_VERSION.slice(-12)}`,
    port: s.s3Port,
    dir: DIR,
    bin: BIN,
    log: "minio.log",
    build: buildMinio,
    args: [
      "server",
      "--quiet",
      "--address",
      `127.0.0.1:${s.s3Port}`,
      "--console-address",
      `127.0.0.1:${s.s3Port + 1}`,
      `${DIR}/data`,
    ],
    env: () => ({
      ...Deno.env.toObject(),
      MINIO_ROOT_USER: s.s3AccessKey,
      MINIO_ROOT_PASSWORD: s.s3SecretKey,
      MINIO_BROWSER: "off",
      MINIO_UPDATE: "off",
      MINIO_REGION: s.s3Region,
    }),
  });
  return {
    ...base,
    async start() {
      await base.start();
      bucketReady = false;
    },
    async ping() {
      const c = localS3Client(s);
      try {
        if (!bucketReady) {
          try {
            await c.send(new HeadBucketCommand({ Bucket: s.s3Bucket }));
          } catch (err) {
            const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
            if (status !== 404) throw err;
            await c.send(new CreateBucketCommand({ Bucket: s.s3Bucket }));
          }
          bucketReady = true;
        }
        await c.send(new HeadBucketCommand({ Bucket: s.s3Bucket }));
      } finally {
        c.destroy();
      }
    },
    url() {
      return `http://127.0.0.1:${s.s3Port} (bucket ${s.s3Bucket})`;
    },
    env() {
      return {
        FMAI_S3_ENDPOINT: `http://127.0.0.1:${s.s3Port}`,
        FMAI_S3_REGION: s.s3Region,
        FMAI_S3_BUCKET: s.s3Bucket,
        FMAI_S3_ACCESS_KEY_ID: s.s3AccessKey,
        FMAI_S3_SECRET_ACCESS_KEY: s.s3SecretKey,
        FMAI_S3_FORCE_PATH_STYLE: "true",
      };
    },
  };
}
