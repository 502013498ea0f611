/**
 * `deno task test:integration`: runs the store tests (`lib/store/`), the local servers' hardening check and
 * the server-death test (MySQL killed mid-collect, then restarted) against the local servers of
 * `deno task services:up`, with the variables of `.services/env`. Fails when the file or a variable is
 * missing, or a server does not answer, so CI cannot skip the real-server suites silently. Extra arguments go
 * to `deno test` (for example `--filter mongodb`).
 * @module
 */
import { parseEnvFile, ROOT, SERVICES_DIR } from "./_services_common.ts";

/** Variables the integration suites need. */
export const REQUIRED = ["FMAI_MYSQL_URL", "FMAI_MONGO_URL", "FMAI_S3_ENDPOINT", "FMAI_S3_ACCESS_KEY_ID"];

if (import.meta.main) {
  if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
    console.log(
      "usage: deno task test:integration [deno test flags, e.g. --filter mongodb] (after deno task services:up)",
    );
    Deno.exit(0);
  }
  const file = `${SERVICES_DIR}/env`;
  let env: Record<string, string>;
  try {
    env = parseEnvFile(await Deno.readTextFile(file));
  } catch {
    console.error(`test:integration: ${file} is missing: run \`deno task services:up\` first`);
    Deno.exit(1);
  }
  const missing = REQUIRED.filter((k) => !env[k]);
  if (missing.length) {
    console.error(
      `test:integration: ${missing.join(", ")} missing in ${file}: run \`deno task services:up\``,
    );
    Deno.exit(1);
  }
  const status = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}/scripts/services.ts`, "status"],
    cwd: ROOT,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!status.success) {
    console.error("test:integration: a service is not answering: run `deno task services:up`");
    Deno.exit(1);
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "test",
      "-A",
      ...Deno.args,
      "lib/store/",
      "pipelines/store_copy_test.ts",
      "pipelines/serve_test.ts",
      "pipelines/export_test.ts",
      "scripts/services_hardening_test.ts",
      "scripts/server_death_test.ts",
    ],
    cwd: ROOT,
    env: { ...Deno.env.toObject(), ...env },
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const { code } = await child.status;
  Deno.exit(code);
}
