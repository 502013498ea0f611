/**
 * `deno task lambdas:package`: bundles every Lambda handler (scripts/bundle_lambdas.ts), runs
 * `serverless package` OFFLINE with Serverless Framework v3 from npm (installed into `.tools/serverless` when
 * missing; dummy AWS credentials, telemetry and notifications off), checks that
 * each stage's `cloudformation-template-update-stack.json` has an `AWS::Lambda::Function` with the right
 * handler, runtime and schedule (or HTTP route) for every handler, the dead-letter queue and alarms of
 * `serverless/failure_alarms.cjs`, a role of its own per function with exactly its S3 prefixes
 * (`serverless/function_roles.cjs`), no schema warning but the runtime's, and that each function's zip holds
 * exactly its files, then
 * runs each bundled handler under Node 22 against the recorded responses (scripts/lambda_smoke.ts; skip with
 * `FMAI_SKIP_LAMBDA_SMOKE=1`). Exits 1 on any failure.
 * @module
 */
import { fileURLToPath } from "node:url";
import { bundleLambdas, handlerKinds, TFJS_WASM_FILES } from "./bundle_lambdas.ts";
import { ensureNode22, resultLine, smokeTestHandlers } from "./lambda_smoke.ts";
import { toolArgs } from "./_args.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const SLS_VERSION = "3.40.0";
const SLS = `${ROOT}.tools/serverless/node_modules/serverless/bin/serverless.js`;

/** Runs a command (its output shown) and returns what it printed. */
async function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const p = await new Deno.Command(cmd, { args, env, cwd: ROOT, stdout: "piped", stderr: "piped" }).output();
  const out = new TextDecoder().decode(p.stdout), err = new TextDecoder().decode(p.stderr);
  await Deno.stdout.write(p.stdout);
  await Deno.stderr.write(p.stderr);
  if (!p.success) throw new Error(`${cmd} ${args.slice(0, 3).join(" ")} failed (exit ${p.code})`);
  return out + err;
}

/**
 * The schema problems `serverless package` printed (`configValidationMode: warn` prints them and goes on), less
 * the one it is set to warn for: v3's schema stops at nodejs20.x, and the functions run nodejs22.x. A mistyped
 * or misplaced key (`timout:`) is one of them, so the package step fails on it.
 */
export function schemaProblems(printed: string): string[] {
  const out: string[] = [];
  let inWarning = false;
  for (const line of printed.split(/\r?\n/)) {
    if (/Warning: Invalid configuration encountered/.test(line)) inWarning = true;
    else if (inWarning && /^\s+at '/.test(line)) {
      if (!/^\s+at 'provider\.runtime': must be equal to one of the allowed values/.test(line)) {
        out.push(line.trim());
      }
    } else inWarning = false;
  }
  return out;
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

/**
 * Files each function's zip must hold (sorted): the daily run and the API read the config beside the bundle,
 * and both bundles hold TensorFlow.js, whose wasm backend loads its `.wasm` files from beside the bundle.
 */
export function zipFiles(kind: string): string[] {
  const dir = `dist/lambdas/${kind}`;
  return kind === "signal" || kind === "api"
    ? ["config/default.yaml", `${dir}/index.mjs`, ...TFJS_WASM_FILES.map((w) => `${dir}/${w}`)].sort()
    : [`${dir}/index.mjs`];
}

/** A function's S3 prefixes in `custom.objectAccess` of serverless.yml. */
export type ObjectAccess = Record<string, { read?: string[]; write?: string[] }>;

/** `custom.objectAccess` of serverless.yml. */
export async function objectAccess(): Promise<ObjectAccess> {
  const { parse } = await import("yaml");
  return parse(await Deno.readTextFile(`${ROOT}serverless.yml`)).custom.objectAccess;
}

/**
 * The problems of one function's role in a packaged template: the function must run under a role of its own
 * that may get objects under exactly its read and write prefixes and put them under exactly its write ones.
 */
// deno-lint-ignore no-explicit-any
export function roleProblems(res: Record<string, any>, kind: string, access: ObjectAccess): string[] {
  const name = functionResource(kind);
  const roleId = name.replace(/LambdaFunction$/, "Role");
  if (JSON.stringify(res[name]?.Properties?.Role) !== JSON.stringify({ "Fn::GetAtt": [roleId, "Arn"] })) {
    return [`${name}: not run by its own role ${roleId}`];
  }
  const a = access[kind];
  if (!a) return [`${name}: no custom.objectAccess entry`];
  // deno-lint-ignore no-explicit-any
  const statements: any[] = res[roleId]?.Properties?.Policies?.[0]?.PolicyDocument?.Statement ?? [];
  const on = (action: string) =>
    statements.filter((s) => s.Action.includes(action)).flatMap((s) => s.Resource).map(String).sort();
  const keys = (prefixes: string[]) => prefixes.map((p) => `/${p}/*`).sort();
  const tail = (arns: string[]) => arns.map((r) => r.slice(r.indexOf("/")));
  const problems: string[] = [];
  const read = [...(a.read ?? []), ...(a.write ?? [])], write = a.write ?? [];
  if (tail(on("s3:GetObject")).join() !== keys(read).join()) {
    problems.push(`${roleId}: s3:GetObject on ${on("s3:GetObject").join(", ") || "nothing"}`);
  }
  if (tail(on("s3:PutObject")).join() !== keys(write).join()) {
    problems.push(`${roleId}: s3:PutObject on ${on("s3:PutObject").join(", ") || "nothing"}`);
  }
  const wild = statements.filter((s) => [s.Action].flat().some((x: string) => x.includes("*")));
  if (wild.length) problems.push(`${roleId}: a wildcard action`);
  return problems;
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
  const access = await objectAccess();
  for (const kind of kinds) problems.push(...roleProblems(res, kind, access));
  if (res.IamRoleLambdaExecution) {
    problems.push("the shared IamRoleLambdaExecution role is still in the template");
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
      const printed = await run("node", [
        SLS,
        "package",
        "--stage",
        stage,
        "--region",
        "us-east-1",
        "--package",
        dir,
      ], {
        AWS_ACCESS_KEY_ID: "AKIAOFFLINEPACKAGE00",
        AWS_SECRET_ACCESS_KEY: "offline-package-dummy-secret",
        SLS_TELEMETRY_DISABLED: "1",
        SLS_NOTIFICATIONS_MODE: "off",
        SLS_DEPRECATION_DISABLE: "*",
      });
      problems.push(...schemaProblems(printed).map((x) => `${stage}: serverless.yml ${x}`));
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
        "nodejs22.x, schedules or HTTP routes, a role each, the dead-letter queue and error alarms",
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
