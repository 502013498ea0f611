/**
 * Fitted systems in the model registry (an object store): `models/<name>/<version>/` holds the system's
 * artifact files and a manifest.
 * @module
 */
import { type ArtifactStore, loadModelArtifact, saveModelArtifact } from "../models/mod.ts";
import { type FittedSystem, loadSystem } from "./system.ts";

/** Stores a fitted system under `models/<name>/<version>/` (files first, manifest last). */
export async function saveSystem(
  objects: ArtifactStore,
  name: string,
  version: string,
  system: FittedSystem,
): Promise<void> {
  await saveModelArtifact(objects, name, version, await system.toArtifacts());
}

/** Loads a system stored by {@link saveSystem} (`ModelError` when missing). */
export async function loadSystemFrom(
  objects: ArtifactStore,
  name: string,
  version: string,
): Promise<FittedSystem> {
  return await loadSystem(await loadModelArtifact(objects, name, version));
}
