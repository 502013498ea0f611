/**
 * The local MariaDB server of `scripts/services.ts`: Debian's `mariadb-server` (installed with apt-get when
 * `mariadbd` is missing: as root, or through `sudo -n` for a user with passwordless sudo), a private instance
 * under `.services/mysql` (`mariadb-install-db` + `mariadbd` on 127.0.0.1 with its own port, socket and pid
 * file), database `fmai` and user `fmai` with password `FMAI_MYSQL_PASSWORD` (default `fmai`), for exactly
 * `127.0.0.1` and `localhost`.
 *
 * Hardened like a real server, even though it is for development:
 * - it runs as an unprivileged OS user: `mysql` (Debian's account) when started by root, else the user who
 *   starts it; its folder (data, socket, logs) is that user's, mode 0750, so no other user reaches the socket;
 * - DB root (and the starting user's admin account) authenticate only by unix socket, i.e. as that OS user: no
 *   password to guess, no root account over TCP, no anonymous accounts; re-applied on every start, so an
 *   older instance with a passwordless root is fixed too;
 * - `secure_file_priv` is a private folder: `SELECT ... INTO OUTFILE` / `LOAD_FILE` cannot touch other files,
 *   and the `fmai` user has no FILE privilege at all.
 * @module
 */
import mysql from "mysql2";
import {
  exists,
  run,
  type Service,
  SERVICES_DIR,
  type ServiceSettings,
  spawnDetached,
  which,
} from "./_services_common.ts";

const DIR = `${SERVICES_DIR}/mysql`;
const DATA = `${DIR}/data`;
/** The server's socket (inside its private folder). */
export const MYSQL_SOCKET = `${DIR}/mysqld.sock`;
const SOCKET = MYSQL_SOCKET;
/** The only folder `SELECT ... INTO OUTFILE` and `LOAD DATA INFILE` may use. */
export const MYSQL_FILES = `${DIR}/files`;

/** The OS account the server runs as: `mysql` when we are root (the server refuses to run as root). */
export function serverOsUser(): string {
  return Deno.uid() === 0 ? "mysql" : (Deno.env.get("USER") || "fmai");
}

/** The OS user starting the services; its DB admin account authenticates by socket as that user. */
function adminUser(): string {
  return Deno.uid() === 0 ? "root" : (Deno.env.get("USER") || "root");
}

/** Gives the server's folder to its OS user, mode 0750 (0700 for the files folder). */
async function ownFolder(): Promise<void> {
  await Deno.mkdir(MYSQL_FILES, { recursive: true });
  if (Deno.uid() === 0) await run("chown", ["-R", `${serverOsUser()}:`, DIR]);
  await Deno.chmod(DIR, 0o750);
  await Deno.chmod(MYSQL_FILES, 0o700);
}

