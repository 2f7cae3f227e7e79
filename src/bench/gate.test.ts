import { describe, expect, it } from "vitest";
import { compareMeasurements, verdictFor, describeFailures } from "./gate.js";
import { toMeasurement } from "./summarize.js";
import { seededRandom } from "../onnx/random.js";
import type { Fingerprint } from "./fingerprint.js";
import type { Measurement } from "./types.js";

const fp: Fingerprint = {
  id: "x",
  cpuModel: "CPU A",
  logicalCores: 2,
  physicalCores: 2,
  availableParallelism: 2,
  cpuQuota: null,
  flags: ["avx2"],
  arch: "x64",
  platform: "linux",
  osRelease: "6",
  totalMemoryBytes: 1,
};

/** A synthetic measurement: `rounds` rounds of 10 samples around `ms` with 2% noise. */
function fake(role: "baseline" | "candidate", ms: number, seed: number, rounds = 40): Measurement {
  const rand = seededRandom(seed);
  const samplesMs: number[] = [];
  for (let i = 0; i < rounds * 10; i++) samplesMs.push(ms * (1 + 0.02 * (rand() - 0.5)));
  return toMeasurement(
    {
      samplesMs,
      roundSizes: new Array(rounds).fill(10),
      roundWallMs: new Array(rounds).fill(10 * ms),
      warmup: { calls: 0, ms: 0, windowMedians: [], stable: true },
    },
    { role, model: role, batch: 1, concurrency: 1 },
    { resamples: 300 },
  );
}

const opts = {
  mode: "interleaved" as const,
  baselineLabel: "a",
  baselineSource: "a.onnx",
  candidateLabel: "b",
  baselineFingerprint: fp,
  candidateFingerprint: fp,
  resamples: 500,
};

describe("verdictFor: the whole CI against ±threshold", () => {
  it.each([
    [[1.12, 1.3], "lower-is-better", "regressed"],
    [[1.09, 1.3], "lower-is-better", "inconclusive"],
    [[0.95, 1.08], "lower-is-better", "unchanged"],
    [[0.7, 0.88], "lower-is-better", "improved"],
    [[0.85, 0.95], "lower-is-better", "inconclusive"],
    [[0.7, 0.88], "higher-is-better", "regressed"],
    [[1.12, 1.3], "higher-is-better", "improved"],
    [[0.95, 1.05], "higher-is-better", "unchanged"],
  ] as const)("%j %s → %s", (ci, dir, verdict) => {
    expect(verdictFor([ci[0], ci[1]], 0.1, dir)).toBe(verdict);
  });
  it("no CI is inconclusive", () => expect(verdictFor(null, 0.1, "lower-is-better")).toBe("inconclusive"));
});

describe("compareMeasurements", () => {
  it("flags a 25% slowdown, passes a 3% one, fails the gate only on gated metrics", () => {
    const base = fake("baseline", 1, 1);
    const slow = compareMeasurements([base], [fake("candidate", 1.25, 2)], opts);
    expect(slow.entries.find((e) => e.metric === "median")!.verdict).toBe("regressed");
    expect(slow.entries.find((e) => e.metric === "throughput")!.verdict).toBe("regressed");
    expect(slow.failed).toBe(true);
    expect(slow.counts.regressed).toBe(1); // only median is gated by default
    expect(describeFailures(slow)[0]).toMatch(/batch 1, concurrency 1: median \+25\.\d%.*regressed/);
    const same = compareMeasurements([base], [fake("candidate", 1.03, 3)], opts);
    expect(same.entries.find((e) => e.metric === "median")!.verdict).toBe("unchanged");
    expect(same.failed).toBe(false);
  });
  it("a different fingerprint makes the gate advisory unless strict", () => {
    const other = { ...fp, cpuModel: "CPU B", flags: ["avx2", "avx512f"] };
    const c = compareMeasurements([fake("baseline", 1, 1)], [fake("candidate", 1.5, 2)], {
      ...opts,
      mode: "stored",
      baselineFingerprint: other,
    });
    expect(c.fingerprintDifferences).toEqual(["cpu: CPU B → CPU A", "cpu flags: -avx512f"]);
    expect(c.advisory).toBe(true);
    expect(c.counts.regressed).toBe(1);
    expect(c.failed).toBe(false);
    const strict = compareMeasurements([fake("baseline", 1, 1)], [fake("candidate", 1.5, 2)], {
      ...opts,
      mode: "stored",
      baselineFingerprint: other,
      strict: true,
    });
    expect(strict.failed).toBe(true);
  });
  it("inconclusive fails only with failOnInconclusive; unmatched configs are noted", () => {
    const few = (role: "baseline" | "candidate", ms: number) => fake(role, ms, 7, 3); // 3 rounds: no CI
    const c = compareMeasurements([few("baseline", 1)], [few("candidate", 1)], opts);
    expect(c.counts.inconclusive).toBe(1);
    expect(c.failed).toBe(false);
    expect(
      compareMeasurements([few("baseline", 1)], [few("candidate", 1)], { ...opts, failOnInconclusive: true })
        .failed,
    ).toBe(true);
    const other = { ...fake("candidate", 1, 2), batch: 8 };
    const n = compareMeasurements([fake("baseline", 1, 1)], [other], opts);
    expect(n.entries).toEqual([]);
    expect(n.notes[0]).toMatch(/no baseline for batch 8, concurrency 1/);
  });
});
