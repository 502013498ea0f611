import { fileURLToPath } from "node:url";
import { programStderr } from "./_test_process.ts";
import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { ConfigError } from "@lib/core/mod.ts";
import {
  checkExecuted,
  checkRun,
  clearOutputs,
  isFrameOutput,
  junitXml,
  KERNEL_START_FAILED,
  mergeManifest,
  type NotebookResult,
  readManifest,
  retryKernelStart,
} from "./notebooks.ts";

const code = (outputs: unknown[], metadata: Record<string, unknown> = {}, source = "x") => ({
  cell_type: "code",
  source,
  metadata,
  outputs: outputs as never[],
});
const ok01 = { output_type: "stream", name: "stdout", text: ["OK 01_x\n"] };
const plot = {
  output_type: "display_data",
  data: { "application/vnd.plotly.v1+json": {}, "text/html": "<div>" },
};

Deno.test("checkExecuted passes a complete notebook and counts plots", () => {
  const r = checkExecuted("01_x", {
    cells: [
      { cell_type: "markdown", source: "# t" },
      code([], { tags: ["no-output"] }),
      code([plot, plot], { fmai: { plots: 2 } }),
      code([ok01]),
    ],
  });
  deepEqual(r, { problems: [], plots: 2, frames: 0 });
});

/** What the Deno kernel displays for a nodejs-polars DataFrame (its own `Symbol.for("Jupyter.display")`). */
const frame = {
  output_type: "display_data",
  data: {
    "application/vnd.dataresource+json": {
      data: [{ a: 1, b: "x" }],
      schema: { fields: [{ name: "a", type: "number" }, { name: "b", type: "string" }] },
    },
    "text/html":
      "<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>1</td><td>x</td></tr></tbody></table>",
  },
};
const handTable = {
  output_type: "display_data",
  data: { "text/html": '<table class="fmai"><caption>t</caption><thead><tr><th>a</th></tr></thead></table>' },
};

Deno.test("checkExecuted counts DataFrames rendered by the kernel and fails a cell that declared more", () => {
  ok(isFrameOutput(frame));
  ok(!isFrameOutput(handTable));
  ok(
    !isFrameOutput({
      output_type: "display_data",
      data: { ...frame.data, "text/html": handTable.data["text/html"] },
    }),
  );
  const good = checkExecuted("01_x", {
    cells: [code([frame, frame], { fmai: { frames: 2 } }), code([ok01])],
  });
  deepEqual(good, { problems: [], plots: 0, frames: 2 });
  const bad = checkExecuted("01_x", {
    cells: [code([handTable, frame], { fmai: { frames: 2 } }), code([ok01])],
  });
  equal(bad.frames, 1);
  match(bad.problems[0], /expected 2 DataFrames rendered by the kernel, got 1/);
});

Deno.test("checkExecuted reports errors, dropped outputs, missing plots and a missing OK line", () => {
  const r = checkExecuted("01_x", {
    cells: [
      code([{ output_type: "error", ename: "TypeError", evalue: "boom" }], {}, "const a = 1;"),
      code([], {}, "await show(x);"),
      code([plot], { fmai: { plots: 2 } }),
      code([{ output_type: "stream", name: "stdout", text: "OK 02_other\n" }]),
    ],
  });
  equal(r.problems.length, 4);
  match(r.problems[0], /cell 0 \(const a = 1;\): TypeError: boom/);
  match(r.problems[1], /cell 1 .*expected output, got none/);
  match(r.problems[2], /expected 2 plots, got 1/);
  match(r.problems[3], /did not print "OK 01_x"/);
  // a cell whose charts need ../shared/data declares what the synthetic market shows instead
  const needsShared = {
    cells: [
      code([{ output_type: "display_data", data: { "text/markdown": "needs ../shared/data" } }], {
        fmai: { plots: 2, syntheticPlots: 0 },
      }),
      code([{ output_type: "stream", name: "stdout", text: "OK 01_x\n" }]),
    ],
  };
  deepEqual(checkExecuted("01_x", needsShared, { synthetic: true }).problems, []);
  match(checkExecuted("01_x", needsShared).problems[0], /expected 2 plots, got 0/);
});

