/**
 * Weight compression in the TF.js manifest (--quantize uint8|uint16|float16, per-tensor affine with the
 * zero-exact nudge of tensorflowjs_converter's quantization.py) and int8 QDQ ONNX models (weights
 * dequantized at conversion, activations fake-quantized), loaded and run by @tensorflow/tfjs.
 */
import fs from "node:fs";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { encodeModelProto } from "../src/onnx/proto.js";
import { convertToTfjs } from "../src/convert/tfjs/convert.js";
import { quantizeWeight } from "../src/convert/tfjs/quantize-weights.js";
import { quantize } from "../src/passes/quantize/quantize.js";
import { seededRandom } from "../src/onnx/random.js";
import { ARCHITECTURES } from "./helpers/arch-models.js";
import { tempDir } from "./helpers/tmp.js";
import { loadTfjsDir, runTfjs } from "./helpers/tfjs-load.js";
import { maxRelativeError } from "./helpers/tfjs-compare.js";

const dir = tempDir("mlpack-tfjs-quant-");
const dims = [2, 3, 32, 32];
const x = (() => {
  const r = seededRandom(5);
  return Float32Array.from({ length: 2 * 3 * 32 * 32 }, () => r() * 2 - 1);
})();

async function tfjsOut(out: string): Promise<Float32Array> {
  const m = await loadTfjsDir(out);
  const y = (await runTfjs(m, { input: { dims, dtype: "float32", data: x } }, ["output"])).output;
  m.dispose();
  return y.data as Float32Array;
}

async function ortOut(file: string): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(file);
  return (await s.run({ input: new ort.Tensor("float32", x, dims) })).output.data as Float32Array;
}

function shardBytes(out: string): number {
  return fs
    .readdirSync(out)
    .filter((f) => f.endsWith(".bin"))
    .reduce((n, f) => n + fs.statSync(path.join(out, f)).size, 0);
}

describe("quantizeWeight (tensorflowjs quantization.py)", () => {
  it("nudges the range so 0 is exact: [0, -0.1, 1.2] -> uint8 [20, 0, 255]", () => {
    const q = quantizeWeight(Float32Array.of(0, -0.1, 1.2), "uint8");
    expect(Array.from(q.bytes)).toEqual([20, 0, 255]);
    // The values quantization.py documents for this input (computed from the float32 data).
    expect(q.quantization.scale).toBeCloseTo(0.00509803940852, 13);
    expect(q.quantization.min).toBeCloseTo(-0.10196078817, 10);
    // What tfjs computes when it loads the weight: q * scale + min.
    const back = Math.fround(20 * q.quantization.scale! + q.quantization.min!);
    expect(back).toBe(0);
  });

  it("one-valued tensors, ranges without zero, uint16 and float16", () => {
    const one = quantizeWeight(Float32Array.of(0.5, 0.5), "uint8");
    expect(one.quantization).toEqual({ dtype: "uint8", min: 0.5, scale: 1, original_dtype: "float32" });
    expect(Array.from(one.bytes)).toEqual([0, 0]);
    const pos = quantizeWeight(Float32Array.of(1, 2, 3), "uint16");
    expect(pos.quantization.min).toBe(1);
    expect(Array.from(new Uint16Array(pos.bytes.buffer))).toEqual([0, 32768, 65535]);
    const h = quantizeWeight(Float32Array.of(1, -2.5, 65504), "float16");
    expect(h.quantization).toEqual({ dtype: "float16", original_dtype: "float32" });
    expect(Array.from(new Uint16Array(h.bytes.buffer))).toEqual([0x3c00, 0xc100, 0x7bff]);
  });
});

describe("--quantize: compressed manifests load in tfjs and stay close", () => {
  it("mobilenet-style: uint8 / uint16 / float16 vs the float32 conversion", async () => {
    const file = path.join(dir, "mobilenet.onnx");
    fs.writeFileSync(file, encodeModelProto(ARCHITECTURES.mobilenet()));
    const base = await convertToTfjs(file, path.join(dir, "f32"));
    const ref = await tfjsOut(base.outDir);
    const bytes32 = shardBytes(base.outDir);
    const limits = { float16: 5e-3, uint16: 1e-3, uint8: 0.1 };
    for (const q of ["float16", "uint16", "uint8"] as const) {
      const r = await convertToTfjs(file, path.join(dir, q), { quantize: q });
      const json = JSON.parse(fs.readFileSync(path.join(r.outDir, "model.json"), "utf8"));
      const w = json.weightsManifest[0].weights.find((e: { quantization?: unknown }) => e.quantization);
      expect(w.quantization.dtype).toBe(q);
      expect(w.quantization.original_dtype).toBe("float32");
      const rel = maxRelativeError(await tfjsOut(r.outDir), ref);
      const ratio = shardBytes(r.outDir) / bytes32;
      console.log(
        `--quantize ${q}: max relative error ${rel.toExponential(2)}, weights ${(100 * ratio).toFixed(1)}% of float32`,
      );
      expect(rel).toBeLessThan(limits[q]);
      expect(ratio).toBeLessThan(q === "uint8" ? 0.3 : 0.55);
    }
  });
});

describe("int8 QDQ ONNX models", () => {
  const float = path.join(dir, "resnet.onnx");
  fs.writeFileSync(float, encodeModelProto(ARCHITECTURES.resnet()));

  it("weights-only int8 (DequantizeLinear on int8 constants) is dequantized at conversion, then re-quantized", async () => {
    const qdq = path.join(dir, "resnet-w8.onnx");
    await quantize(float, qdq, { mode: "weights-only", perChannel: true, shapes: ["input=2,3,32,32"] });
    const expected = await ortOut(qdq);
    const r = await convertToTfjs(qdq, path.join(dir, "w8"));
    const json = JSON.parse(fs.readFileSync(path.join(r.outDir, "model.json"), "utf8"));
    expect(json.modelTopology.node.some((n: { op: string }) => n.op === "Cast")).toBe(false);
    const rel = maxRelativeError(await tfjsOut(r.outDir), expected);
    console.log(`weights-only int8: max relative error vs onnxruntime ${rel.toExponential(2)}`);
    expect(rel).toBeLessThan(1e-4);
    const r8 = await convertToTfjs(qdq, path.join(dir, "w8-u8"), { quantize: "uint8" });
    const rel8 = maxRelativeError(await tfjsOut(r8.outDir), expected);
    console.log(`weights-only int8 -> --quantize uint8: max relative error ${rel8.toExponential(2)}`);
    expect(rel8).toBeLessThan(0.05);
  });

  it("static QDQ (activations quantized too) runs with fake-quantized activations", async () => {
    const qdq = path.join(dir, "resnet-qdq.onnx");
    await quantize(float, qdq, {
      mode: "static",
      calibration: "random:4",
      perChannel: true,
      shapes: ["input=2,3,32,32"],
    });
    const expected = await ortOut(qdq);
    const r = await convertToTfjs(qdq, path.join(dir, "qdq"));
    const rel = maxRelativeError(await tfjsOut(r.outDir), expected);
    console.log(`static QDQ: max relative error vs onnxruntime ${rel.toExponential(2)}`);
    // Same rounding (half to even) and saturation as onnxruntime's QuantizeLinear; a runtime that fuses
    // QDQ into integer kernels could differ by a quantization step, hence the margin.
    expect(rel).toBeLessThan(1e-3);
  });
});
