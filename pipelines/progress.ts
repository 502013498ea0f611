/**
 * Step progress on stderr: a line per step with its wall time, and a live counter for long loops when stderr is a
 * terminal. Timings are kept for the run summary and the benchmark.
 * @module
 */

/** Progress reporter handed to pipeline steps. */
export interface Progress {
  /** Starts a named step; returns a function that ends it (`false`: the step failed, drawn with ✗, not ✓). */
  start(step: string): (ok?: boolean) => void;
  /** Reports `done` of `total` units of the current step. */
  tick(done: number, total: number, what?: string): void;
  /** A one-line note. */
  note(text: string): void;
  /** Wall time of each finished step, in ms, in order. */
  readonly timings: Map<string, number>;
}

const enc = new TextEncoder();

/** A progress reporter; `quiet` prints nothing (tests). */
export function createProgress(opts: { quiet?: boolean } = {}): Progress {
  const timings = new Map<string, number>();
  const tty = !opts.quiet && Deno.stderr.isTerminal();
  let current = "";
  let lastDraw = 0;
  const write = (s: string) => {
    if (!opts.quiet) Deno.stderr.writeSync(enc.encode(s));
  };
  return {
    timings,
    start(step) {
      current = step;
      const t0 = performance.now();
      if (tty) write(`  … ${step}\r`);
      return (ok = true) => {
        const ms = performance.now() - t0;
        timings.set(step, ms);
        write(
          `${tty ? "\x1b[2K" : ""}  ${ok ? "✓" : "✗"} ${step.padEnd(34)} ${
            (ms / 1000).toFixed(2).padStart(7)
          } s\n`,
        );
      };
    },
    tick(done, total, what = "") {
      if (!tty) return;
      const now = performance.now();
      if (now - lastDraw < 100 && done < total) return;
      lastDraw = now;
      const w = 24, k = total > 0 ? Math.round((w * done) / total) : w;
      write(`\x1b[2K  … ${current} [${"#".repeat(k)}${".".repeat(w - k)}] ${done}/${total} ${what}\r`);
    },
    note(text) {
      write(`${tty ? "\x1b[2K" : ""}    ${text}\n`);
    },
  };
}
