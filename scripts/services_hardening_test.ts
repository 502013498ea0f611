/**
 * The local MariaDB of `deno task services:up` is hardened (run by `deno task test:integration`): an
 * unprivileged OS user cannot log in as DB root (socket or TCP), the server does not run as root, its socket
 * folder is closed to other users, `fmai` cannot write files with `SELECT ... INTO OUTFILE`, and
 * `.services/env` is readable by its owner only. The checks that switch OS users need root.
 */
import { equal, ok } from "node:assert/strict";
import mysql from "mysql2/promise";
import { mySqlConfigFromUrl } from "@lib/store/mod.ts";
import { livePid, SERVICES_DIR } from "./_services_common.ts";
import { MYSQL_FILES, MYSQL_SOCKET, serverOsUser } from "./_services_mariadb.ts";

const URL_ = Deno.env.get("FMAI_MYSQL_URL");
const ROOT = Deno.uid() === 0;

/** Runs `cmd` as the unprivileged user `nobody` (setpriv); returns exit code and output. */
async function asNobody(cmd: string[]): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command("setpriv", {
    args: ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", ...cmd],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code: r.code, out: d.decode(r.stdout) + d.decode(r.stderr) };
}

Deno.test({
  name: "local MariaDB: an unprivileged OS user cannot log in as DB root, nor reach the socket",
  ignore: !URL_ || !ROOT,
  async fn() {
    const c = mySqlConfigFromUrl(URL_!);
    const client = (...args: string[]) => ["mariadb", "--no-defaults", ...args, "-e", "SELECT 1"];
    const tcp = (host: string) => ["--protocol=TCP", `-h${host}`, `-P${c.port}`];
    const tries = [
      client(`--socket=${MYSQL_SOCKET}`, "-uroot"),
      client(...tcp("127.0.0.1"), "-uroot"),
      client(...tcp("127.0.0.1"), "-uroot", "-proot"),
      client(...tcp("::1"), "-uroot"),
      client(`--socket=${MYSQL_SOCKET}`, "-umysql"),
    ];
    for (const t of tries) {
      const r = await asNobody(t);
      ok(r.code !== 0, `${t.join(" ")} must fail for nobody: ${r.out}`);
      ok(!/^1$/m.test(r.out), r.out);
    }
    // the admin (OS root) still gets in by socket
    const admin = await new Deno.Command("mariadb", {
      args: [
        "--no-defaults",
        `--socket=${MYSQL_SOCKET}`,
        "-uroot",
        "-N",
        "-e",
        "SELECT user FROM mysql.global_priv WHERE user='root'",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    equal(admin.code, 0, new TextDecoder().decode(admin.stderr));
    equal(
      new TextDecoder().decode(admin.stdout).trim(),
      "root",
      "exactly one root account (root@localhost, socket)",
    );
  },
});

Deno.test({
  name: "local MariaDB: runs as an unprivileged user; no file writes; env file owner-only",
  ignore: !URL_,
  async fn() {
    const pid = await livePid(`${SERVICES_DIR}/mysql/server.pid`, "mariadbd");
    ok(pid !== null, "mariadbd is running");
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)![1]);
    if (ROOT) ok(uid !== 0, "mariadbd does not run as root");
    const dirMode = (await Deno.stat(`${SERVICES_DIR}/mysql`)).mode! & 0o777;
    equal(dirMode & 0o007, 0, `the server folder is closed to others (mode ${dirMode.toString(8)})`);
    const envMode = (await Deno.stat(`${SERVICES_DIR}/env`)).mode! & 0o777;
    equal(envMode, 0o600, `.services/env mode ${envMode.toString(8)}`);
    const conn = await mysql.createConnection(mySqlConfigFromUrl(URL_!));
    try {
      const [rows] = await conn.query("SELECT @@secure_file_priv AS p, CURRENT_USER() AS u");
      const r = (rows as { p: string; u: string }[])[0];
      equal(r.p.replace(/\/$/, ""), MYSQL_FILES, "secure_file_priv is the private folder");
      ok(r.u.startsWith("fmai@"));
      const target = `/tmp/fmai-outfile-${Date.now()}`;
      let refused = false;
      try {
        await conn.query(`SELECT 1 INTO OUTFILE '${target}'`);
      } catch (e) {
        refused = /denied|secure-file-priv|FILE/i.test((e as Error).message);
      }
      ok(refused, "fmai cannot SELECT ... INTO OUTFILE");
      let exists = true;
      try {
        await Deno.stat(target);
      } catch {
        exists = false;
      }
      equal(exists, false);
    } finally {
      await conn.end();
    }
    equal(serverOsUser(), ROOT ? "mysql" : Deno.env.get("USER") || "fmai");
  },
});
