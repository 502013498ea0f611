/**
 * Model registry on an object store: artifacts under `models/<name>/<version>/<file>` with a `manifest.json`
 * listing the files. `saveModel` / `loadModel` serialize the models of this folder (JSON params; the MLP adds
 * tfjs topology and weight bytes).
 *
 * Registered versions (`registerVersion`) are immutable and content-addressed: the manifest adds a SHA-256
 * digest over the files and the lineage (spec and config hashes, feature set, windows, data snapshot, metrics,
 * git sha, tfjs backend, seed); loading verifies every byte. Aliases (`champion`, `challenger`) live in
 * `models/<name>/aliases.json` and move: `promote` pushes the old champion on a stack that `rollback` pops.
 * @module
 */
import {
  canonicalJson,
  InputError,
  type Instant,
  type IsoDate,
  ModelError,
  sha256Hex,
  shown,
} from "../core/mod.ts";
import { checkObjectKey, modelKey, type ObjectStore } from "../store/mod.ts";
import { LogisticModel, type LogisticParams } from "./logistic.ts";
import { MajorityClassModel, type MajorityParams } from "./majority.ts";
import { MomentumModel, type MomentumParams } from "./momentum.ts";
import { MlpModel } from "./mlp.ts";
import { SequenceModel } from "./sequence.ts";
import { GbdtModel, type GbdtParams } from "./gbdt.ts";
import { Garch11Model, type Garch11State } from "./garch.ts";
import { EwmaModel } from "./ewma.ts";
import { HarRvModel, type HarRvState } from "./har.ts";

/** The part of an `ObjectStore` the artifact functions need. */
export type ArtifactStore = Pick<ObjectStore, "put" | "get">;
/** The part of an `ObjectStore` the registry of versions and aliases needs. */
export type RegistryStore = Pick<ObjectStore, "put" | "get" | "list">;
/** What changing the aliases needs besides: conditional writes, so concurrent changes all land. */
export type AliasStore = RegistryStore & Pick<ObjectStore, "getTagged" | "putIf">;

