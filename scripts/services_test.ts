import { fileURLToPath } from "node:url";
import { deepEqual, equal, ok } from "node:assert/strict";
import { programStderr } from "./_test_process.ts";
import { parseEnvFile, shq } from "./_services_common.ts";
import { mergeEnv, renderEnvFile } from "./services.ts";

Deno.test("services env file: values round-trip through shell quoting", () => {
  const values = {
    A: "plain",
    B: 'it\'s a "test" $HOME `x`',
    C: "",
    D: "mysql://fmai:p%40ss@127.0.0.1:3307/fmai",
  };
  const text = "# comment\n" + Object.entries(values).map(([k, v]) => `export ${k}=${shq(v)}`).join("\n") +
    "\n";
  deepEqual(parseEnvFile(text), values);
});

Deno.test("services env file: a shell reads what parseEnvFile reads", async () => {
  const v = 'a\'b "c" $d';
  const out = await new Deno.Command("sh", { args: ["-c", `export X=${shq(v)}; printf %s "$X"`] }).output();
  equal(new TextDecoder().decode(out.stdout), v);
  equal(parseEnvFile(`export X=${shq(v)}`).X, v);
});

Deno.test("services env file: up/down of some services keep the entries of the others", () => {
  const mysql = { FMAI_MYSQL_URL: "mysql://fmai:pw@127.0.0.1:3307/fmai" };
  const mongo = { FMAI_MONGO_URL: "mongodb://127.0.0.1:27018/fmai" };
  const s3 = { FMAI_S3_ENDPOINT: "http://127.0.0.1:9000", FMAI_S3_BUCKET: "fmai" };
  const all = { ...mysql, ...mongo, ...s3 };
  // down mongodb: only its keys go
  deepEqual(
    mergeEnv(all, [
      { env: mysql, state: "running" },
      { env: mongo, state: "stopped" },
      { env: s3, state: "running" },
    ]),
    { ...mysql, ...s3 },
  );
  // up mongodb again: merged with the running services' entries, which keep what the file said
  const shellDefaults = { FMAI_MYSQL_URL: "mysql://fmai:other@127.0.0.1:3999/fmai" };
  deepEqual(
    mergeEnv({ ...mysql, ...s3 }, [
      { env: shellDefaults, state: "running" },
      { env: { FMAI_MONGO_URL: "mongodb://127.0.0.1:27099/fmai" }, state: "started" },
      { env: s3, state: "running" },
    ]),
    { ...mysql, ...s3, FMAI_MONGO_URL: "mongodb://127.0.0.1:27099/fmai" },
  );
  // a running service missing from the file gets its settings; a started one overwrites stale values
  deepEqual(
    mergeEnv({ ...mongo, FMAI_S3_BUCKET: "old" }, [
      { env: mysql, state: "running" },
      { env: s3, state: "started" },
    ]),
    { ...mongo, ...mysql, ...s3 },
  );
  // everything stopped: nothing left (the file is then removed)
  deepEqual(
    mergeEnv(all, [
      { env: mysql, state: "stopped" },
      { env: mongo, state: "stopped" },
      { env: s3, state: "stopped" },
    ]),
    {},
  );
  // the rendered file parses back
  deepEqual(parseEnvFile(renderEnvFile({ ...all, FMAI_MYSQL_PASSWORD: "it's" })), {
    ...all,
    FMAI_MYSQL_PASSWORD: "it's",
  });
});

Deno.test("services CLI: --help is the usage (exit 0); a flag or service it does not know is one line, exit 2", async () => {
  const run = async (...args: string[]) => {
    const o = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", fileURLToPath(new URL("./services.ts", import.meta.url)), ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: o.code, out: new TextDecoder().decode(o.stdout), err: programStderr(o.stderr) };
  };
  const help = await run("up", "--help");
  equal(help.code, 0);
  ok(help.out.startsWith("usage: deno task services:up|services:down|services:status"), help.out);
  // it said "services up: unknown service --help" with exit 1
  for (
    const [args, what] of [[["status", "--bogus"], "flag --bogus"], [
      ["down", "nosql"],
      "service nosql",
    ]] as const
  ) {
    const r = await run(...args);
    equal(r.code, 2, r.err);
    ok(r.err.startsWith(`error: services ${args[0]}: unknown ${what} (usage:`), r.err);
    equal(r.err.split("\n").length, 1);
  }
});
