/**
 * Sections of `deno task evaluate` in their own thread, beside the main one. The evaluation runs here the sections
 * that share nothing with the trend section (`lanes` in `evaluate.ts`), and first the null check that the trend
 * and signals sections report (a second fitted system, on a random walk): the sentiment section's cost is the
 * language models' ONNX Runtime inference (native code, one thread) and the null run's models train on their own
 * wasm backend here, while the trend section's models train on the main thread's, so on a 2-core machine the two
 * overlap instead of adding up. A section and the null check are pure functions of their context, so their
 * numbers do not depend on the thread they ran in (`evaluate_test.ts` compares both ways).
 *
 * Messages: in, one {@link SectionJob}, then {@link MainLaneDone} when the main thread's sections are done; out,
 * `{ nullCheck }` when asked for, then one `{ results }` or `{ error }`. The worker prints its progress lines
 * itself (`[evaluate] ...` on stderr, as the main thread does): a message to the main thread would wait until
 * that thread's running section next yields to its event loop, which a training loop may not do for minutes.
 * Errors cross as {@link RemoteError} (name, message, whether the user can fix it, stack) and are rebuilt on the
 * other side by {@link fromRemoteError}, so the CLI's exit code and one-line message stay those of a serial run.
 * @module
 */
/// <reference lib="deno.worker" />
import { FmaiError, oneLine } from "@lib/core/mod.ts";
import {
  type EvalContext,
  loadSp500,
  type NullCheck,
  nullCheckFor,
  type SectionResult,
  SECTIONS,
} from "@lib/evaluate/mod.ts";
import { defaultLmThreads, evalTextModels } from "./lm.ts";

/** What the worker is asked to run. */
export interface SectionJob {
  /** Compute the null check first (`nullCheckFor`) and post it, before the sections. */
  nullCheck: boolean;
  /** Run one after another, in this order. */
  sections: string[];
  dataDir: string;
  seed: number;
  reduced: boolean;
  tickers?: number;
  quiet: boolean;
}

/** An error as it crosses the thread boundary (a structured clone keeps only built-in error names). */
export interface RemoteError {
  name: string;
  message: string;
  /** `FmaiError.userError`; null when the error is not one of the project's typed errors. */
  userError: boolean | null;
  stack?: string;
}

/**
 * What the main thread posts after the job: its own sections are done, so the cores are free for the language
 * models (the worker's models take `defaultLmThreads()` ONNX threads from their next batch on, instead of one).
 */
export interface MainLaneDone {
  mainLaneDone: true;
}

/** What the worker posts: the null check when asked for it, then its sections' results or the first error. */
export type WorkerMessage = { nullCheck: NullCheck } | { results: SectionResult[] } | { error: RemoteError };

/** `e` as a {@link RemoteError}. */
export function toRemoteError(e: unknown): RemoteError {
  if (e instanceof FmaiError) {
    return { name: e.name, message: e.message, userError: e.userError, stack: e.stack };
  }
  if (e instanceof Error) return { name: e.name, message: e.message, userError: null, stack: e.stack };
  return { name: "Error", message: oneLine(e), userError: null };
}

/** The error to throw on this side: a typed error keeps its name and `userError`, anything else is an `Error`. */
export function fromRemoteError(r: RemoteError): Error {
  const e = r.userError === null
    ? new Error(r.message)
    : new FmaiError(r.message, { userError: r.userError });
  e.name = r.name;
  if (r.stack) e.stack = r.stack;
  return e;
}

/**
 * Runs `SECTIONS[name]` with `ctx`, handing the sentiment section the installed language models (or the note
 * why there are none; `lmThreads`: their ONNX Runtime threads, read before each batch) and closing their caches
 * afterwards. The one way both a serial run and the worker run a section.
 */
export async function runSection(
  name: string,
  ctx: EvalContext,
  lmThreads: () => number,
): Promise<SectionResult> {
  const text = name === "sentiment" ? await evalTextModels(ctx.reduced, lmThreads) : null;
  const c: EvalContext = { ...ctx };
  if (text && "missing" in text) {
    c.lmMissing = text.missing;
    ctx.log?.(`sentiment: ${text.missing}; the language-model rows are skipped`);
  } else if (text) c.lm = text.lm;
  const t0 = performance.now();
  try {
    const r = await SECTIONS[name](c);
    r.timings = { ...r.timings, section_total: performance.now() - t0 };
    return r;
  } finally {
    if (text && "close" in text) await text.close();
  }
}

if (typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope) {
  // one ONNX thread while the main thread trains its models on the other core; every core once it is done
  let lmThreads = 1;
  self.onmessage = async (ev: MessageEvent<SectionJob | MainLaneDone>) => {
    if ("mainLaneDone" in ev.data) {
      lmThreads = defaultLmThreads();
      return;
    }
    const job = ev.data;
    const post = (m: WorkerMessage) => self.postMessage(m);
    try {
      const ctx: EvalContext = {
        sharedDir: job.dataDir,
        seed: job.seed,
        reduced: job.reduced,
        tickers: job.tickers,
        log: job.quiet ? undefined : (s) => console.error(`[evaluate] ${s}`),
      };
      if (job.nullCheck) {
        ctx.log?.("null check (worker)...");
        // the trend section's real tickers: the symbols it loads (`nullSymbols` caps the null market by them)
        const check = await nullCheckFor(ctx, (await loadSp500(ctx)).size);
        post({ nullCheck: check });
        ctx.log?.(`null check (worker) done in ${(check.ms / 1000).toFixed(1)} s`);
      }
      const results: SectionResult[] = [];
      for (const name of job.sections) {
        ctx.log?.(`section ${name} (worker)...`);
        const r = await runSection(name, ctx, () => lmThreads);
        results.push(r);
        ctx.log?.(`section ${name} (worker) done in ${(r.timings.section_total / 1000).toFixed(1)} s`);
      }
      post({ results });
    } catch (e) {
      post({ error: toRemoteError(e) });
    }
  };
}
