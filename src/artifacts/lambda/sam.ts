/**
 * An AWS SAM template beside the Lambda zip (`targets.lambda.template: sam`): the function with the
 * zip as CodeUri, a Function URL on the published alias, AutoPublishAlias, and a CodeDeploy
 * DeploymentPreference (canary or linear) that CloudWatch alarms on the function's Errors roll back.
 * The alarms are the two of the AWS safe-deployment guide: errors on the alias, and errors of the
 * newly published version executed through it (ExecutedVersion), so a bad canary trips the second one
 * before the alias has moved far. Intrinsic functions are written in long form (Ref, Fn::GetAtt,
 * Fn::Sub) so the template is plain YAML that any parser reads, without CloudFormation's ! tags.
 */
import path from "node:path";
import { stringify } from "yaml";
import { writeFileAtomic } from "../../write-atomic.js";
import type { LambdaSamConfig } from "../../build/targets/lambda/config.js";

export const SAM_TEMPLATE_FILE = "template.yaml";
/** Logical IDs; SAM derives "<function>Url", "<function>Alias<alias>" and "<function>.Version". */
export const SAM_FUNCTION_ID = "ModelFunction";

export interface SamTemplateOptions {
  /** Model name (description and function name hints). */
  name: string;
  version: string;
  /** Path of the zip relative to the template. */
  codeUri: string;
  handler: string;
  runtime: string;
  arch: "x86_64" | "arm64";
  memory: number;
  sam?: LambdaSamConfig;
}

export function samTemplate(o: SamTemplateOptions): Record<string, unknown> {
  const alias = o.sam?.alias ?? "live";
  const deployment = o.sam?.deployment ?? "Canary10Percent5Minutes";
  const threshold = o.sam?.errorThreshold ?? 1;
  const fn = SAM_FUNCTION_ID;
  const aliasResource = { "Fn::Sub": `\${${fn}}:${alias}` };
  const errorsAlarm = (description: string, extra: Record<string, unknown>[]) => ({
    Type: "AWS::CloudWatch::Alarm",
    Properties: {
      AlarmDescription: description,
      Namespace: "AWS/Lambda",
      MetricName: "Errors",
      Dimensions: [
        { Name: "Resource", Value: aliasResource },
        { Name: "FunctionName", Value: { Ref: fn } },
        ...extra,
      ],
      Statistic: "Sum",
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: threshold,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      TreatMissingData: "notBreaching",
    },
  });
  return {
    AWSTemplateFormatVersion: "2010-09-09",
    Transform: "AWS::Serverless-2016-10-31",
    Description: `mlpack: model ${o.name} version ${o.version} on AWS Lambda, rolled out ${deployment}`,
    Resources: {
      [fn]: {
        Type: "AWS::Serverless::Function",
        Properties: {
          CodeUri: o.codeUri,
          Handler: o.handler,
          Runtime: o.runtime,
          Architectures: [o.arch],
          MemorySize: o.memory,
          Timeout: o.sam?.timeout ?? 30,
          AutoPublishAlias: alias,
          FunctionUrlConfig: { AuthType: o.sam?.functionUrlAuth ?? "AWS_IAM" },
          DeploymentPreference: {
            Type: deployment,
            Alarms: [{ Ref: "AliasErrorsAlarm" }, { Ref: "NewVersionErrorsAlarm" }],
          },
        },
      },
      AliasErrorsAlarm: errorsAlarm(`Errors of ${o.name} through the ${alias} alias`, []),
      NewVersionErrorsAlarm: errorsAlarm(
        `Errors of the newly published version of ${o.name} during a deployment`,
        [{ Name: "ExecutedVersion", Value: { "Fn::GetAtt": [`${fn}.Version`, "Version"] } }],
      ),
    },
    Outputs: {
      FunctionUrl: {
        Description: `Function URL of the ${alias} alias (POST /v2/models/${o.name}/infer)`,
        Value: { "Fn::GetAtt": [`${fn}Url`, "FunctionUrl"] },
      },
      FunctionAlias: {
        Description: "The alias CodeDeploy shifts traffic on",
        Value: { Ref: `${fn}Alias${alias.replace(/[^A-Za-z0-9]/g, "")}` },
      },
    },
  };
}

/**
 * Writes template.yaml into `dir` (beside the zip); returns its path. YAML 1.1 output quotes what a
 * 1.1 parser would read as a date or boolean (the format version "2010-09-09"); no anchors/aliases,
 * which CloudFormation does not accept.
 */
export function writeSamTemplate(dir: string, o: SamTemplateOptions): string {
  const file = path.join(dir, SAM_TEMPLATE_FILE);
  const header = `# AWS SAM template written by mlpack build (targets.lambda.template: sam). Deploy: sam deploy --guided\n`;
  writeFileAtomic(
    file,
    header + stringify(samTemplate(o), { lineWidth: 0, version: "1.1", aliasDuplicateObjects: false }),
    "SAM template",
  );
  return file;
}
