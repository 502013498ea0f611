"use strict";
/**
 * Serverless Framework v3 plugin (local, no dependencies): every function of the service gets a dead-letter
 * queue and an error alarm, whatever its name, so a function added later (an API, a scheduled run) has them
 * too without another line in serverless.yml.
 *
 * Added to the compiled CloudFormation template after the functions are compiled:
 * - `DeadLetterQueue` (SQS, 14 days): an asynchronous invocation (EventBridge schedules) that still fails after
 *   Lambda's retries lands there; each function's `DeadLetterConfig` points at it and the execution role may
 *   `sqs:SendMessage` to it;
 * - `FailureTopic` (SNS): every alarm notifies it (subscribe an address with `FMAI_ALARM_EMAIL` at deploy);
 * - `<Function>ErrorsAlarm`: the function's `Errors` metric >= 1 in 5 minutes;
 * - `DeadLetterQueueAlarm`: any message in the dead-letter queue;
 * - `HttpApiServerErrorsAlarm` (when a function has an `httpApi` event): 5 or more 5xx answers of the HTTP API
 *   in 5 minutes (the signal API answers a store outage with a clean 503, which the Lambda `Errors` metric
 *   does not count).
 */
class FailureAlarms {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { "after:package:compileFunctions": () => this.addResources() };
  }

  addResources() {
    const sls = this.serverless;
    const naming = sls.getProvider("aws").naming;
    const resources = sls.service.provider.compiledCloudFormationTemplate.Resources;
    const prefix = `${sls.service.service}-${sls.service.provider.stage}`;
    const dlqArn = { "Fn::GetAtt": ["DeadLetterQueue", "Arn"] };
    resources.DeadLetterQueue = {
      Type: "AWS::SQS::Queue",
      Properties: { QueueName: `${prefix}-dlq`, MessageRetentionPeriod: 1209600 },
    };
    const email = process.env.FMAI_ALARM_EMAIL;
    resources.FailureTopic = {
      Type: "AWS::SNS::Topic",
      Properties: {
        TopicName: `${prefix}-failures`,
        ...(email ? { Subscription: [{ Protocol: "email", Endpoint: email }] } : {}),
      },
    };
    const role = resources.IamRoleLambdaExecution;
    if (role) {
      role.Properties.Policies[0].PolicyDocument.Statement.push({
        Effect: "Allow",
        Action: ["sqs:SendMessage"],
        Resource: dlqArn,
      });
    }
    const alarm = (name, props) => ({
      Type: "AWS::CloudWatch::Alarm",
      Properties: {
        AlarmName: `${prefix}-${name}`,
        Statistic: "Sum",
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        TreatMissingData: "notBreaching",
        AlarmActions: [{ Ref: "FailureTopic" }],
        ...props,
      },
    });
    for (const name of sls.service.getAllFunctions()) {
      const id = naming.getLambdaLogicalId(name);
      const fn = resources[id];
      if (!fn) continue;
      fn.Properties.DeadLetterConfig = { TargetArn: dlqArn };
      resources[`${id}ErrorsAlarm`] = alarm(`${name}-errors`, {
        AlarmDescription:
          `${name}: an invocation failed (a symbol failed or was not run, or a store is down)`,
        Namespace: "AWS/Lambda",
        MetricName: "Errors",
        Dimensions: [{ Name: "FunctionName", Value: { Ref: id } }],
      });
    }
    const http = sls.service.getAllFunctions().some((name) =>
      (sls.service.getAllEventsInFunction(name) ?? []).some((e) => e && e.httpApi !== undefined)
    );
    if (http) {
      resources.HttpApiServerErrorsAlarm = alarm("http-api-5xx", {
        AlarmDescription: "the HTTP API answered 5xx (a store is down or a handler failed)",
        Namespace: "AWS/ApiGateway",
        MetricName: "5xx",
        Threshold: 5,
        Dimensions: [{ Name: "ApiId", Value: { Ref: naming.getHttpApiLogicalId() } }],
      });
    }
    resources.DeadLetterQueueAlarm = alarm("dead-letters", {
      AlarmDescription: "an invocation failed after Lambda's retries and is in the dead-letter queue",
      Namespace: "AWS/SQS",
      MetricName: "ApproximateNumberOfMessagesVisible",
      Statistic: "Maximum",
      Dimensions: [{ Name: "QueueName", Value: { "Fn::GetAtt": ["DeadLetterQueue", "QueueName"] } }],
    });
  }
}

module.exports = FailureAlarms;
