import { deepEqual, equal, rejects, throws } from "node:assert/strict";
import { ConfigError } from "@lib/core/mod.ts";
import { checkReportPath, checkWritableDir, parseArgsOnce, parseFlags } from "./_cli_error.ts";

Deno.test("checkReportPath: refuses an empty path, a folder and an unwritable place; creates nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-report-path-" });
  try {
    await Deno.writeTextFile(`${dir}/old.html`, "x");
    const refused = (path: string, message: string) =>
      rejects(() => checkReportPath(path, "--report"), (e: Error) => {
        deepEqual([e instanceof ConfigError, e.message], [true, message]);
        return true;
      });
    await refused("", "--report: empty path (name the HTML file to write)");
    await refused(dir, `--report ${dir}: is a folder, not a file (e.g. ${dir}/report.html)`);
    await refused(`${dir}/new/`, `--report ${dir}/new/: names a folder, not a file`);
    await refused(`${dir}/old.html/r.html`, `--report ${dir}/old.html: ${dir}/old.html is not a folder`);
    await refused("/dev/null", "--report /dev/null: exists and is not a plain file");
    // a new file, in a folder the run creates, and an existing file (replaced) are fine
    await checkReportPath(`${dir}/a/b/r.html`, "--report");
    await checkReportPath(`${dir}/old.html`, "reportDir");
    deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["old.html"], "nothing created");
    // an existing file the run could not replace (immutable here; another user's in real use) is refused before
    // the work, not found when the run renames its report over it at the end; it is left as it was
    const imm = await new Deno.Command("chattr", { args: ["+i", `${dir}/old.html`] }).output().catch(() =>
      null
    );
    if (imm?.success) {
      try {
        await rejects(
          () => checkReportPath(`${dir}/old.html`, "reportDir"),
          (e: Error) =>
            e instanceof ConfigError &&
            e.message.startsWith(`reportDir ${dir}/old.html: cannot be replaced (`),
        );
        equal(await Deno.readTextFile(`${dir}/old.html`), "x");
      } finally {
        await new Deno.Command("chattr", { args: ["-i", `${dir}/old.html`] }).output();
      }
    } else console.log("checkReportPath: chattr +i unavailable here, the immutable-file case not run");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkReportPath: missingFolder refuse wants the folder to exist; what and example name the file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmai-out-path-" });
  try {
    await Deno.writeTextFile(`${dir}/old.json`, "x");
    const opts = { missingFolder: "refuse", what: "file", example: null } as const;
    const refused = (path: string, message: string, o = opts as Parameters<typeof checkReportPath>[2]) =>
      rejects(() => checkReportPath(path, "--json", o), (e: Error) => {
        deepEqual([e instanceof ConfigError, e.message], [true, message]);
        return true;
      });
    await refused("", "--json: empty path (name the file to write)");
    await refused(dir, `--json ${dir}: is a folder, not a file`);
    await refused(`${dir}/new/out.json`, `--json ${dir}/new/out.json: folder ${dir}/new does not exist`);
    await refused(
      `${dir}/new/a/out.json`,
      `--json ${dir}/new/a/out.json: folder ${dir}/new/a does not exist`,
    );
    // a file where the folder should be is named as such (it was "folder ... does not exist")
    await refused(`${dir}/old.json/x.json`, `--json ${dir}/old.json/x.json: ${dir}/old.json is not a folder`);
    await refused(
      `${dir}/old.json/a/x.json`,
      `--json ${dir}/old.json/a/x.json: ${dir}/old.json is not a folder`,
    );
    await refused("/dev/null/x.json", "--json /dev/null/x.json: /dev/null is not a folder");
    await refused(" ", "--json: empty path (name the XML file to write)", { what: "XML file" });
    await checkReportPath(`${dir}/out.json`, "--json", opts);
    await checkReportPath(`${dir}/old.json`, "--json", opts);
    deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["old.json"], "nothing created");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkWritableDir: an empty path is refused naming the flag, not probed as the root folder", async () => {
  for (const dir of ["", " "]) {
    await rejects(() => checkWritableDir(dir, "--store-dir"), (e: Error) => {
      deepEqual([e instanceof ConfigError, e.message], [true, "--store-dir: empty path (name a folder)"]);
      return true;
    });
  }
});

Deno.test("a flag that takes one value given twice is a one-line ConfigError; multiple and boolean flags may repeat", () => {
  const opts = {
    symbols: { type: "string" },
    file: { type: "string", multiple: true },
    quiet: { type: "boolean" },
  } as const;
  throws(
    () => parseFlags(["--symbols", "A", "--symbols", "B"], opts),
    (e: Error) => e instanceof ConfigError && e.message === "--symbols is given twice: give it once",
  );
  throws(() => parseFlags(["--symbols=A", "--symbols", "B"], opts), /--symbols is given twice/);
  const { values } = parseFlags(["--file", "a", "--file", "b", "--quiet", "--quiet", "--symbols", "A"], opts);
  deepEqual(values, { file: ["a", "b"], quiet: true, symbols: "A" });
  // the CLIs that parse with their own settings refuse it too
  throws(
    () => parseArgsOnce({ args: ["--to", "x", "--to", "y"], options: { to: { type: "string" } } }),
    ConfigError,
  );
});

Deno.test("a flag value that starts with a dash says how to give it, in one line", () => {
  throws(
    () => parseFlags(["--refit-every", "-5"], { "refit-every": { type: "string" } }),
    (e: Error) =>
      e instanceof ConfigError &&
      e.message ===
        '--refit-every: a value that starts with "-" is written --refit-every=VALUE (e.g. --refit-every=-5)',
  );
  equal(parseFlags(["--refit-every=-5"], { "refit-every": { type: "string" } }).values["refit-every"], "-5");
});
