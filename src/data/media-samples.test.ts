/**
 * Image (PNG/JPEG) and WAV samples: files made here with the same libraries (pngjs, jpeg-js,
 * wavefile), decoded tensors checked against values computed independently in the test.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PNG } from "pngjs";
import jpeg from "jpeg-js";
import wavefile from "wavefile";
import { makeModel, makeNode, makeValueInfo } from "../onnx/build.js";
import { DT } from "../onnx/dtypes.js";
import { loadSamples } from "./samples.js";
import { npy } from "../../test/helpers/npy.js";
import { tempDir } from "../../test/helpers/tmp.js";

const { WaveFile } = wavefile as unknown as { WaveFile: typeof wavefile.WaveFile };

function model(inputs: [string, number, (number | string)[]][]) {
  return makeModel({
    nodes: [makeNode("Identity", [inputs[0][0]], ["y"])],
    inputs: inputs.map(([n, t, d]) => makeValueInfo(n, t, d)),
    outputs: [makeValueInfo("y", inputs[0][1], inputs[0][2])],
  });
}

/** RGBA pixels where pixel (x, y) has R = 10x + y, G = 100 + x, B = 200 - y. */
function pattern(w: number, h: number) {
  const data = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) data.set([10 * x + y, 100 + x, 200 - y, 255], (y * w + x) * 4);
  return data;
}

function pngFile(file: string, w: number, h: number, data = pattern(w, h)) {
  const png = new PNG({ width: w, height: h });
  data.copy(png.data);
  fs.writeFileSync(file, PNG.sync.write(png));
}

function wavFile(file: string, rate: number, depth: "16" | "32f", samples: number[], channels = 1) {
  const w = new WaveFile();
  w.fromScratch(channels, rate, depth, channels === 1 ? samples : [samples, samples]);
  fs.writeFileSync(file, w.toBuffer());
}

const f32 = (t: { data: unknown }) => Array.from(t.data as Float32Array);

