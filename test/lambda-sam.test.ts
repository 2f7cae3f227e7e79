/**
 * targets.lambda.template: sam writes an AWS SAM template beside the zip. No AWS account is reachable
 * here, so the template is checked for structure: it parses as plain YAML (intrinsics in long form),
 * the function deploys the zip next to it with a Function URL, AutoPublishAlias and a CodeDeploy
 * DeploymentPreference whose alarms watch the function's Errors, and every Ref / Fn::GetAtt / Fn::Sub
 * names a resource of the template or one SAM generates from the function (Url, Alias, Version).
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { samTemplate } from "../src/artifacts/lambda/sam.js";
import { tempDir } from "./helpers/tmp.js";
import { REPO, runInProcess } from "./helpers/cli.js";

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}
interface Template {
  Transform: string;
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Value: unknown }>;
}

/** Every logical ID an intrinsic function names, as "Id" or "Id.Attribute". */
function references(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const x of node) references(x, out);
  else if (node && typeof node === "object") {
    for (const [k, v] of Object.entries(node)) {
      if (k === "Ref") out.push(v as string);
      else if (k === "Fn::GetAtt") out.push((v as string[])[0]);
      else if (k === "Fn::Sub")
        for (const m of (v as string).matchAll(/\$\{([^}!]+)\}/g)) out.push(m[1].split(".")[0]);
      else references(v, out);
    }
  }
  return out;
}

/** Logical IDs that exist once SAM has transformed the template. */
function knownIds(t: Template): Set<string> {
  const ids = new Set(Object.keys(t.Resources));
  for (const [id, r] of Object.entries(t.Resources)) {
    if (r.Type !== "AWS::Serverless::Function") continue;
    const alias = r.Properties.AutoPublishAlias as string | undefined;
    if (alias) {
      ids.add(`${id}Alias${alias.replace(/[^A-Za-z0-9]/g, "")}`);
      ids.add(`${id}.Version`);
    }
    if (r.Properties.FunctionUrlConfig) ids.add(`${id}Url`);
  }
  return ids;
}

function checkTemplate(t: Template, zipName: string, deployment: string): void {
  expect(t.Transform).toBe("AWS::Serverless-2016-10-31");
  const fns = Object.entries(t.Resources).filter(([, r]) => r.Type === "AWS::Serverless::Function");
  expect(fns).toHaveLength(1);
  const [fnId, fn] = fns[0];
  const p = fn.Properties as {
    CodeUri: string;
    AutoPublishAlias: string;
    FunctionUrlConfig: { AuthType: string };
    DeploymentPreference: { Type: string; Alarms: { Ref: string }[] };
  };
  expect(p.CodeUri).toBe(zipName);
  expect(p.AutoPublishAlias).toMatch(/^[A-Za-z]/);
  expect(["AWS_IAM", "NONE"]).toContain(p.FunctionUrlConfig.AuthType);
  expect(p.DeploymentPreference.Type).toBe(deployment);
  // The rollback wiring: every alarm of the deployment is a CloudWatch alarm on this function's Errors.
  expect(p.DeploymentPreference.Alarms.length).toBeGreaterThanOrEqual(1);
  for (const { Ref } of p.DeploymentPreference.Alarms) {
    const alarm = t.Resources[Ref];
    expect(alarm?.Type, Ref).toBe("AWS::CloudWatch::Alarm");
    expect(alarm.Properties).toMatchObject({ Namespace: "AWS/Lambda", MetricName: "Errors" });
    const dims = alarm.Properties.Dimensions as { Name: string; Value: unknown }[];
    expect(dims.find((d) => d.Name === "FunctionName")!.Value).toEqual({ Ref: fnId });
    expect(dims.find((d) => d.Name === "Resource")!.Value).toEqual({
      "Fn::Sub": `\${${fnId}}:${p.AutoPublishAlias}`,
    });
  }
  // One alarm watches the version being rolled out, through the alias.
  const executed = p.DeploymentPreference.Alarms.flatMap(({ Ref }) =>
    (t.Resources[Ref].Properties.Dimensions as { Name: string; Value: unknown }[]).filter(
      (d) => d.Name === "ExecutedVersion",
    ),
  );
  expect(executed.map((d) => d.Value)).toEqual([{ "Fn::GetAtt": [`${fnId}.Version`, "Version"] }]);
  expect(t.Outputs.FunctionUrl.Value).toEqual({ "Fn::GetAtt": [`${fnId}Url`, "FunctionUrl"] });
  const known = knownIds(t);
  for (const ref of references(t)) expect(known, `reference to ${ref}`).toContain(ref);
}

