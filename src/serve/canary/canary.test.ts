/** The pure parts of in-process rollouts: the split, the window's p99, the option values. */
import { describe, expect, it } from "vitest";
import { resolveServeOptions } from "../options.js";
import { WeightedSplit } from "./split.js";
import { histogramQuantile, RequestWindow } from "./window.js";
import { createServeMetrics, LATENCY_BUCKETS } from "../metrics.js";
import { RolloutController } from "./controller.js";

const resolve = (values: Record<string, unknown>) =>
  resolveServeOptions([{ kind: "flag", values }], { cpuCount: 2 }).options;

describe("WeightedSplit", () => {
  it("gives exactly the weight in every 100 picks, spread out", () => {
    for (const w of [0, 1, 10, 33, 50, 99, 100]) {
      const s = new WeightedSplit(w);
      const picks = Array.from({ length: 1000 }, () => s.pickCanary());
      for (let k = 0; k < 10; k++) expect(picks.slice(k * 100, k * 100 + 100).filter(Boolean).length).toBe(w);
    }
    const s = new WeightedSplit(10);
    const first = Array.from({ length: 20 }, () => s.pickCanary());
    // 10% as one request in ten, not ten in a row.
    expect(first.filter(Boolean).length).toBe(2);
    expect(first.indexOf(true)).toBeLessThan(10);
  });
  it("takes a new weight at the next pick", () => {
    const s = new WeightedSplit(50);
    s.pickCanary();
    s.canaryPercent = 0;
    expect(Array.from({ length: 50 }, () => s.pickCanary()).some(Boolean)).toBe(false);
  });
});

describe("RequestWindow", () => {
  it("estimates p99 from the buckets as histogram_quantile does, and forgets old slots", () => {
    let t = 0;
    const w = new RequestWindow(10, () => t);
    for (let i = 0; i < 99; i++) w.record(200, 0.0007);
    w.record(503, 4);
    const s = w.stats();
    expect(s).toMatchObject({ requests: 100, errors: 1 });
    // rank 99 is the last of the 99 requests in (0.0005, 0.001]: the bucket's upper bound.
    expect(s.p99Seconds).toBeCloseTo(0.001, 6);
    t = 11_000;
    expect(w.stats().requests).toBe(0);
  });
  it("returns the highest finite bound for a rank in +Inf", () => {
    const counts = new Array<number>(LATENCY_BUCKETS.length + 1).fill(0);
    counts[LATENCY_BUCKETS.length] = 5;
    expect(histogramQuantile(0.99, counts)).toBe(10);
  });
});

describe("--canary and --shadow", () => {
  it("serves a canary file as the next version of the only model", () => {
    const o = resolve({ models: ["stable.onnx"], canary: ["candidate.onnx=10"] });
    expect(o.models.map((m) => `${m.name}@${m.version}=${m.path}`)).toEqual([
      "stable@1=stable.onnx",
      "stable@2=candidate.onnx",
    ]);
    expect(o.canary).toEqual([{ name: "stable", version: "2", weight: 10 }]);
  });
  it("takes name@version of a served version", () => {
    const o = resolve({ models: ["m@1=a.onnx", "m@2=b.onnx"], canary: ["m@2=25"], canaryWindow: "30s" });
    expect(o.canary).toEqual([{ name: "m", version: "2", weight: 25 }]);
    expect(o.canaryWindow).toBe("30s");
  });
  it.each([
    [{ canary: ["c.onnx=150"] }, /weight 150 is out of range/],
    [{ canary: ["c.onnx"] }, /has no weight/],
    [{ canary: ["c.onnx=ten"] }, /is not a number/],
    [{ canary: ["m@7=10"] }, /model "m" has no version "7" \(versions: 1\)/],
    [{ canary: ["other@2=10"] }, /no model "other" is served/],
    [{ canary: ["m@1=10"] }, /only version of "m"/],
    [{ canary: ["c.onnx=10"], shadow: ["d.onnx"] }, /already has a candidate/],
    [{ canaryWindow: "soon" }, /expected a duration/],
  ])("refuses %j", (extra, message) => {
    expect(() => resolve({ models: ["m=a.onnx"], ...extra })).toThrow(message);
  });
});

describe("RolloutController", () => {
  const info = (version: string) => ({
    name: "m",
    version,
    path: `m${version}.onnx`,
    inputs: [{ name: "x", datatype: "FP32" as const, shape: ["batch", 4] }],
    outputs: [{ name: "y", datatype: "FP32" as const, shape: ["batch", 3] }],
    batchable: true,
  });
  const controller = (minRequests = 20) => {
    const t = { now: 0 };
    const metrics = createServeMetrics();
    const c = new RolloutController(
      [info("1"), info("2")],
      {
        canary: [{ name: "m", version: "2", weight: 10 }],
        canaryMaxErrorIncrease: 0.01,
        canaryMaxP99Ratio: 1.2,
        canaryWindow: "1m",
        canaryMinRequests: minRequests,
        shadowTolerance: 1e-4,
      },
      { metrics, now: () => t.now },
    );
    return { c, t, metrics };
  };

  it("rolls back on p99 once both windows hold 100 requests, not before", () => {
    const { c, t, metrics } = controller();
    for (let i = 0; i < 99; i++) {
      c.record("m", "1", 200, 0.002);
      c.record("m", "2", 200, 0.02);
      t.now += 300;
    }
    expect(c.status()[0].weight).toBe(10);
    c.record("m", "1", 200, 0.002);
    t.now += 300;
    c.record("m", "2", 200, 0.02);
    expect(c.status()[0]).toMatchObject({ weight: 0, lastRollback: { cause: "p99" } });
    // Both p99s interpolated in their buckets, as histogram_quantile does.
    expect(c.status()[0].lastRollback!.reason).toMatch(
      /p99 24\.9 ms is 10\.00x stable's 2\.5 ms \(allowed 1\.2x\)/,
    );
    expect(metrics.rollbacks.value({ model: "m", version: "2", reason: "p99" })).toBe(1);
    // Routing: weight 0 sends every unversioned request to stable.
    expect(new Set(Array.from({ length: 100 }, () => c.pick("m")))).toEqual(new Set(["1"]));
  });

  it("keeps a canary whose errors stay within the margin", () => {
    const { c, t } = controller();
    for (let i = 0; i < 1000; i++) {
      c.record("m", "1", i % 100 === 0 ? 503 : 200, 0.002);
      c.record("m", "2", i % 100 === 0 ? 503 : 200, 0.002);
      t.now += 10;
    }
    expect(c.status()[0].weight).toBe(10);
  });

  it("re-reads weights on reload and rolls back a canary gone from the config", () => {
    const { c } = controller();
    expect(c.reload([{ name: "m", version: "2", weight: 40 }])).toEqual([
      { level: "info", text: "model m: canary version 2 at 40%" },
    ]);
    expect(c.status()[0].weight).toBe(40);
    expect(c.reload([{ name: "m", version: "3", weight: 5 }])[0].text).toMatch(/needs a restart/);
    c.reload([]);
    expect(c.status()[0]).toMatchObject({ weight: 0, lastRollback: { cause: "reload" } });
  });
});
