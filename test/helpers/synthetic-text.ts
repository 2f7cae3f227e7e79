/** Synthetic "text line" images (dark glyph strokes on white), normalized like PaddleOCR's preprocessing. */
import { seededRandom } from "../../src/onnx/random.js";
import { DT } from "../../src/onnx/dtypes.js";
import type { Sample } from "../../src/runtime/ort.js";

export function textImages(count: number, h = 96, w = 256, seed = 3): Sample[] {
  const rand = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  return Array.from({ length: count }, () => {
    const img = new Float32Array(h * w).fill(1);
    for (let line = 0; line < Math.floor((h - 10) / 28); line++) {
      const y0 = 10 + line * 28 + int(0, 4);
      for (let x = 8; x < w - 20;) {
        const gw = int(6, 14);
        for (let y = y0; y < y0 + 14; y++)
          for (const xx of [x, x + 1, x + gw - 2, x + gw - 1]) img[y * w + xx] = 0.05;
        const bar = y0 + [0, 6, 12][int(0, 2)];
        for (let xx = x; xx < x + gw; xx++) img[bar * w + xx] = 0.05;
        x += gw + int(3, 8);
      }
    }
    const data = new Float32Array(3 * h * w);
    for (let c = 0; c < 3; c++)
      for (let i = 0; i < h * w; i++) data[c * h * w + i] = (img[i] - mean[c]) / std[c];
    return new Map([["x", { dtype: DT.FLOAT, dims: [1, 3, h, w], data }]]);
  });
}

/** The samples as the JSON file format `--calibration` reads. */
export function samplesToJson(samples: Sample[]): string {
  return JSON.stringify(
    samples.map((s) =>
      Object.fromEntries(
        [...s].map(([k, v]) => [k, { dims: v.dims, data: Array.from(v.data as Float32Array) }]),
      ),
    ),
  );
}
