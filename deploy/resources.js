// Dead-letter queues, async-failure destinations and CloudWatch alarms for EVERY function, in one place.
// Serverless v3 loads this through `${file(./deploy/resources.js)}` in serverless.yml. The functions are the
// handlers in lambdas/ (files not starting with `_`, not tests), the same list the bundler and the package check
// use, so a new handler gets its queue and alarms without another edit.
//
// Per function <Fn> (CloudFormation name as Serverless derives it, e.g. `SignalLambdaFunction`):
// - <Fn>DeadLetterQueue: SQS, 14 days; <Fn>EventInvokeConfig sends failed asynchronous invocations there after
//   2 retries (scheduled runs are asynchronous; the API's synchronous calls answer the client instead)
// - <Fn>ErrorsAlarm (Errors >= 1 in 5 min), <Fn>ThrottlesAlarm (Throttles >= 1), <Fn>DeadLettersAlarm (a message
//   in its queue); all notify the AlarmTopic SNS topic (subscribe FMAI_ALARM_EMAIL when set)
// Plus ApiServerErrorsAlarm on the HTTP API's 5xx count, and one IAM policy letting the functions' role send
// to their queues.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

function handlerKinds() {
  return fs.readdirSync(path.join(__dirname, "..", "lambdas"))
    .filter((f) => f.endsWith(".ts") && !f.startsWith("_") && !f.endsWith("_test.ts"))
    .map((f) => f.slice(0, -3))
    .sort();
}

function resourceName(kind) {
  return kind.charAt(0).toUpperCase() + kind.slice(1).replace(/-/g, "Dash").replace(/_/g, "Underscore");
}

function alarm(description, namespace, metric, dimensions, threshold, statistic = "Sum") {
  return {
    Type: "AWS::CloudWatch::Alarm",
    Properties: {
      AlarmDescription: description,
      Namespace: namespace,
      MetricName: metric,
      Dimensions: dimensions,
      Statistic: statistic,
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: threshold,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      TreatMissingData: "notBreaching",
      AlarmActions: [{ Ref: "AlarmTopic" }],
      OKActions: [{ Ref: "AlarmTopic" }],
    },
  };
}

module.exports = ({ options }) => {
  const stage = options.stage || "dev";
  const Resources = {
    AlarmTopic: {
      Type: "AWS::SNS::Topic",
      Properties: { TopicName: `fmai-${stage}-alarms` },
    },
  };
  if (process.env.FMAI_ALARM_EMAIL) {
    Resources.AlarmEmail = {
      Type: "AWS::SNS::Subscription",
      Properties: {
        TopicArn: { Ref: "AlarmTopic" },
        Protocol: "email",
        Endpoint: process.env.FMAI_ALARM_EMAIL,
      },
    };
  }
  const queues = [];
  for (const kind of handlerKinds()) {
    const n = resourceName(kind);
    const fn = `${n}LambdaFunction`;
    const q = `${n}DeadLetterQueue`;
    queues.push({ "Fn::GetAtt": [q, "Arn"] });
    Resources[q] = {
      Type: "AWS::SQS::Queue",
      Properties: { QueueName: `fmai-${stage}-${kind}-dlq`, MessageRetentionPeriod: 1209600 },
    };
    Resources[`${n}EventInvokeConfig`] = {
      Type: "AWS::Lambda::EventInvokeConfig",
      DependsOn: ["DeadLetterQueuePolicy"],
      Properties: {
        FunctionName: { Ref: fn },
        Qualifier: "$LATEST",
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: { "Fn::GetAtt": [q, "Arn"] } } },
      },
    };
    const dim = [{ Name: "FunctionName", Value: { Ref: fn } }];
    Resources[`${n}ErrorsAlarm`] = alarm(
      `fmai ${stage} ${kind}: invocation errors`,
      "AWS/Lambda",
      "Errors",
      dim,
      1,
    );
    Resources[`${n}ThrottlesAlarm`] = alarm(
      `fmai ${stage} ${kind}: throttled`,
      "AWS/Lambda",
      "Throttles",
      dim,
      1,
    );
    Resources[`${n}DeadLettersAlarm`] = alarm(
      `fmai ${stage} ${kind}: failed asynchronous invocations in its dead-letter queue`,
      "AWS/SQS",
      "ApproximateNumberOfMessagesVisible",
      [{ Name: "QueueName", Value: { "Fn::GetAtt": [q, "QueueName"] } }],
      1,
      "Maximum",
    );
  }
  Resources.DeadLetterQueuePolicy = {
    Type: "AWS::IAM::Policy",
    Properties: {
      PolicyName: `fmai-${stage}-dead-letters`,
      Roles: [{ Ref: "IamRoleLambdaExecution" }],
      PolicyDocument: {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: ["sqs:SendMessage"], Resource: queues }],
      },
    },
  };
  Resources.ApiServerErrorsAlarm = alarm(
    `fmai ${stage} api: 5xx answers`,
    "AWS/ApiGateway",
    "5xx",
    [{ Name: "ApiId", Value: { Ref: "HttpApi" } }],
    5,
  );
  return { Resources };
};
