/**
 * `deno task models list|show|promote|rollback`: the model registry of the fitted system (aliases `champion`,
 * `challenger`; versions are immutable). `promote VERSION --require-better` refuses unless the version beats the
 * champion on the paper scorecard over at least `production.retrain.minScoredSessions` sessions both were scored
 * on (a forward walk-forward window: signals issued before their outcomes were known). A version fitted on another
 * market context, news scorer or market-wide news than the champion, or saved in a format this build does not
 * load, is refused (a daily run that serves the champion would refuse to serve it) unless `--force`; so is a
 * rollback to such a version. Promote and rollback check every byte of the version against its digests before
 * moving an alias; a rollback retires the champion it moves off (see docs/deploy.md). A champion alias pointing
 * at a version the registry no longer holds is no context to compare with: promote of a registered version works.
 * @module
 */
import { ConfigError, ModelError, wholeNumber } from "@lib/core/mod.ts";
import {
  type AliasState,
  aliasState,
  aliasTarget,
  findVersion,
  listVersions,
  promoteVersion,
  rollbackChampion,
  rollbackTarget,
  type VersionManifest,
  versionManifest,
} from "@lib/models/mod.ts";
import { openStores } from "@lib/store/mod.ts";
import { textTable } from "@lib/report/mod.ts";
import { parseFlags, reportCliError, STORE_FLAGS } from "./_cli_error.ts";
import { loadFlagsConfig } from "./config.ts";
import { checkStoreExists, chosenBackends, existingOnly, lockWaitText, storeConfigFor } from "./stores.ts";
import {
  cannotServeWith,
  chainFits,
  compareOnScorecard,
  newestFit,
  paperCell,
  refitDueOn,
  servingFitOf,
  versionPaper,
} from "./signal.ts";
import { ensureTables } from "./collect/mod.ts";

const USAGE = `usage: deno task models list
       deno task models show VERSION|ALIAS
       deno task models promote VERSION [--require-better [--min-sessions N]] [--force]
       deno task models rollback [--force]
  options: [--config FILE] [--store-dir DIR] [--stores embedded | mysql,mongodb,s3]
  exit codes: 0 done (promote of the champion: nothing to do); 2 refused (a bad flag or version, one missing or
  not matching its digests, not better, nothing to roll back to), nothing changed; 1 a store failure`;

/**
 * A stored metric rounded to 4 decimals, or "–" when it is not a finite number (a NaN is stored as null in the
 * manifest's JSON: a gate that abstains on every row has no rank IC), as the report's tables show a missing number.
 */
function metricText(x: unknown): string {
  return typeof x === "number" && Number.isFinite(x) ? String(+x.toFixed(4)) : "–";
}

/** A version's validation metrics as `name value` pairs ("-" when it has none). */
function validationText(metrics: Record<string, number | null> | undefined): string {
  return Object.entries(metrics ?? {}).map(([k, x]) => `${k} ${metricText(x)}`).join(" ") || "-";
}

