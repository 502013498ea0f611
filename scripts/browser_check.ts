/// <reference lib="dom" />
/**
 * `deno task notebooks:check [files.html...] [--junit PATH] [--shots DIR]`: opens each HTML report in headless
 * Debian Chromium (driven by playwright-core), with every non-file request blocked, and asserts that every
 * plotly container drew (each `.fmai-plot` / `.plot` div holds a `.main-svg`; `.js-plotly-plot` count >= the
 * containers and >= the plots `reports/notebooks/manifest.json` expects), that every DataFrame the kernel
 * rendered (`div.fmai-frame`, marked by the `fmai` template) shows a table whose header is the frame's columns and
 * whose body has rows when the frame has, and that there are at least as many as the manifest expects, that no
 * console error or page error occurred and nothing was fetched from the network. Saves a screenshot of the first screen of each report
 * next to it (or under `--shots`). Default files: `reports/notebooks/*.html`. Exits 1 on any failure.
 * @module
 */
import { fileURLToPath } from "node:url";
import { intFlag, toolArgs, toolCheck } from "./_args.ts";
import { ConfigError } from "@lib/core/mod.ts";
import { checkReportPath, checkWritableDir } from "../pipelines/_cli_error.ts";
import { chromium } from "playwright-core";
import { basename, dirname, join, resolve } from "node:path";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { junitXml } from "./notebooks.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url)).replace(/\/$/, "");
const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];
const LAUNCH_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-dev-shm-usage",
];
const CONTAINERS = "div.fmai-plot, div.plot";

/** What one page showed. */
export interface PageCheck {
  file: string;
  containers: number;
  drawn: number;
  plotlyPlots: number;
  mainSvgs: number;
  frames: number;
  errors: string[];
  seconds: number;
  screenshot?: string;
}

/** The report's entry in the `manifest.json` beside it (`deno task notebooks` writes it), if any. */
function manifestEntry(file: string): { plots?: number; frames?: number; ok?: boolean } | undefined {
  const manifest = join(dirname(file), "manifest.json");
  if (!existsSync(manifest)) return undefined;
  try {
    return JSON.parse(readFileSync(manifest, "utf8"))[basename(file)];
  } catch {
    return undefined;
  }
}

function expected(file: string, what: "plots" | "frames"): number {
  return manifestEntry(file)?.[what] ?? 0;
}

