/**
 * `mlpack serve --canary` as a user runs it (the built CLI): the start-up lines, option errors, the
 * admin endpoint, and SIGHUP re-reading the config's weight (a bad config keeps the running weight).
 */
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO, runBuilt } from "./helpers/cli.js";
import { tempDir } from "./helpers/tmp.js";
import { request, startCli, writeFixtureModels, type FixtureModels } from "./serve-helpers.js";

const dir = tempDir("mlpack-serve-canary-cli-");
let models: FixtureModels;

beforeAll(() => {
  if (!fs.existsSync(path.join(REPO, "dist/cli/main.js")))
    throw new Error("run `npm run build` before the CLI tests");
  models = writeFixtureModels(dir);
});

async function until<T>(f: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const v = await f();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("mlpack serve --canary (built CLI)", () => {
  it("--help lists the rollout options", () => {
    const r = runBuilt(["serve", "--help"]);
    for (const flag of ["--canary", "--shadow", "--canary-window", "--canary-max-p99-ratio", "--admin-port"])
      expect(r.stdout).toContain(flag);
  });

  it("refuses a bad weight, an unknown version and a file canary beside several models, exit 2", () => {
    const r = runBuilt(["serve", models.mlp, "--canary", `${models.mlp2}=150`, "--canary-window", "later"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--canary: the weight 150 is out of range/);
    expect(r.stderr).toMatch(/--canary-window: expected a duration such as 30s/);
    const v = runBuilt(["serve", models.mlp, "--canary", "mlp@3=10"]);
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/model "mlp" has no version "3" \(versions: 1\)/);
    const two = runBuilt(["serve", models.mlp, models.echo, "--shadow", models.mlp2]);
    expect(two.code).toBe(2);
    expect(two.stderr).toMatch(/2 models are served, so the file's model is unclear/);
    const sig = runBuilt(["serve", models.mlp, "--canary", `${models.fixed}=10`, "--port", "0"]);
    expect(sig.code).toBe(1);
    expect(sig.stderr).toMatch(/does not take the same inputs and outputs as version 1/);
  });

  it("serves a canary from the config, changes its weight on SIGHUP, keeps it on a bad config", async () => {
    const cfg = path.join(dir, "serve.json");
    const write = (weight: number) =>
      fs.writeFileSync(
        cfg,
        JSON.stringify({ model: [models.mlp], canary: `${models.mlp2}=${weight}`, "admin-port": 0 }),
      );
    write(10);
    const s = await startCli(["--config", cfg, "--port", "0"]);
    try {
      expect(s.stdout()).toMatch(
        /canary: model mlp version 2 gets 10% of \/v2\/models\/mlp\/infer, version 1 the rest/,
      );
      const admin = /admin endpoint on (http:\/\/127\.0\.0\.1:\d+)\/admin\/status/.exec(s.stdout())![1];
      const weight = async () => (await request(`${admin}/admin/status`)).json.rollouts[0].weight as number;
      expect(await weight()).toBe(10);
      write(40);
      s.child.kill("SIGHUP");
      await until(weight, (w) => w === 40, "weight 40 after SIGHUP");
      // Log lines reach stdout within 20 ms (written in groups).
      await until(
        async () => s.stdout(),
        (o) => /weight 10% → 40% \(SIGHUP reload\)/.test(o),
        "the reload line",
      );
      write(150);
      s.child.kill("SIGHUP");
      await until(
        async () => s.stderr(),
        (e) => /config not reloaded/.test(e),
        "the reload error",
      );
      expect(s.stderr()).toMatch(
        /SIGHUP: config not reloaded \(the running weights stay\): .*weight 150 is out of range/,
      );
      expect(await weight()).toBe(40);
      const r = await request(`${s.url}/v2/models/mlp/versions/2/infer`, {
        body: JSON.stringify({
          inputs: [{ name: "input", datatype: "FP32", shape: [1, 4], data: [1, 2, 3, 4] }],
        }),
      });
      expect(r.json.model_version).toBe("2");
    } finally {
      s.child.kill("SIGTERM");
    }
    expect(await s.exited).toBe(0);
  }, 60_000);
});
