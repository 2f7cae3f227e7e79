import { describe, expect, it } from "vitest";
import type { Comparison, ComparisonEntry } from "../bench/gate.js";
import { decideShip } from "./ship-decision.js";

/** int8 (candidate) against float (baseline): one median entry per (ratio, CI). */
function comparison(...entries: [number, [number, number] | null][]): Comparison {
  return {
    entries: entries.map(([ratio, ci], i): ComparisonEntry => ({
      batch: [1, 8][i] ?? 1,
      concurrency: 1,
      metric: "median",
      direction: "lower-is-better",
      baseline: 1,
      candidate: ratio,
      ratio,
      ci,
      verdict: "regressed",
      gated: false,
    })),
  } as Comparison;
}

describe("which model ships", () => {
  it("the example's case: int8 slower (×1.10, CI above 1) and 2% smaller → float, saying why", () => {
    const d = decideShip({ sizeRatio: 0.98, comparison: comparison([1.1, [1.07, 1.13]]) });
    expect(d.model).toBe("float");
    expect(d.reason).toBe(
      "float: int8 is slower than float (batch 1: median ×1.100) and only 2.0% smaller (quantize.minSizeGain 50.0%)",
    );
    expect(d.slower).toEqual([{ batch: 1, concurrency: 1, ratio: 1.1, ci: [1.07, 1.13] }]);
    expect(d.minSizeGain).toBe(0.5);
  });

  it("slower but past the size floor → int8; faster or inconclusive → int8", () => {
    expect(decideShip({ sizeRatio: 0.26, comparison: comparison([1.1, [1.05, 1.2]]) }).model).toBe(
      "quantized",
    );
    expect(decideShip({ sizeRatio: 0.98, comparison: comparison([0.5, [0.45, 0.55]]) }).model).toBe(
      "quantized",
    );
    // A CI that reaches 1 is not evidence of a slowdown.
    expect(decideShip({ sizeRatio: 0.98, comparison: comparison([1.02, [0.99, 1.05]]) }).model).toBe(
      "quantized",
    );
    expect(decideShip({ sizeRatio: 0.98, comparison: comparison([1.2, null]) }).model).toBe("quantized");
  });

  it("slower in one configuration of several is enough; the floor is configurable", () => {
    const c = comparison([0.9, [0.85, 0.95]], [1.3, [1.2, 1.4]]);
    expect(decideShip({ sizeRatio: 0.7, comparison: c }).model).toBe("float");
    expect(decideShip({ sizeRatio: 0.7, comparison: c, minSizeGain: 0.25 }).model).toBe("quantized");
  });

  it("quantize.require: a slower, barely smaller int8 model is refused instead of swapped", () => {
    const d = decideShip({ sizeRatio: 0.98, comparison: comparison([1.1, [1.07, 1.13]]), require: true });
    expect(d.refused).toBe(true);
    expect(d.model).toBe("quantized");
  });

  it("without an int8-vs-float measurement, int8 ships and the record says it was not compared", () => {
    const d = decideShip({ sizeRatio: 0.98 });
    expect(d.model).toBe("quantized");
    expect(d.reason).toMatch(/not compared/);
  });

  it("ships float when no layer was quantized (with require: refused)", () => {
    expect(decideShip({ sizeRatio: 1, quantizedLayers: 0 })).toMatchObject({
      model: "float",
      reason: expect.stringMatching(/^float: no layer was quantized/),
    });
    expect(decideShip({ sizeRatio: 1, quantizedLayers: 0, require: true }).refused).toBe(true);
  });
});
