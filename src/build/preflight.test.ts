/**
 * The preflight step: what later steps need (the docker base, calibration samples, a baseline, the
 * tfjs dependency) is checked first, so a build that would fail at its last step fails in seconds,
 * before any quantizing or benchmarking, with the hint.
 */
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { build } from "./build.js";
import type { BuildManifest } from "./types.js";
import { isMlpackError } from "../errors.js";
import { tempDir } from "../../test/helpers/tmp.js";

const MODEL = path.resolve("examples/mlp/model.onnx");

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

function project(config: string): string {
  const dir = fs.mkdtempSync(path.join(root, "p-"));
  fs.copyFileSync(MODEL, path.join(dir, "model.onnx"));
  fs.writeFileSync(path.join(dir, "mlpack.yaml"), config);
  return dir;
}
const root = tempDir("mlpack-preflight-");

async function failing(dir: string): Promise<{ error: Error; manifest: BuildManifest; ms: number }> {
  const t0 = performance.now();
  const error = await build({ cwd: dir }).then(
    () => {
      throw new Error("the build passed");
    },
    (e: unknown) => e as Error,
  );
  const ms = performance.now() - t0;
  const manifest = JSON.parse(
    fs.readFileSync(path.join(dir, "dist/mlpack-manifest.json"), "utf8"),
  ) as BuildManifest;
  return { error, manifest, ms };
}

describe("build preflight", () => {
  it("an unreachable docker base fails first, before quantize and bench, with the hint", async () => {
    const port = await closedPort();
    const dir = project(
      [
        "model: model.onnx",
        "quantize: { mode: dynamic }",
        "bench: { duration: 1s }",
        "targets:",
        `  docker: { base: "127.0.0.1:${port}/team/node:20", insecure: true }`,
        "",
      ].join("\n"),
    );
    const { error, manifest, ms } = await failing(dir);
    expect(isMlpackError(error) && error.exitCode).toBe(1);
    expect(error.message).toMatch(
      new RegExp(`targets\\.docker\\.base 127\\.0\\.0\\.1:${port}/team/node:20: .*cannot reach`),
    );
    expect((error as { hint?: string }).hint).toMatch(/fromScratch/);
    expect(manifest.steps).toEqual([expect.objectContaining({ step: "preflight", status: "failed" })]);
    expect(fs.existsSync(path.join(dir, "dist/model.int8.onnx"))).toBe(false);
    // Seconds, not the minutes of a quantize and bench (generous for a loaded machine).
    expect(ms).toBeLessThan(20_000);
  });

  it("a missing calibration folder, an empty one and a missing baseline fail in preflight", async () => {
    const cases: [string, RegExp][] = [
      ["quantize: { mode: static, calibration: calib/ }", /quantize\.calibration calib\/ not found/],
      ["quantize: { mode: dynamic, eval: empty/ }", /quantize\.eval empty\/ is an empty folder/],
      ["bench: { baseline: baseline.json }", /bench\.baseline baseline\.json not found/],
    ];
    for (const [section, message] of cases) {
      const dir = project(`model: model.onnx\n${section}\ntargets:\n  lambda: {}\n`);
      fs.mkdirSync(path.join(dir, "empty"));
      const { error, manifest } = await failing(dir);
      expect(error.message).toMatch(message);
      expect(manifest.steps.map((s) => `${s.step} ${s.status}`)).toEqual(["preflight failed"]);
    }
  });
});
