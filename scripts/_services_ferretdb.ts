/**
 * The local MongoDB-wire server of `scripts/services.ts`: FerretDB v1 with its SQLite backend, data under
 * `.services/mongodb`, built once from the Go module proxy into `~/.cache/fmai/bin`.
 *
 * `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.0` fails here ("loading deprecation ... @v/list:
 * 403 Forbidden": the proxy refuses the module's version list), so the build downloads the pinned module zip
 * with `go mod download`, copies it to a writable folder, writes `build/version/version.txt` (FerretDB panics
 * at start without it) and runs `go build ./cmd/ferretdb` there.
 * @module
 */
import { MongoClient } from "mongodb";
import {
  CACHE_DIR,
  cachedBinaryService,
  exists,
  run,
  type Service,
  SERVICES_DIR,
  type ServiceSettings,
} from "./_services_common.ts";

/** The pinned FerretDB version. */
export const FERRETDB_VERSION = "v1.24.0";
const MODULE = "github.com/FerretDB/FerretDB";
const DIR = `${SERVICES_DIR}/mongodb`;
const BIN = `${CACHE_DIR}/bin/ferretdb-${FERRETDB_VERSION}`;

function goEnv(): Record<string, string> {
  return { ...Deno.env.toObject(), GOTOOLCHAIN: "local", GOFLAGS: "-mod=mod" };
}

/** Builds the pinned FerretDB into the cache (no-op when built). */
export async function buildFerretDB(): Promise<string> {
  if (await exists(BIN)) return BIN;
  const src = `${CACHE_DIR}/src/ferretdb-${FERRETDB_VERSION}`;
  await Deno.mkdir(`${CACHE_DIR}/bin`, { recursive: true });
  if (!await exists(`${src}/go.mod`)) {
    const info = JSON.parse(
      await run("go", ["mod", "download", "-json", `${MODULE}@${FERRETDB_VERSION}`], {
        env: goEnv(),
        cwd: CACHE_DIR,
      }),
    ) as { Dir?: string; Error?: string };
    if (!info.Dir) {
      throw new Error(`go mod download ${MODULE}@${FERRETDB_VERSION}: ${info.Error ?? "no Dir"}`);
    }
    await Deno.mkdir(`${CACHE_DIR}/src`, { recursive: true });
    await run("rm", ["-rf", `${src}.tmp`]);
    await run("cp", ["-r", info.Dir, `${src}.tmp`]);
    await run("chmod", ["-R", "u+w", `${src}.tmp`]);
    await Deno.rename(`${src}.tmp`, src);
  }
  await Deno.writeTextFile(`${src}/build/version/version.txt`, `${FERRETDB_VERSION}\n`);
  await Deno.writeTextFile(`${src}/build/version/package.txt`, "fmai\n");
  await run("go", ["build", "-trimpath", "-o", `${BIN}.tmp`, "./cmd/ferretdb"], { env: goEnv(), cwd: src });
  await Deno.rename(`${BIN}.tmp`, BIN);
  return BIN;
}

/** The FerretDB service. */
export function ferretdbService(s: ServiceSettings): Service {
  return {
    ...cachedBinaryService({
      name: "mongodb",
      impl: `FerretDB ${FERRETDB_VERSION} (SQLite backend)`,
      port: s.mongoPort,
      dir: DIR,
      bin: BIN,
      log: "ferretdb.log",
      build: buildFerretDB,
      args: [
        "--handler=sqlite",
        `--sqlite-url=file:${DIR}/data/`,
        `--listen-addr=127.0.0.1:${s.mongoPort}`,
        `--state-dir=${DIR}`,
        "--telemetry=disable",
        "--debug-addr=-",
        "--log-level=warn",
      ],
    }),
    async ping() {
      const client = new MongoClient(`mongodb://127.0.0.1:${s.mongoPort}`, {
        serverSelectionTimeoutMS: 2000,
        connectTimeoutMS: 2000,
      });
      try {
        await client.connect();
        const r = await client.db("fmai").command({ ping: 1 });
        if (r.ok !== 1) throw new Error(`ping answered ${JSON.stringify(r)}`);
      } finally {
        await client.close().catch(() => {});
      }
    },
    url() {
      return `mongodb://127.0.0.1:${s.mongoPort}/fmai`;
    },
    env() {
      return { FMAI_MONGO_URL: `mongodb://127.0.0.1:${s.mongoPort}`, FMAI_MONGO_DATABASE: "fmai" };
    },
  };
}
