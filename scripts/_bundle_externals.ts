/**
 * The language model's npm packages (`lib/models/text_lm.ts` imports them only when a model is loaded), which the
 * bundles leave out: the Lambda bundles (`bundle_lambdas.ts`) and the GPU check's (`gpu_prepare.ts`).
 * @module
 */
export const LANGUAGE_MODEL_PACKAGES: readonly string[] = ["onnxruntime-node", "@huggingface/tokenizers"];
