/**
 * Folder-private test helper: the installed language models (registry at `$FMAI_LM_DIR/registry`, default
 * `~/.cache/fmai/lm/registry`), or the sentence to skip with when none is installed.
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { openLocalObjects } from "../store/mod.ts";
import { OnnxTextModel, type TextModelOptions } from "./text_lm.ts";

/** What a test that needs the weights says when they are missing. */
export const LM_MISSING =
  "language model not installed: run `deno task lm:fetch && deno task lm:train` (or `lm:train --reduced`)";

/** The registry folder the tests look in. */
export function testRegistryDir(): string {
  const d = Deno.env.get("FMAI_LM_DIR") ??
    join(Deno.env.get("HOME") ?? ".", ".cache", "fmai", "lm");
  return join(d, "registry");
}

/** The first installed of `refs` (`name@version`), or null. */
export function installedRef(...refs: string[]): string | null {
  for (const r of refs) {
    const [name, version] = r.split("@");
    if (existsSync(join(testRegistryDir(), "models", name, version, "manifest.json"))) return r;
  }
  return null;
}

/** Loads `name@version` from the test registry. */
export async function loadTestModel(ref: string, options: TextModelOptions = {}): Promise<OnnxTextModel> {
  const [name, version] = ref.split("@");
  const objects = await openLocalObjects(testRegistryDir());
  try {
    return await OnnxTextModel.load(objects, name, version, options);
  } finally {
    await objects.close();
  }
}

/** The fine-tuned sentiment models to test, most accurate first (the full fine-tunes, then CI's reduced one). */
export const SENTIMENT_REFS = [
  "finsent-mpnet@v1",
  "finsent-minilm@v1",
  "finsent-mpnet@ci",
  "finsent-minilm@ci",
];
