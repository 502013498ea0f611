/**
 * The dataset a system fits on and predicts from, built the same way for fitting, evaluating and serving.
 * @module
 */
import { buildDataset, type BuildDatasetInput, type BuiltDataset, type SegmentSpec } from "../dataset/mod.ts";
import type { SystemSpec } from "./spec.ts";

/** Raw inputs of a system dataset: bars, market context, news, corporate actions, extra columns, feature set. */
export type SystemDataInput = Omit<
  BuildDatasetInput,
  "segments" | "neutralK" | "labelHorizon" | "marketNews"
>;

/**
 * The point-in-time dataset of `input` under `segments`, with the spec's label settings (neutral band, label
 * horizon) and its market-news columns (`dataset.marketNews`, from the items of `input.news` without symbols).
 * To predict a new decision date, build it with a test segment that covers that date: a row exists for every
 * symbol whose features are known at its close (its labels are unknown until later).
 */
export function systemDataset(spec: SystemSpec, input: SystemDataInput, segments: SegmentSpec): BuiltDataset {
  return buildDataset({
    ...input,
    segments,
    neutralK: spec.dataset.neutralK,
    labelHorizon: spec.dataset.labelHorizon,
    marketNews: (spec.dataset.marketNews?.length ?? 0) > 0,
  });
}