/** A version's creation time (epoch ms) to the second, or "–" when the manifest has no valid one. */
function createdText(ms: unknown): string {
  return typeof ms === "number" && Number.isFinite(ms) && Math.abs(ms) <= 8.64e15
    ? new Date(ms).toISOString().slice(0, 19) + "Z"
    : "–";
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[], out: (s: string) => void = console.log): Promise<number> {
  try {
    const { values: v, positionals } = parseFlags(argv, {
      "require-better": { type: "boolean" },
      force: { type: "boolean" },
      "min-sessions": { type: "string" },
      ...STORE_FLAGS,
    });
    if (v.help) {
      out(USAGE);
      return 0;
    }
    const [cmd, arg, ...rest] = positionals;
    if (!cmd) throw new ConfigError("missing command (list, show, promote, rollback)");
    if (!["list", "show", "promote", "rollback"].includes(cmd)) {
      throw new ConfigError(`unknown command ${cmd} (list, show, promote, rollback)`);
    }
    if (rest.length) throw new ConfigError(`unexpected argument ${rest[0]}`);
    if ((cmd === "show" || cmd === "promote") && !arg) throw new ConfigError(`${cmd} needs a VERSION`);
    if ((cmd === "list" || cmd === "rollback") && arg) throw new ConfigError(`unexpected argument ${arg}`);
    // the scorecard flags are promote's only, and --min-sessions only tunes --require-better: refused
    // elsewhere rather than ignored (a promote that seemed guarded would go through unchecked)
    if (cmd !== "promote" && (v["require-better"] || v["min-sessions"] !== undefined)) {
      const flag = v["require-better"] ? "--require-better" : "--min-sessions";
      throw new ConfigError(`${flag} applies only to promote, not to ${cmd}`);
    }
    if (v.force && cmd !== "promote" && cmd !== "rollback") {
      throw new ConfigError(`--force applies only to promote and rollback, not to ${cmd}`);
    }
    if (cmd === "promote" && v["min-sessions"] !== undefined && !v["require-better"]) {
      throw new ConfigError(
        "--min-sessions applies only with --require-better (promote VERSION --require-better)",
      );
    }
    let minSessions: number | undefined;
    if (v["min-sessions"] !== undefined) {
      minSessions = wholeNumber(v["min-sessions"], "--min-sessions");
    }
    // its notes go to stderr: stdout is the command's answer (`show` prints JSON a script may parse)
    const cfg = await loadFlagsConfig(v, (line) => console.error(line));
    const name = cfg.production.model;
    const backends = chosenBackends(v.stores, Deno.env.get("FMAI_STORES"));
    const storeCfg = await storeConfigFor(cfg.dataDir, backends);
    // the registry (objects) and the scorecard (tables) are read: a mistyped --store-dir is refused, not created
    await checkStoreExists(storeCfg, ["tables", "objects"]);
    // a promote or rollback kept waiting on the registry's lock (a killed run's is taken over after a while) says so
    const stores = await openStores(existingOnly(storeCfg), {
      onLockWait: (wait) => console.error(lockWaitText(wait)),
    });
    try {
      await ensureTables(stores);
      const state = await aliasState(stores.objects, name);
      const aliases = state.aliases;
      // own aliases only: `show constructor` is an unknown version, not Object's constructor
      const resolve = (x: string) => aliasTarget(state, x) ?? x;
      // a champion alias may point at a version the registry no longer holds (its folder deleted by a cleanup or
      // a lifecycle rule, or never copied): there is no serving context to compare with, and promote is the way out
      const championAt = aliasTarget(state, "champion");
      const champion = championAt === null ? null : await findVersion(stores.objects, name, championAt);
      const championGone = championAt !== null && champion === null
        ? `the champion alias pointed at ${championAt}, which the registry does not hold: no serving context ` +
          "to compare with"
        : null;
      /**
       * Refuses (unless --force) to make `version` the champion when it was fitted on another context than the
       * champion (a market context, news scorer or market-wide news) or saved in a format this build cannot load:
       * a daily run that serves the champion would refuse to serve it.
       */
      const servableBesideChampion = async (what: string, version: string) => {
        // a rollback to one not registered is refused by rollbackChampion, which checks its bytes first
        const m = await findVersion(stores.objects, name, version);
        if (m === null) return;
        const beside = champion !== null && champion.version !== version ? champion : m;
        const why = cannotServeWith(m, servingFitOf(beside), "the champion's");
        if (why && !v.force) {
          throw new ModelError(
            `not ${what}: ${version} ${why}, so a daily run that serves the champion would refuse to serve it ` +
              `(refit with deno task signal --refit; --force when your config was changed to match it)`,
          );
        }
      };
      /**
       * What becomes of the champion a rollback moved off: it is retired (not put back as the challenger: under
       * if-better a challenger that beat the champion would be promoted again by the next daily run, undoing the
       * rollback), and the retrain schedule counts from the newest fit's cut-off as after any retired challenger
       * (the fits of the alias chain, as the daily run counts them).
       */
      const retiredText = (from: string, st: AliasState, versions: VersionManifest[]) => {
        const challenger = aliasTarget(st, "challenger");
        if (challenger !== null) return `${from} retired; ${challenger} stays the challenger`;
        const newest = newestFit(chainFits(versions, st));
        if (!newest) return `${from} retired`;
        const every = cfg.production.retrain.every;
        const due = refitDueOn(newest.lineage.asOf, every);
        return `${from} retired (not the challenger: it runs in no shadow); the next refit is due on the run of ` +
          `${due}, production.retrain.every ${every} sessions after the newest fit's cut-off ${newest.lineage.asOf} ` +
          "(deno task signal --refit for one now)";
      };
      if (cmd === "list") {
        const versions = await listVersions(stores.objects, name);
        if (!versions.length) {
          out(`no versions of ${name} yet: run \`deno task signal\``);
          return 0;
        }
        const paper = await Promise.all(versions.map((m) => versionPaper(stores, m.version)));
        out(textTable({
          columns: [
            "version",
            "aliases",
            "data through",
            "calibration",
            "created",
            "validation",
            "paper book",
            "git",
          ],
          rows: versions.map((m, i) => [
            m.version,
            Object.keys(aliases).filter((a) => aliases[a] === m.version).join(",") || "-",
            m.lineage.asOf,
            m.lineage.windows.calibration.join(".."),
            createdText(m.lineage.createdAt),
            validationText(m.lineage.metrics?.validation),
            paperCell(paper[i]),
            m.lineage.git.sha.slice(0, 10) + (m.lineage.git.dirty ? "+" : ""),
          ]),
        }));
        // an alias the table cannot show: it points at a version the registry no longer holds
        for (const [alias, target] of Object.entries(aliases)) {
          if (target && !versions.some((m) => m.version === target)) {
            out(
              `${alias}: ${target}, which the registry does not hold (deleted or not copied): deno task ` +
                `models promote VERSION${alias === "champion" ? " (the daily run stops until then)" : ""}`,
            );
          }
        }
      } else if (cmd === "show") {
        out(JSON.stringify(await versionManifest(stores.objects, name, resolve(arg)), null, 2));
      } else if (cmd === "promote") {
        const version = resolve(arg);
        if (champion !== null && version === champion.version) {
          out(`champion: ${version} (already the champion: nothing changed)`);
          return 0;
        }
        await versionManifest(stores.objects, name, version);
        await servableBesideChampion("promoted", version);
        let note = "manual";
        if (v["require-better"]) {
          if (!champion) throw new ModelError(championGone ?? "no champion to compare with");
          const c = await compareOnScorecard(
            stores,
            champion.version,
            version,
            minSessions ?? cfg.production.retrain.minScoredSessions,
            { on: cfg.production.retrain.compareOn },
          );
          if (!c.better) throw new ModelError(`not promoted: ${c.detail}`, {});
          note = c.detail;
        }
        const st = await promoteVersion(stores.objects, name, version, { note });
        out(`champion: ${st.aliases.champion} (${[note, championGone].filter(Boolean).join("; ")})`);
      } else {
        const back = rollbackTarget(state);
        if (back !== undefined) await servableBesideChampion("rolled back", back);
        // checked again when the aliases are written: a rollback that another one got ahead of is refused
        const st = await rollbackChampion(stores.objects, name, {
          note: "manual rollback",
          ...(back !== undefined ? { expect: back } : {}),
        });
        const from = st.history.at(-1)?.from ?? null;
        const gone = championGone ? [championGone] : [];
        const retired = from === null || championGone ? [] : [
          retiredText(from, st, await listVersions(stores.objects, name)),
        ];
        out(`champion: ${st.aliases.champion} (${["rolled back", ...gone, ...retired].join("; ")})`);
      }
      return 0;
    } finally {
      await stores.close();
    }
  } catch (e) {
    if (e instanceof ModelError) {
      console.error(`error: ${e.message}`);
      return 2;
    }
    return reportCliError(e);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
