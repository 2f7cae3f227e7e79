import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { mergeShapes, withShapes } from "./shapes.js";
import type { BuildManifest } from "./types.js";
import type { MlpackConfig } from "../config/types.js";
import { REPO, runInProcess } from "../../test/helpers/cli.js";
import { tempDir } from "../../test/helpers/tmp.js";

describe("mlpack build --shape", () => {
  it("overrides quantize.shapes and bench.shapes entry by entry, and adds no section", () => {
    expect(mergeShapes(["x=1,3,8,8", "seq=16"], ["x=1,3,640,640"])).toEqual(["seq=16", "x=1,3,640,640"]);
    const config: MlpackConfig = {
      model: "m.onnx",
      quantize: { shapes: ["x=1,3,8,8"] },
      targets: { tfjs: {} },
    };
    const merged = withShapes(config, ["x=1,3,640,640"]);
    expect(merged.quantize && merged.quantize.shapes).toEqual(["x=1,3,640,640"]);
    expect(merged.bench).toBeUndefined();
    expect(withShapes(config, [])).toBe(config);
  });

  it("takes bench's syntax (a bad one is a usage error, exit 2) and fixes the tfjs bundle's input shape", async () => {
    const bad = await runInProcess(["build", "--shape", "input:1,64"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--shape input:1,64: expected name=dims/);

    const dir = tempDir("mlpack-build-shape-");
    fs.copyFileSync(path.join(REPO, "examples/mlp/model.onnx"), path.join(dir, "model.onnx"));
    const config = path.join(dir, "mlpack.yaml");
    fs.writeFileSync(config, "model: model.onnx\ntargets:\n  tfjs: {}\n");
    // model.json keeps symbolic dims where the graph allows; the loader's demo feed takes the shape.
    const inputShape = () => {
      const m = JSON.parse(
        fs.readFileSync(path.join(dir, "dist/mlpack-manifest.json"), "utf8"),
      ) as BuildManifest;
      const tfjs = m.artifacts.find((a) => a.target === "tfjs")!;
      const loader = fs.readFileSync(path.join(dir, "dist", tfjs.path, "mlpack-model.js"), "utf8");
      return JSON.parse(/"feed":(\[[^\]]*\])/.exec(loader)![1]) as unknown;
    };
    const first = await runInProcess(["build", "-c", config, "--shape", "input=1,64"]);
    expect(first.code, first.stderr).toBe(0);
    expect(inputShape()).toEqual([1, 64]);
    // Another shape is another bundle: the tfjs step rebuilds (its cache key holds the shapes).
    const second = await runInProcess(["build", "-c", config, "--shape", "input=4,64"]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/tfjs ok/);
    expect(inputShape()).toEqual([4, 64]);
  });
});
