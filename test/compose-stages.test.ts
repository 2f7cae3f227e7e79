/**
 * Each pre/post-processing stage, run in onnxruntime-node, against a reference computed here with
 * plain loops; at the oldest opset each stage supports and a current one.
 */
import fs from "node:fs";
import path from "node:path";
import ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { parseStage } from "../src/compose/stages/index.js";
import { makeValueInfo } from "../src/onnx/build.js";
import { encodeModelProto } from "../src/onnx/proto.js";
import { DT } from "../src/onnx/dtypes.js";
import { tempDir } from "./helpers/tmp.js";

const dir = tempDir("mlpack-compose-stages-");
const LABELS = ["cat", "dog", "bird", "fish", "frog"];
fs.writeFileSync(path.join(dir, "labels.txt"), LABELS.join("\n") + "\n");

async function runStage(
  kind: "pre" | "post",
  spec: string,
  opset: number,
  feeds: Record<string, ort.Tensor>,
  upstreamDims?: (number | string)[],
) {
  const stage = parseStage(kind, spec, dir);
  const upstream = upstreamDims && makeValueInfo("logits", DT.FLOAT, upstreamDims);
  const proto = stage.build({ opset, upstream });
  const s = await ort.InferenceSession.create(encodeModelProto(proto));
  return s.run(feeds);
}

/** A deterministic HWC uint8 test image. */
function image(h: number, w: number): Uint8Array {
  const px = new Uint8Array(h * w * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) px[(y * w + x) * 3 + c] = (y * 31 + x * 17 + c * 89 + ((x * y) % 7)) % 256;
  return px;
}

/** Bilinear resize with half-pixel centres (onnxruntime's Resize linear, no antialias), on HWC floats. */
function resizeRef(src: Float64Array, h: number, w: number, oh: number, ow: number): Float64Array {
  const out = new Float64Array(oh * ow * 3);
  const coord = (o: number, scale: number, n: number) =>
    Math.min(Math.max((o + 0.5) / scale - 0.5, 0), n - 1);
  for (let y = 0; y < oh; y++) {
    const fy = coord(y, oh / h, h);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, h - 1);
    const dy = fy - y0;
    for (let x = 0; x < ow; x++) {
      const fx = coord(x, ow / w, w);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, w - 1);
      const dx = fx - x0;
      for (let c = 0; c < 3; c++) {
        const at = (yy: number, xx: number) => src[(yy * w + xx) * 3 + c];
        const top = at(y0, x0) * (1 - dx) + at(y0, x1) * dx;
        const bottom = at(y1, x0) * (1 - dx) + at(y1, x1) * dx;
        out[(y * ow + x) * 3 + c] = top * (1 - dy) + bottom * dy;
      }
    }
  }
  return out;
}

/** HWC pixels -> optional resize -> centre crop -> (p/scale - mean)/std in NCHW. */
function imageRef(
  px: Uint8Array,
  h: number,
  w: number,
  o: {
    size: [number, number];
    resize?: [number, number];
    mean: number[];
    std: number[];
    scale: number;
    bgr?: boolean;
  },
): Float64Array {
  let src: Float64Array = Float64Array.from(px);
  if (o.bgr) for (let i = 0; i < h * w; i++) [src[i * 3], src[i * 3 + 2]] = [src[i * 3 + 2], src[i * 3]];
  if (o.resize) {
    src = resizeRef(src, h, w, o.resize[0], o.resize[1]);
    [h, w] = o.resize;
  }
  const [ch, cw] = o.size;
  const top = Math.floor((h - ch) / 2);
  const left = Math.floor((w - cw) / 2);
  const out = new Float64Array(3 * ch * cw);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < ch; y++)
      for (let x = 0; x < cw; x++) {
        const p = src[((y + top) * w + (x + left)) * 3 + c];
        out[(c * ch + y) * cw + x] = (p / o.scale - o.mean[c]) / o.std[c];
      }
  return out;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number) {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  expect(worst).toBeLessThanOrEqual(tol);
}

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], scale: 255 };

