/** `pipeline:` in mlpack.yaml: the build composes first, then validates and ships the composed model. */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { build } from "../src/build/build.js";
import { loadConfig } from "../src/config/load.js";
import { makeMlp } from "../src/onnx/fixtures.js";
import { encodeModelProto } from "../src/onnx/proto.js";
import { readModel } from "../src/onnx/read.js";
import { tempDir } from "./helpers/tmp.js";

const dir = tempDir("mlpack-compose-config-");

function project(name: string, yaml: string): string {
  const d = path.join(dir, name);
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(d, "a.onnx"), encodeModelProto(makeMlp({ widths: [4, 6, 3], seed: 1 })));
  fs.writeFileSync(path.join(d, "b.onnx"), encodeModelProto(makeMlp({ widths: [3, 5, 2], seed: 2 })));
  fs.writeFileSync(path.join(d, "labels.txt"), "no\nyes\n");
  fs.writeFileSync(path.join(d, "mlpack.yaml"), yaml);
  return d;
}

describe("pipeline: in mlpack.yaml", () => {
  it("is accepted by the config schema and misspelt keys are caught", () => {
    const ok = project(
      "ok",
      "model: a.onnx\npipeline:\n  models: [b.onnx]\n  connect: [a.output=b.input]\ntargets:\n  tfjs: {}\n",
    );
    expect(loadConfig(undefined, ok).config.pipeline?.connect).toEqual(["a.output=b.input"]);
    const bad = project(
      "bad",
      "model: a.onnx\npipeline:\n  conect: [a.output=b.input]\ntargets:\n  tfjs: {}\n",
    );
    expect(() => loadConfig(undefined, bad)).toThrow(/conect/);
  });

  it("the build composes the models and stages, then ships the composed model", async () => {
    const d = project(
      "build",
      [
        "model: a.onnx",
        "pipeline:",
        "  models: [b.onnx]",
        "  connect: [a.output=b.input]",
        "  post: [softmax, argmax]",
        "targets:",
        "  tfjs: {}",
        "",
      ].join("\n"),
    );
    const { manifest } = await build({ cwd: d });
    expect(manifest.status).toBe("ok");
    // Manifest paths inside the project are relative to the output folder.
    expect(manifest.model.source).toBe("a.pipeline.onnx");
    const composed = await readModel(path.join(d, "dist", manifest.model.source));
    expect(composed.proto.graph!.output.map((o) => o.name)).toEqual(["class_index"]);
    expect(fs.existsSync(path.join(d, "dist"))).toBe(true);
  });

  it("a composition error names the config key, and the build fails", async () => {
    const d = project(
      "err",
      "model: a.onnx\npipeline:\n  models: [b.onnx]\n  connect: [a.output=b.nope]\ntargets:\n  tfjs: {}\n",
    );
    await expect(build({ cwd: d })).rejects.toThrow(
      /mlpack\.yaml: pipeline\.connect a\.output=b\.nope: "b" has no input "nope"/,
    );
  });
});
