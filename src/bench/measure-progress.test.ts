import { describe, expect, it } from "vitest";
import { measureConfig } from "./measure.js";
import type { BlockSpec, Executor } from "./executor.js";

/** An executor whose calls take a fixed simulated time: no sessions, no clock. */
function fakeExecutor(callMs: number): Executor {
  return {
    concurrency: 1,
    createMs: [0, 0],
    setFeeds: async () => {},
    close: async () => {},
    runPhase: async (_m: number, spec: BlockSpec) => {
      const calls = Math.max(spec.calls, Math.ceil((spec.minMs ?? 0) / callMs));
      return { latMs: new Array<number>(calls).fill(callMs), wallMs: calls * callMs };
    },
  };
}

describe("bench progress", () => {
  it("reports the sampled fraction after each round, rising to 1 (iterations)", async () => {
    const seen: number[] = [];
    await measureConfig(fakeExecutor(1), 2, {
      warmup: { kind: "calls", calls: 2 },
      sample: { kind: "iterations", count: 40 },
      rounds: 20,
      windowMs: 10,
      onRound: (f) => seen.push(f),
    });
    expect(seen.length).toBe(20);
    expect(seen[0]).toBeGreaterThan(0);
    expect(seen.at(-1)).toBe(1);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]);
  });

  it("duration mode: the slowest model's share of its time", async () => {
    const seen: number[] = [];
    await measureConfig(fakeExecutor(2), 1, {
      warmup: { kind: "calls", calls: 0 },
      sample: { kind: "duration", ms: 200 },
      rounds: 20,
      windowMs: 10,
      onRound: (f) => seen.push(f),
    });
    expect(seen[0]).toBeCloseTo(0.05, 2);
    expect(seen.at(-1)).toBe(1);
  });
});