/** What `manifest.json` holds. */
export interface ArtifactManifest {
  name: string;
  version: string;
  files: string[];
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Whether `v` can be a name, version or file segment: letters, digits, `. _ -` from a letter or digit on, no `..`. */
function isSegment(v: string): boolean {
  return typeof v === "string" && SEGMENT.test(v) && !v.includes("..");
}

/**
 * A model name or version is asked for by the user (`models show VERSION`, `production.model`): one that cannot
 * be a key segment is an `InputError` (exit 2). A file name comes from the code: a bad one is a `TypeError`.
 */
function checkSegment(kind: "name" | "version" | "file", v: string): void {
  if (isSegment(v)) return;
  const msg = `bad artifact ${kind} ${shown(v)} (letters, digits, . _ - from a letter or digit on, no ..)`;
  throw kind === "file" ? new TypeError(msg) : new InputError(msg);
}

/** Key prefix of one model version: `models/<name>/<version>/`. */
export function artifactPrefix(name: string, version: string): string {
  checkSegment("name", name);
  checkSegment("version", version);
  return `models/${name}/${version}/`;
}

/**
 * Stores `files` (file name -> bytes or text) and then the manifest (written last). Saving over an existing
 * version first deletes its manifest (then the old files the new version does not have), so a save that is
 * interrupted leaves no manifest: the version is missing, never a mix of old and new files that looks valid.
 * Replacing needs a store with `delete` (a `TypeError` without one, before anything is written).
 */
export async function saveModelArtifact(
  objects: ArtifactStore & Partial<Pick<ObjectStore, "delete">>,
  name: string,
  version: string,
  files: Record<string, Uint8Array | string>,
): Promise<ArtifactManifest> {
  const prefix = artifactPrefix(name, version);
  const names = Object.keys(files).sort();
  // everything the store's put would refuse is refused here, before an old version is touched
  for (const f of names) {
    checkSegment("file", f);
    if (f === "manifest.json") throw new TypeError("manifest.json is reserved");
    modelKey(name, version, f);
    if (!(files[f] instanceof Uint8Array) && typeof files[f] !== "string") {
      throw new TypeError(`model file ${f} must be a Uint8Array or a string`);
    }
  }
  checkObjectKey(prefix + "manifest.json");
  const old = await objects.get(prefix + "manifest.json");
  if (old) {
    if (typeof objects.delete !== "function") {
      throw new TypeError(`model ${name}@${version} exists: replacing it needs a store that can delete`);
    }
    let oldFiles: string[] = [];
    try {
      const m = JSON.parse(new TextDecoder().decode(old)) as Partial<ArtifactManifest>;
      if (Array.isArray(m.files)) oldFiles = m.files.filter((f) => typeof f === "string");
    } catch {
      // an unreadable manifest: only it goes
    }
    // the manifest goes first: from here on the version does not exist until the new manifest is written
    await objects.delete(prefix + "manifest.json");
    for (const f of oldFiles) {
      if (files[f] === undefined && isSegment(f) && f !== "manifest.json") {
        await objects.delete(prefix + f);
      }
    }
  }
  for (const f of names) {
    const ct = f.endsWith(".json") ? "application/json" : "application/octet-stream";
    await objects.put(prefix + f, files[f], { contentType: ct });
  }
  const manifest: ArtifactManifest = { name, version, files: names };
  await objects.put(prefix + "manifest.json", JSON.stringify(manifest), { contentType: "application/json" });
  return manifest;
}

/** Reads every file of a stored model version (a `ModelError` when it or one of its files is missing). */
export async function loadModelArtifact(
  objects: Pick<ObjectStore, "get">,
  name: string,
  version: string,
): Promise<Record<string, Uint8Array>> {
  const prefix = artifactPrefix(name, version);
  const m = await objects.get(prefix + "manifest.json");
  if (!m) throw new ModelError(`model ${name}@${version} not found in the registry`);
  const manifest = JSON.parse(new TextDecoder().decode(m)) as ArtifactManifest;
  const out: Record<string, Uint8Array> = {};
  for (const f of manifest.files) {
    const b = await objects.get(prefix + f);
    if (!b) throw new ModelError(`model ${name}@${version}: artifact ${f} missing`);
    out[f] = b;
  }
  return out;
}

/** Any model of this folder that can be saved. */
export type SavableModel =
  | LogisticModel
  | MajorityClassModel
  | MomentumModel
  | MlpModel
  | SequenceModel
  | GbdtModel
  | Garch11Model
  | EwmaModel
  | HarRvModel;

/** A fitted model as artifact files: `params.json`, plus the tfjs `model.json` and `weights.bin` for the networks. */
export async function modelToFiles(model: SavableModel): Promise<Record<string, Uint8Array | string>> {
  return model instanceof MlpModel || model instanceof SequenceModel
    ? await model.toArtifacts()
    : { "params.json": JSON.stringify(model.toJSON()) };
}

/** Restores a model from {@link modelToFiles} output (`ModelError` when a file is missing or unknown). */
export async function modelFromFiles(
  files: Record<string, Uint8Array | string>,
  what = "model",
): Promise<SavableModel> {
  const raw = files["params.json"];
  if (raw === undefined) throw new ModelError(`${what}: params.json missing`);
  const p = JSON.parse(typeof raw === "string" ? raw : new TextDecoder().decode(raw));
  switch (p?.model) {
    case "mlp-tfjs":
      return await MlpModel.fromArtifacts(files);
    case "sequence-tfjs":
      return await SequenceModel.fromArtifacts(files);
    case "logistic":
      return LogisticModel.fromJSON(p as LogisticParams);
    case "majority":
      return MajorityClassModel.fromJSON(p as MajorityParams);
    case "momentum":
      return MomentumModel.fromJSON(p as MomentumParams);
    case "gbdt":
      return GbdtModel.fromJSON(p as GbdtParams);
    case "garch11":
      return Garch11Model.fromJSON(p as Garch11State);
    case "ewma":
      return EwmaModel.fromJSON(p);
    case "har-rv":
      return HarRvModel.fromJSON(p as HarRvState);
    default:
      throw new ModelError(`${what}: unknown kind ${JSON.stringify(p?.model)}`);
  }
}

/** Saves a fitted model under its `name` and `version` (`params.json`, plus tfjs files for the MLP). */
export async function saveModel(objects: ArtifactStore, model: SavableModel, version: string): Promise<void> {
  await saveModelArtifact(objects, model.name, version, await modelToFiles(model));
}

/** Loads a model saved by {@link saveModel}. */
export async function loadModel(
  objects: ArtifactStore,
  name: string,
  version: string,
): Promise<SavableModel> {
  return await modelFromFiles(await loadModelArtifact(objects, name, version), `model ${name}@${version}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Versions with lineage, aliases

/** Per-symbol data snapshot a version was fitted on: the last `knownAt` of its bars and how many rows. */
export interface DataSnapshotEntry {
  symbol: string;
  lastKnownAt: Instant;
  lastDate: IsoDate;
  rows: number;
}

/** Where a model version came from. Everything needed to say what it saw and to reproduce it. */
export interface Lineage {
  /** The spec the system was fitted from (as JSON) and its hash. */
  spec: unknown;
  specHash: string;
  /** Hash of the run's configuration (canonical JSON), without where its stores and reports live. */
  configHash: string;
  featureSet: { id: string; hash: string };
  /** The news scorer (its id: model, version, variant) whose sentiment the features were built on. */
  newsScorer?: string;
  /**
   * The market context the features and the gate were built on (pipelines: the source's series, `^GSPC,^VIX`,
   * or `universe`, the universe's own index and a VIX stand-in); absent on versions registered before it was
   * recorded (they were all `universe`).
   */
  market?: string;
  /**
   * The format of the saved artifact, when its saver records one (a fitted system: lib/workflow
   * `SYSTEM_FORMAT_VERSION`), so that a run can tell a version it cannot load without loading it.
   */
  artifactFormat?: number;
  /** Fit windows, inclusive session dates: base models on `train`, calibration/gate on `calibration`. */
  windows: { train: [IsoDate, IsoDate]; calibration: [IsoDate, IsoDate]; test: [IsoDate, IsoDate] | null };
  /** What data the fit saw, and a hash of the whole snapshot. */
  data: { hash: string; snapshot: DataSnapshotEntry[] };
  /** Out-of-sample metrics by segment (e.g. `{validation: {ic: 0.02}, test: {...}}`). */
  metrics: { validation: Record<string, number>; test: Record<string, number> };
  git: { sha: string; dirty: boolean };
  tfBackend: string;
  seed: number;
  /** Data cut-off of the fit: the session whose close bounds every record it saw (`knownAt <= close(asOf)`). */
  asOf: IsoDate;
  /** When the fit finished (epoch ms). Not part of the digest. */
  createdAt: Instant;
  /**
   * The version this one was refitted from or retrained after, when there is one. Not part of the digest: the
   * same fit on the same data is the same version whichever version served before it.
   */
  parent?: string;
}

/** The manifest of a registered version. */
export interface VersionManifest extends ArtifactManifest {
  /** SHA-256 over the file names, each file's SHA-256 and the lineage (without `createdAt` and `parent`). */
  digest: string;
  fileDigests: Record<string, string>;
  sizes: Record<string, number>;
  lineage: Lineage;
}

/** Aliases of one model name and the champion stack `rollback` pops. */
export interface AliasState {
  aliases: Record<string, string>;
  /** Earlier champions, most recent last. */
  previousChampions: string[];
  history: {
    at: Instant;
    action: "promote" | "rollback" | "set" | "clear";
    alias: string;
    from: string | null;
    to: string | null;
    note?: string;
  }[];
}

const ALIAS = /^[a-z][a-z0-9-]{0,31}$/;
const enc = new TextEncoder();
const dec = new TextDecoder();

async function digestOf(files: Record<string, Uint8Array | string>, lineage: Lineage) {
  const fileDigests: Record<string, string> = {};
  const sizes: Record<string, number> = {};
  for (const f of Object.keys(files).sort()) {
    const b = typeof files[f] === "string" ? enc.encode(files[f] as string) : files[f] as Uint8Array;
    fileDigests[f] = await sha256Hex(b);
    sizes[f] = b.length;
  }
  const { createdAt: _c, parent: _p, ...stable } = lineage;
  const digest = await sha256Hex(canonicalJson({ files: fileDigests, lineage: stable }));
  return { digest, fileDigests, sizes };
}

/** The version id of a digest: `<data cut-off date>.<first 10 hex digits>`. */
export function versionId(lineage: Lineage, digest: string): string {
  return `${lineage.asOf}.${digest.slice(0, 10)}`;
}

async function readJson<T>(objects: Pick<ObjectStore, "get">, key: string): Promise<T | null> {
  return parseJson<T>(key, await objects.get(key));
}

/** The JSON of a registry file's bytes (null when there is none); bytes that are not JSON are a `ModelError`. */
function parseJson<T>(key: string, b: Uint8Array | null): T | null {
  if (!b) return null;
  try {
    return JSON.parse(dec.decode(b)) as T;
  } catch (e) {
    throw new ModelError(`registry: ${key} is not JSON`, { cause: e });
  }
}

/**
 * Registers a fitted model's files with their lineage as a new immutable version (id from the content digest).
 * Registering the same content again returns the existing manifest; a version id never changes content.
 */
export async function registerVersion(
  objects: RegistryStore,
  name: string,
  files: Record<string, Uint8Array | string>,
  lineage: Lineage,
): Promise<VersionManifest> {
  const { digest, fileDigests, sizes } = await digestOf(files, lineage);
  const version = versionId(lineage, digest);
  const prefix = artifactPrefix(name, version);
  const existing = await readJson<VersionManifest>(objects, prefix + "manifest.json");
  if (existing) {
    if (existing.digest !== digest) {
      throw new ModelError(`model ${name}@${version} exists with other content (versions are immutable)`);
    }
    return existing;
  }
  const names = Object.keys(files).sort();
  for (const f of names) {
    checkSegment("file", f);
    if (f === "manifest.json") throw new TypeError("manifest.json is reserved");
  }
  for (const f of names) {
    await objects.put(prefix + f, files[f], {
      contentType: f.endsWith(".json") ? "application/json" : "application/octet-stream",
    });
  }
  const manifest: VersionManifest = { name, version, files: names, digest, fileDigests, sizes, lineage };
  // the manifest is written last: a version without one does not exist
  await objects.put(prefix + "manifest.json", JSON.stringify(manifest), { contentType: "application/json" });
  return manifest;
}

/** The manifest of a registered version (a `ModelError` when missing or not a registered version). */
export async function versionManifest(
  objects: Pick<ObjectStore, "get">,
  name: string,
  version: string,
): Promise<VersionManifest> {
  const m = await findVersion(objects, name, version);
  if (!m) throw new ModelError(`model ${name}@${version} not found in the registry`);
  return m;
}

/**
 * The manifest of a registered version, or null when the registry holds no manifest under `version` (its folder
 * deleted, or never copied); one that is not a registered version's is a `ModelError`.
 */
export async function findVersion(
  objects: Pick<ObjectStore, "get">,
  name: string,
  version: string,
): Promise<VersionManifest | null> {
  const m = await readJson<VersionManifest>(objects, artifactPrefix(name, version) + "manifest.json");
  if (m && (typeof m.digest !== "string" || !m.lineage)) {
    throw new ModelError(
      `model ${name}@${version} has no lineage (saved with saveModelArtifact, not registered)`,
    );
  }
  return m;
}

/**
 * Loads a registered version, verifying every file's SHA-256 and the digest (a `ModelError` on any mismatch):
 * the bytes returned are the bytes registered.
 */
export async function loadVersion(
  objects: Pick<ObjectStore, "get">,
  name: string,
  version: string,
): Promise<{ manifest: VersionManifest; files: Record<string, Uint8Array> }> {
  const manifest = await versionManifest(objects, name, version);
  const files = await loadModelArtifact(objects, name, version);
  const check = await digestOf(files, manifest.lineage);
  for (const f of manifest.files) {
    if (check.fileDigests[f] !== manifest.fileDigests[f]) {
      throw new ModelError(`model ${name}@${version}: ${f} does not match its digest (corrupted or altered)`);
    }
  }
  if (check.digest !== manifest.digest) throw new ModelError(`model ${name}@${version}: digest mismatch`);
  return { manifest, files };
}

/** Every registered version of a model name, oldest first (by `createdAt`, then id). */
export async function listVersions(objects: RegistryStore, name: string): Promise<VersionManifest[]> {
  checkSegment("name", name);
  const out: VersionManifest[] = [];
  for (const o of await objects.list(`models/${name}/`)) {
    const parts = o.key.split("/");
    if (parts.length !== 4 || parts[3] !== "manifest.json") continue;
    const m = await readJson<VersionManifest>(objects, o.key);
    if (m && typeof m.digest === "string" && m.lineage) out.push(m);
  }
  return out.sort((a, b) => a.lineage.createdAt - b.lineage.createdAt || a.version.localeCompare(b.version));
}

function aliasKey(name: string): string {
  checkSegment("name", name);
  return `models/${name}/aliases.json`;
}

/**
 * The aliases of a model name (empty when none was ever set). A file of another shape (edited by hand, or
 * another program's) is a `ModelError` naming the key and the field, never read as a partial state.
 */
export async function aliasState(objects: Pick<ObjectStore, "get">, name: string): Promise<AliasState> {
  const key = aliasKey(name);
  return parseAliases(key, await objects.get(key));
}

/** An alias file's state (empty when there is none); a file of another shape is a `ModelError`. */
function parseAliases(key: string, bytes: Uint8Array | null): AliasState {
  const st = parseJson<AliasState>(key, bytes);
  if (st === null) return { aliases: {}, previousChampions: [], history: [] };
  const bad = (what: string) =>
    new ModelError(`registry: ${key}: ${what} (not an alias file this registry wrote)`);
  const isObject = (v: unknown) => v !== null && typeof v === "object" && !Array.isArray(v);
  if (!isObject(st)) throw bad("expected a JSON object");
  if (!isObject(st.aliases) || !Object.values(st.aliases).every((v) => typeof v === "string")) {
    throw bad("aliases is not an object of version ids");
  }
  if (!Array.isArray(st.previousChampions) || !st.previousChampions.every((v) => typeof v === "string")) {
    throw bad("previousChampions is not a list of version ids");
  }
  if (!Array.isArray(st.history) || !st.history.every(isObject)) {
    throw bad("history is not a list of entries");
  }
  return st;
}

/** Attempts of an alias change that another writer keeps getting ahead of. */
const ALIAS_ATTEMPTS = 50;

/**
 * Reads the aliases, applies `change` (which edits the state and returns true, or returns false when there is
 * nothing to write) and writes them back by a conditional write: it lands only on the state it read, and when
 * another writer (a second `models promote`, the daily run) changed it in between, the change is applied again
 * to theirs, so no one's change is lost.
 */
async function updateAliases(
  objects: AliasStore,
  name: string,
  change: (st: AliasState) => boolean,
): Promise<AliasState> {
  const key = aliasKey(name);
  const write = (st: AliasState) => JSON.stringify(st, null, 1);
  for (let attempt = 0; attempt < ALIAS_ATTEMPTS; attempt++) {
    const cur = await objects.getTagged(key);
    const st = parseAliases(key, cur?.body ?? null);
    if (!change(st)) return st;
    if (await objects.putIf(key, write(st), cur?.tag ?? null, { contentType: "application/json" })) return st;
    await new Promise((r) => setTimeout(r, Math.random() * 10 * (attempt + 1)));
  }
  throw new ModelError(`registry: ${key} changed under ${ALIAS_ATTEMPTS} attempts to update it: try again`);
}

/**
 * The version `alias` points at in `state`, or null: only the aliases set (own properties), so a name such as
 * `constructor`, `__proto__` or `toString` is unknown, not a property every object inherits.
 */
export function aliasTarget(state: Pick<AliasState, "aliases">, alias: string): string | null {
  const v = Object.hasOwn(state.aliases, alias) ? state.aliases[alias] : undefined;
  return typeof v === "string" ? v : null;
}

/** The version an alias points at, or null. */
export async function resolveAlias(
  objects: Pick<ObjectStore, "get">,
  name: string,
  alias: string,
): Promise<string | null> {
  return aliasTarget(await aliasState(objects, name), alias);
}

/** One entry of the alias history. */
function historyEntry(
  opts: { now?: Instant; note?: string },
  action: AliasState["history"][number]["action"],
  alias: string,
  from: string | null,
  to: string | null,
): AliasState["history"][number] {
  return { at: opts.now ?? Date.now(), action, alias, from, to, ...(opts.note ? { note: opts.note } : {}) };
}

/**
 * Points `alias` at a registered version (`champion` is moved by `promote`/`rollback`, which keep its stack).
 * `to` null clears the alias.
 */
export async function setAlias(
  objects: AliasStore,
  name: string,
  alias: string,
  to: string | null,
  opts: { now?: Instant; note?: string } = {},
): Promise<AliasState> {
  if (!ALIAS.test(alias)) throw new TypeError(`bad alias ${JSON.stringify(alias)}`);
  if (alias === "champion") throw new TypeError("the champion alias moves by promote and rollback");
  if (to !== null) await versionManifest(objects, name, to);
  return await updateAliases(objects, name, (st) => {
    const from = aliasTarget(st, alias);
    if (from === to) return false;
    if (to === null) delete st.aliases[alias];
    else st.aliases[alias] = to;
    st.history.push(historyEntry(opts, to === null ? "clear" : "set", alias, from, to));
    return true;
  });
}

/**
 * Checks that `version` is registered and every byte of it matches its digests (a `ModelError` prefixed with
 * `what`, e.g. "not promoted", naming the version and the file, otherwise): an alias is never moved onto a version
 * the daily run would refuse to load.
 */
export async function checkIntact(
  objects: Pick<ObjectStore, "get">,
  name: string,
  version: string,
  what: string,
): Promise<VersionManifest> {
  try {
    return (await loadVersion(objects, name, version)).manifest;
  } catch (e) {
    if (e instanceof ModelError) throw new ModelError(`${what}: ${e.message}`, { cause: e });
    throw e;
  }
}

/**
 * Makes `version` the champion, after checking its bytes against its digests ({@link checkIntact}; not when
 * `opts.bytesChecked`: the caller has just written them). The old
 * champion goes on the rollback stack, unless it is no longer registered (a rollback to it could only be
 * refused); a challenger alias pointing at the new champion is cleared. Promoting the current champion again
 * changes nothing.
 */
export async function promoteVersion(
  objects: AliasStore,
  name: string,
  version: string,
  opts: { now?: Instant; note?: string; bytesChecked?: boolean } = {},
): Promise<AliasState> {
  // the daily run promotes a version it has just written (its digests computed then): not read again
  if (!opts.bytesChecked) await checkIntact(objects, name, version, "not promoted");
  const seen = aliasTarget(await aliasState(objects, name), "champion");
  const gone = seen !== null && seen !== version && await findVersion(objects, name, seen) === null
    ? seen
    : null;
  return await updateAliases(objects, name, (st) => {
    const from = aliasTarget(st, "champion");
    if (from === version) return false;
    if (from !== null && from !== gone) st.previousChampions.push(from);
    st.aliases.champion = version;
    if (aliasTarget(st, "challenger") === version) delete st.aliases.challenger;
    st.history.push(historyEntry(opts, "promote", "champion", from, version));
    return true;
  });
}

/**
 * The version a rollback goes back to: the most recent earlier champion that is not the champion now (a promote
 * over a champion the registry no longer held leaves that one off the stack, so the version it promoted may be
 * on top), or undefined when there is none.
 */
export function rollbackTarget(st: Pick<AliasState, "aliases" | "previousChampions">): string | undefined {
  const now = aliasTarget(st, "champion");
  return st.previousChampions.findLast((v) => v !== now);
}

/**
 * Moves the champion back to the one before it, after checking that version's bytes against its digests (a
 * `ModelError` naming it when it is not registered or altered, and when there is none). The champion it moves
 * off is retired: it goes on no stack and is no challenger. `expect`: the version the caller checked (its
 * serving context); when the stack's top is another by the time the aliases are written (another rollback or
 * promote came first), it is refused instead of rolling back to one the caller did not check. Without it, the
 * new top is checked and the rollback tried again.
 */
export async function rollbackChampion(
  objects: AliasStore,
  name: string,
  opts: { now?: Instant; note?: string; expect?: string } = {},
): Promise<AliasState> {
  for (let attempt = 0; attempt < ALIAS_ATTEMPTS; attempt++) {
    const back = opts.expect ?? rollbackTarget(await aliasState(objects, name));
    if (back === undefined) throw new ModelError(`model ${name}: no earlier champion to roll back to`);
    await checkIntact(objects, name, back, "not rolled back");
    let moved = false;
    const st = await updateAliases(objects, name, (st) => {
      const top = rollbackTarget(st);
      if (top === undefined) throw new ModelError(`model ${name}: no earlier champion to roll back to`);
      // the version was checked above: one another writer put there since is checked first
      if (top !== back) {
        moved = true;
        return false;
      }
      const from = aliasTarget(st, "champion");
      while (st.previousChampions.at(-1) === from) st.previousChampions.pop();
      st.previousChampions.pop();
      st.aliases.champion = back;
      st.history.push(historyEntry(opts, "rollback", "champion", from, back));
      return true;
    });
    if (!moved) return st;
    if (opts.expect !== undefined) {
      throw new ModelError(
        `not rolled back: ${back} is no longer the earlier champion (another rollback or promote came first): ` +
          "run it again",
      );
    }
  }
  throw new ModelError(
    `registry: ${aliasKey(name)} changed under ${ALIAS_ATTEMPTS} attempts to roll back: try again`,
  );
}
