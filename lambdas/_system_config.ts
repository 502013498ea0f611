/**
 * The fitted system's config in a Lambda, read the same way by `signal` (the daily run) and `api` (which serves
 * its model): `config/default.yaml` packaged beside the bundle (`FMAI_CONFIG_DEFAULTS`; unset: the task root's),
 * then `FMAI_CONFIG_OVERRIDES` (a JSON object of config keys, checked key by key like a config file). Errors are
 * one-line `ConfigError`s naming the variable.
 * @module
 */
import process from "node:process";
import { ConfigError, InputError, oneLine, shown } from "../lib/core/mod.ts";
import { type Config, loadConfig, parseYamlText } from "../pipelines/config.ts";
import type { Env } from "./_config.ts";

/** `FMAI_CONFIG_OVERRIDES` as a JSON object (`{}` when unset or empty). */
export function overridesFromEnv(env: Env): Record<string, unknown> {
  const text = env.FMAI_CONFIG_OVERRIDES;
  if (!text) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`FMAI_CONFIG_OVERRIDES is not JSON: ${oneLine(e)}`);
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new ConfigError(`FMAI_CONFIG_OVERRIDES: expected a JSON object of config keys, got ${shown(v)}`);
  }
  // a key given twice is refused, as in a config file (JSON.parse keeps the last without a word); JSON is YAML,
  // whose parser refuses a repeated key
  try {
    parseYamlText(text, "FMAI_CONFIG_OVERRIDES");
  } catch (e) {
    const at = /Map keys must be unique at (line \d+, column \d+)/.exec((e as Error).message);
    if (!at) throw e;
    throw new ConfigError(`FMAI_CONFIG_OVERRIDES: a key is given twice (the second at ${at[1]})`, {
      cause: e,
    });
  }
  const o = v as Record<string, unknown>;
  const source = o.source;
  if (source !== null && typeof source === "object" && "market" in source) {
    throw new ConfigError(
      "FMAI_CONFIG_OVERRIDES: source.market is not collected in a Lambda (the prices function collects " +
        "FMAI_SYMBOLS only, and those are traded): leave it out (the universe's own index and VIX stand-in)",
    );
  }
  for (const k of ["dataDir", "reportDir"]) {
    if (k in o) {
      throw new ConfigError(
        `FMAI_CONFIG_OVERRIDES: ${k} is set by FMAI_DATA_DIR in a Lambda (remove it from the overrides)`,
      );
    }
  }
  return o;
}

/**
 * The config of the defaults file and `FMAI_CONFIG_OVERRIDES` (`loaded`), with the overrides (`extra`) and the
 * defaults file's path: an error names the defaults file alone when it is at fault, else the overrides.
 */
export async function systemConfigFromEnv(
  env: Env,
): Promise<{ extra: Record<string, unknown>; loaded: Config; defaultsFile: string }> {
  const extra = overridesFromEnv(env);
  const defaultsFile = env.FMAI_CONFIG_DEFAULTS ||
    `${env.LAMBDA_TASK_ROOT ?? process.cwd()}/config/default.yaml`;
  const defaultsName = env.FMAI_CONFIG_DEFAULTS
    ? "FMAI_CONFIG_DEFAULTS"
    : "config defaults (FMAI_CONFIG_DEFAULTS unset)";
  try {
    return { extra, loaded: await loadConfig({ defaultsFile, overrides: extra }), defaultsFile };
  } catch (e) {
    // which variable to name: the defaults file alone, or the overrides on top of it
    try {
      await loadConfig({ defaultsFile });
    } catch (d) {
      throw new ConfigError(`${defaultsName} ${defaultsFile}: ${oneLine(d)}`, { cause: d });
    }
    // a config key or a symbol the overrides name wrongly: the variable is named either way
    if (e instanceof ConfigError || e instanceof InputError) {
      throw new ConfigError(`FMAI_CONFIG_OVERRIDES: ${oneLine(e)}`, { cause: e });
    }
    throw e;
  }
}
