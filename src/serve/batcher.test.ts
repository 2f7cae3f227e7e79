/** The scheduler with a fake runner: when it dispatches, and how it isolates a failing request. */
import { describe, expect, it } from "vitest";
import { Scheduler, type BatchRunner, type Scheduled } from "./batcher.js";
import { createServeMetrics } from "./metrics.js";
import { RunFailed, type PoolResult } from "./worker-pool.js";
import type { Tensor } from "./datatypes.js";

/** One worker; `run` records each batch's rows and fails any batch holding a negative value. */
function fakeRunner() {
  const runs: number[][] = [];
  let busy = 0;
  const runner: BatchRunner & { runs: number[][] } = {
    runs,
    get idle() {
      return busy === 0 ? 1 : 0;
    },
    get spare() {
      return busy === 1 ? 1 : 0;
    },
    run(_model, feeds): Promise<PoolResult> {
      busy++;
      const x = Array.from(feeds.x.data as Float32Array);
      runs.push(x);
      return new Promise((resolve, reject) =>
        setImmediate(() => {
          busy--;
          const bad = x.find((v) => v < 0);
          if (bad !== undefined) reject(new RunFailed("error", `bad value ${bad}`));
          else resolve({ outputs: { y: { ...feeds.x } }, computeMs: 1 });
          sched.pump();
        }),
      );
    },
  };
  const sched = new Scheduler({
    runner,
    maxBatchSize: 8,
    maxQueueDelayMs: 60_000,
    maxQueue: 100,
    metrics: createServeMetrics(),
    now: () => performance.now(),
  });
  sched.addModel("m", true, { model: "m", version: "1" });
  return { sched, runner };
}

const row = (v: number) => {
  const x: Tensor = { datatype: "FP32", shape: [1, 1], data: Float32Array.of(v) };
  return { inputs: { x }, rows: 1, signature: "FP32[1]" };
};

describe("Scheduler", () => {
  it("dispatches at once to an idle worker, whatever --max-queue-delay-ms says", async () => {
    const { sched, runner } = fakeRunner();
    const p = sched.submit("m", row(1));
    expect(runner.runs).toEqual([[1]]);
    await expect(p).resolves.toBeDefined();
  });

  it("bisects a failed batch: good requests get their rows, bad ones their own error only", async () => {
    const { sched, runner } = fakeRunner();
    // The first request occupies the worker; the next eight queue up and go out as one full batch.
    const values = [1, 2, -3, 4, 5, 6, -7, 8, 9];
    const results = await Promise.allSettled(values.map((v) => sched.submit("m", row(v))));
    results.forEach((r, i) => {
      if (values[i] >= 0) {
        expect(r.status).toBe("fulfilled");
        expect(
          Array.from((r as PromiseFulfilledResult<Scheduled>).value.outputs.y.data as Float32Array),
        ).toEqual([values[i]]);
      } else {
        expect(r.status).toBe("rejected");
        const e = (r as PromiseRejectedResult).reason as { status: number; message: string };
        expect(e.status).toBe(400);
        expect(e.message).toContain(`bad value ${values[i]}`);
        expect(e.message).not.toMatch(new RegExp(`bad value (?!${values[i]}\\b)`));
      }
    });
    expect(runner.runs.some((r) => r.length === 8)).toBe(true);
  });
});
