/**
 * `deno task lambdas:package`: bundles every Lambda handler (scripts/bundle_lambdas.ts), runs
 * `serverless package` OFFLINE with Serverless Framework v3 from npm (installed into `.tools/serverless` when
 * missing; dummy AWS credentials, telemetry and notifications off), checks that
 * each stage's `cloudformation-template-update-stack.json` has an `AWS::Lambda::Function` with the right
 * handler, runtime and schedule (or HTTP route) for every handler, the dead-letter queue and alarms of
 * `serverless/failure_alarms.cjs`, and that each function's zip holds exactly its bundle, then
 * runs each bundled handler under Node 22 against the recorded responses (scripts/lambda_smoke.ts; skip with
 * `FMAI_SKIP_LAMBDA_SMOKE=1`). Exits 1 on any failure.
 * @module
 */
import { fileURLToPath } from "node:url";
import { bundleLambdas, handlerKinds } from "./bundle_lambdas.ts";
import { ensureNode22, resultLine, smokeTestHandlers } from "./lambda_smoke.ts";
import { toolArgs } from "./_args.ts";

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

/** Stages `serverless.yml` defines; `lambdas:package` packages each into `dist/serverless/<stage>/`. */
export const STAGES = ["dev", "prod"] as const;

/** Handlers called over HTTP (no schedule; an HTTP API route instead). */
const HTTP_KINDS = new Set(["api"]);

/** Files each function's zip must hold (sorted). */
export function zipFiles(kind: string): string[] {
  return kind === "signal"
    ? ["config/default.yaml", `dist/lambdas/${kind}/index.mjs`]
    : [`dist/lambdas/${kind}/index.mjs`];
}

/** Checks the packaged template of one stage; returns the problems found. */
export async function checkTemplate(kinds: string[], dir = `${ROOT}.serverless`): Promise<string[]> {
  // deno-lint-ignore no-explicit-any
  const t: any = JSON.parse(await Deno.readTextFile(`${dir}/cloudformation-template-update-stack.json`));
  const problems: string[] = [];
  const res = t.Resources ?? {};
  // deno-lint-ignore no-explicit-any
  const all = Object.values(res) as any[];
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
    if (HTTP_KINDS.has(kind)) {
      const routed = all.some((r) =>
        r.Type === "AWS::ApiGatewayV2::Integration" && JSON.stringify(r.Properties ?? {}).includes(name)
      );
      if (!routed) problems.push(`${name}: no HTTP API integration`);
    } else {
      const hasSchedule = all.some((r) =>
        r.Type === "AWS::Events::Rule" && JSON.stringify(r.Properties?.Targets ?? []).includes(name)
      );
      if (!hasSchedule) problems.push(`${name}: no EventBridge schedule`);
    }
    // serverless/failure_alarms.cjs: the shared dead-letter queue and an Errors alarm per function
    if (
      JSON.stringify(p.DeadLetterConfig ?? null) !==
        JSON.stringify({ TargetArn: { "Fn::GetAtt": ["DeadLetterQueue", "Arn"] } })
    ) {
      problems.push(`${name}: no dead-letter queue`);
    }
    const alarm = res[`${name}ErrorsAlarm`];
    if (
      alarm?.Type !== "AWS::CloudWatch::Alarm" || alarm.Properties?.MetricName !== "Errors" ||
      JSON.stringify(alarm.Properties?.Dimensions) !==
        JSON.stringify([{ Name: "FunctionName", Value: { Ref: name } }])
    ) {
      problems.push(`${name}: no Errors alarm`);
    }
  }
  if (res.DeadLetterQueue?.Type !== "AWS::SQS::Queue") problems.push("no DeadLetterQueue");
  if (res.DeadLetterQueueAlarm?.Type !== "AWS::CloudWatch::Alarm") problems.push("no DeadLetterQueueAlarm");
  if (kinds.some((k) => HTTP_KINDS.has(k))) {
    const api5xx = res.HttpApiServerErrorsAlarm;
    if (
      api5xx?.Type !== "AWS::CloudWatch::Alarm" || api5xx.Properties?.MetricName !== "5xx" ||
      JSON.stringify(api5xx.Properties?.Dimensions) !==
        JSON.stringify([{ Name: "ApiId", Value: { Ref: "HttpApi" } }])
    ) {
      problems.push("no HttpApiServerErrorsAlarm (5xx answers of the HTTP API)");
    }
  }
  return problems;
}

if (import.meta.main) {
  toolArgs("lambdas:package", {}); // no flags: --help prints the usage, anything else is one line, exit 2
  try {
    const t0 = performance.now();
    await ensureServerless();
    const bundles = await bundleLambdas();
    for (const b of bundles) console.log(`bundle ${b.kind.padEnd(11)} ${(b.bytes / 1e6).toFixed(2)} MB`);
    const kinds = await handlerKinds();
    const problems: string[] = [];
    for (const stage of STAGES) {
      const dir = `${ROOT}dist/serverless/${stage}`;
      await run("node", [SLS, "package", "--stage", stage, "--region", "us-east-1", "--package", dir], {
        AWS_ACCESS_KEY_ID: "AKIAOFFLINEPACKAGE00",
        AWS_SECRET_ACCESS_KEY: "offline-package-dummy-secret",
        SLS_TELEMETRY_DISABLED: "1",
        SLS_NOTIFICATIONS_MODE: "off",
        SLS_DEPRECATION_DISABLE: "*",
      });
      problems.push(...(await checkTemplate(kinds, dir)).map((x) => `${stage}: ${x}`));
      const sizes: string[] = [];
      let total = 0;
      for (const kind of kinds) {
        const zip = `${dir}/${kind}.zip`;
        const list = await new Deno.Command("unzip", { args: ["-Z1", zip] }).output();
        const files = new TextDecoder().decode(list.stdout).trim().split("\n").sort();
        if (files.join() !== zipFiles(kind).join()) {
          problems.push(`${stage}: ${kind}.zip holds ${files.join(", ")}`);
        }
        const bytes = (await Deno.stat(zip)).size;
        total += bytes;
        sizes.push(`${kind} ${(bytes / 1e6).toFixed(2)}`);
      }
      console.log(`package ${stage}: ${(total / 1e6).toFixed(2)} MB zipped (${sizes.join(", ")} MB)`);
    }
    if (problems.length) throw new Error(`serverless template check failed: ${problems.join("; ")}`);
    console.log(
      `template (${STAGES.join(", ")}): ${kinds.length} functions (${kinds.join(", ")}) with handlers, ` +
        "nodejs22.x, schedules or HTTP routes, the dead-letter queue and error alarms",
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
