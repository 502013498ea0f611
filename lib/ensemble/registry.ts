/**
 * The six ensemble methods by name.
 * @module
 */
import type { EnsembleMethod, EnsembleName } from "./types.ts";
import { MajorityVoting } from "./majority.ts";
import { WeightedVoting } from "./weighted.ts";
import { SoftVoting } from "./soft.ts";
import { Stacking } from "./stacking.ts";
import { BayesianModelAveraging } from "./bma.ts";
import { ThresholdEnsemble } from "./threshold.ts";

/** The six methods of the seed, in the seed's order, each with a factory of a fresh (unfitted) instance. */
export const ENSEMBLE_METHODS: readonly { name: EnsembleName; create: () => EnsembleMethod }[] = [
  { name: "majority", create: () => new MajorityVoting() },
  { name: "weighted", create: () => new WeightedVoting() },
  { name: "soft", create: () => new SoftVoting() },
  { name: "stacking", create: () => new Stacking() },
  { name: "bma", create: () => new BayesianModelAveraging() },
  { name: "threshold", create: () => new ThresholdEnsemble() },
];

/** A fresh instance of the named method (default options). Throws RangeError on an unknown name. */
export function createEnsemble(name: string): EnsembleMethod {
  const m = ENSEMBLE_METHODS.find((e) => e.name === name);
  if (!m) {
    throw new RangeError(
      `unknown ensemble method '${name}' (known: ${ENSEMBLE_METHODS.map((e) => e.name).join(", ")})`,
    );
  }
  return m.create();
}
