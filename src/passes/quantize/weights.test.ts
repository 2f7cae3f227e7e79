import { describe, expect, it } from "vitest";
import { quantizeBias, quantizeWeight } from "./weights.js";
import { computeScaleZeroPoint, qRange, quantizeValue } from "./params.js";
import { seededRandom } from "../../onnx/random.js";

describe("quantizeWeight", () => {
  const rand = seededRandom(3);
  const data = Float32Array.from({ length: 6 * 5 }, () => (rand() * 2 - 1) * 0.3);

  it("per-tensor int8 symmetric matches the scalar reference element by element", () => {
    const q = quantizeWeight(data, [6, 5]);
    const p = computeScaleZeroPoint(
      Math.min(...data),
      Math.max(...data),
      qRange("int8", { symmetric: true }),
      true,
    );
    expect(q.scales[0]).toBe(p.scale);
    expect(q.zeroPoints[0]).toBe(0);
    expect([...q.values]).toEqual(
      [...data].map((x) => quantizeValue(x, p, qRange("int8", { symmetric: true }))),
    );
    expect(Math.max(...[...q.values].map(Math.abs))).toBe(127);
  });

  it("per-channel along the last axis (MatMul columns) and the first axis (Conv filters)", () => {
    for (const axis of [0, 1]) {
      const q = quantizeWeight(data, [6, 5], { axis });
      const channels = axis === 0 ? 6 : 5;
      expect(q.scales.length).toBe(channels);
      for (let c = 0; c < channels; c++) {
        const slice = [...data].filter((_, i) => (axis === 0 ? Math.floor(i / 5) : i % 5) === c);
        const p = computeScaleZeroPoint(
          Math.min(...slice),
          Math.max(...slice),
          qRange("int8", { symmetric: true }),
          true,
        );
        expect(q.scales[c]).toBe(p.scale);
        const got = [...q.values].filter((_, i) => (axis === 0 ? Math.floor(i / 5) : i % 5) === c);
        expect(got).toEqual(slice.map((x) => quantizeValue(x, p, qRange("int8", { symmetric: true }))));
      }
      expect(q.sqnr).toBeGreaterThan(quantizeWeight(data, [6, 5]).sqnr - 0.5); // per-channel is never much worse
    }
  });

  it("rounds exact ties to even, like numpy", () => {
    // scale 1/127 * 1 with values at k + 0.5 steps: 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -0.5 -> 0
    const s = Math.fround(1 / 127);
    const ties = Float32Array.from([1, 0.5 * s, 1.5 * s, 2.5 * s, -0.5 * s, -1.5 * s]);
    const q = quantizeWeight(ties, [6]);
    expect(q.scales[0]).toBe(s);
    expect([...q.values]).toEqual(
      [...ties].map((x) => quantizeValue(x, { scale: s, zeroPoint: 0 }, qRange("int8", { symmetric: true }))),
    );
  });

  it("uint8 asymmetric and reduce-range", () => {
    const q = quantizeWeight(data, [30], { qtype: "uint8" });
    expect(q.values).toBeInstanceOf(Uint8Array);
    expect(Math.min(...q.values)).toBe(0);
    expect(Math.max(...q.values)).toBe(255);
    const r = quantizeWeight(data, [30], { reduceRange: true });
    expect(Math.max(...[...r.values].map(Math.abs))).toBe(64);
  });

  it("int32 bias at s_x * s_w", () => {
    const b = quantizeBias(Float32Array.of(0.5, -1), 0.1, Float32Array.of(0.01, 0.02));
    const s = [Math.fround(0.1 * Math.fround(0.01)), Math.fround(0.1 * Math.fround(0.02))];
    expect([...b.scales]).toEqual(s);
    expect([...b.values]).toEqual([Math.round(0.5 / s[0]), Math.round(-1 / s[1])]);
    expect(Math.abs(b.values[0] * s[0] - 0.5)).toBeLessThan(s[0]);
  });
});
