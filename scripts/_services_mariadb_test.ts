import { deepEqual, equal } from "node:assert/strict";
import { aptGetCommand } from "./_services_mariadb.ts";

Deno.test("mariadb install: apt-get directly as root, through non-interactive sudo otherwise", () => {
  const aptGet = ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-o", "DPkg::Lock::Timeout=600"];
  deepEqual(aptGetCommand(0, false), aptGet);
  deepEqual(aptGetCommand(0, true), aptGet);
  deepEqual(aptGetCommand(1001, true), ["sudo", "-n", ...aptGet]);
  equal(aptGetCommand(1001, false), null);
  equal(aptGetCommand(null, false), null);
});
