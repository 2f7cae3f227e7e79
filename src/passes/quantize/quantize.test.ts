/** quantize end to end with the real onnxruntime-node: structure, validity, accuracy, gates. */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { quantize } from "./quantize.js";
import { writeModel } from "../../onnx/write.js";
import { readModel } from "../../onnx/read.js";
import { makeMlp, makeResNet } from "../../onnx/fixtures.js";
import { validateModelProto } from "../validate.js";
import { loadTarget } from "../../ops/support/targets.js";
import { tempDir } from "../../../test/helpers/tmp.js";
import { runInProcess } from "../../../test/helpers/cli.js";

const dir = tempDir("mlpack-quantize-");
const mlp = path.join(dir, "mlp.onnx");
const resnet = path.join(dir, "resnet.onnx");
await writeModel(makeMlp({ widths: [128, 256, 256, 10], seed: 11 }), mlp);
await writeModel(makeResNet({ softmax: false, seed: 5 }), resnet);

async function ops(file: string): Promise<Record<string, number>> {
  const m = await readModel(file);
  const counts: Record<string, number> = {};
  for (const n of m.proto.graph!.node) counts[n.opType] = (counts[n.opType] ?? 0) + 1;
  return counts;
}

async function validForOrt(file: string) {
  const m = await readModel(file);
  return validateModelProto(m.proto, file, { target: await loadTarget("ort-cpu") });
}

describe("quantize --mode dynamic", () => {
  it("emits DynamicQuantizeLinear + MatMulInteger + Cast + Mul, a quarter of the size, cosine >= 0.999", async () => {
    const out = path.join(dir, "mlp.dyn.onnx");
    const r = await quantize(mlp, out);
    expect(r.written).toBe(true);
    expect(r.quantizedLayers).toBe(3);
    expect(await ops(out)).toMatchObject({
      DynamicQuantizeLinear: 3,
      MatMulInteger: 3,
      Cast: 3,
      Mul: 6,
      Add: 3,
    });
    expect((await ops(out)).Gemm).toBeUndefined();
    expect(r.size.ratio).toBeLessThan(0.27);
    expect(r.accuracy.outputs[0].cosine).toBeGreaterThan(0.999);
    expect(r.accuracy.outputs[0].top1Agreement).toBeGreaterThanOrEqual(0.875);
    for (const l of r.layers) expect(l.weightSqnr).toBeGreaterThan(40);
    expect((await validForOrt(out)).valid).toBe(true);
  });

  it("per-channel uses one scale per output column", async () => {
    const out = path.join(dir, "mlp.pc.onnx");
    const r = await quantize(mlp, out, { perChannel: true });
    const m = await readModel(out);
    const scale = m.proto.graph!.initializer.find((t) => t.name === "fc0.weight_scale")!;
    expect(scale.dims).toEqual([256n]);
    expect(r.layers[0].detail).toBe("int8 per-channel");
    expect(r.accuracy.outputs[0].cosine).toBeGreaterThan(0.999);
  });

  it("keeps Conv in float and says why; --exclude by name and by op type", async () => {
    const out = path.join(dir, "resnet.dyn.onnx");
    const r = await quantize(resnet, out);
    const conv = r.layers.filter((l) => l.opType === "Conv");
    expect(conv.length).toBe(9);
    for (const l of conv) expect(l.detail).toMatch(/Conv stays float in dynamic mode/);
    expect((await validForOrt(out)).valid).toBe(true);
    const ex = await quantize(mlp, path.join(dir, "mlp.ex.onnx"), { exclude: ["fc1"] });
    expect(ex.layers.find((l) => l.node === "fc1")).toMatchObject({
      status: "skipped",
      detail: "excluded by --exclude",
    });
    const byType = await quantize(mlp, path.join(dir, "mlp.ex2.onnx"), { exclude: ["Gemm"] });
    expect(byType.quantizedLayers).toBe(0);
  });
});

