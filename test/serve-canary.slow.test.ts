/**
 * In-process canary under concurrent load on 127.0.0.1: the weighted split over 10,000 requests,
 * versioned URLs, weight changes and rollbacks through the admin endpoint without a failed request.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "./helpers/tmp.js";
import { request, startServer, writeFixtureModels } from "./serve-helpers.js";
import { failures, inferBody, load } from "./canary-helpers.js";
import type { ServeHandle } from "../src/serve/serve.js";

const dir = tempDir("mlpack-serve-canary-");
const models = writeFixtureModels(dir);
let srv: ServeHandle;
let admin: string;

beforeAll(async () => {
  srv = await startServer({
    models: [
      { name: "mlp", version: "1", path: models.mlp },
      { name: "mlp", version: "2", path: models.mlp2 },
    ],
    canary: [{ name: "mlp", version: "2", weight: 10 }],
    // Both versions are the same size; only the admin endpoint rolls back in this file.
    canaryMaxP99Ratio: 1e6,
    adminPort: 0,
    workers: 2,
  });
  admin = srv.admin!.url;
});

afterAll(async () => {
  await srv?.close();
});

const post = (path: string, body: unknown) => request(`${admin}${path}`, { body: JSON.stringify(body) });

describe("canary split", () => {
  it("sends the requested share of 10,000 concurrent requests to the canary, each saying which version answered", async () => {
    const replies = await load(`${srv.url}/v2/models/mlp/infer`, 10_000, 32);
    expect(failures(replies)).toEqual({});
    const canary = replies.filter((r) => r.json.model_version === "2").length;
    const share = (canary / replies.length) * 100;
    console.log(`canary 10%: observed ${share.toFixed(2)}% of 10,000`);
    expect(Math.abs(share - 10)).toBeLessThanOrEqual(2);
    expect(replies.every((r) => ["1", "2"].includes(r.json.model_version))).toBe(true);
    const metrics = (await request(`${srv.url}/metrics`)).text;
    expect(metrics).toMatch(/mlpack_requests_total\{route="infer",model="mlp",version="2",code="200"\} \d+/);
    expect(metrics).toMatch(/mlpack_request_duration_seconds_count\{model="mlp",version="2"\} \d+/);
    expect(metrics).toContain('mlpack_canary_weight_percent{model="mlp",version="2"} 10');
  }, 300_000);

  it("answers /versions/V/infer from that version, and says which one answered", async () => {
    for (const v of ["1", "2"]) {
      const r = await request(`${srv.url}/v2/models/mlp/versions/${v}/infer`, { body: inferBody(1) });
      expect(r.status).toBe(200);
      expect(r.json.model_version).toBe(v);
    }
    const r = await request(`${srv.url}/v2/models/mlp/versions/9/infer`, { body: inferBody(1) });
    expect(r.status).toBe(404);
    expect(r.json.error).toContain('has no version "9"');
    // Metadata without a version is the stable one's, not the canary's (the highest).
    expect((await request(`${srv.url}/v2/models/mlp/ready`)).json.version).toBe("1");
  });

  it("changes weights and rolls back under load without a failed request", async () => {
    const steps = new Map<number, unknown>([
      [300, { weight: 50 }],
      [900, { weight: 100 }],
      [1500, "rollback"],
      [2100, { weight: 30 }],
    ]);
    const replies = await load(`${srv.url}/v2/models/mlp/infer`, 3000, 32, async (i) => {
      const step = steps.get(i);
      if (step === undefined) return;
      const r = step === "rollback" ? await post("/admin/rollback", {}) : await post("/admin/rollout", step);
      expect(r.status, r.text).toBe(200);
    });
    expect(failures(replies)).toEqual({});
    // In flight while the weight changed, so the boundaries blur by up to the 32 lanes.
    const share = (from: number, to: number) =>
      replies.slice(from, to).filter((r) => r.json.model_version === "2").length / (to - from);
    expect(share(1000, 1450)).toBe(1);
    expect(share(1600, 2050)).toBe(0);
    expect(share(2200, 3000)).toBeGreaterThan(0.25);
    const status = (await request(`${admin}/admin/status`)).json.rollouts[0];
    expect(status).toMatchObject({ model: "mlp", mode: "canary", stable: "1", candidate: "2", weight: 30 });
    expect(status.lastRollback).toMatchObject({ cause: "admin" });
    const metrics = (await request(`${srv.url}/metrics`)).text;
    expect(metrics).toContain('mlpack_rollbacks_total{model="mlp",version="2",reason="admin"} 1');
  }, 120_000);

  it("refuses bad admin requests with a clear error", async () => {
    const cases: [string, unknown, number, RegExp][] = [
      ["/admin/rollout", { weight: 150 }, 400, /weight 150 is out of range/],
      ["/admin/rollout", {}, 400, /needs \{"weight": PERCENT\}/],
      ["/admin/rollout", { weight: 5, model: "nope" }, 404, /model "nope" has no canary/],
      ["/admin/nothing", {}, 404, /no admin route/],
    ];
    for (const [path, body, status, message] of cases) {
      const r = await post(path, body);
      expect(r.status, path).toBe(status);
      expect(r.json.error).toMatch(message);
    }
    expect((await request(`${admin}/admin/rollout`)).status).toBe(405);
    expect((await request(`${admin}/admin/status`)).json.rollouts[0].weight).toBe(30);
  });
});