describe("SAM template", () => {
  it("defaults: canary 10% for 5 minutes, alias live, IAM-signed Function URL", () => {
    const t = samTemplate({
      name: "mlp",
      version: "1",
      codeUri: "mlp-lambda.zip",
      handler: "index.handler",
      runtime: "nodejs20.x",
      arch: "arm64",
      memory: 2048,
    }) as unknown as Template;
    checkTemplate(t, "mlp-lambda.zip", "Canary10Percent5Minutes");
    expect(t.Resources.ModelFunction.Properties).toMatchObject({
      Handler: "index.handler",
      Runtime: "nodejs20.x",
      Architectures: ["arm64"],
      MemorySize: 2048,
      AutoPublishAlias: "live",
      FunctionUrlConfig: { AuthType: "AWS_IAM" },
    });
  });

  it("a reference checker that catches a dangling Ref (the check is not vacuous)", () => {
    const t = samTemplate({
      name: "m",
      version: "1",
      codeUri: "m.zip",
      handler: "index.handler",
      runtime: "nodejs20.x",
      arch: "x86_64",
      memory: 1024,
    }) as unknown as Template;
    delete t.Resources.NewVersionErrorsAlarm;
    expect(references(t)).toContain("NewVersionErrorsAlarm");
    expect(knownIds(t).has("NewVersionErrorsAlarm")).toBe(false);
  });

  it("mlpack build writes template.yaml beside the zip, with the configured rollout", async () => {
    const project = tempDir("mlpack-sam-");
    fs.copyFileSync(path.join(REPO, "examples/mlp/model.onnx"), path.join(project, "model.onnx"));
    fs.writeFileSync(
      path.join(project, "mlpack.yaml"),
      [
        "model: model.onnx",
        "bench: { batch: [1], duration: 1s }",
        "targets:",
        "  lambda:",
        "    memory: 2048",
        "    template: sam",
        "    sam: { deployment: Linear10PercentEvery1Minute, alias: prod, errorThreshold: 3, functionUrlAuth: NONE }",
        "",
      ].join("\n"),
    );
    const r = await runInProcess(["build", "-c", path.join(project, "mlpack.yaml")]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const text = fs.readFileSync(path.join(project, "dist/template.yaml"), "utf8");
    expect(text).not.toMatch(/!(Ref|GetAtt|Sub)/);
    expect(text).not.toMatch(/[&*]a\d/); // no YAML anchors or aliases
    const t = parse(text, { version: "1.1" }) as Template & { AWSTemplateFormatVersion: unknown };
    expect(t.AWSTemplateFormatVersion).toBe("2010-09-09");
    checkTemplate(t, "model-lambda.zip", "Linear10PercentEvery1Minute");
    expect(
      fs.existsSync(path.join(project, "dist", t.Resources.ModelFunction.Properties.CodeUri as string)),
    ).toBe(true);
    expect(t.Resources.ModelFunction.Properties).toMatchObject({
      AutoPublishAlias: "prod",
      MemorySize: 2048,
      FunctionUrlConfig: { AuthType: "NONE" },
    });
    expect(t.Resources.AliasErrorsAlarm.Properties.Threshold).toBe(3);
  }, 180_000);

  it("an unknown deployment type is a config error naming the key", async () => {
    const project = tempDir("mlpack-sam-bad-");
    fs.copyFileSync(path.join(REPO, "examples/mlp/model.onnx"), path.join(project, "model.onnx"));
    fs.writeFileSync(
      path.join(project, "mlpack.yaml"),
      "model: model.onnx\ntargets:\n  lambda:\n    template: sam\n    sam: { deployment: Canary50Percent }\n",
    );
    const r = await runInProcess(["build", "-c", path.join(project, "mlpack.yaml")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/targets\.lambda\.sam\.deployment/);
  });
});
