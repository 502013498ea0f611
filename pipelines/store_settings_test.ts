import { deepEqual, equal, throws } from "node:assert/strict";
import { checkS3Settings, envFlag, isS3Region, mysqlFromUrlEnv } from "./store_settings.ts";

Deno.test("envFlag: 1, true, 0, false; unset or empty undefined; anything else refused naming the variable", () => {
  deepEqual(["1", "true", "0", "false", "", undefined].map((v) => envFlag({ X: v }, "X")), [
    true,
    true,
    false,
    false,
    undefined,
    undefined,
  ]);
  throws(() => envFlag({ X: "maybe" }, "X"), /^ConfigError: X must be 1, true, 0 or false, got "maybe"$/);
});

Deno.test("isS3Region: a host label, as the AWS SDK takes it", () => {
  for (const r of ["us-east-1", "auto", "eu-west-3", "EU"]) equal(isS3Region(r), true, r);
  for (const r of ["", " ", "us east", "-a", "a-", "a.b", "x".repeat(64), 1]) {
    equal(isS3Region(r), false, String(r));
  }
});

Deno.test("mysqlFromUrlEnv: the URL's fields; a part beside it that says otherwise or a port 0 is refused", () => {
  const c = mysqlFromUrlEnv({
    FMAI_MYSQL_URL: "mysql://u:p@h:1/d",
    FMAI_MYSQL_PORT: "1",
    FMAI_MYSQL_USER: "",
  });
  deepEqual([c.host, c.port, c.user, c.password, c.database], ["h", 1, "u", "p", "d"]);
  throws(
    () => mysqlFromUrlEnv({ FMAI_MYSQL_URL: "mysql://u:p@h:1/d", FMAI_MYSQL_HOST: "g" }),
    /^ConfigError: FMAI_MYSQL_HOST g differs from FMAI_MYSQL_URL's host h: set one of them$/,
  );
  throws(
    () => mysqlFromUrlEnv({ FMAI_MYSQL_URL: "mysql://u:p@h:0/d" }),
    /^ConfigError: FMAI_MYSQL_URL .*expected a port/,
  );
});

Deno.test("checkS3Settings: a key's value is never shown", () => {
  const o = { region: "us-east-1", bucket: "b", accessKeyId: "AKIA SECRET" };
  throws(() => checkS3Settings(o, (k) => k), (e) => {
    equal(
      (e as Error).message,
      "accessKeyId: expected a key without spaces, got one with spaces (not shown)",
    );
    return true;
  });
});