describe("image samples", () => {
  const dir = tempDir();

  it("PNG at the input's size: NCHW RGB, scale/mean/std per channel", () => {
    const f = path.join(dir, "a.png");
    pngFile(f, 4, 2);
    const m = model([["x", DT.FLOAT, [1, 3, 2, 4]]]);
    const mean = [0.5, 0.25, 0.125];
    const std = [0.5, 2, 4];
    const [s] = loadSamples(f, m, undefined, { image: { mean, std } }).samples;
    const x = s.get("x")!;
    expect(x.dims).toEqual([1, 3, 2, 4]);
    const want: number[] = [];
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < 2; y++)
        for (let px = 0; px < 4; px++) {
          const raw = [10 * px + y, 100 + px, 200 - y][c];
          want.push((raw / 255 - mean[c]) / std[c]);
        }
    f32(x).forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
  });

  it("BGR colour order, NHWC layout, uint8 input keeps raw pixels", () => {
    const f = path.join(dir, "b.png");
    pngFile(f, 3, 2);
    const m = model([["img", DT.FLOAT, [1, 2, 3, 3]]]);
    const [s] = loadSamples(f, m, undefined, {
      image: { layout: "NHWC", colorOrder: "BGR", scale: 1 },
    }).samples;
    // pixel (x=2, y=1) in NHWC: offset (1 * 3 + 2) * 3; channels B, G, R
    const at = (x: number, y: number) => f32(s.get("img")!).slice((y * 3 + x) * 3, (y * 3 + x) * 3 + 3);
    expect(at(2, 1)).toEqual([199, 102, 21]);
    expect(at(0, 0)).toEqual([200, 100, 0]);
    const u8 = model([["img", DT.UINT8, [1, 2, 3, 3]]]);
    const [t] = loadSamples(f, u8).samples;
    expect(Array.from(t.get("img")!.data as Uint8Array).slice(0, 3)).toEqual([0, 100, 200]);
  });

  it("resizes bilinearly (half-pixel centres): 4x4 -> 2x2 averages each 2x2 block; grey is luma", () => {
    const f = path.join(dir, "c.png");
    pngFile(f, 4, 4);
    const m = model([["x", DT.FLOAT, [1, 1, "h", "w"]]]);
    const [s] = loadSamples(f, m, new Map([["x", [1, 1, 2, 2]]]), { image: { scale: 1 } }).samples;
    const want: number[] = [];
    for (const by of [0, 2])
      for (const bx of [0, 2]) {
        let sum = 0;
        for (const [dx, dy] of [
          [0, 0],
          [1, 0],
          [0, 1],
          [1, 1],
        ]) {
          const [x, y] = [bx + dx, by + dy];
          sum += 0.299 * (10 * x + y) + 0.587 * (100 + x) + 0.114 * (200 - y);
        }
        want.push(sum / 4);
      }
    f32(s.get("x")!).forEach((v, i) => expect(v).toBeCloseTo(want[i], 3));
  });

  it("JPEG (quality 100, flat colour) decodes to that colour; a batch of 2 repeats the image", () => {
    const f = path.join(dir, "d.jpg");
    const w = 16;
    const data = Buffer.alloc(w * w * 4);
    for (let i = 0; i < w * w; i++) data.set([200, 40, 90, 255], i * 4);
    fs.writeFileSync(f, jpeg.encode({ data, width: w, height: w }, 100).data);
    const m = model([["x", DT.FLOAT, [2, 3, 8, 8]]]);
    const [s] = loadSamples(f, m).samples;
    const x = f32(s.get("x")!);
    expect(x).toHaveLength(2 * 3 * 64);
    for (const [c, v] of [200, 40, 90].entries())
      for (const b of [0, 1]) expect(Math.abs(x[b * 192 + c * 64 + 27] - v / 255)).toBeLessThan(3 / 255);
  });

  it("other inputs get quantize.samples.values, a sample rate, or zeros", () => {
    const f = path.join(dir, "e.png");
    pngFile(f, 2, 2);
    const m = model([
      ["x", DT.FLOAT, [1, 3, 2, 2]],
      ["state", DT.FLOAT, [2, 1, 4]],
      ["sr", DT.INT64, []],
      ["k", DT.INT32, [1]],
    ]);
    const [s] = loadSamples(f, m, undefined, { values: { k: 7 } }).samples;
    expect(f32(s.get("state")!)).toEqual(new Array(8).fill(0));
    expect(s.get("sr")!.data).toEqual(BigInt64Array.from([16000n]));
    expect(Array.from(s.get("k")!.data as Int32Array)).toEqual([7]);
  });
});

describe("WAV samples", () => {
  const dir = tempDir();

  it("PCM16 scales by 1/32768; float32 as is; long files give windows spread over the file", () => {
    const pcm = path.join(dir, "pcm.wav");
    wavFile(pcm, 16000, "16", [0, 16384, -32768, 32767, -8192, 4096, 0, 1]);
    const m = model([["input", DT.FLOAT, [1, 4]]]);
    const s = loadSamples(pcm, m).samples;
    expect(s).toHaveLength(2);
    expect(f32(s[0].get("input")!)).toEqual([0, 0.5, -1, 32767 / 32768]);
    expect(f32(s[1].get("input")!)).toEqual([-0.25, 0.125, 0, 1 / 32768]);
    const flt = path.join(dir, "flt.wav");
    wavFile(flt, 16000, "32f", [0.25, -0.75, 0.5]);
    const [t] = loadSamples(flt, m).samples;
    // shorter than one window: zero-padded
    expect(f32(t.get("input")!)).toEqual([0.25, -0.75, 0.5, 0]);
  });

  it("another sample rate is refused, or resampled when asked; stereo is refused", () => {
    const f = path.join(dir, "8k.wav");
    wavFile(f, 8000, "16", [0, 16384, 0, -16384]);
    const m = model([["input", DT.FLOAT, [1, 8]]]);
    expect(() => loadSamples(f, m)).toThrow(
      /8k\.wav: sample rate 8000 Hz; input "input" \[1,8\], mono at 16000 Hz/,
    );
    const [s] = loadSamples(f, m, undefined, { audio: { resample: true } }).samples;
    expect(f32(s.get("input")!)).toEqual([0, 0.25, 0.5, 0.25, 0, -0.25, -0.5, -0.5]);
    const st = path.join(dir, "stereo.wav");
    wavFile(st, 16000, "16", [1, 2], 2);
    expect(() => loadSamples(st, m)).toThrow(/stereo\.wav: 2 channels; .* takes mono audio/);
  });
});

