import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import {
  functionResource,
  type ObjectAccess,
  objectAccess,
  roleProblems,
  schemaProblems,
  zipFiles,
} from "./lambdas_package.ts";

// what serverless@3.40.0 printed packaging a serverless.yml with three mistyped keys (configValidationMode: warn)
const PRINTED = `
Warning: Invalid configuration encountered
  at 'functions.statements': unrecognized property 'timout'
  at 'functions.calendars.events.0.schedule': unrecognized property 'enabeld'
  at 'provider': unrecognized property 'logRetentionDays'
  at 'provider.runtime': must be equal to one of the allowed values [dotnet6, go1.x, java21, nodejs20.x, provided]

Learn more about configuration validation here: http://slss.io/configuration-validation

Packaging fmai-collectors for stage dev (us-east-1)

✔ Service packaged (1s)
`;

Deno.test("lambdas:package: every schema warning but the nodejs22.x runtime is a problem", () => {
  deepEqual(schemaProblems(PRINTED), [
    "at 'functions.statements': unrecognized property 'timout'",
    "at 'functions.calendars.events.0.schedule': unrecognized property 'enabeld'",
    "at 'provider': unrecognized property 'logRetentionDays'",
  ]);
  // the committed serverless.yml: the runtime warning alone
  const clean = PRINTED.split("\n").filter((l) => !/timout|enabeld|logRetentionDays/.test(l)).join("\n");
  deepEqual(schemaProblems(clean), []);
  // a line that merely looks like one, outside the warning block, is not
  deepEqual(schemaProblems("Packaging\n  at 'x': y\n"), []);
});

Deno.test("lambdas:package: the daily run and the API are packaged with the config and the tfjs wasm files they read", () => {
  for (const k of ["api", "signal"]) {
    deepEqual(zipFiles(k), [
      "config/default.yaml",
      `dist/lambdas/${k}/index.mjs`,
      `dist/lambdas/${k}/tfjs-backend-wasm-simd.wasm`,
      `dist/lambdas/${k}/tfjs-backend-wasm.wasm`,
    ]);
  }
  deepEqual(zipFiles("prices"), ["dist/lambdas/prices/index.mjs"]);
});

/** Runs serverless/function_roles.cjs over a template with one function per `custom.objectAccess` entry. */
async function rolesFor(access: ObjectAccess, functions = Object.keys(access)) {
  const { createRequire } = await import("node:module");
  const FunctionRoles = createRequire(import.meta.url)("../serverless/function_roles.cjs");
  const norm = (n: string) => n.charAt(0).toUpperCase() + n.slice(1);
  // deno-lint-ignore no-explicit-any
  const resources: Record<string, any> = { IamRoleLambdaExecution: { Type: "AWS::IAM::Role" } };
  for (const f of functions) {
    resources[`${norm(f)}LambdaFunction`] = {
      Type: "AWS::Lambda::Function",
      Properties: { Role: { "Fn::GetAtt": ["IamRoleLambdaExecution", "Arn"] } },
      DependsOn: [`${norm(f)}LogGroup`, "IamRoleLambdaExecution"],
    };
  }
  const sls = {
    getProvider: () => ({
      naming: {
        getLambdaLogicalId: (n: string) => `${norm(n)}LambdaFunction`,
        getNormalizedFunctionName: norm,
      },
    }),
    service: {
      service: "fmai-collectors",
      custom: { bucket: "fmai-data-dev", objectAccess: access },
      provider: { stage: "dev", compiledCloudFormationTemplate: { Resources: resources } },
      getAllFunctions: () => functions,
    },
  };
  new FunctionRoles(sls).hooks["after:package:compileFunctions"]();
  return resources;
}

Deno.test("serverless/function_roles.cjs: a role per function with exactly its S3 prefixes; roleProblems sees a wider one", async () => {
  const access = await objectAccess();
  const kinds = Object.keys(access);
  deepEqual(kinds.sort(), [
    "api",
    "calendars",
    "charts",
    "news",
    "options",
    "prices",
    "signal",
    "statements",
  ]);
  const res = await rolesFor(access);
  for (const k of kinds) deepEqual(roleProblems(res, k, access), [], k);
  equal(res.IamRoleLambdaExecution, undefined);
  // the internet-facing API only reads the registry
  // deno-lint-ignore no-explicit-any
  const api: any[] = res.ApiRole.Properties.Policies[0].PolicyDocument.Statement;
  ok(!api.some((s) => s.Action.includes("s3:PutObject")));
  deepEqual(api.find((s) => s.Action.includes("s3:GetObject")).Resource, [
    "arn:aws:s3:::fmai-data-dev/models/*",
  ]);
  // every role lists the bucket once, unconditioned: a GetObject carries no s3:prefix, so a condition makes a
  // missing key a 403
  for (const k of kinds) {
    const role = functionResource(k).replace(/LambdaFunction$/, "Role");
    // deno-lint-ignore no-explicit-any
    const statements: any[] = res[role].Properties.Policies[0].PolicyDocument.Statement;
    const list = statements.filter((s) => s.Action.includes("s3:ListBucket"));
    equal(list.length, 1, role);
    equal(list[0].Condition, undefined, role);
    equal(list[0].Resource, "arn:aws:s3:::fmai-data-dev", role);
  }
  deepEqual(res.ApiLambdaFunction.DependsOn, ["ApiLogGroup"]);
  // a role granting more than its entry is named
  const wide = await rolesFor({ ...access, api: { write: ["models"] } });
  deepEqual(
    roleProblems(wide, "api", access),
    ["ApiRole: s3:PutObject on arn:aws:s3:::fmai-data-dev/models/*"],
  );
  // a function without an entry, or an entry without a function, stops the package
  await rejects(() => rolesFor({ prices: { write: ["raw"] } }, ["prices", "extra"]), /extra has no entry/);
  await rejects(
    () => rolesFor({ prices: { write: ["raw"] }, gone: {} }, ["prices"]),
    /names gone, which is no/,
  );
  // a mistyped key would leave the function without its access: refused
  await rejects(
    () => rolesFor({ api: { reed: ["models"] } } as unknown as ObjectAccess),
    /objectAccess\.api: unknown key reed \(read, write\)/,
  );
  await rejects(
    () => rolesFor({ api: { read: "models" } } as unknown as ObjectAccess),
    /read and write are lists/,
  );
});
