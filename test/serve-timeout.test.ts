/**
 * The compute deadline, through the built CLI (a thread stuck in onnxruntime cannot be stopped, so it
 * must not live in the test process): a Loop model with a huge trip count. The stuck run answers 504,
 * its worker is replaced (readiness says "degraded" meanwhile) and later requests are served; SIGTERM
 * ends the process within --shutdown-timeout-ms + 1 s, exit 0 only when nothing was cut off.
 */
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO } from "./helpers/cli.js";
import { tempDir } from "./helpers/tmp.js";
import { makeLoopModel, request, startCli } from "./serve-helpers.js";

const dir = tempDir("mlpack-serve-timeout-");
const file = path.join(dir, "loop.onnx");
const SHUTDOWN_MS = 1500;

beforeAll(() => {
  if (!fs.existsSync(path.join(REPO, "dist/cli/main.js")))
    throw new Error("run `npm run build` before the CLI tests");
  fs.writeFileSync(file, makeLoopModel());
});

const body = (n: number) =>
  JSON.stringify({
    inputs: [
      { name: "x", datatype: "FP32", shape: [1, 1], data: [0.5] },
      { name: "n", datatype: "INT64", shape: [1], data: [n] },
    ],
  });
const HUGE = 1e15;

const start = (requestTimeoutMs = 800) =>
  startCli([
    file,
    "--port=0",
    "--workers=1",
    "--intra-op-threads=1",
    `--request-timeout-ms=${requestTimeoutMs}`,
    `--shutdown-timeout-ms=${SHUTDOWN_MS}`,
  ]);

describe("mlpack serve --request-timeout-ms", () => {
  it("answers a stuck run with 504, replaces the worker, and serves the next requests", async () => {
    const s = await start();
    const infer = `${s.url}/v2/models/loop/infer`;
    try {
      const fast = await request(infer, { body: body(3) });
      expect(fast.status).toBe(200);
      expect(fast.json.outputs[0].data).toEqual([3.5]);

      // Watch readiness while the stuck run times out and its worker is replaced.
      const seen = new Set<string>();
      let watching = true;
      const watch = (async () => {
        while (watching) {
          const r = await request(`${s.url}/v2/health/ready`);
          seen.add(r.status === 200 ? "ready" : `${r.status} ${r.json.status}`);
          await new Promise((res) => setTimeout(res, 5));
        }
      })();
      const t0 = performance.now();
      const stuck = await request(infer, { body: body(HUGE) });
      expect(stuck.status).toBe(504);
      expect(stuck.json.error).toMatch(/ran past the 800 ms compute deadline/);
      expect(performance.now() - t0).toBeLessThan(5000);
      // The replacement worker serves the next request.
      const after = await request(infer, { body: body(2) });
      watching = false;
      await watch;
      expect(after.status).toBe(200);
      expect(after.json.outputs[0].data).toEqual([2.5]);
      expect(seen).toContain("503 degraded");
      expect((await request(`${s.url}/v2/health/ready`)).status).toBe(200);
      expect((await request(`${s.url}/metrics`)).text).toMatch(/mlpack_worker_timeouts_total 1/);
      expect(s.stderr()).toMatch(/passed the 800 ms compute deadline; replacing its worker/);
    } finally {
      s.child.kill("SIGTERM");
      await s.exited;
    }
  });

  it("a run that returns after its deadline stops its old thread, and the server lives on", async () => {
    // ~1 µs an iteration here: a run of ~1.5 s against a 300 ms deadline. Worker#terminate on the old
    // thread aborted the whole process once such a run returned (issue 14, found by a fuzzer).
    const s = await start(300);
    const infer = `${s.url}/v2/models/loop/infer`;
    try {
      const late = await request(infer, { body: body(1_500_000) });
      expect(late.status).toBe(504);
      const t0 = performance.now();
      while (!/its thread has stopped/.test(s.stdout()) && performance.now() - t0 < 30_000) {
        expect(s.child.exitCode).toBeNull();
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(s.stdout()).toMatch(
        /a replaced worker's run returned after \d+ ms more; its thread has stopped/,
      );
      await new Promise((r) => setTimeout(r, 200));
      expect(s.child.exitCode).toBeNull();
      const after = await request(infer, { body: body(2) });
      expect(after.status).toBe(200);
      expect(after.json.outputs[0].data).toEqual([2.5]);
      expect(s.stderr()).not.toMatch(/terminate called/);
    } finally {
      s.child.kill("SIGTERM");
    }
    // Nothing is stuck any more: a clean exit.
    expect(await s.exited).toBe(0);
  });

  it("SIGTERM with a run stuck in flight (no compute deadline): cut off, exits non-zero within the shutdown timeout + 1 s", async () => {
    const s = await start(0);
    const pending = request(`${s.url}/v2/models/loop/infer`, { body: body(HUGE) }).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 200));
    const t0 = performance.now();
    s.child.kill("SIGTERM");
    const code = await s.exited;
    const elapsed = performance.now() - t0;
    const cut = await pending;
    expect(cut).toBeInstanceOf(Error); // the connection was closed without an answer
    expect(code).not.toBe(0);
    expect(elapsed).toBeGreaterThan(SHUTDOWN_MS - 100);
    expect(elapsed).toBeLessThan(SHUTDOWN_MS + 1000);
    expect(s.stderr()).toMatch(/stuck in an onnxruntime run/);
    console.log(
      `serve timeout test: SIGTERM with a stuck run ended the process in ${elapsed.toFixed(0)} ms (exit ${code})`,
    );
  });

  it("SIGTERM with nothing in flight and no stuck thread: exit 0", async () => {
    const s = await start();
    expect((await request(`${s.url}/v2/models/loop/infer`, { body: body(1) })).status).toBe(200);
    s.child.kill("SIGTERM");
    expect(await s.exited).toBe(0);
  });
});
