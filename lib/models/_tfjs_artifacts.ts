/**
 * Registry artifacts of a tfjs layers model (folder-private): `params.json` (the model's own JSON), the tfjs
 * `model.json` (topology + weight specs) and `weights.bin`, written through `tf.io.withSaveHandler` and read
 * back through `tf.io.fromMemory`, so a reload has the same float32 weights bit for bit.
 * @module
 */
import { ModelError } from "../core/mod.ts";
import { initTensorflow, tf } from "./tf_backend.ts";

/** The three artifact files of `net` with `params` as `params.json`. */
export async function layersArtifacts(
  net: tf.LayersModel,
  params: unknown,
  who: string,
): Promise<Record<string, Uint8Array | string>> {
  let art: tf.io.ModelArtifacts | null = null;
  await net.save(tf.io.withSaveHandler((a) => {
    art = a;
    return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } });
  }));
  const a = art as tf.io.ModelArtifacts | null;
  if (!a?.weightData) throw new ModelError(`${who}: tfjs save produced no weights`);
  const data = a.weightData;
  const bytes = data instanceof ArrayBuffer
    ? new Uint8Array(data)
    : new Uint8Array(await new Blob(data as ArrayBuffer[]).arrayBuffer());
  return {
    "params.json": JSON.stringify(params),
    "model.json": JSON.stringify({ modelTopology: a.modelTopology, weightSpecs: a.weightSpecs }),
    "weights.bin": bytes,
  };
}

/** Parsed `params.json` and the network of {@link layersArtifacts} files (`ModelError` when one is missing). */
export async function fromLayersArtifacts(
  files: Record<string, Uint8Array | string>,
  who: string,
): Promise<{ params: unknown; net: tf.LayersModel }> {
  const text = (k: string) => {
    const v = files[k];
    if (v === undefined) throw new ModelError(`${who}: artifact ${k} missing`);
    return typeof v === "string" ? v : new TextDecoder().decode(v);
  };
  const params = JSON.parse(text("params.json"));
  const topo = JSON.parse(text("model.json"));
  const w = files["weights.bin"];
  if (!(w instanceof Uint8Array)) throw new ModelError(`${who}: artifact weights.bin missing`);
  await initTensorflow();
  const buf = w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) as ArrayBuffer;
  const net = await tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: topo.modelTopology, weightSpecs: topo.weightSpecs, weightData: buf }),
  );
  return { params, net };
}
