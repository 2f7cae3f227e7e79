import { describe, expect, it } from "vitest";
import {
  describe as describeSamples,
  mad,
  madOutlierCount,
  mean,
  median,
  quantile,
  stddev,
  tukeyOutliers,
  sortedCopy,
} from "./stats.js";
import {
  bootstrapMetrics,
  bootstrapRatios,
  clusterRounds,
  drawRoundCounts,
  pairedRoundRatios,
  weightedQuantiles,
} from "./bootstrap.js";
import { seededRandom } from "../onnx/random.js";

describe("descriptive statistics (worked values)", () => {
  const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  it("percentiles interpolate linearly between ranks (type 7, as numpy)", () => {
    expect(quantile(xs, 0.5)).toBe(5.5);
    expect(quantile(xs, 0.9)).toBeCloseTo(9.1, 12); // h = 9 * 0.9 = 8.1 → 9 + 0.1
    expect(quantile(xs, 0.95)).toBeCloseTo(9.55, 12);
    expect(quantile(xs, 0.99)).toBeCloseTo(9.91, 12);
    expect(quantile([3, 1, 2], 0.25)).toBe(1.5);
    expect(quantile([7], 0.99)).toBe(7);
    expect(quantile(xs, 0)).toBe(1);
    expect(quantile(xs, 1)).toBe(10);
    expect(Number.isNaN(quantile([], 0.5))).toBe(true);
  });
  it("mean, sample stddev, MAD", () => {
    expect(mean([2, 4, 4, 4, 5, 5, 7, 9])).toBe(5);
    expect(stddev([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(median([1, 1, 2, 2, 4, 6, 9])).toBe(2);
    expect(mad([1, 1, 2, 2, 4, 6, 9])).toBe(1); // |x - 2| = 1 1 0 0 2 4 7 → median 1
  });
  it("Tukey fences and MAD outliers", () => {
    const data = [10, 11, 12, 12, 13, 13, 14, 15, 40, 100];
    const t = tukeyOutliers(sortedCopy(data));
    // Q1 = 12, Q3 = 14.75, IQR = 2.75 → fences 7.875 and 18.875; 3 IQR: 3.75 and 23
    expect(t.fences.low).toBeCloseTo(7.875, 12);
    expect(t.fences.high).toBeCloseTo(18.875, 12);
    expect([t.low, t.high, t.severe]).toEqual([0, 2, 2]);
    expect(madOutlierCount(data)).toBe(2);
    const d = describeSamples(data);
    expect(d.min).toBe(10);
    expect(d.max).toBe(100);
    expect(d.median).toBe(13);
  });
});

describe("round bootstrap", () => {
  const rounds = { samplesMs: [5, 1, 3, 2, 4, 6], roundSizes: [2, 3, 1], roundWallMs: [10, 9, 6] };
  it("weighted quantiles equal quantiles of the expanded multiset", () => {
    const c = clusterRounds(rounds);
    const rand = seededRandom(3);
    const counts = new Int32Array(3);
    for (let t = 0; t < 200; t++) {
      drawRoundCounts(3, rand, counts);
      const expanded: number[] = [];
      let i = 0;
      rounds.roundSizes.forEach((size, r) => {
        for (let j = 0; j < size; j++)
          for (let k = 0; k < counts[r]; k++) expanded.push(rounds.samplesMs[i + j]);
        i += size;
      });
      const ps = [0.5, 0.9, 0.95, 0.1];
      const got = weightedQuantiles(c, counts, ps);
      ps.forEach((p, k) => expect(got[k]).toBeCloseTo(quantile(expanded, p), 12));
    }
  });
  it("point estimates use all rounds; CIs are deterministic for a seed", () => {
    const data = { samplesMs: [] as number[], roundSizes: [] as number[], roundWallMs: [] as number[] };
    const rand = seededRandom(9);
    for (let r = 0; r < 40; r++) {
      for (let j = 0; j < 10; j++) data.samplesMs.push(1 + rand() * 0.1);
      data.roundSizes.push(10);
      data.roundWallMs.push(11);
    }
    const a = bootstrapMetrics(clusterRounds(data), ["median", "throughput"], { resamples: 500, seed: 1 });
    const b = bootstrapMetrics(clusterRounds(data), ["median", "throughput"], { resamples: 500, seed: 1 });
    expect(a).toEqual(b);
    expect(a.median.value).toBeCloseTo(median(data.samplesMs), 12);
    expect(a.throughput.value).toBeCloseTo((400 / 440) * 1000, 9);
    expect(a.median.ci![0]).toBeLessThan(a.median.value);
    expect(a.median.ci![1]).toBeGreaterThan(a.median.value);
    // Too few rounds: no CI at all.
    expect(bootstrapMetrics(clusterRounds(rounds), ["median"]).median.ci).toBeNull();
  });
  it("paired per-round ratios cancel drift that hits both models", () => {
    // The machine slows down 3x over the run; B is always 1.25x A within a round.
    const A = { samplesMs: [] as number[], roundSizes: [] as number[], roundWallMs: [] as number[] };
    const B = { samplesMs: [] as number[], roundSizes: [] as number[], roundWallMs: [] as number[] };
    const rand = seededRandom(5);
    for (let r = 0; r < 30; r++) {
      const drift = 1 + (2 * r) / 29;
      for (const [m, f] of [
        [A, 1],
        [B, 1.25],
      ] as const) {
        for (let j = 0; j < 8; j++) m.samplesMs.push(drift * f * (1 + 0.01 * rand()));
        m.roundSizes.push(8);
        m.roundWallMs.push(8 * drift * f);
      }
    }
    const paired = pairedRoundRatios(A, B, ["median", "p95", "throughput"], { resamples: 500 });
    expect(paired.median.value).toBeCloseTo(1.25, 2);
    expect(paired.median.ci![1] - paired.median.ci![0]).toBeLessThan(0.02);
    expect(paired.throughput.value).toBeCloseTo(0.8, 2);
    // Unpaired, the drift swamps the difference: a much wider interval.
    const unpaired = bootstrapRatios(clusterRounds(A), clusterRounds(B), ["median"], {
      paired: false,
      resamples: 500,
    });
    expect(unpaired.median.ci![1] - unpaired.median.ci![0]).toBeGreaterThan(0.3);
  });
});
