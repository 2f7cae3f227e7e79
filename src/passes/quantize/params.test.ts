import { describe, expect, it } from "vitest";
import {
  computeScaleZeroPoint,
  qRange,
  quantizeValue,
  roundHalfEven,
  sqnr,
  dequantizeValue,
} from "./params.js";

describe("quantization parameters (onnxruntime quant_utils arithmetic)", () => {
  it("rounds half to even like numpy.round", () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6, -2.6].map(roundHalfEven)).toEqual([
      0, 2, 2, -0, -2, -2, 2, 3, -3,
    ]);
  });

  it("gives the qmin/qmax ranges of each type and option", () => {
    expect(qRange("uint8")).toEqual({ qmin: 0, qmax: 255 });
    expect(qRange("uint8", { reduceRange: true })).toEqual({ qmin: 0, qmax: 127 });
    expect(qRange("int8")).toEqual({ qmin: -128, qmax: 127 });
    expect(qRange("int8", { symmetric: true })).toEqual({ qmin: -127, qmax: 127 });
    expect(qRange("int8", { reduceRange: true, symmetric: true })).toEqual({ qmin: -64, qmax: 64 });
  });

  it("uint8 asymmetric: worked example", () => {
    // rmin -1, rmax 3: scale = 4/255, zp = round(0 - (-1)/(4/255)) = round(63.75) = 64
    const p = computeScaleZeroPoint(-1, 3, qRange("uint8"));
    expect(p.scale).toBe(Math.fround(4 / 255));
    expect(p.zeroPoint).toBe(64);
    expect(quantizeValue(0, p, qRange("uint8"))).toBe(64); // zero is exactly representable
    expect(quantizeValue(3, p, qRange("uint8"))).toBe(255);
    expect(quantizeValue(100, p, qRange("uint8"))).toBe(255); // clipped
  });

  it("the range is widened to include zero", () => {
    const p = computeScaleZeroPoint(2, 4, qRange("uint8"));
    expect(p.scale).toBe(Math.fround(4 / 255));
    expect(p.zeroPoint).toBe(0);
  });

  it("zero point rounds half to even (62.5 -> 62, not 63)", () => {
    // rmin = -62.5 * s with s = 1: range [-62.5, 192.5] over 255 steps gives scale 1, zp = 62.5
    const p = computeScaleZeroPoint(-62.5, 192.5, qRange("uint8"));
    expect(p.scale).toBe(1);
    expect(p.zeroPoint).toBe(62);
  });

  it("int8 symmetric: scale = absmax/127, zero point 0", () => {
    const p = computeScaleZeroPoint(-0.5, 2.54, qRange("int8", { symmetric: true }), true);
    expect(p.scale).toBe(Math.fround(5.08 / 254));
    expect(p.zeroPoint).toBe(0);
    expect(quantizeValue(-2.54, p, qRange("int8", { symmetric: true }))).toBe(-127);
    const rr = computeScaleZeroPoint(-1, 1, qRange("int8", { reduceRange: true, symmetric: true }), true);
    expect(rr.scale).toBe(Math.fround(2 / 128));
  });

  it("guards tiny scales (all-zero tensors) with scale 1, zero point 0", () => {
    expect(computeScaleZeroPoint(0, 0, qRange("int8", { symmetric: true }), true)).toEqual({
      scale: 1,
      zeroPoint: 0,
    });
    expect(computeScaleZeroPoint(0, 1e-40, qRange("uint8"))).toEqual({ scale: 1, zeroPoint: 0 });
  });

  it("round trip error is at most half a step", () => {
    const r = qRange("uint8");
    const p = computeScaleZeroPoint(-1, 1, r);
    for (let x = -1; x <= 1; x += 0.01)
      expect(Math.abs(dequantizeValue(quantizeValue(x, p, r), p) - x)).toBeLessThanOrEqual(
        p.scale / 2 + 1e-7,
      );
  });

  it("SQNR", () => {
    expect(sqnr([1, 2, 3], [1, 2, 3])).toBe(Infinity);
    expect(sqnr([3, 4], [3, 4.5])).toBeCloseTo(10 * Math.log10(25 / 0.25), 10);
  });
});