Deno.test("junitXml writes one escaped test case per result with failures", () => {
  const xml = junitXml("notebooks", [
    { name: "a", seconds: 1.5, problems: [] },
    { name: "b<c", seconds: 2, problems: ['cell 1: "x" & y'] },
  ]);
  match(xml, /<testsuite name="notebooks" tests="2" failures="1" time="3.500">/);
  match(xml, /<testcase classname="notebooks" name="a" time="1.500"\/>/);
  match(xml, /name="b&lt;c"/);
  ok(xml.includes('<failure message="cell 1: &quot;x&quot; &amp; y">'));
});

const ALL = ["01_a.ipynb", "02_b.ipynb", "03_c.ipynb"];

Deno.test("checkRun refuses unknown names, bad --jobs/--timeout, unwritable --out/--junit", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/out`;
    const good = await checkRun({ out, jobs: "3", timeout: "60" }, ["02", "03_c"], ALL);
    deepEqual(good, {
      notebooks: ["02_b.ipynb", "03_c.ipynb"],
      jobs: 3,
      timeout: 60,
      outDir: out,
      junit: undefined,
      synthetic: false,
    });
    equal((await checkRun({ out }, [], ALL)).notebooks.length, 3);
    await Deno.writeTextFile(`${dir}/file`, "x");
    const bad: [Parameters<typeof checkRun>[0], string[], RegExp][] = [
      [{ out }, ["02", "zz"], /^no notebook matches "zz" \(names or prefixes of 01_a, 02_b, 03_c\)$/],
      [{ out }, [""], /^no notebook matches ""/],
      ...["0", "abc", "2.5", "-1", ""].map((j): [Parameters<typeof checkRun>[0], string[], RegExp] => [
        { out, jobs: j },
        [],
        /^--jobs: expected a positive whole number, got "/,
      ]),
      ...["0", "abc", "1e3"].map((t): [Parameters<typeof checkRun>[0], string[], RegExp] => [
        { out, timeout: t },
        [],
        /^--timeout: expected a positive whole number, got "/,
      ]),
      [{ out, junit: `${dir}/file/j.xml` }, [], /^--junit .*file is not a folder$/],
      [{ out, junit: dir }, [], /^--junit .*is a folder, not a file/],
      [{ out, junit: "" }, [], /^--junit: empty path/],
      [{ out: `${dir}/file/out` }, [], /^--out .*file is not a folder$/],
      [{ out: "" }, [], /^--out: empty path/],
      [
        { out: fileURLToPath(new URL("../notebooks/", import.meta.url)) },
        [],
        /^--out .*is the notebooks' own folder/,
      ],
    ];
    for (const [values, names, want] of bad) {
      await rejects(checkRun(values, names, ALL), (e) => {
        ok(e instanceof ConfigError && want.test(e.message) && !e.message.includes("\n"), `${e}`);
        return true;
      });
    }
    // a junit folder that does not exist yet is created by the run
    equal((await checkRun({ out, junit: `${dir}/new/j.xml` }, [], ALL)).junit, `${dir}/new/j.xml`);
    // a manifest that cannot be merged into is refused, not replaced
    await Deno.mkdir(out);
    await Deno.writeTextFile(`${out}/manifest.json`, "[1]");
    await rejects(checkRun({ out }, [], ALL), /manifest.json is not a JSON object/);
    equal(await Deno.readTextFile(`${out}/manifest.json`), "[1]");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("notebooks CLI: bad arguments are one line, exit 2, before jupyter or the kernel starts", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // a fake `jupyter` first on PATH records any call: the real one (and notebooks) must never start
    const jupyterData = `${dir}/jupyter`, bin = `${dir}/bin`, calls = `${dir}/calls`;
    await Deno.mkdir(jupyterData);
    await Deno.mkdir(bin);
    await Deno.symlink("/bin/sh", `${bin}/sh`);
    await Deno.writeTextFile(`${bin}/jupyter`, `#!/bin/sh\necho "$@" >> ${calls}\nexit 1\n`, { mode: 0o755 });
    const cases: [string[], RegExp][] = [
      [["--timeout", "abc", "--jobs", "0", "--junit", `${dir}/nonexist_dir/j.xml`], /^error: --jobs: /],
      [["--timeout", "abc", "--junit", `${dir}/nonexist_dir/j.xml`], /^error: --timeout: /],
      [["--jobs", "2.5"], /^error: --jobs: expected a positive whole number, got "2.5"$/],
      [["--junit", dir], /^error: --junit .*is a folder, not a file/],
      [["02", "zz"], /^error: no notebook matches "zz" \(names or prefixes of 01_/],
    ];
    for (const [args, want] of cases) {
      const r = await notebooksCli(args, `${dir}/out`, {
        JUPYTER_DATA_DIR: jupyterData,
        NO_COLOR: "1",
        PATH: bin,
      })
        .output();
      const err = programStderr(r.stderr);
      equal(r.code, 2, `${args.join(" ")}: ${err}`);
      ok(want.test(err) && !err.includes("\n"), err);
      equal(new TextDecoder().decode(r.stdout), "", "nothing run");
    }
    deepEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
      ["bin", "jupyter"],
      "jupyter never called, no --out or junit folder created",
    );
    deepEqual([...Deno.readDirSync(jupyterData)], [], "no kernel installed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const result = (name: string, plots: number, ok = true): NotebookResult => ({
  name,
  ok,
  seconds: 1.234,
  problems: ok ? [] : ["x"],
  plots,
  frames: 0,
});

