/**
 * The local MariaDB server of `scripts/services.ts`: Debian's `mariadb-server` (installed with apt-get when
 * `mariadbd` is missing), a private instance under `.services/mysql` (`mariadb-install-db` + `mariadbd` on
 * 127.0.0.1 with its own port, socket and pid file), database `fmai` and user `fmai` with password
 * `FMAI_MYSQL_PASSWORD` (default `fmai`).
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
const SOCKET = `${DIR}/mysqld.sock`;

function sqlString(s: string): string {
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
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
      const env = { ...Deno.env.toObject(), DEBIAN_FRONTEND: "noninteractive" };
      const aptArgs = ["-o", "DPkg::Lock::Timeout=600", "-y", "-q"];
      try {
        await run("apt-get", [...aptArgs, "install", "mariadb-server", "mariadb-client"], { env });
      } catch {
        await run("apt-get", ["-o", "DPkg::Lock::Timeout=600", "-q", "update"], { env });
        await run("apt-get", [...aptArgs, "install", "mariadb-server", "mariadb-client"], { env });
      }
      if (!await which("mariadbd")) {
        throw new Error("apt-get installed mariadb-server but mariadbd is not on PATH");
      }
    },
    async start() {
      await Deno.mkdir(DIR, { recursive: true });
      if (!await exists(`${DATA}/mysql`)) {
        await Deno.mkdir(DATA, { recursive: true });
        await run("mariadb-install-db", [
          "--no-defaults",
          `--datadir=${DATA}`,
          "--auth-root-authentication-method=normal",
          "--skip-test-db",
          "--user=root",
        ]);
      }
      try {
        await Deno.remove(SOCKET);
      } catch { /* not there */ }
      await spawnDetached("mariadbd", [
        "--no-defaults",
        "--user=root",
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
        // As root over the private socket: database and user (idempotent; updates the password).
        const pw = sqlString(s.mysqlPassword);
        const sql = [
          "CREATE DATABASE IF NOT EXISTS fmai CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;",
          ...["127.0.0.1", "localhost"].flatMap((h) => [
            `CREATE USER IF NOT EXISTS 'fmai'@'${h}' IDENTIFIED BY ${pw};`,
            `ALTER USER 'fmai'@'${h}' IDENTIFIED BY ${pw};`,
            `GRANT ALL PRIVILEGES ON \`fmai%\`.* TO 'fmai'@'${h}';`,
          ]),
          "FLUSH PRIVILEGES;",
        ].join("\n");
        await run("mariadb", ["--no-defaults", `--socket=${SOCKET}`, "-uroot"], { stdin: sql });
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
