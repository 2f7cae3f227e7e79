/**
 * The kubernetes manifests against the things they name: the serve port baked into the image, the
 * probe paths and metric names of a real `mlpack serve` (started in process on 127.0.0.1, port 0,
 * with examples/mlp/model.onnx), the docker target's image digest; and bad config refused by key.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kubernetesManifests } from "../src/artifacts/kubernetes/write.js";
import { renderServeConfig } from "../src/artifacts/oci/serve-config.js";
import { kubernetesInputs, resolveImage } from "../src/build/targets/kubernetes/inputs.js";
import { kubernetesTarget } from "../src/build/targets/kubernetes/index.js";
import type { KubernetesTargetConfig } from "../src/build/targets/kubernetes/config.js";
import type { ArtifactRecord, StepContext } from "../src/build/types.js";
import type { MlpackConfig } from "../src/config/types.js";
import { loadConfig } from "../src/config/load.js";
import { request, startServer } from "./serve-helpers.js";
import type { ServeHandle } from "../src/serve/serve.js";
import { tempDir } from "./helpers/tmp.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form reads of generated objects
type Any = any;
const MODEL = path.resolve(import.meta.dirname, "../examples/mlp/model.onnx");
const BUILT = `sha256:${"1".repeat(64)}`;
const PUSHED = `sha256:${"2".repeat(64)}`;
const dir = tempDir("mlpack-k8s-refs-");
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function ctxOf(
  config: Partial<MlpackConfig>,
  artifacts: ArtifactRecord[] = [],
  bench?: unknown,
): StepContext {
  return {
    config: { model: "model.onnx", targets: { docker: { tag: "reg.example.com/t/mlp:1" } }, ...config },
    outDir: dir,
    name: "mlp",
    version: "1",
    manifest: { artifacts, bench },
  } as unknown as StepContext;
}

function manifestsFor(ctx: StepContext, cfg: KubernetesTargetConfig): Any[] {
  const image = resolveImage(ctx, cfg).image!;
  const { input } = kubernetesInputs(ctx, image, fs.statSync(MODEL).size);
  return kubernetesManifests(input, cfg).files.flatMap((f) => f.objects);
}

const docker = (details: Record<string, unknown> = {}): ArtifactRecord => ({
  target: "docker",
  kind: "oci",
  path: "docker/oci",
  bytes: 1,
  digest: BUILT,
  ref: "reg.example.com/t/mlp:1",
  details,
});

const containersOf = (objs: Any[]): Any[] =>
  objs.flatMap((o) =>
    o.kind === "InferenceService"
      ? [{ ...o.spec.predictor.model, ports: undefined }]
      : o.kind === "ServingRuntime"
        ? o.spec.containers
        : (o.spec?.template?.spec?.containers ?? []),
  );

describe("cross-references", () => {
  let srv: ServeHandle;
  beforeAll(async () => {
    srv = await startServer({ models: [{ name: "mlp", version: "1", path: MODEL }] });
  });
  afterAll(async () => {
    await srv?.close();
  });

  it("the container port is the port the image's serve config listens on", () => {
    for (const server of [{}, { port: 9090 }]) {
      const baked = JSON.parse(renderServeConfig({ name: "mlp", version: "1", modelPath: "/m", server }))
        .serve.port;
      for (const cfg of [{ flavor: "kserve" }, { rollout: "argo" }] as KubernetesTargetConfig[]) {
        const objs = manifestsFor(ctxOf({ server }, [docker()]), cfg);
        const ports = objs.flatMap((o) =>
          (o.kind === "ServingRuntime"
            ? o.spec.containers
            : (o.spec?.template?.spec?.containers ?? [])
          ).flatMap((c: Any) => c.ports.map((p: Any) => p.containerPort)),
        );
        expect(ports.length).toBeGreaterThan(0);
        expect(new Set(ports)).toEqual(new Set([baked]));
      }
    }
  });

  it("the probes' paths answer 200 on a real mlpack serve", async () => {
    const objs = [
      ...manifestsFor(ctxOf({}, [docker()]), { flavor: "kserve" }),
      ...manifestsFor(ctxOf({}, [docker()]), { rollout: "argo" }),
    ];
    const paths = new Set(
      containersOf(objs).flatMap((c) =>
        [c.readinessProbe, c.livenessProbe, c.startupProbe].filter(Boolean).map((p: Any) => p.httpGet.path),
      ),
    );
    expect([...paths].sort()).toEqual(["/v2/health/live", "/v2/health/ready"]);
    for (const p of paths) expect((await request(`${srv.url}${p}`)).status).toBe(200);
  });

  it("the AnalysisTemplate's PromQL names metrics and labels that /metrics reports", async () => {
    // One inference and one 404, so the request counter and the latency histogram have samples.
    const meta = (await request(`${srv.url}/v2/models/mlp`)).json;
    const input = meta.inputs[0];
    const shape = input.shape.map((d: number) => (d < 0 ? 1 : d));
    const n = shape.reduce((a: number, b: number) => a * b, 1);
    const infer = await request(`${srv.url}/v2/models/mlp/infer`, {
      body: JSON.stringify({
        inputs: [{ name: input.name, datatype: input.datatype, shape, data: new Array(n).fill(0) }],
      }),
      headers: { "content-type": "application/json" },
    });
    expect(infer.status).toBe(200);
    expect((await request(`${srv.url}/v2/models/nope`)).status).toBe(404);
    const metrics = (await request(`${srv.url}/metrics`)).text;
    const samples = metrics.split("\n").filter((l) => l && !l.startsWith("#"));

    const template = manifestsFor(ctxOf({}, [docker()]), { rollout: "argo" }).find(
      (o) => o.kind === "AnalysisTemplate",
    );
    const queries: string[] = template.spec.metrics.map((m: Any) => m.provider.prometheus.query);
    const selectors = queries.flatMap((q) =>
      [...q.matchAll(/(mlpack_[a-z_]+)\{([^}]*)\}/g)].map((m) => [m[1], m[2]]),
    );
    expect(new Set(selectors.map(([name]) => name))).toEqual(
      new Set(["mlpack_requests_total", "mlpack_request_duration_seconds_bucket"]),
    );
    for (const [name, labels] of selectors) {
      const mine = samples.filter((l) => l.startsWith(`${name}{`));
      expect(mine.length, name).toBeGreaterThan(0);
      // Label matchers on labels the server sets (the others come from Prometheus' pod discovery).
      for (const [, label] of labels.matchAll(/(\w+)=~?"/g))
        if (!["app_kubernetes_io_name", "rollouts_pod_template_hash"].includes(label))
          expect(
            mine.some((l) => l.includes(`${label}="`)),
            `${name} has label ${label}`,
          ).toBe(true);
    }
    expect(samples.some((l) => /^mlpack_requests_total\{.*code="404"/.test(l))).toBe(true);
    expect(samples.some((l) => /^mlpack_request_duration_seconds_bucket\{.*le="/.test(l))).toBe(true);
  });

  it("the image is the docker target's, pinned by the digest it built or pushed", () => {
    const image = (a: ArtifactRecord[]) => resolveImage(ctxOf({}, a), {}).image;
    expect(image([docker()])).toBe(`reg.example.com/t/mlp:1@${BUILT}`);
    expect(image([docker({ pushed: { digest: PUSHED } })])).toBe(`reg.example.com/t/mlp:1@${PUSHED}`);
    for (const o of manifestsFor(ctxOf({}, [docker({ pushed: { digest: PUSHED } })]), { flavor: "kserve" }))
      for (const c of containersOf([o])) expect(c.image).toBe(`reg.example.com/t/mlp:1@${PUSHED}`);
    // --target kubernetes alone: the last build's image, from its manifest.
    fs.writeFileSync(
      path.join(dir, "mlpack-manifest.json"),
      JSON.stringify({ model: { version: "1" }, artifacts: [docker()] }),
    );
    expect(resolveImage(ctxOf({}), {})).toEqual({
      image: `reg.example.com/t/mlp:1@${BUILT}`,
      source: "docker target of the last build",
    });
    // ... and again after a build that was `--target kubernetes` alone (no docker artifact recorded).
    const k8s = {
      target: "kubernetes",
      details: { image: `a@${PUSHED}`, imageSource: "docker target of the last build" },
    };
    fs.writeFileSync(
      path.join(dir, "mlpack-manifest.json"),
      JSON.stringify({ model: { version: "1" }, artifacts: [k8s] }),
    );
    expect(resolveImage(ctxOf({}), {})).toEqual({
      image: `a@${PUSHED}`,
      source: "docker target of the last build",
    });
    fs.rmSync(path.join(dir, "mlpack-manifest.json"));
    expect(resolveImage(ctxOf({}), {}).image).toBeUndefined();
    expect(resolveImage(ctxOf({}), { image: `x@${PUSHED}` }).image).toBe(`x@${PUSHED}`);
  });

  it("sizes from the bench step's figures and names the defaults it used", () => {
    const bench = {
      peakRssBytes: 200 * 2 ** 20,
      results: [
        { role: "baseline", batch: 1, concurrency: 1, inferencesPerSec: 900 },
        { role: "candidate", batch: 1, concurrency: 1, inferencesPerSec: 100 },
        { role: "candidate", batch: 8, concurrency: 1, inferencesPerSec: 300 },
      ],
    };
    const measured = kubernetesInputs(ctxOf({ server: { intraOpThreads: 2 } }, [], bench), "x", 1);
    expect(measured.input).toMatchObject({
      peakRssBytes: 200 * 2 ** 20,
      replicaThroughput: 300,
      intraOpThreads: 2,
    });
    expect(measured.notes).toEqual([]);
    const none = kubernetesInputs(ctxOf({}), "x", 1);
    expect(none.notes.join("\n")).toMatch(
      /no peak RSS measured[\s\S]*no throughput measured[\s\S]*intraOpThreads unset/,
    );
  });
});

describe("bad config", () => {
  it("is refused by the config loader, naming the key", () => {
    fs.copyFileSync(MODEL, path.join(dir, "model.onnx"));
    const file = path.join(dir, "mlpack.yaml");
    const bad = [
      ["image: reg/x:1", /targets\.kubernetes\.image: must match pattern/],
      ["namespace: Bad_NS", /targets\.kubernetes\.namespace/],
      ["maxReplicas: 2.5", /targets\.kubernetes\.maxReplicas: must be an integer/],
      ["memory: 1 GB", /targets\.kubernetes\.memory/],
      ["flavor: helm", /targets\.kubernetes\.flavor/],
      ["canary: { steps: [0, 100] }", /targets\.kubernetes\.canary\.steps\[0\]/],
      ["replicas: 3", /targets\.kubernetes.*replicas/],
    ] as const;
    for (const [line, want] of bad) {
      fs.writeFileSync(file, `model: model.onnx\ntargets:\n  kubernetes:\n    ${line}\n`);
      expect(() => loadConfig(file), line).toThrow(want);
    }
  });

  it("is refused before the build starts, naming the key", () => {
    const check =
      (cfg: KubernetesTargetConfig, config: Partial<MlpackConfig> = {}) =>
      () =>
        kubernetesTarget.checkConfig!({ ctx: ctxOf(config), config: cfg, model: MODEL, modelSha256: "" });
    expect(check({ flavor: "kserve", rollout: "argo" })).toThrow(
      /targets\.kubernetes\.rollout: argo applies to flavor: deployment/,
    );
    expect(check({}, { targets: {} })).toThrow(/targets\.kubernetes needs an image/);
    expect(check({ canary: { steps: [10, 5, 100] } })).toThrow(/targets\.kubernetes\.canary\.steps/);
    expect(check({ canary: { steps: [1, 50] } })).toThrow(/ending at 100/);
    expect(check({ minReplicas: 5, maxReplicas: 2 })).not.toThrow();
    expect(() => manifestsFor(ctxOf({}, [docker()]), { minReplicas: 5, maxReplicas: 2 })).toThrow(
      /targets\.kubernetes\.maxReplicas \(2\) is below minReplicas \(5\)/,
    );
  });
});