Deno.test("mergeManifest replaces the entries of notebooks run now and keeps the others", async () => {
  const before = {
    "01_a.html": { plots: 3, frames: 1, seconds: 5, ok: true },
    "02_b.html": { plots: 4, frames: 0, seconds: 6, ok: true },
  };
  const merged = mergeManifest(before, [result("02_b", 0, false), result("00_z", 2)]);
  deepEqual(merged, {
    "00_z.html": { plots: 2, frames: 0, seconds: 1.23, ok: true },
    "01_a.html": before["01_a.html"],
    "02_b.html": { plots: 0, frames: 0, seconds: 1.23, ok: false },
  });
  deepEqual(Object.keys(merged), ["00_z.html", "01_a.html", "02_b.html"]);
  const dir = await Deno.makeTempDir();
  try {
    deepEqual(await readManifest(dir), {});
    await Deno.writeTextFile(`${dir}/manifest.json`, JSON.stringify(before));
    deepEqual(await readManifest(dir), before);
    await Deno.writeTextFile(`${dir}/manifest.json`, "{");
    await rejects(readManifest(dir), ConfigError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("clearOutputs removes a notebook's earlier executed copy and report only", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const f of ["02_b.ipynb", "02_b.html", "01_a.html", "manifest.json"]) {
      await Deno.writeTextFile(`${dir}/${f}`, "x");
    }
    await clearOutputs(dir, "02_b");
    await clearOutputs(dir, "03_c"); // nothing there: no error
    deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["01_a.html", "manifest.json"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A fake `jupyter nbconvert`: writes an executed notebook that passes (or fails, exit 1, for `$FAKE_FAIL`) and its HTML. */
const FAKE_NBCONVERT = `#!/usr/bin/python3
import json, os, sys
a = sys.argv[1:]
out = a[a.index("--output-dir") + 1]
if "--execute" in a:
    name = a[a.index("--output") + 1]
    if os.environ.get("FAKE_SLEEP"):
        # a kernel's own temporary folder, then a run long enough to be stopped
        os.mkdir(os.path.join(os.environ["TMPDIR"], "kernel-own"))
        import time
        time.sleep(60)
    if name.startswith(os.environ.get("FAKE_FAIL", "-")):
        sys.exit(1)
    # $FAKE_BAD: the run succeeds but its outputs fail the check (no "OK <name>" line)
    text = "no verdict" if name.startswith(os.environ.get("FAKE_BAD", "-")) else "OK " + name
    cell = {"cell_type": "code", "source": "x", "metadata": {},
            "outputs": [{"output_type": "stream", "name": "stdout", "text": text}]}
    json.dump({"cells": [cell]}, open(os.path.join(out, name + ".ipynb"), "w"))
else:
    base = os.path.basename(a[-1])[:-len(".ipynb")]
    open(os.path.join(out, base + ".html"), "w").write("<html></html>")
`;

/** `deno run -A scripts/notebooks.ts ...args --out out` under `env`, to run or spawn (stderr piped). */
function notebooksCli(
  args: string[],
  out: string,
  env: Record<string, string>,
  stdout: "piped" | "null" = "piped",
) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", fileURLToPath(new URL("./notebooks.ts", import.meta.url)), ...args, "--out", out],
    env,
    stdout,
    stderr: "piped",
  });
}

/** A Deno kernel spec and the fake `jupyter` under `dir` (`jupyter/`, `bin/`): the folders a run is given. */
async function fakeJupyter(dir: string): Promise<{ jupyterData: string; bin: string }> {
  const jupyterData = `${dir}/jupyter`, bin = `${dir}/bin`;
  await Deno.mkdir(`${jupyterData}/kernels/deno`, { recursive: true });
  await Deno.writeTextFile(`${jupyterData}/kernels/deno/kernel.json`, "{}");
  await Deno.mkdir(bin);
  await Deno.symlink("/bin/sh", `${bin}/sh`);
  await Deno.writeTextFile(`${bin}/jupyter`, FAKE_NBCONVERT, { mode: 0o755 });
  return { jupyterData, bin };
}

Deno.test("notebooks CLI: manifest.json keeps the entries of notebooks not run; a failed notebook leaves no stale report", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { jupyterData, bin } = await fakeJupyter(dir), out = `${dir}/out`;
    await Deno.mkdir(out);
    const first = { plots: 3, frames: 1, seconds: 5, ok: true };
    await Deno.writeTextFile(
      `${out}/manifest.json`,
      JSON.stringify({ "01_data_exploration.html": first, "02_point_in_time_labels.html": first }),
    );
    // the last run's outputs of 02, which passed
    await Deno.writeTextFile(`${out}/02_point_in_time_labels.html`, "<html>old</html>");
    await Deno.writeTextFile(
      `${out}/02_point_in_time_labels.ipynb`,
      JSON.stringify({
        cells: [{
          cell_type: "code",
          source: "x",
          outputs: [{ output_type: "stream", name: "stdout", text: "OK 02_point_in_time_labels" }],
        }],
      }),
    );
    const run = async (fail: string, ...args: string[]) => {
      const bad = fail.startsWith("bad:") ? fail.slice(4) : "-";
      const r = await notebooksCli(args, out, {
        JUPYTER_DATA_DIR: jupyterData,
        NO_COLOR: "1",
        PATH: bin,
        FAKE_FAIL: bad === "-" ? fail : "-",
        FAKE_BAD: bad,
      }).output();
      return { code: r.code, text: new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr) };
    };
    const manifest = async () => JSON.parse(await Deno.readTextFile(`${out}/manifest.json`));
    const exists = (f: string) => Deno.stat(`${out}/${f}`).then(() => true, () => false);

    const r1 = await run("02", "02", "--junit", `${dir}/new/j.xml`);
    equal(r1.code, 1, r1.text);
    const m1 = await manifest();
    deepEqual(Object.keys(m1), ["01_data_exploration.html", "02_point_in_time_labels.html"]);
    deepEqual(m1["01_data_exploration.html"], first, "not run: kept");
    deepEqual({ ...m1["02_point_in_time_labels.html"], seconds: 0 }, {
      plots: 0,
      frames: 0,
      seconds: 0,
      ok: false,
    });
    equal(await exists("02_point_in_time_labels.html"), false, "the stale report is gone");
    equal(await exists("02_point_in_time_labels.ipynb"), false, "the stale executed notebook is gone");
    match(await Deno.readTextFile(`${dir}/new/j.xml`), /failures="1"/);

    const r2 = await run("-", "03");
    equal(r2.code, 0, r2.text);
    const m2 = await manifest();
    deepEqual(Object.keys(m2), [
      "01_data_exploration.html",
      "02_point_in_time_labels.html",
      "03_trend_models.html",
    ]);
    equal(m2["03_trend_models.html"].ok, true);
    ok(await exists("03_trend_models.html"));
    // a run that ends but whose outputs fail the check: no report (notebooks:check would pass its plots), the
    // executed copy kept to look at
    const r3 = await run("bad:04", "04");
    equal(r3.code, 1, r3.text);
    equal((await manifest())["04_volatility_models.html"].ok, false);
    equal(await exists("04_volatility_models.html"), false, "no report of a failed check");
    ok(await exists("04_volatility_models.ipynb"), "its executed copy stays");
    deepEqual(
      (await Array.fromAsync(Deno.readDir(out))).filter((e) => e.name.includes(".tmp")),
      [],
      "no temp files",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("notebooks CLI: a stopped run leaves no temporary folder (the template, the kernels' TMPDIR)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { jupyterData, bin } = await fakeJupyter(dir), tmp = `${dir}/tmp`;
    await Deno.mkdir(tmp);
    const p = notebooksCli(["01"], `${dir}/out`, {
      JUPYTER_DATA_DIR: jupyterData,
      NO_COLOR: "1",
      PATH: bin,
      TMPDIR: tmp,
      FAKE_SLEEP: "1",
    }).spawn();
    // the fake kernel has made its own folder (under the run's TMPDIR, itself under ours)
    const kernelOwn = async () => {
      for await (const e of Deno.readDir(tmp)) {
        for await (const f of Deno.readDir(`${tmp}/${e.name}`)) {
          if (f.isDirectory && f.name === "tmp") {
            for await (const k of Deno.readDir(`${tmp}/${e.name}/tmp`)) {
              if (k.name === "kernel-own") return true;
            }
          }
        }
      }
      return false;
    };
    let seen = false;
    for (let i = 0; i < 300 && !seen; i++) {
      seen = await kernelOwn().catch(() => false);
      if (!seen) await new Promise((r) => setTimeout(r, 100));
    }
    ok(seen, "the kernel started");
    p.kill("SIGTERM");
    const r = await p.output();
    equal(r.code, 143, new TextDecoder().decode(r.stderr));
    deepEqual(await Array.fromAsync(Deno.readDir(tmp)), [], "nothing left in TMPDIR");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("retryKernelStart: a kernel that died before kernel_info is started once more; other failures are not retried", async () => {
  const runs = (results: { code: number; out: string }[]) => {
    let i = 0;
    return { exec: () => Promise.resolve(results[i++]), count: () => i };
  };
  const died = { code: 1, out: `Traceback ... RuntimeError: ${KERNEL_START_FAILED}` };
  const ok0 = { code: 0, out: "" };
  let r = runs([died, ok0]);
  deepEqual(await retryKernelStart(r.exec), ok0);
  equal(r.count(), 2);
  r = runs([died, died]);
  const twice = await retryKernelStart(r.exec);
  equal(twice.code, 1);
  ok(twice.out.includes("(retried once)"));
  equal(r.count(), 2);
  const cellError = { code: 1, out: "CellExecutionError: boom" };
  r = runs([cellError, ok0]);
  deepEqual(await retryKernelStart(r.exec), cellError);
  equal(r.count(), 1);
  r = runs([ok0]);
  deepEqual(await retryKernelStart(r.exec), ok0);
  equal(r.count(), 1);
});

/** Whether `pid` has ended (gone, or a zombie nobody reaped yet). */
function ended(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

Deno.test({
  name: "notebooks CLI: a stop ends the kernels it started, also one whose nbconvert was killed first",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const pidIn = async (f: string) => Number(await Deno.readTextFile(`${dir}/${f}`).catch(() => "0"));
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
    let kernel = 0;
    try {
      // a fake jupyter: `nbconvert --execute` starts a "kernel" in a session of its own (as jupyter_client
      // does) and waits; the kernel is found by its parent, and remembered once nbconvert is gone
      const jupyterData = `${dir}/jupyter`, bin = `${dir}/bin`;
      await Deno.mkdir(`${jupyterData}/kernels/deno`, { recursive: true });
      await Deno.writeTextFile(`${jupyterData}/kernels/deno/kernel.json`, "{}");
      await Deno.mkdir(bin);
      await Deno.writeTextFile(
        `${bin}/jupyter`,
        `#!/bin/sh\ncase "$*" in *--execute*) echo $$ > ${dir}/nbconvert.pid; setsid sleep 300 & ` +
          `echo $! > ${dir}/kernel.pid; sleep 300;; esac\nexit 1\n`,
        { mode: 0o755 },
      );
      const cli = notebooksCli(
        ["01"],
        `${dir}/out`,
        { JUPYTER_DATA_DIR: jupyterData, NO_COLOR: "1", PATH: `${bin}:/usr/bin:/bin` },
        "null",
      ).spawn();
      for (let i = 0; i < 100 && !kernel; i++) [await pause(100), kernel = await pidIn("kernel.pid")];
      ok(kernel > 0, "the fake kernel started");
      // seen by the once-a-second look; then its nbconvert dies first, as under a signal to the whole group
      await pause(2500);
      Deno.kill(await pidIn("nbconvert.pid"), "SIGKILL");
      await pause(200);
      cli.kill("SIGTERM");
      const r = await cli.output();
      equal(r.code, 143);
      match(programStderr(r.stderr), /notebooks: SIGTERM: stopping the running notebooks/);
      for (let i = 0; i < 50 && !ended(kernel); i++) await pause(100);
      ok(ended(kernel), `the kernel ${kernel} was ended`);
    } finally {
      if (kernel && !ended(kernel)) Deno.kill(kernel, "SIGKILL");
      await Deno.remove(dir, { recursive: true });
    }
  },
});
