/** buildTfjsBundle's folder: its files, the rendered templates, rebuilds, and what it refuses. */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { encodeModelProto } from "../src/onnx/proto.js";
import { buildTfjsBundle, bundledTfjs } from "../src/artifacts/tfjs/bundle.js";
import { ARCHITECTURES } from "./helpers/arch-models.js";
import { runInProcess } from "./helpers/cli.js";
import { tempDir } from "./helpers/tmp.js";
import { UserError } from "../src/errors.js";

const dir = tempDir("mlpack-tfjs-bundle-");
const model = path.join(dir, "squeezenet.onnx");
fs.writeFileSync(model, encodeModelProto(ARCHITECTURES.squeezenet()));

describe("buildTfjsBundle", () => {
  it("writes model/, tf.min.js from the installed tfjs, the loader, the demo page and a README", async () => {
    const out = path.join(dir, "bundle");
    const r = await buildTfjsBundle(model, out, {
      quantize: "float16",
      inputShapes: { input: [1, 3, 33, 33] },
    });
    expect(r.files.map((f) => f.name)).toEqual([
      "README.md",
      "index.html",
      "mlpack-model.js",
      "model/group1-shard1of1.bin",
      "model/model.json",
      "tf.min.js",
    ]);
    const tfjs = bundledTfjs();
    expect(fs.readFileSync(path.join(out, "tf.min.js")).equals(fs.readFileSync(tfjs.minJs))).toBe(true);
    const loader = fs.readFileSync(path.join(out, "mlpack-model.js"), "utf8");
    // The batch dim stays symbolic in model.json; the demo feeds the given sizes.
    expect(loader).toContain(
      'var INPUTS = [{"name":"input","dtype":"float32","shape":[null,3,33,33],"feed":[1,3,33,33]}];',
    );
    expect(loader).not.toMatch(/\{\{|\}\}/);
    const html = fs.readFileSync(path.join(out, "index.html"), "utf8");
    expect(html).toContain('<script src="tf.min.js"></script>');
    expect(html).not.toMatch(/https?:\/\//);
    const readme = fs.readFileSync(path.join(out, "README.md"), "utf8");
    expect(readme).toContain(`TF.js ${tfjs.version}`);
    expect(readme).toContain(
      'model.run({ "input": { data: new Float32Array(3267), shape: [1, 3, 33, 33] } })',
    );
    expect(readme).toContain("compressed to float16");
    expect(r.conversion.quantizedWeights).toBeGreaterThan(0);
    // A rebuild replaces the folder in place, byte-identical.
    const before = fs.readFileSync(path.join(out, "model/model.json"));
    await buildTfjsBundle(model, out, { quantize: "float16", inputShapes: { input: [1, 3, 33, 33] } });
    expect(fs.readFileSync(path.join(out, "model/model.json")).equals(before)).toBe(true);
    expect(fs.readdirSync(dir).filter((f) => f.includes(".tmp-"))).toEqual([]);
  });

  it("refuses a non-bundle directory and bad --shape arguments", async () => {
    const other = path.join(dir, "other");
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, "keep.txt"), "mine");
    await expect(buildTfjsBundle(model, other)).rejects.toThrow(/not an mlpack TF.js bundle/);
    await expect(
      buildTfjsBundle(model, path.join(dir, "b2"), { inputShapes: { nope: [1] } }),
    ).rejects.toThrow(/no input "nope"/);
    const convertWithShape = (shape: string) =>
      runInProcess(["convert", model, "--to", "tfjs", path.join(dir, "c"), "--shape", shape]);
    const cli = await convertWithShape("input=1,3,33");
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain("3 dims given, the input has 4");
    const fixed = await convertWithShape("input=2,3,40,40");
    expect(fixed.code).toBe(2);
    expect(fixed.stderr).toContain("dim 2 is fixed to 33");
    const ok = await convertWithShape("input=4,3,33,33");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("[4, 3, 33, 33]");
  });
});

describe("bundledTfjs", () => {
  it("says how to install @tensorflow/tfjs when it is absent (an optional peer dependency)", () => {
    const missing = () => {
      throw new Error("Cannot find module '@tensorflow/tfjs/package.json'");
    };
    let err: unknown;
    try {
      bundledTfjs(missing);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toContain("the tfjs target needs @tensorflow/tfjs");
    expect((err as UserError).hint).toMatch(/npm install @tensorflow\/tfjs@\^4\./);
  });
});