function sqlString(s: string): string {
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** Runs SQL as the DB admin over the private socket (socket auth as this OS user; an old instance's root). */
async function adminSql(sql: string): Promise<string> {
  const args = (user: string) => ["--no-defaults", `--socket=${SOCKET}`, `-u${user}`, "-N", "-B"];
  try {
    return await run("mariadb", args(adminUser()), { stdin: sql });
  } catch (e) {
    if (adminUser() === "root") throw e;
    return await run("mariadb", args("root"), { stdin: sql }); // created before socket auth: passwordless root
  }
}

/**
 * Database, application user and the hardening, idempotent (run on every start): the admin accounts
 * authenticate only by socket, every other root or anonymous account is dropped, `fmai` exists for exactly
 * 127.0.0.1 and localhost with ALL on `fmai%` databases only (no FILE, no global privileges).
 */
async function harden(password: string): Promise<void> {
  const pw = sqlString(password), admin = sqlString(adminUser());
  const extra = (await adminSql(
    "SELECT CONCAT(QUOTE(user), '@', QUOTE(host)) FROM mysql.global_priv WHERE " +
      `(user = 'root' AND host <> 'localhost') OR user = '' OR (user = 'fmai' AND host NOT IN ('127.0.0.1', 'localhost'));`,
  )).trim().split("\n").filter(Boolean);
  const sql = [
    ...(adminUser() === "root" ? [] : [
      `CREATE USER IF NOT EXISTS ${admin}@'localhost' IDENTIFIED VIA unix_socket;`,
      `GRANT ALL PRIVILEGES ON *.* TO ${admin}@'localhost' WITH GRANT OPTION;`,
    ]),
    "ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket;",
    ...extra.map((u) => `DROP USER IF EXISTS ${u};`),
    "CREATE DATABASE IF NOT EXISTS fmai CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;",
    ...["127.0.0.1", "localhost"].flatMap((h) => [
      `CREATE USER IF NOT EXISTS 'fmai'@'${h}' IDENTIFIED BY ${pw};`,
      `ALTER USER 'fmai'@'${h}' IDENTIFIED BY ${pw};`,
      `REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'fmai'@'${h}';`,
      `GRANT ALL PRIVILEGES ON \`fmai%\`.* TO 'fmai'@'${h}';`,
    ]),
    "FLUSH PRIVILEGES;",
  ].join("\n");
  await adminSql(sql);
}

/**
 * How to run apt-get as root: itself when we are root, else through `sudo -n` (non-interactive: it fails at
 * once instead of asking for a password), as for the unprivileged runner user of GitHub-hosted CI; `null`
 * when neither works. `DEBIAN_FRONTEND` goes through `env`, since sudo resets the environment.
 */
export function aptGetCommand(uid: number | null, hasSudo: boolean): string[] | null {
  const aptGet = ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-o", "DPkg::Lock::Timeout=600"];
  if (uid === 0) return aptGet;
  return hasSudo ? ["sudo", "-n", ...aptGet] : null;
}

/** Whether `sudo -n true` succeeds (sudo is installed and needs no password), as `scripts/setup.sh` checks. */
async function sudoWithoutPassword(): Promise<boolean> {
  if (!await which("sudo")) return false;
  try {
    const { success } = await new Deno.Command("sudo", {
      args: ["-n", "true"],
      stdout: "null",
      stderr: "null",
    })
      .output();
    return success;
  } catch {
    return false;
  }
}

/** The MariaDB service. */
export function mariadbService(s: ServiceSettings): Service {
  let setupDone = false;
  const svc: Service = {
    name: "mysql",
    impl: "mariadbd (Debian mariadb-server)",
    port: s.mysqlPort,
    pidFile: `${DIR}/server.pid`,
    exe: "mariadbd",
    logFile: `${DIR}/mysqld.log`,
    async ensureInstalled() {
      if (await which("mariadbd") && await which("mariadb-install-db")) return;
      const cmd = aptGetCommand(Deno.uid(), await sudoWithoutPassword());
      if (!cmd) {
        throw new Error(
          "mariadb-server is not installed, and installing it with apt-get needs root: run as root or with " +
            "passwordless sudo, or install mariadb-server and mariadb-client yourself",
        );
      }
      const [exe, ...pre] = cmd;
      const install = ["-y", "-q", "install", "mariadb-server", "mariadb-client"];
      try {
        await run(exe, [...pre, ...install]);
      } catch {
        await run(exe, [...pre, "-q", "update"]);
        await run(exe, [...pre, ...install]);
      }
      if (!await which("mariadbd")) {
        throw new Error("apt-get installed mariadb-server but mariadbd is not on PATH");
      }
    },
    async start() {
      await Deno.mkdir(DIR, { recursive: true });
      if (!await exists(`${DATA}/mysql`)) {
        await Deno.mkdir(DATA, { recursive: true });
        await ownFolder();
        await run("mariadb-install-db", [
          "--no-defaults",
          `--datadir=${DATA}`,
          "--auth-root-authentication-method=socket",
          `--auth-root-socket-user=${adminUser()}`,
          "--skip-test-db",
          `--user=${serverOsUser()}`,
        ]);
      }
      await ownFolder();
      try {
        await Deno.remove(SOCKET);
      } catch { /* not there */ }
      await spawnDetached("mariadbd", [
        "--no-defaults",
        `--user=${serverOsUser()}`,
        `--secure-file-priv=${MYSQL_FILES}`,
        `--datadir=${DATA}`,
        `--socket=${SOCKET}`,
        `--pid-file=${DIR}/mysqld.pid`,
        `--log-error=${svc.logFile}`,
        "--bind-address=127.0.0.1",
        `--port=${s.mysqlPort}`,
        "--skip-name-resolve",
        "--character-set-server=utf8mb4",
        "--collation-server=utf8mb4_bin",
        // A development server: bulk loads fast, durable against a client crash (SIGKILL of an ingest);
        // an OS crash may lose the last second of commits.
        "--innodb-buffer-pool-size=512M",
        "--innodb-log-file-size=256M",
        "--innodb-flush-log-at-trx-commit=2",
        "--max-allowed-packet=64M",
        "--max-connections=200",
      ], { log: `${DIR}/mysqld.out`, pidFile: svc.pidFile });
      setupDone = false;
    },
    async ping() {
      if (!setupDone) {
        await harden(s.mysqlPassword);
        setupDone = true;
      }
      // The real check: the fmai user over TCP with the MySQL protocol.
      const conn = mysql.createConnection({
        host: "127.0.0.1",
        port: s.mysqlPort,
        user: "fmai",
        password: s.mysqlPassword,
        database: "fmai",
        connectTimeout: 3000,
      }).promise();
      try {
        const [rows] = await conn.query("SELECT 1 AS ok");
        if ((rows as { ok: number }[])[0]?.ok !== 1) throw new Error("SELECT 1 gave an unexpected answer");
      } finally {
        await conn.end().catch(() => {});
      }
    },
    url() {
      return `mysql://fmai@127.0.0.1:${s.mysqlPort}/fmai`;
    },
    env() {
      return {
        FMAI_MYSQL_URL: `mysql://fmai:${encodeURIComponent(s.mysqlPassword)}@127.0.0.1:${s.mysqlPort}/fmai`,
        FMAI_MYSQL_HOST: "127.0.0.1",
        FMAI_MYSQL_PORT: String(s.mysqlPort),
        FMAI_MYSQL_USER: "fmai",
        FMAI_MYSQL_PASSWORD: s.mysqlPassword,
        FMAI_MYSQL_DATABASE: "fmai",
      };
    },
  };
  return svc;
}
