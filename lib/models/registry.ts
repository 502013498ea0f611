/**
 * Model registry on an object store: artifacts under `models/<name>/<version>/<file>` with a `manifest.json`
 * listing the files. `saveModel` / `loadModel` serialize the models of this folder (JSON params; the MLP adds
 * tfjs topology and weight bytes).
 * @module
 */
import { ModelError } from "../core/mod.ts";
import type { ObjectStore } from "../store/mod.ts";
import { LogisticModel, type LogisticParams } from "./logistic.ts";
import { MajorityClassModel, type MajorityParams } from "./majority.ts";
import { MomentumModel, type MomentumParams } from "./momentum.ts";
import { MlpModel } from "./mlp.ts";
import { SequenceModel } from "./sequence.ts";
import { GbdtModel, type GbdtParams } from "./gbdt.ts";
import { Garch11Model, type Garch11State } from "./garch.ts";
import { EwmaModel } from "./ewma.ts";
import { HarRvModel, type HarRvState } from "./har.ts";

/** The part of an `ObjectStore` the registry needs. */
export type ArtifactStore = Pick<ObjectStore, "put" | "get">;

/** What `manifest.json` holds. */
export interface ArtifactManifest {
  name: string;
  version: string;
  files: string[];
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function checkSegment(kind: string, v: string): void {
  if (!SEGMENT.test(v) || v.includes("..")) throw new TypeError(`bad artifact ${kind} ${JSON.stringify(v)}`);
}

/** Key prefix of one model version: `models/<name>/<version>/`. */
export function artifactPrefix(name: string, version: string): string {
  checkSegment("name", name);
  checkSegment("version", version);
  return `models/${name}/${version}/`;
}

/** Stores `files` (file name -> bytes or text) and then the manifest (written last). */
export async function saveModelArtifact(
  objects: ArtifactStore,
  name: string,
  version: string,
  files: Record<string, Uint8Array | string>,
): Promise<ArtifactManifest> {
  const prefix = artifactPrefix(name, version);
  const names = Object.keys(files).sort();
  for (const f of names) {
    checkSegment("file", f);
    if (f === "manifest.json") throw new TypeError("manifest.json is reserved");
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
  objects: ArtifactStore,
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
