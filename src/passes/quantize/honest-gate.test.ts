/**
 * The accuracy gate never certifies on inputs that are not evidence, and layers feeding numerically
 * sensitive ops stay in float in dynamic mode: a real openWakeWord head (static, random:32) and a
 * mel-spectrogram front end (MatMul -> power -> mel MatMul -> Log) built here.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { quantize } from "./quantize.js";
import { degenerateOutputs } from "./evidence.js";
import { writeModel } from "../../onnx/write.js";
import { makeModel, makeNode, makeValueInfo } from "../../onnx/build.js";
import { arrayToTensor } from "../../onnx/tensor.js";
import { DT } from "../../onnx/dtypes.js";
import { seededRandom } from "../../onnx/random.js";
import { tempDir } from "../../../test/helpers/tmp.js";
import { npy } from "../../../test/helpers/npy.js";
import { runInProcess } from "../../../test/helpers/cli.js";

const dir = tempDir("mlpack-honest-");
const HEAD = path.resolve("node_modules/openwakeword-js/models/hello_deepa.onnx");
const FRAMES = 16;
const N = 256;
const BINS = 65;
const MELS = 24;

/** frames [1, FRAMES, N] -> |DFT|^2 (cos basis) -> mel filterbank -> log(x + 1e-6). */
function melModel() {
  const dft = new Float32Array(N * BINS);
  for (let i = 0; i < N; i++)
    for (let k = 0; k < BINS; k++) dft[i * BINS + k] = Math.cos((2 * Math.PI * i * k) / N) / Math.sqrt(N);
  const mel = new Float32Array(BINS * MELS);
  for (let m = 0; m < MELS; m++) {
    const c = ((m + 1) * BINS) / (MELS + 1);
    for (let k = 0; k < BINS; k++) mel[k * MELS + m] = Math.max(0, 1 - Math.abs(k - c) / 3);
  }
  return makeModel({
    inputs: [makeValueInfo("frames", DT.FLOAT, [1, FRAMES, N])],
    outputs: [makeValueInfo("logmel", DT.FLOAT, [1, FRAMES, MELS])],
    initializers: [
      arrayToTensor("dft", DT.FLOAT, [N, BINS], dft),
      arrayToTensor("mel", DT.FLOAT, [BINS, MELS], mel),
      arrayToTensor("eps", DT.FLOAT, [], new Float32Array([1e-6])),
    ],
    nodes: [
      makeNode("MatMul", ["frames", "dft"], ["spec"], {}, { name: "stft" }),
      makeNode("Mul", ["spec", "spec"], ["power"], {}, { name: "power" }),
      makeNode("MatMul", ["power", "mel"], ["melpow"], {}, { name: "melbank" }),
      makeNode("Add", ["melpow", "eps"], ["melpos"], {}, { name: "floor" }),
      makeNode("Log", ["melpos"], ["logmel"], {}, { name: "log" }),
    ],
    opsets: { "": 13 },
  });
}

/** Speech-like frames: a few voiced frames (harmonics), the rest near-silent noise. */
function speechLikeSamples(folder: string, count: number) {
  fs.mkdirSync(folder, { recursive: true });
  const rand = seededRandom(3);
  for (let s = 0; s < count; s++) {
    const x = new Float32Array(FRAMES * N);
    for (let f = 0; f < FRAMES; f++) {
      const voiced = (f + s) % 4 === 0;
      const f0 = 100 + 40 * s;
      for (let i = 0; i < N; i++) {
        const t = i / 16000;
        const v = voiced ? 0.5 * Math.sin(2 * Math.PI * f0 * t) + 0.25 * Math.sin(4 * Math.PI * f0 * t) : 0;
        x[f * N + i] = v + (rand() - 0.5) * 1e-3;
      }
    }
    fs.writeFileSync(path.join(folder, `s${s}.npy`), npy(x, [1, FRAMES, N]));
  }
}

describe("honest accuracy", () => {
  it("a gate on random inputs fails with exit 3 and a hint to give real samples, unless opted in", async () => {
    const out = path.join(dir, "head.int8.onnx");
    const args = ["quantize", HEAD, "-o", out, "--mode", "static", "--calibration", "random:32"];
    const r = await runInProcess([...args, "--max-accuracy-drop", "0.01"]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/accuracy gate .* cannot pass: the evaluation inputs are random/);
    expect(r.stderr).toMatch(/hint: give real inputs with --eval DIR .* --allow-random-gate/);
    expect(fs.existsSync(out)).toBe(false);
    const ok = await runInProcess([...args, "--max-accuracy-drop", "1", "--allow-random-gate"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/NOT EVIDENCE: the evaluation inputs are random/);
    expect(ok.stdout).toMatch(/on inputs that are not evidence: --allow-random-gate/);
    // Without a gate the report still says so.
    const report = await quantize(HEAD, out, { mode: "static", calibration: "random:32" });
    expect(report.accuracy.evidence).toBe(false);
    expect(report.warnings.join("\n")).toMatch(/not evidence/);
  });

  it("flags outputs that do not move across samples, or sigmoids pinned at 0/1", () => {
    const t = (v: number[]) =>
      new Map([["y", { dtype: DT.FLOAT, dims: [1, v.length], data: Float32Array.from(v) }]]);
    expect(degenerateOutputs([t([0.3, 0.7]), t([0.3, 0.7])])[0]).toMatch(/same for every evaluation sample/);
    expect(degenerateOutputs([t([1e-6, 1]), t([5e-4, 0.9995])])[0]).toMatch(/saturated/);
    expect(degenerateOutputs([t([1e-6, 1]), t([1, 1e-6])])).toEqual([]); // a confident classifier
    expect(degenerateOutputs([t([0.2, 0.5]), t([0.4, 0.1])])).toEqual([]);
  });

  it("dynamic mode keeps MatMuls feeding Log in float: unmeasured on random inputs, measured on real ones", async () => {
    const model = path.join(dir, "mel.onnx");
    await writeModel(melModel(), model);
    const out = path.join(dir, "mel.int8.onnx");
    const random = await quantize(model, out);
    expect(random.sensitive.map((l) => [l.node, l.feeds, l.keptFloat])).toEqual([
      ["stft", "Log log", true],
      ["melbank", "Log log", true],
    ]);
    expect(random.quantizedLayers).toBe(0);
    expect(random.layers.find((l) => l.node === "stft")!.detail).toMatch(
      /kept in float: feeds Log log .* not measured on real samples; --include stft forces it/,
    );
    // On speech-like frames each is measured alone: the STFT MatMul is harmless, the mel MatMul (whose
    // int8 error lands directly on quiet bands before the Log) is not.
    const speech = path.join(dir, "speech");
    speechLikeSamples(speech, 4);
    const real = await quantize(model, out, { eval: speech });
    expect(real.accuracy.evidence).toBe(true);
    const [stft, melbank] = real.sensitive;
    expect(stft).toMatchObject({ node: "stft", keptFloat: false });
    expect(stft.drop).toBeLessThanOrEqual(1e-3);
    expect(melbank).toMatchObject({ node: "melbank", keptFloat: true });
    expect(melbank.drop).toBeGreaterThan(1e-2);
    expect(real.quantizedLayers).toBe(1);
    // Forcing them shows why: the log-mel output is wrong where the frames are quiet.
    const forced = await quantize(model, out, { eval: speech, include: ["stft", "melbank"] });
    expect(forced.quantizedLayers).toBe(2);
    expect(forced.accuracy.drop).toBeGreaterThan(1e-3);
  });
});