async function main(): Promise<number> {
  const { values, positionals } = toolArgs("notebooks:check", {
    junit: { type: "string" },
    shots: { type: "string" },
    timeout: { type: "string", default: "30000" },
  }, { positionals: true });
  // every flag and named file checked before chromium starts: one line, exit 2 (a --junit that could not be
  // written failed with a stack trace after every page was checked; --timeout x was read as NaN)
  const timeout = await toolCheck(async () => {
    const ms = intFlag("timeout", values.timeout);
    if (values.junit !== undefined) await checkReportPath(values.junit, "--junit", { what: "XML file" });
    if (values.shots !== undefined) await checkWritableDir(resolve(values.shots), "--shots");
    for (const f of positionals) {
      if (!existsSync(resolve(f))) throw new ConfigError(`${f}: no such file (name HTML reports to check)`);
    }
    return ms;
  });
  let files = positionals.map((f) => resolve(f));
  if (files.length === 0) {
    const dir = join(ROOT, "reports/notebooks");
    files = existsSync(dir)
      ? readdirSync(dir).filter((f) => f.endsWith(".html")).sort().map((f) => join(dir, f))
      : [];
  }
  if (files.length === 0) {
    console.error("no HTML reports to check: run `deno task notebooks` first, or name the files");
    return 2;
  }
  const executablePath = CHROMIUM.find((p) => existsSync(p));
  if (!executablePath) {
    console.error("chromium not found: run `bash scripts/setup.sh` (installs Debian's chromium)");
    return 2;
  }
  const t0 = performance.now();
  const browser = await chromium.launch({ executablePath, args: LAUNCH_ARGS, headless: true });
  const results: PageCheck[] = [];
  try {
    for (const file of files) {
      const t1 = performance.now();
      const r: PageCheck = {
        file,
        containers: 0,
        drawn: 0,
        plotlyPlots: 0,
        mainSvgs: 0,
        frames: 0,
        errors: [],
        seconds: 0,
      };
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      page.on("console", (m) => {
        if (m.type() === "error") r.errors.push(`console: ${m.text().slice(0, 200)}`);
      });
      page.on("pageerror", (e) => r.errors.push(`page error: ${String(e.message ?? e).slice(0, 200)}`));
      await page.route("**/*", (route) => {
        const url = route.request().url();
        if (url.startsWith("file:") || url.startsWith("data:") || url.startsWith("blob:")) {
          return route.continue();
        }
        r.errors.push(`network request blocked: ${url.slice(0, 120)}`);
        return route.abort();
      });
      try {
        if (!existsSync(file)) throw new Error("file not found");
        await page.goto(`file://${file}`, { waitUntil: "load", timeout });
        await page.waitForFunction(
          (sel: string) => [...document.querySelectorAll(sel)].every((d) => d.querySelector(".main-svg")),
          CONTAINERS,
          { timeout },
        ).catch(() => r.errors.push("timed out waiting for every plot to draw"));
        const counts = await page.evaluate((sel: string) => {
          const boxes = [...document.querySelectorAll(sel)];
          return {
            containers: boxes.length,
            drawn: boxes.filter((d) => d.querySelector(".main-svg")).length,
            plotlyPlots: document.querySelectorAll(".js-plotly-plot").length,
            mainSvgs: document.querySelectorAll(".main-svg").length,
          };
        }, CONTAINERS);
        Object.assign(r, counts);
        const frames = await page.evaluate(() =>
          [...document.querySelectorAll("div.fmai-frame")].map((d) => {
            const el = d as HTMLElement;
            const table = d.querySelector("table");
            return {
              columns: (el.dataset.frameColumns ?? "").split("\t"),
              rows: Number(el.dataset.frameRows),
              header: table
                ? [...table.querySelectorAll("thead th")].map((th) => th.textContent ?? "")
                : null,
              body: table ? table.querySelectorAll("tbody tr").length : 0,
              visible: table ? (table as HTMLElement).offsetHeight > 0 : false,
            };
          })
        );
        r.frames = frames.length;
        frames.forEach((f, i) => {
          if (!f.header) return void r.errors.push(`DataFrame ${i + 1}: no table`);
          if (f.header.join("\t") !== f.columns.join("\t")) {
            r.errors.push(
              `DataFrame ${i + 1}: header ${f.header.join(",")} is not its columns ${f.columns.join(",")}`,
            );
          }
          if (f.rows > 0 && (f.body === 0 || f.body > f.rows)) {
            r.errors.push(`DataFrame ${i + 1}: ${f.body} table rows for ${f.rows} rows of data`);
          }
          if (!f.visible) r.errors.push(`DataFrame ${i + 1}: table not visible`);
        });
        // a report of a notebook whose run failed (one written before failed runs left none) is not passed
        if (manifestEntry(file)?.ok === false) {
          r.errors.push("its notebook run failed (manifest.json: ok false)");
        }
        const wantFrames = expected(file, "frames");
        if (r.frames < wantFrames) {
          r.errors.push(
            `expected at least ${wantFrames} DataFrames rendered by the kernel, found ${r.frames}`,
          );
        }
        // a notebook export (a manifest beside it) draws at least one chart; another report (the daily run's
        // signal report has none) only needs each chart it holds to draw
        const want = existsSync(join(dirname(file), "manifest.json"))
          ? Math.max(1, expected(file, "plots"))
          : 0;
        if (r.containers < want) {
          r.errors.push(`expected at least ${want} plot containers, found ${r.containers}`);
        }
        if (r.drawn < r.containers) {
          r.errors.push(`${r.containers - r.drawn} of ${r.containers} plots did not draw`);
        }
        if (r.plotlyPlots < r.containers) {
          r.errors.push(`${r.plotlyPlots} .js-plotly-plot for ${r.containers} plots`);
        }
        const shotDir = values.shots ? resolve(values.shots) : dirname(file);
        await Deno.mkdir(shotDir, { recursive: true });
        r.screenshot = join(shotDir, basename(file).replace(/\.html?$/, ".png"));
        await page.screenshot({ path: r.screenshot });
      } catch (e) {
        r.errors.push(`cannot open: ${String((e as Error).message ?? e).split("\n")[0]}`);
      } finally {
        await page.close();
      }
      r.seconds = (performance.now() - t1) / 1000;
      results.push(r);
      console.log(
        `${r.errors.length ? "FAIL" : "ok  "} ${
          basename(file)
        }: ${r.drawn}/${r.containers} plots drew, ${r.mainSvgs} svgs, ${r.frames} DataFrames, ${
          r.seconds.toFixed(1)
        }s${r.screenshot ? ` -> ${r.screenshot}` : ""}`,
      );
      for (const e of r.errors.slice(0, 8)) console.log(`     ${e}`);
    }
  } finally {
    await browser.close();
  }
  const xml = junitXml(
    "browser-check",
    results.map((r) => ({ name: `browser ${basename(r.file)}`, seconds: r.seconds, problems: r.errors })),
  );
  const nbDir = join(ROOT, "reports/notebooks");
  if (results.some((r) => dirname(r.file) === nbDir)) {
    await Deno.writeTextFile(join(nbDir, "junit-browser.xml"), xml);
  }
  if (values.junit) await Deno.writeTextFile(values.junit, xml);
  const failed = results.filter((r) => r.errors.length).length;
  console.log(
    `browser check: ${results.length - failed} passed, ${failed} failed in ${
      ((performance.now() - t0) / 1000).toFixed(1)
    }s`,
  );
  return failed ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
