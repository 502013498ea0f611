"use strict";
/**
 * Serverless Framework v3 plugin (local, no dependencies): one IAM role per function, so each function may
 * touch only the object prefixes it uses. `custom.objectAccess` in serverless.yml maps every function to
 * `{read: [prefix...], write: [prefix...]}` of the data bucket (`custom.bucket`); a function missing from the
 * map, or a name in it that is no function, stops the package with one line.
 *
 * Each role `<Function>Role` may: write its own log group's streams (the function's log group is created by
 * the stack, so no `logs:CreateLogGroup`); `s3:GetObject` under its read and write prefixes and `s3:PutObject`
 * under its write prefixes; `s3:ListBucket` on the bucket (unconditioned: a GetObject carries no `s3:prefix`,
 * so a prefix condition would turn a missing key, which the stores read as "missing", into a 403); and
 * `sqs:SendMessage` to the dead-letter queue of serverless/failure_alarms.cjs (Lambda refuses a dead-letter
 * target the role cannot send to). The framework's shared role is removed once no function uses it.
 */
class FunctionRoles {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { "after:package:compileFunctions": () => this.addRoles() };
  }

  addRoles() {
    const sls = this.serverless;
    const naming = sls.getProvider("aws").naming;
    const resources = sls.service.provider.compiledCloudFormationTemplate.Resources;
    const custom = sls.service.custom ?? {};
    const access = custom.objectAccess ?? {};
    const bucket = custom.bucket;
    const fail = (m) => {
      throw new Error(`serverless/function_roles.cjs: ${m}`);
    };
    if (typeof bucket !== "string" || !bucket) fail("custom.bucket is not set");
    const functions = sls.service.getAllFunctions();
    for (const name of Object.keys(access)) {
      if (!functions.includes(name)) fail(`custom.objectAccess names ${name}, which is no function`);
    }
    const prefix = `${sls.service.service}-${sls.service.provider.stage}`;
    const objects = (list) => list.map((p) => `arn:aws:s3:::${bucket}/${p}/*`);
    for (const name of functions) {
      const a = access[name];
      if (!a) fail(`function ${name} has no entry in custom.objectAccess (its S3 prefixes)`);
      // a mistyped key (`reed:`) would leave the function without the access it needs
      const keys = Object.keys(a).filter((k) => k !== "read" && k !== "write");
      if (keys.length) fail(`custom.objectAccess.${name}: unknown key ${keys[0]} (read, write)`);
      const read = a.read ?? [], write = a.write ?? [];
      if (!Array.isArray(read) || !Array.isArray(write)) {
        fail(`custom.objectAccess.${name}: read and write are lists`);
      }
      for (const p of [...read, ...write]) {
        if (typeof p !== "string" || !/^[a-z0-9][a-z0-9_-]*$/.test(p)) fail(`${name}: bad prefix ${p}`);
      }
      const id = naming.getLambdaLogicalId(name);
      const fn = resources[id];
      if (!fn) continue;
      const logGroup =
        `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/` +
        `${prefix}-${name}`;
      const statements = [
        { Effect: "Allow", Action: ["logs:CreateLogStream"], Resource: [{ "Fn::Sub": `${logGroup}:*` }] },
        { Effect: "Allow", Action: ["logs:PutLogEvents"], Resource: [{ "Fn::Sub": `${logGroup}:*:*` }] },
      ];
      if (read.length + write.length) {
        statements.push({
          Effect: "Allow",
          Action: ["s3:GetObject"],
          Resource: objects([...read, ...write]),
        });
      }
      if (write.length) {
        statements.push({ Effect: "Allow", Action: ["s3:PutObject"], Resource: objects(write) });
      }
      statements.push(
        { Effect: "Allow", Action: ["s3:ListBucket"], Resource: `arn:aws:s3:::${bucket}` },
        {
          Effect: "Allow",
          Action: ["sqs:SendMessage"],
          Resource: { "Fn::GetAtt": ["DeadLetterQueue", "Arn"] },
        },
      );
      const roleId = `${naming.getNormalizedFunctionName(name)}Role`;
      resources[roleId] = {
        Type: "AWS::IAM::Role",
        Properties: {
          AssumeRolePolicyDocument: {
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Principal: { Service: ["lambda.amazonaws.com"] },
                Action: ["sts:AssumeRole"],
              },
            ],
          },
          Policies: [{
            PolicyName: `${prefix}-${name}`,
            PolicyDocument: { Version: "2012-10-17", Statement: statements },
          }],
        },
      };
      fn.Properties.Role = { "Fn::GetAtt": [roleId, "Arn"] };
      if (Array.isArray(fn.DependsOn)) {
        fn.DependsOn = fn.DependsOn.filter((d) => d !== "IamRoleLambdaExecution");
      }
    }
    const used = Object.entries(resources).some(([k, r]) =>
      k !== "IamRoleLambdaExecution" && JSON.stringify(r).includes('"IamRoleLambdaExecution"')
    );
    if (!used) delete resources.IamRoleLambdaExecution;
  }
}

module.exports = FunctionRoles;
