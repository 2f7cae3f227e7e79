/**
 * The kubernetes target end to end: `mlpack build` pushes the image to a real docker-registry on
 * 127.0.0.1 and writes OUTPUT/kubernetes; the InferenceService runs exactly the digest the registry
 * holds. A second build with `--target kubernetes` alone takes the image from the last build.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { BuildManifest } from "../src/build/types.js";
import { REPO, runBuilt } from "./helpers/cli.js";
import { skopeo, startRegistry, type TestRegistry } from "./helpers/registry.js";
import { requireComponents } from "./helpers/components.js";
import { pushNodeBase } from "./helpers/registry-images.js";
import { tempDir } from "./helpers/tmp.js";

const missing = requireComponents("kubernetes e2e", ["docker-registry", "skopeo", "dist"]);

describe.skipIf(!!missing)("kubernetes target end to end", () => {
  const work = tempDir("mlpack-k8s-e2e-");
  let registry: TestRegistry;
  let base: string;
  beforeAll(async () => {
    registry = await startRegistry();
    base = pushNodeBase(work, registry.host);
  });
  afterAll(async () => {
    await registry?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it("the manifests run the digest that was pushed", () => {
    const project = path.join(work, "project");
    fs.mkdirSync(project);
    fs.copyFileSync(path.join(REPO, "examples/mlp/model.onnx"), path.join(project, "model.onnx"));
    const tag = `${registry.host}/team/mlp:1`;
    fs.writeFileSync(
      path.join(project, "mlpack.json"),
      JSON.stringify({
        model: "model.onnx",
        name: "mlp",
        bench: { batch: [1], duration: "0.3s" },
        targets: { docker: { base, tag, push: true, insecure: true }, kubernetes: { flavor: "kserve" } },
        server: { intraOpThreads: 1 },
      }),
    );
    const r = runBuilt(["build"], { cwd: project, timeoutMs: 300_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/kubernetes\s.*kubernetes-kserve: 3 file\(s\)/);
    const manifest = JSON.parse(
      fs.readFileSync(path.join(project, "dist/mlpack-manifest.json"), "utf8"),
    ) as BuildManifest;
    const docker = manifest.artifacts.find((a) => a.target === "docker")!;
    const pushed = (docker.details?.pushed as { digest: string }).digest;
    expect(pushed).toBe(docker.digest);
    // What the registry serves for the tag hashes to that digest.
    const raw = skopeo(["inspect", "--raw", "--tls-verify=false", `docker://${tag}`]);
    expect(raw.code, raw.stderr).toBe(0);
    expect(`sha256:${crypto.createHash("sha256").update(raw.stdout).digest("hex")}`).toBe(pushed);
    const isvc = parse(fs.readFileSync(path.join(project, "dist/kubernetes/inferenceservice.yaml"), "utf8"));
    expect(isvc.spec.predictor.model.image).toBe(`${tag}@${pushed}`);
    expect(manifest.bench?.peakRssBytes).toBeGreaterThan(0);

    const again = runBuilt(["build", "--target", "kubernetes", "--no-cache"], {
      cwd: project,
      timeoutMs: 300_000,
    });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    const isvc2 = parse(fs.readFileSync(path.join(project, "dist/kubernetes/inferenceservice.yaml"), "utf8"));
    expect(isvc2.spec.predictor.model.image).toBe(`${tag}@${pushed}`);
    expect(fs.readFileSync(path.join(project, "dist/kubernetes/inferenceservice.yaml"), "utf8")).toMatch(
      /image from the docker target of the last build, pushed/,
    );
  });
});
