import { describe, expect, it } from "vitest";
import { Histogram, entropyThreshold, percentileRange } from "./histogram.js";
import { seededRandom } from "../../../onnx/random.js";

function gaussian(n: number, seed: number): Float32Array {
  const r = seededRandom(seed);
  return Float32Array.from(
    { length: n },
    () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r()),
  );
}

describe("calibration range methods", () => {
  const data = gaussian(200_000, 1);
  data[0] = 40; // a single far outlier: minmax would spend the whole range on it

  it("percentile cuts the tails symmetrically by mass", () => {
    const h = new Histogram(
      data.reduce((a, b) => Math.min(a, b)),
      data.reduce((a, b) => Math.max(a, b)),
      2048,
    );
    h.add(data);
    const r = percentileRange(h, 99.9);
    expect(r.rmax).toBeGreaterThan(3);
    expect(r.rmax).toBeLessThan(4.5);
    expect(r.rmin).toBeLessThan(-3);
    expect(percentileRange(h, 100).rmax).toBeCloseTo(40, 0);
  });

  it("entropy (KL) picks a threshold well inside the outlier, past the bulk of the distribution", () => {
    const abs = new Histogram(0, 40, 2048);
    abs.add(data, true);
    const t = entropyThreshold(abs, 128);
    expect(t).toBeGreaterThan(2.5);
    expect(t).toBeLessThan(20);
  });

  it("histogram counts every value, clamping to the edges", () => {
    const h = new Histogram(0, 1, 4);
    h.add([-1, 0, 0.3, 0.6, 0.99, 5]);
    expect([...h.counts]).toEqual([2, 1, 1, 2]);
  });
});
