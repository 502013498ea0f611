/**
 * The six ensemble methods by name.
 * @module
 */
import type { EnsembleMethod, EnsembleName, EnsembleState } from "./types.ts";
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

/** Restores a method from its `toJSON()` state (`RangeError` for an unknown method). */
export function ensembleFromJSON(s: EnsembleState): EnsembleMethod {
  switch (s?.method) {
    case "majority":
      return new MajorityVoting();
    case "soft":
      return new SoftVoting();
    case "weighted":
      return WeightedVoting.fromJSON(s);
    case "stacking":
      return Stacking.fromJSON(s);
    case "bma":
      return BayesianModelAveraging.fromJSON(s);
    case "threshold":
      return ThresholdEnsemble.fromJSON(s);
    default:
      throw new RangeError(`unknown ensemble state ${JSON.stringify(s?.method)}`);
  }
}

/** One fitted method with its combined probabilities on the rows it was fitted on. */
export interface FittedEnsemble {
  name: EnsembleName;
  method: EnsembleMethod;
}

/**
 * The six methods, each fitted on the K models' VALIDATION probabilities and labels (rows the base models never
 * saw), in {@link ENSEMBLE_METHODS} order.
 */
export function fitEnsembles(valProbs: Float64Array[], valLabels: Int8Array): FittedEnsemble[] {
  return ENSEMBLE_METHODS.map(({ name, create }) => {
    const method = create();
    method.fit(valProbs, valLabels);
    return { name, method };
  });
}
