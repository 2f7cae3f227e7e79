/** The kubernetes target's manifests: every flavor valid against the real schemas, and the sizing rule. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { kubernetesManifests, writeManifestDir } from "../src/artifacts/kubernetes/write.js";
import { objectProblems, validateObjects } from "../src/artifacts/kubernetes/validate.js";
import type { KubernetesInputs, KubernetesTargetConfig } from "../src/artifacts/kubernetes/types.js";

const DIGEST = `sha256:${"ab".repeat(32)}`;
const input: KubernetesInputs = {
  name: "My_Model",
  version: "1.2",
  image: `registry.example.com/team/model:1@${DIGEST}`,
  port: 8080,
  workers: 2,
  intraOpThreads: 2,
  peakRssBytes: 300 * 2 ** 20,
  modelBytes: 10 * 2 ** 20,
  replicaThroughput: 400,
  shutdownTimeoutMs: 30_000,
};

const FLAVORS: Record<string, KubernetesTargetConfig> = {
  kserve: { flavor: "kserve" },
  deployment: { flavor: "deployment" },
  argo: { flavor: "deployment", rollout: "argo", namespace: "ml" },
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form reads of generated objects
type Any = any;
const objects = (cfg: KubernetesTargetConfig): Any[] =>
  kubernetesManifests(input, cfg).files.flatMap((f) => f.objects);
const byKind = (cfg: KubernetesTargetConfig, kind: string): Any => objects(cfg).find((o) => o.kind === kind);

describe("kubernetes manifests", () => {
  it.each(Object.entries(FLAVORS))("%s: every object is valid against its schema", (_, cfg) => {
    const objs = objects(cfg);
    expect(objs.length).toBeGreaterThan(1);
    for (const o of objs) expect(objectProblems(o)).toEqual([]);
  });

  it("kserve with graph: an InferenceGraph chaining other services around this model's, valid", () => {
    const cfg: KubernetesTargetConfig = {
      flavor: "kserve",
      graph: { name: "ocr", before: ["det"], after: ["labels"] },
    };
    const g = byKind(cfg, "InferenceGraph");
    expect(objectProblems(g)).toEqual([]);
    const isvc = byKind(cfg, "InferenceService");
    const steps = g.spec.nodes.root.steps;
    expect(steps.map((s: Any) => s.serviceName)).toEqual(["det", isvc.metadata.name, "labels"]);
    expect(steps.map((s: Any) => s.data)).toEqual(["$request", "$response", "$response"]);
    expect(() => objects({ flavor: "kserve", graph: { name: "ocr", after: ["Bad_Name"] } })).toThrow(
      /"Bad_Name" is not a valid Kubernetes name/,
    );
  });

  it("writes the kinds of each flavor", () => {
    const kinds = (cfg: KubernetesTargetConfig) =>
      objects(cfg)
        .map((o) => o.kind)
        .sort();
    expect(kinds(FLAVORS.kserve)).toEqual(["InferenceService", "ServingRuntime"]);
    expect(kinds(FLAVORS.deployment)).toEqual([
      "Deployment",
      "HorizontalPodAutoscaler",
      "PodDisruptionBudget",
      "Service",
    ]);
    expect(kinds(FLAVORS.argo)).toEqual([
      "AnalysisTemplate",
      "HorizontalPodAutoscaler",
      "PodDisruptionBudget",
      "Rollout",
      "Service",
    ]);
  });

  it("refuses invalid objects, naming kind/name and the JSON path", () => {
    const d = structuredClone(byKind(FLAVORS.deployment, "Deployment"));
    d.spec.template.spec.containers[0].ports[0].containerPort = "http";
    expect(() => validateObjects([d], "test")).toThrow(
      /Deployment\/my-model: \/spec\/template\/spec\/containers\/0\/ports\/0\/containerPort: must be integer/,
    );
    const isvc = structuredClone(byKind(FLAVORS.kserve, "InferenceService"));
    isvc.spec.predictor.canaryTrafficPerCent = 5;
    expect(() => validateObjects([isvc], "test")).toThrow(
      /InferenceService\/my-model: \/spec\/predictor: unknown field "canaryTrafficPerCent"/,
    );
    const r = structuredClone(byKind(FLAVORS.argo, "Rollout"));
    r.spec.strategy.canary.steps[0].setWeight = "ten";
    expect(() => validateObjects([r], "test")).toThrow(/Rollout\/my-model: .*setWeight: must be integer/);
    expect(objectProblems({ apiVersion: "v9", kind: "Thing" })).toEqual([
      "(top level): no schema for v9 Thing",
    ]);
  });

  it("derives resources and the scale target from the measurements (the README's sizing rule)", () => {
    const { sizing } = kubernetesManifests(input, FLAVORS.kserve);
    // 300 Mi × 1.5 = 450 → 512 Mi (rounded up to 64 Mi); cpu = 2 workers × 2 threads.
    expect(sizing.resources).toEqual({
      requests: { cpu: "4", memory: "512Mi" },
      limits: { memory: "512Mi" },
    });
    expect(sizing.rpsTarget).toBe(280); // 0.7 × 400
    const isvc = byKind(FLAVORS.kserve, "InferenceService");
    expect(isvc.spec.predictor).toMatchObject({
      scaleMetric: "rps",
      scaleTarget: 280,
      minReplicas: 1,
      maxReplicas: 10,
    });
    const none = kubernetesManifests({ ...input, peakRssBytes: undefined, replicaThroughput: undefined }, {});
    expect(none.sizing.resources.requests.memory).toBe("320Mi"); // 3 × 10 Mi + 256 → 320
    expect(none.sizing.rpsTarget).toBeUndefined();
    expect(none.sizing.explain.join("\n")).toMatch(/no benchmark ran/);
  });

  it("keeps the restricted Pod Security settings", () => {
    const pod = byKind(FLAVORS.deployment, "Deployment").spec.template.spec;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(pod.containers[0].securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    });
  });

  it("writes one file per object and a kustomization.yaml listing them", async () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "k8s-")), "kubernetes");
    const m = kubernetesManifests(input, FLAVORS.argo);
    const written = await writeManifestDir(dir, m.files, ["a header"]);
    expect(fs.readdirSync(dir).sort()).toEqual([...written].sort());
    const k = parse(fs.readFileSync(path.join(dir, "kustomization.yaml"), "utf8"));
    expect(k).toEqual({
      apiVersion: "kustomize.config.k8s.io/v1beta1",
      kind: "Kustomization",
      resources: m.files.map((f) => f.file),
    });
    for (const f of k.resources) {
      const docs = parseAllDocuments(fs.readFileSync(path.join(dir, f), "utf8"));
      expect(Array.isArray(docs) && docs.length).toBe(1);
    }
    // A failing validation leaves the previous folder as it was.
    const before = fs.readFileSync(path.join(dir, "rollout.yaml"), "utf8");
    const bad = structuredClone(m.files);
    (bad[0].objects[0] as Any).spec.replicas = "many";
    await expect(writeManifestDir(dir, bad)).rejects.toThrow(/replicas: must be integer/);
    expect(fs.readFileSync(path.join(dir, "rollout.yaml"), "utf8")).toBe(before);
  });
});
