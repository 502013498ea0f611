/**
 * Step 3, fit: the system (lib/workflow) fitted on the nested windows of the dataset (base models on train less
 * an inner early-stopping slice; the six ensembles, the gate and the score scales on validation), or refitted
 * every N sessions over the test segment in walk-forward mode; predicts the whole test segment out of sample.
 * @module
 */
import type { BuiltDataset } from "@lib/dataset/mod.ts";
import { type SystemSpec, walkForward, type WalkForwardResult } from "@lib/workflow/mod.ts";
import type { Progress } from "../progress.ts";

/** Fits (or walks forward) and predicts the test segment. */
export async function fitStep(
  spec: SystemSpec,
  ds: BuiltDataset,
  progress?: Progress,
): Promise<WalkForwardResult> {
  const wf = spec.walkForward.mode === "off"
    ? ""
    : ` walk-forward ${spec.walkForward.mode}/${spec.walkForward.refitEvery}`;
  const done = progress?.start(`fit system (${spec.experts.trend.join(", ")})${wf}`);
  const out = await walkForward(spec, ds, {
    log: (s) => progress?.note(s),
    onFold: (f, n) => progress?.tick(f.fold + 1, n, `fold ${f.fold + 1}`),
  });
  done?.();
  const w = out.system.windows;
  progress?.note(
    `tfjs backend: ${out.system.tfBackend}; ${out.folds.length} fit(s); last: fit ${
      w.fit.join("..")
    }, inner ` +
      `${w.inner?.join("..") ?? "none"}, calibration ${
        w.calibration.join("..")
      }; test rows ${out.predictions.rows.length}`,
  );
  return out;
}