describe("image stage", () => {
  it.each([13, 18])("resize + centre crop + mean/std (opset %i)", async (opset) => {
    const [h, w] = [37, 53];
    const px = image(h, w);
    const r = await runStage(
      "pre",
      "image:24x32:resize=30x40:mean=0.485,0.456,0.406:std=0.229,0.224,0.225",
      opset,
      { image: new ort.Tensor("uint8", px, [h, w, 3]) },
    );
    expect(r.pixels.dims).toEqual([1, 3, 24, 32]);
    const ref = imageRef(px, h, w, { size: [24, 32], resize: [30, 40], ...IMAGENET });
    expectClose(r.pixels.data as Float32Array, ref, 1e-4);
  });

  it("variable-size input: centre crop computed at run time (opset 10), BGR order", async () => {
    for (const [h, w] of [
      [20, 30],
      [25, 31],
    ]) {
      const px = image(h, w);
      const r = await runStage("pre", "image:16x16:mean=0.5:std=0.5:bgr", 10, {
        image: new ort.Tensor("uint8", px, [h, w, 3]),
      });
      const ref = imageRef(px, h, w, {
        size: [16, 16],
        mean: [0.5, 0.5, 0.5],
        std: [0.5, 0.5, 0.5],
        scale: 255,
        bgr: true,
      });
      expectClose(r.pixels.data as Float32Array, ref, 1e-6);
    }
  });

  it("fixed input size at opset 9 (Slice and Unsqueeze with attributes)", async () => {
    const px = image(50, 200);
    const r = await runStage("pre", "image:48x192:input=50x200:scale=1", 9, {
      image: new ort.Tensor("uint8", px, [50, 200, 3]),
    });
    const ref = imageRef(px, 50, 200, { size: [48, 192], mean: [0, 0, 0], std: [1, 1, 1], scale: 1 });
    expectClose(r.pixels.data as Float32Array, ref, 0);
  });

  it("rejects bad options with the option named", () => {
    expect(() => parseStage("pre", "image:24x", dir)).toThrow(/HEIGHTxWIDTH/);
    expect(() => parseStage("pre", "image:24x24:mean=1,2", dir)).toThrow(/three \(R,G,B\)/);
    expect(() => parseStage("pre", "image:24x24:resize=10x10", dir)).toThrow(
      /cannot crop 24x24 out of 10x10/,
    );
    expect(() => parseStage("pre", "image:24x24:zoom=2", dir)).toThrow(/unknown option "zoom=2"/);
    expect(() => parseStage("post", "image:24x24", dir)).toThrow(/pre-processing stage/);
    expect(() => parseStage("post", "sigmoid", dir)).toThrow(/unknown stage "sigmoid"/);
  });
});

const LOGITS = Float32Array.from([0.5, -1.25, 3, 2.75, 0, /* row 2 */ -2, 4, 1, 0.25, 4.5]);
const rows = (d: ArrayLike<number>, n: number) =>
  Array.from({ length: d.length / n }, (_, r) => Array.from(d).slice(r * n, r * n + n));

function softmaxRef(row: number[]): number[] {
  const m = Math.max(...row);
  const e = row.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

function topkRef(row: number[], k: number): number[] {
  return row
    .map((v, i) => [v, i])
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, k)
    .map(([, i]) => i);
}

describe("post-processing stages", () => {
  const feeds = () => ({ x: new ort.Tensor("float32", LOGITS, [2, 5]) });

  it.each([9, 13, 17])("softmax over the last axis (opset %i)", async (opset) => {
    const r = await runStage("post", "softmax", opset, feeds(), ["batch", 5]);
    expectClose(r.probabilities.data as Float32Array, rows(LOGITS, 5).flatMap(softmaxRef), 1e-6);
  });

  it.each([9, 13])("argmax with labels (opset %i)", async (opset) => {
    const r = await runStage("post", "argmax:labels.txt", opset, feeds(), ["batch", 5]);
    const want = rows(LOGITS, 5).map((row) => row.indexOf(Math.max(...row)));
    expect(Array.from(r.class_index.data as BigInt64Array, Number)).toEqual(want);
    expect(r.label.data).toEqual(want.map((i) => LABELS[i]));
  });

  it.each([9, 11, 17])("top-k with labels (opset %i)", async (opset) => {
    const r = await runStage("post", "topk:3:labels.txt", opset, feeds(), ["batch", 5]);
    const want = rows(LOGITS, 5).map((row) => topkRef(row, 3));
    expect(r.indices.dims).toEqual([2, 3]);
    expect(rows(Array.from(r.indices.data as BigInt64Array, Number), 3)).toEqual(want);
    expect(rows(r.scores.data as Float32Array, 3)).toEqual(
      want.map((idx, ri) => idx.map((i) => LOGITS[ri * 5 + i])),
    );
    expect(r.labels.data).toEqual(want.flat().map((i) => LABELS[i]));
  });

  it("threshold", async () => {
    const r = await runStage("post", "threshold:0.5", 13, feeds(), ["batch", 5]);
    expect(Array.from(r.mask.data as Uint8Array, Boolean)).toEqual(Array.from(LOGITS, (x) => x > 0.5));
  });

  it("refuses labels that do not match the classes, K too large, non-float scores", () => {
    const build = (spec: string, dims: number[], type: number = DT.FLOAT) =>
      parseStage("post", spec, dir).build({ opset: 13, upstream: makeValueInfo("logits", type, dims) });
    expect(() => build("topk:2:labels.txt", [1, 7])).toThrow(/has 5 labels but the scores have 7 classes/);
    expect(() => build("topk:9", [1, 5])).toThrow(/K=9 but "logits" has only 5 classes/);
    expect(() => build("softmax", [1, 5], DT.INT64)).toThrow(/not a floating-point tensor/);
    expect(() => parseStage("post", "topk:0", dir)).toThrow(/K must be a whole number/);
    expect(() => parseStage("post", "threshold:abc", dir)).toThrow(/must be a number/);
    expect(() => build("argmax:missing.txt", [1, 5])).toThrow(/cannot read labels file/);
  });
});
