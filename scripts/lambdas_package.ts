/**
 * `deno task lambdas:package`: bundles every Lambda handler (scripts/bundle_lambdas.ts), runs
 * `serverless package` OFFLINE with Serverless Framework v3 from npm (installed into `.tools/serverless` when
 * missing; dummy AWS credentials, telemetry and notifications off), checks that
 * `.serverless/cloudformation-template-update-stack.json` has an `AWS::Lambda::Function` with the right
 * handler, runtime and schedule for every handler and that each function's zip holds exactly its bundle, then
 * runs each bundled handler under Node 22 against the recorded responses (scripts/lambda_smoke.ts; skip with
 * `FMAI_SKIP_LAMBDA_SMOKE=1`). Exits 1 on any failure.
 * @module
 */
import { fileURLToPath } from "node:url";
import { bundleLambdas, handlerKinds } from "./bundle_lambdas.ts";
import { ensureNode22, resultLine, smokeTestHandlers } from "./lambda_smoke.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const SLS_VERSION = "3.40.0";
const SLS = `${ROOT}.tools/serverless/node_modules/serverless/bin/serverless.js`;

async function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  const p = await new Deno.Command(cmd, { args, env, cwd: ROOT, stdout: "inherit", stderr: "inherit" })
    .output();
  if (!p.success) throw new Error(`${cmd} ${args.slice(0, 3).join(" ")} failed (exit ${p.code})`);
}

async function ensureServerless(): Promise<void> {
  try {
    await Deno.stat(SLS);
    return;
  } catch { /* install */ }
  console.log(`installing serverless@${SLS_VERSION} into .tools/serverless`);
  await run("npm", [
    "install",
    "--no-audit",
    "--no-fund",
    "--prefix",
    `${ROOT}.tools/serverless`,
    `serverless@${SLS_VERSION}`,
  ]);
}

/** A CloudFormation resource name as Serverless derives it (`prices` -> `PricesLambdaFunction`). */
export function functionResource(kind: string): string {
  return kind.charAt(0).toUpperCase() + kind.slice(1).replace(/-/g, "Dash").replace(/_/g, "Underscore") +
    "LambdaFunction";
}

/** Checks the packaged template; returns the problems found. */
export async function checkTemplate(kinds: string[]): Promise<string[]> {
  // deno-lint-ignore no-explicit-any
  const t: any = JSON.parse(
    await Deno.readTextFile(`${ROOT}.serverless/cloudformation-template-update-stack.json`),
  );
  const problems: string[] = [];
  const res = t.Resources ?? {};
  for (const kind of kinds) {
    const name = functionResource(kind);
    const fn = res[name];
    if (fn?.Type !== "AWS::Lambda::Function") {
      problems.push(`no AWS::Lambda::Function ${name} for lambdas/${kind}.ts`);
      continue;
    }
    const p = fn.Properties;
    if (p.Handler !== `dist/lambdas/${kind}/index.handler`) problems.push(`${name}: handler ${p.Handler}`);
    if (p.Runtime !== "nodejs22.x") problems.push(`${name}: runtime ${p.Runtime}`);
    const hasSchedule = Object.values(res).some((r) =>
      // deno-lint-ignore no-explicit-any
      (r as any).Type === "AWS::Events::Rule" &&
      // deno-lint-ignore no-explicit-any
      JSON.stringify((r as any).Properties?.Targets ?? []).includes(name)
    );
    if (!hasSchedule) problems.push(`${name}: no EventBridge schedule`);
  }
  return problems;
}

if (import.meta.main) {
  try {
    const t0 = performance.now();
    await ensureServerless();
    const bundles = await bundleLambdas();
    for (const b of bundles) console.log(`bundle ${b.kind.padEnd(11)} ${(b.bytes / 1e6).toFixed(2)} MB`);
    await run("node", [SLS, "package", "--stage", "dev", "--region", "us-east-1"], {
      AWS_ACCESS_KEY_ID: "AKIAOFFLINEPACKAGE00",
      AWS_SECRET_ACCESS_KEY: "offline-package-dummy-secret",
      SLS_TELEMETRY_DISABLED: "1",
      SLS_NOTIFICATIONS_MODE: "off",
      SLS_DEPRECATION_DISABLE: "*",
    });
    const kinds = await handlerKinds();
    const problems = await checkTemplate(kinds);
    for (const kind of kinds) {
      const zip = await new Deno.Command("unzip", { args: ["-Z1", `${ROOT}.serverless/${kind}.zip`] })
        .output();
      const files = new TextDecoder().decode(zip.stdout).trim().split("\n");
      if (files.join() !== `dist/lambdas/${kind}/index.mjs`) {
        problems.push(`${kind}.zip holds ${files.join(", ")}`);
      }
    }
    if (problems.length) throw new Error(`serverless template check failed: ${problems.join("; ")}`);
    console.log(
      `template: ${kinds.length} functions (${kinds.join(", ")}) with handlers, nodejs22.x and schedules`,
    );
    if (Deno.env.get("FMAI_SKIP_LAMBDA_SMOKE") !== "1") {
      const runs = await smokeTestHandlers(await ensureNode22());
      for (const r of runs) {
        console.log(
          `node22 ${r.kind.padEnd(11)} cold import ${r.importMs.toFixed(0)} ms, first run ${
            r.runMs.toFixed(0)
          } ms, ${resultLine(r)}`,
        );
      }
    }
    console.log(`lambdas:package ok in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } catch (e) {
    console.error(`lambdas:package: ${e instanceof Error ? e.message : String(e)}`);
    Deno.exit(1);
  }
}