describe("quantize --mode static (QDQ)", () => {
  it("per-channel QDQ ResNet loads in onnxruntime, passes validate, cosine >= 0.98 on the calibration distribution", async () => {
    const out = path.join(dir, "resnet.qdq.onnx");
    const r = await quantize(resnet, out, { mode: "static", calibration: "random:16", perChannel: true });
    expect(r.written).toBe(true);
    expect(r.quantizedLayers).toBe(10); // 9 Conv + the Gemm head
    const counts = await ops(out);
    expect(counts.QuantizeLinear).toBeGreaterThan(0);
    expect(counts.DequantizeLinear).toBeGreaterThan(counts.QuantizeLinear);
    const m = await readModel(out);
    const w = m.proto.graph!.initializer.find((t) => t.name === "conv0.weight_scale")!;
    expect(w.dims).toEqual([16n]); // one scale per output channel
    const b = m.proto.graph!.initializer.find((t) => t.name === "conv0.bias_quantized")!;
    expect(b.dataType).toBe(6); // int32 bias
    expect(r.accuracy.outputs[0].cosine).toBeGreaterThanOrEqual(0.98);
    expect(r.warnings.join(" ")).toMatch(/calibrating on random data/);
    expect((await validForOrt(out)).valid).toBe(true);
  });

  it.each(["percentile", "entropy"] as const)(
    "%s calibration produces a valid, accurate model",
    async (method) => {
      const out = path.join(dir, `resnet.${method}.onnx`);
      const r = await quantize(resnet, out, {
        mode: "static",
        calibration: "random:8",
        method,
        perChannel: true,
      });
      expect(r.accuracy.outputs[0].cosine).toBeGreaterThanOrEqual(0.95);
      expect((await validForOrt(out)).valid).toBe(true);
    },
  );

  it("calibrates from .pb files in the backend-test layout, and from JSON", async () => {
    const { encodeTensorProto } = await import("../../onnx/proto.js");
    const { arrayToTensor } = await import("../../onnx/tensor.js");
    const calib = path.join(dir, "calib");
    for (let k = 0; k < 3; k++) {
      fs.mkdirSync(path.join(calib, `test_data_set_${k}`), { recursive: true });
      const x = Float32Array.from({ length: 128 }, (_, i) => Math.sin(i + k));
      fs.writeFileSync(
        path.join(calib, `test_data_set_${k}`, "input_0.pb"),
        encodeTensorProto(arrayToTensor("input", 1, [1, 128], x)),
      );
    }
    const r = await quantize(mlp, path.join(dir, "mlp.pb.onnx"), { mode: "static", calibration: calib });
    expect(r.accuracy.samples).toBe(3);
    expect(r.accuracy.randomInputs).toBe(false);
    const json = path.join(dir, "calib.json");
    fs.writeFileSync(
      json,
      JSON.stringify([
        { input: { dims: [2, 128], data: Array.from({ length: 256 }, (_, i) => Math.cos(i)) } },
      ]),
    );
    const j = await quantize(mlp, path.join(dir, "mlp.json.onnx"), { mode: "static", calibration: json });
    expect(j.accuracy.samples).toBe(1);
    expect(j.accuracy.outputs[0].cosine).toBeGreaterThan(0.99);
  });

  it("needs --calibration", async () => {
    await expect(quantize(mlp, path.join(dir, "x.onnx"), { mode: "static" })).rejects.toThrow(
      /needs --calibration/,
    );
  });
});

describe("quantize --mode weights-only", () => {
  it("stores int8 weights behind DequantizeLinear and computes in float", async () => {
    const out = path.join(dir, "mlp.w8.onnx");
    const r = await quantize(mlp, out, { mode: "weights-only", perChannel: true });
    const counts = await ops(out);
    expect(counts).toMatchObject({ DequantizeLinear: 3, Gemm: 3 });
    expect(counts.QuantizeLinear).toBeUndefined();
    expect(r.size.ratio).toBeLessThan(0.27);
    expect(r.accuracy.outputs[0].cosine).toBeGreaterThan(0.9999);
  });
});

describe("accuracy gate", () => {
  it("exits 3 and writes nothing when the drop exceeds --max-accuracy-drop; --auto-exclude fixes it", async () => {
    const out = path.join(dir, "gated.onnx");
    const r = await runInProcess([
      "quantize",
      resnet,
      "-o",
      out,
      "--mode",
      "static",
      "--calibration",
      "random:4",
      "--max-accuracy-drop",
      "0",
      "--allow-random-gate",
    ]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/exceeds --max-accuracy-drop 0; .* was not written/);
    expect(r.stderr).toContain(
      "  hint: raise --max-accuracy-drop, use --auto-exclude, or --exclude the most sensitive layers (see --per-layer)",
    );
    expect(fs.existsSync(out)).toBe(false);
    const a = await quantize(resnet, out, {
      mode: "static",
      calibration: "random:4",
      perChannel: true,
      maxAccuracyDrop: 1e-7,
      autoExclude: true,
      perLayer: true,
      allowRandomGate: true,
    });
    expect(a.perLayer!.length).toBe(10);
    expect(a.autoExcluded!.length).toBeGreaterThan(0);
    for (const name of a.autoExcluded!)
      expect(a.layers.find((l) => l.node === name)).toMatchObject({
        status: "skipped",
        detail: "kept in float by --auto-exclude (accuracy)",
      });
    expect(a.layers.some((l) => l.detail === "excluded by --exclude")).toBe(false);
    expect(a.accuracy.drop <= 1e-7 || a.autoExcluded!.length === 10).toBe(true);
  });

  it("--max-accuracy-drop that is not a number is a usage error with a hint", async () => {
    const r = await runInProcess([
      "quantize",
      mlp,
      "-o",
      path.join(dir, "nan.onnx"),
      "--max-accuracy-drop",
      "abc",
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--max-accuracy-drop must be a number >= 0/);
    expect(r.stderr).toMatch(/hint: a fraction, .* e\.g\. --max-accuracy-drop 0\.01/);
  });

  it("the CLI prints the report and --json parses", async () => {
    const r = await runInProcess(["quantize", mlp, "-o", path.join(dir, "cli.onnx"), "--json"]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ schemaVersion: 1, mode: "dynamic", written: true, quantizedLayers: 3 });
    const t = await runInProcess(["quantize", mlp, "-o", path.join(dir, "cli2.onnx")]);
    expect(t.stdout).toMatch(/Accuracy against the float model/);
    expect(t.stdout).toMatch(/q fc0 \(Gemm\) int8 per-tensor {2}weight SQNR \d+\.\d dB/);
  });
});
