/**
 * `quantize` of a model with external data works the same from any working directory: relative model
 * and output paths resolve against the cwd, data files against the model's own directory.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { writeModel } from "../src/onnx/write.js";
import { readModel } from "../src/onnx/read.js";
import { makeMlp } from "../src/onnx/fixtures.js";
import { tempDir } from "./helpers/tmp.js";
import { runBuilt } from "./helpers/cli.js";

const root = tempDir("mlpack-quantize-cwd-");

describe("quantize an external-data model from another working directory", () => {
  it.each([
    ["a sibling folder, relative paths", "elsewhere", "../m/model.onnx", "../q1.onnx"],
    ["a sibling folder, absolute paths", "elsewhere", "ABS/m/model.onnx", "ABS/q2.onnx"],
    ["the model's folder", "m", "model.onnx", "q3.onnx"],
    ["the parent, output in a new folder", ".", "m/model.onnx", "out/q4.onnx"],
  ])("%s", async (_what, cwd, model, out) => {
    fs.mkdirSync(path.join(root, "m"), { recursive: true });
    fs.mkdirSync(path.join(root, "elsewhere"), { recursive: true });
    const src = path.join(root, "m", "model.onnx");
    if (!fs.existsSync(src))
      await writeModel(makeMlp({ widths: [32, 32, 4] }), src, { externalData: "always", sizeThreshold: 256 });
    const abs = (p: string) => p.replace("ABS", root);
    const r = runBuilt(["quantize", abs(model), "-o", abs(out)], { cwd: path.join(root, cwd) });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const written = path.resolve(root, cwd, abs(out));
    const q = await readModel(written);
    expect(q.proto.graph!.node.length).toBeGreaterThan(0);
  });
});
