import { deepEqual, rejects } from "node:assert/strict";
import { ConfigError } from "@lib/core/mod.ts";
import { checkReportPath } from "./_cli_error.ts";

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
    await refused(`${dir}/old.html/r.html`, `--report ${dir}/old.html: ${dir}/old.html is not a directory`);
    await refused("/dev/null", "--report /dev/null: exists and is not a plain file");
    // a new file, in a folder the run creates, and an existing file (replaced) are fine
    await checkReportPath(`${dir}/a/b/r.html`, "--report");
    await checkReportPath(`${dir}/old.html`, "reportDir");
    deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["old.html"], "nothing created");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