describe("bad samples: one clear error naming the file and the expected input", () => {
  const dir = tempDir();
  const m = model([["x", DT.FLOAT, [1, 3, 4, 4]]]);

  it("wrong shape or dtype in a .npy file", () => {
    const d = path.join(dir, "npy");
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, "x.npy"), npy(new Float32Array(12), [1, 3, 2, 2]));
    expect(() => loadSamples(d, m)).toThrow(
      /x\.npy: input "x" has shape \[1,3,2,2\]; the model expects "x" float \[1,3,4,4\]/,
    );
    const i64 = model([["ids", DT.INT64, [1, 4]]]);
    fs.writeFileSync(path.join(d, "x.npy"), npy(new Float32Array(4), [1, 4]));
    expect(() => loadSamples(d, i64)).toThrow(
      /x\.npy: input "ids" is float; the model expects "ids" int64 \[1,4\]/,
    );
  });

  it("an unreadable image, a non-image named .png, an empty folder", () => {
    const bad = path.join(dir, "broken.png");
    const png = new PNG({ width: 4, height: 4 });
    fs.writeFileSync(bad, PNG.sync.write(png).subarray(0, 60));
    expect(() => loadSamples(bad, m)).toThrow(/broken\.png: not a readable PNG image/);
    const txt = path.join(dir, "text.jpg");
    fs.writeFileSync(txt, "hello");
    expect(() => loadSamples(txt, m)).toThrow(/text\.jpg: not a PNG or JPEG image/);
    const empty = path.join(dir, "empty");
    fs.mkdirSync(empty);
    expect(() => loadSamples(empty, m)).toThrow(/no samples found in .*empty/);
    try {
      loadSamples(empty, m);
    } catch (e) {
      expect((e as { hint?: string }).hint).toMatch(/the model expects "x" float \[1,3,4,4\]/);
    }
  });

  it("an image for a model without an image input names the inputs", () => {
    const f = path.join(dir, "p.png");
    pngFile(f, 2, 2);
    expect(() => loadSamples(f, model([["input", DT.FLOAT, [1, 512]]]))).toThrow(
      /p\.png: cannot tell which input an image feeds: the model's inputs are "input" float \[1,512\]/,
    );
  });
});

describe("mlpack quantize on image samples (CLI)", () => {
  const dir = tempDir();

  it("a broken image in the calibration folder exits 1 naming the file; good images quantize", async () => {
    const { runInProcess } = await import("../../test/helpers/cli.js");
    const { encodeModelProto } = await import("../onnx/proto.js");
    const { makeResNet } = await import("../onnx/fixtures.js");
    const net = makeResNet({ size: 16, widths: [8, 16] });
    const onnx = path.join(dir, "net.onnx");
    fs.writeFileSync(onnx, encodeModelProto(net));
    const samples = path.join(dir, "samples");
    fs.mkdirSync(samples);
    for (let k = 0; k < 3; k++) pngFile(path.join(samples, `img${k}.png`), 20 + k, 18);
    const args = [
      "quantize",
      onnx,
      "-o",
      path.join(dir, "q.onnx"),
      "--mode",
      "static",
      "--calibration",
      samples,
    ];
    const ok = await runInProcess(args);
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    fs.writeFileSync(path.join(samples, "zz.jpg"), "not a jpeg");
    const bad = await runInProcess(args);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/zz\.jpg: not a PNG or JPEG image/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });
});
