/**
 * `mlpack rollout` on the manifests the kubernetes target writes: KServe canaryTrafficPercent and the
 * Argo Rollout's image/steps edited, re-validated, comments kept; a plain Deployment refused; --apply
 * says clearly when kubectl or its context is missing (no cluster is reachable here).
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { kubernetesManifests, writeManifestDir } from "../src/artifacts/kubernetes/write.js";
import { imageOf, rollout } from "../src/artifacts/kubernetes/rollout.js";
import { kubectlApply } from "../src/artifacts/kubernetes/apply.js";
import type { KubernetesInputs, KubernetesTargetConfig } from "../src/artifacts/kubernetes/types.js";
import { runInProcess } from "./helpers/cli.js";
import { tempDir } from "./helpers/tmp.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form reads of YAML
type Any = any;
const OLD = `reg.example.com/t/mlp:1@sha256:${"1".repeat(64)}`;
const NEW = `reg.example.com/t/mlp:2@sha256:${"2".repeat(64)}`;
const root = tempDir("mlpack-rollout-");
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const input: KubernetesInputs = {
  name: "mlp",
  version: "1",
  image: OLD,
  port: 8080,
  workers: 1,
  intraOpThreads: 1,
  modelBytes: 2 ** 20,
  shutdownTimeoutMs: 30_000,
};

async function project(name: string, cfg: KubernetesTargetConfig): Promise<string> {
  const dir = path.join(root, name, "kubernetes");
  await writeManifestDir(dir, kubernetesManifests(input, cfg).files, ["a header comment"]);
  return dir;
}
const read = (dir: string, file: string): Any => parse(fs.readFileSync(path.join(dir, file), "utf8"));

describe("mlpack rollout", () => {
  it("KServe: start, step, promote, roll back through canaryTrafficPercent", async () => {
    const dir = await project("kserve", { flavor: "kserve" });
    const pred = () => read(dir, "inferenceservice.yaml").spec.predictor;
    expect(rollout(dir, { kind: "status" })).toMatchObject({ engine: "kserve", phase: "stable", image: OLD });
    let s = rollout(dir, { kind: "start", image: NEW, steps: [5, 50, 100] });
    expect(s).toMatchObject({
      phase: "canary",
      weight: 5,
      image: NEW,
      stableImage: OLD,
      steps: [5, 50, 100],
    });
    expect(pred()).toMatchObject({ canaryTrafficPercent: 5, model: { image: NEW } });
    // The runtime keeps the image it was built with; the predictor's model image overrides it.
    expect(read(dir, "servingruntime.yaml").spec.containers[0].image).toBe(OLD);
    expect(fs.readFileSync(path.join(dir, "inferenceservice.yaml"), "utf8")).toMatch(/^# a header comment/);
    expect(rollout(dir, { kind: "promote" })).toMatchObject({ weight: 50 });
    expect(rollout(dir, { kind: "set-weight", weight: 20 })).toMatchObject({ weight: 20 });
    s = rollout(dir, { kind: "rollback" });
    expect(s).toMatchObject({ phase: "rolled-back", weight: 0 });
    expect(s.message).toMatch(/all traffic to the last revision rolled out/);
    expect(() => rollout(dir, { kind: "promote" })).toThrow(/no rollout in progress/);
    // A new attempt keeps the version that really is stable.
    const NEWER = NEW.replace(/2{64}/, "3".repeat(64));
    expect(rollout(dir, { kind: "start", image: NEWER })).toMatchObject({ stableImage: OLD, weight: 5 });
    s = rollout(dir, { kind: "promote", full: true });
    expect(s).toMatchObject({ phase: "stable", image: NEWER, stableImage: NEWER, weight: undefined });
    expect(pred().canaryTrafficPercent).toBeUndefined();
  });

  it("Argo: sets the Rollout's image and steps; Argo does the stepping", async () => {
    const dir = await project("argo", { rollout: "argo", canary: { pause: "2m" } });
    const spec = () => read(dir, "rollout.yaml").spec;
    rollout(dir, { kind: "start", image: NEW, steps: [10, 100] });
    expect(spec().template.spec.containers[0].image).toBe(NEW);
    expect(spec().strategy.canary.steps).toEqual([
      { setWeight: 10 },
      { pause: { duration: "2m" } },
      { setWeight: 100 },
    ]);
    expect(rollout(dir, { kind: "set-weight", weight: 30 }).message).toMatch(/holds 30% .* until/);
    expect(spec().strategy.canary.steps).toEqual([{ setWeight: 30 }, { pause: {} }]);
    // The analysis stays wired: Argo aborts by itself when the canary fails.
    expect(spec().strategy.canary.analysis.templates[0].templateName).toBe("mlp-canary-analysis");
    const s = rollout(dir, { kind: "rollback" });
    expect(s).toMatchObject({ phase: "stable", image: OLD });
    expect(spec().strategy.canary.steps).toHaveLength(3);
    rollout(dir, { kind: "start", image: NEW });
    expect(rollout(dir, { kind: "promote" })).toMatchObject({ phase: "stable", stableImage: NEW });
  });

  it("refuses a plain Deployment, bad steps, weights and images with a clear error", async () => {
    const plain = await project("plain", {});
    expect(() => rollout(plain, { kind: "status" })).toThrow(
      /plain Deployment: a canary rollout needs Argo Rollouts or KServe/,
    );
    const dir = await project("bad", { flavor: "kserve" });
    expect(() => rollout(dir, { kind: "start", image: NEW, steps: [50, 10, 100] })).toThrow(
      /--steps: .*increasing/,
    );
    expect(() => rollout(dir, { kind: "start", image: OLD })).toThrow(/already the stable image/);
    rollout(dir, { kind: "start", image: NEW });
    expect(() => rollout(dir, { kind: "set-weight", weight: 101 })).toThrow(/not a percentage/);
    expect(() => imageOf("reg.example.com/t/mlp:2")).toThrow(
      /neither a build folder nor an image pinned by digest/,
    );
    // A hand edit that breaks the schema is caught before anything is written.
    const f = path.join(dir, "inferenceservice.yaml");
    fs.writeFileSync(f, fs.readFileSync(f, "utf8").replace("minReplicas: 1", "minReplicas: one"));
    const before = fs.readFileSync(f, "utf8");
    expect(() => rollout(dir, { kind: "set-weight", weight: 10 })).toThrow(
      /InferenceService\/mlp: \/spec\/predictor\/minReplicas: must be integer/,
    );
    expect(fs.readFileSync(f, "utf8")).toBe(before);
  });

  it("takes the image of a build from its manifest", () => {
    const build = path.join(root, "build");
    fs.mkdirSync(build, { recursive: true });
    fs.writeFileSync(
      path.join(build, "mlpack-manifest.json"),
      JSON.stringify({
        artifacts: [
          {
            target: "docker",
            ref: "reg.example.com/t/mlp:2",
            digest: `sha256:${"4".repeat(64)}`,
            details: { pushed: { digest: `sha256:${"2".repeat(64)}` } },
          },
        ],
      }),
    );
    expect(imageOf(build)).toBe(NEW);
  });

  it("--apply needs kubectl and a current context, and says which is missing", async () => {
    const dir = await project("apply", { flavor: "kserve" });
    const empty = path.join(root, "empty-bin");
    fs.mkdirSync(empty, { recursive: true });
    expect(() => kubectlApply(dir, { PATH: empty })).toThrow(
      /kubectl is not on PATH; the manifests were edited but not applied/,
    );
    // A kubectl with no context configured, as a fresh install has.
    const bin = path.join(root, "fake-bin");
    fs.mkdirSync(bin, { recursive: true });
    const log = path.join(root, "kubectl.log");
    fs.writeFileSync(
      path.join(bin, "kubectl"),
      `#!/bin/sh\necho "$@" >> ${log}\nif [ "$1" = config ]; then [ -n "$CTX" ] && echo "$CTX" && exit 0; echo "error: current-context is not set" >&2; exit 1; fi\necho applied\n`,
      { mode: 0o755 },
    );
    expect(() => kubectlApply(dir, { PATH: bin })).toThrow(
      /kubectl has no current context \(error: current-context is not set\)/,
    );
    expect(kubectlApply(dir, { PATH: bin, CTX: "kind-test" })).toBe("applied");
    expect(fs.readFileSync(log, "utf8")).toMatch(new RegExp(`apply -k ${dir}`));
  });

  it("the CLI edits, reports and refuses --apply without kubectl", async () => {
    const dir = await project("cli", { flavor: "kserve" });
    const r = await runInProcess(["rollout", "start", NEW, "--steps", "1,10,100", "--dir", dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/kserve mlp \(inferenceservice.yaml\): canary: 1% of traffic/);
    const st = await runInProcess(["rollout", "status", "--dir", dir, "--json"]);
    expect(JSON.parse(st.stdout)).toMatchObject({ weight: 1, phase: "canary" });
    const saved = process.env.PATH;
    process.env.PATH = path.join(root, "empty-bin");
    try {
      const a = await runInProcess(["rollout", "set-weight", "10", "--dir", dir, "--apply"]);
      expect(a.code).toBe(1);
      expect(a.stderr).toMatch(/kubectl is not on PATH/);
    } finally {
      process.env.PATH = saved;
    }
    expect(read(dir, "inferenceservice.yaml").spec.predictor.canaryTrafficPercent).toBe(10);
    expect((await runInProcess(["rollout", "set-weight", "x", "--dir", dir])).code).toBe(1);
  });
});
