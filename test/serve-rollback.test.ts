/**
 * The automatic rollback and shadow mode: a canary that fails every request is rolled back by the
 * shared rule (src/rollout/rule.ts) and the rest of the load is answered by stable; a shadow's answers
 * are compared and counted but never reach the client, even when the shadow fails.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "./helpers/tmp.js";
import { request, startServer, writeFixtureModels } from "./serve-helpers.js";
import { failures, inferBody, load, makeFailingMlpModel } from "./canary-helpers.js";
import { serve, type ServeHandle } from "../src/serve/serve.js";
import { SERVE_DEFAULTS } from "../src/serve/options.js";
import { UserError } from "../src/errors.js";

const dir = tempDir("mlpack-serve-rollback-");
const models = writeFixtureModels(dir);
const failing = path.join(dir, "failing.onnx");
fs.writeFileSync(failing, makeFailingMlpModel());
let srv: ServeHandle | undefined;

afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

const metricValue = (text: string, series: string) => {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe("automatic rollback", () => {
  it("rolls a failing canary back, after which every request is answered by stable", async () => {
    const warnings: string[] = [];
    const log = (msg: string) => warnings.push(msg);
    srv = await serve(
      {
        ...SERVE_DEFAULTS,
        port: 0,
        intraOpThreads: 1,
        models: [
          { name: "mlp", version: "1", path: models.mlp },
          { name: "mlp", version: "2", path: failing },
        ],
        canary: [{ name: "mlp", version: "2", weight: 20 }],
        canaryMinRequests: 10,
        canaryWindow: "1m",
        workers: 2,
      },
      { logger: { debug() {}, info() {}, warn: log, error: log } },
    );
    const replies = await load(`${srv.url}/v2/models/mlp/infer`, 600, 8);
    const failed = replies.filter((r) => r.status !== 200);
    console.log(`failing canary at 20%: ${failed.length} of 600 requests failed before the rollback`);
    // Only canary requests failed, and only until the rule had its 10 requests.
    expect(failed.every((r) => r.status === 500 && /Failed to allocate memory/.test(r.json.error))).toBe(
      true,
    );
    expect(failed.length).toBeGreaterThanOrEqual(10);
    expect(failed.length).toBeLessThan(40);
    const lastFailure = replies.map((r) => r.status).lastIndexOf(500);
    expect(failures(replies.slice(lastFailure + 1))).toEqual({});
    expect(replies.slice(lastFailure + 1).every((r) => r.json.model_version === "1")).toBe(true);
    const text = (await request(`${srv.url}/metrics`)).text;
    expect(metricValue(text, 'mlpack_rollbacks_total{model="mlp",version="2",reason="error_ratio"}')).toBe(1);
    expect(metricValue(text, 'mlpack_canary_weight_percent{model="mlp",version="2"}')).toBe(0);
    expect(warnings.join("\n")).toMatch(
      /rollback: model mlp version 2 → 0%, every request to version 1 \(error_ratio: over the last 1m, error ratio 100\.00% vs stable 0\.00% \(allowed \+1\.00 points\)\)/,
    );
    const status = srv.service.rollouts!.status()[0];
    expect(status).toMatchObject({ weight: 0, lastRollback: { cause: "error_ratio" } });
  }, 120_000);
});

describe("shadow", () => {
  it("answers from stable, and counts the shadow's disagreement and latency", async () => {
    srv = await startServer({
      models: [
        { name: "mlp", version: "1", path: models.mlp },
        { name: "mlp", version: "2", path: models.mlp2 },
      ],
      shadow: [{ name: "mlp", version: "2" }],
    });
    const replies = await load(`${srv.url}/v2/models/mlp/infer`, 200, 8);
    expect(failures(replies)).toEqual({});
    expect(replies.every((r) => r.json.model_version === "1")).toBe(true);
    const direct = await request(`${srv.url}/v2/models/mlp/versions/1/infer`, {
      body: inferBody(0),
    });
    expect(replies[0].json.outputs).toEqual(direct.json.outputs);
    // The mirror is fire-and-forget: wait for the last ones to be counted.
    let text = "";
    for (let i = 0; i < 50; i++) {
      text = (await request(`${srv.url}/metrics`)).text;
      const counted = ["match", "mismatch"].reduce(
        (n, r) =>
          n + (metricValue(text, `mlpack_shadow_requests_total{model="mlp",version="2",result="${r}"}`) ?? 0),
        0,
      );
      if (counted >= 201) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // Other weights: every request disagrees beyond the tolerance.
    expect(metricValue(text, 'mlpack_shadow_requests_total{model="mlp",version="2",result="mismatch"}')).toBe(
      201,
    );
    expect(
      metricValue(text, 'mlpack_shadow_argmax_mismatches_total{model="mlp",version="2"}'),
    ).toBeGreaterThan(0);
    expect(metricValue(text, 'mlpack_shadow_duration_seconds_count{model="mlp",version="2"}')).toBe(201);
    // The shadow's own requests are not client requests.
    expect(text).not.toMatch(/mlpack_requests_total\{[^}]*version="2"/);
  }, 60_000);

  it("never lets a failing shadow reach the client", async () => {
    srv = await startServer({
      models: [
        { name: "mlp", version: "1", path: models.mlp },
        { name: "mlp", version: "2", path: failing },
      ],
      shadow: [{ name: "mlp", version: "2" }],
    });
    const replies = await load(`${srv.url}/v2/models/mlp/infer`, 100, 8);
    expect(failures(replies)).toEqual({});
    let errors = 0;
    for (let i = 0; i < 50 && errors < 100; i++) {
      const text = (await request(`${srv.url}/metrics`)).text;
      errors = metricValue(text, 'mlpack_shadow_requests_total{model="mlp",version="2",result="error"}') ?? 0;
      if (errors < 100) await new Promise((r) => setTimeout(r, 100));
    }
    expect(errors).toBe(100);
  }, 60_000);
});

describe("candidates that cannot stand in for stable", () => {
  it("refuses a canary whose inputs or outputs differ from stable's", async () => {
    const start = startServer({
      models: [
        { name: "m", version: "1", path: models.mlp },
        { name: "m", version: "2", path: models.fixed },
      ],
      canary: [{ name: "m", version: "2", weight: 10 }],
    });
    await expect(start).rejects.toThrow(UserError);
    await expect(start).rejects.toThrow(
      /the canary .*fixed\.onnx \(model "m" version 2\) does not take the same inputs and outputs as version 1[\s\S]*input input FP32 \[batch,4\] of version 1 is not in the canary[\s\S]*the canary's output y FP32 \[2,3\] is not in version 1/,
    );
  });
});
