/**
 * The Docker target end to end with real components: a docker-registry on 127.0.0.1, a node base
 * image made by umoci and pushed by skopeo, mlpack's daemonless build and push, skopeo reading the
 * image back, umoci unpacking it and its entrypoint serving an inference under chroot.
 */
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildImage, type BuildImageResult } from "../src/artifacts/oci/build.js";
import { pushImage, type PushReport } from "../src/artifacts/oci/push.js";
import { OciLayout, type ImageIndex, type ImageManifest } from "../src/artifacts/oci/layout.js";
import { tempDir } from "./helpers/tmp.js";
import { REPO } from "./helpers/cli.js";
import { freePort, skopeo, startRegistry, type TestRegistry } from "./helpers/registry.js";
import { requireComponents } from "./helpers/components.js";
import { startProxy, type RegistryProxy } from "./helpers/registry-proxy.js";
import {
  curl,
  pushNodeBase,
  snapshotApp,
  startInChroot,
  unpackImage,
  writeMlp,
  writeTwoPlatformBase,
} from "./helpers/registry-images.js";

const missing = requireComponents("oci-e2e", ["docker-registry", "skopeo", "umoci", "curl", "root", "dist"]);

const work = tempDir("mlpack-oci-e2e-");
let reg: TestRegistry;
let counter: RegistryProxy;
let baseRef: string;
let model1: string;
let model2: string;
const cache = path.join(work, "cache");
let first: BuildImageResult;
let appRoot: string;
let firstPush: PushReport;

const serverDefaults = { workers: 1, intraOpThreads: 1, maxBatchSize: 4 };
const sha = (b: Uint8Array) => "sha256:" + crypto.createHash("sha256").update(b).digest("hex");

describe.skipIf(!!missing)("docker target, daemonless, against a real registry", () => {
  beforeAll(async () => {
    appRoot = snapshotApp(REPO, path.join(work, "app"));
    reg = await startRegistry();
    counter = await startProxy(reg.host);
    baseRef = pushNodeBase(work, reg.host);
    model1 = await writeMlp(path.join(work, "m1/model.onnx"), 1);
    model2 = await writeMlp(path.join(work, "m2/model.onnx"), 2);
    first = await buildImage({
      appRoot,
      model: model1,
      name: "mlp",
      server: serverDefaults,
      out: path.join(work, "out1"),
      base: baseRef,
      insecure: true,
      tag: `${reg.host}/models/mlp:1`,
      builder: "oci",
      cacheDir: cache,
    });
    firstPush = await pushImage(first.output, `${reg.host}/models/mlp:1`, { insecure: true });
  });
  afterAll(async () => {
    await counter?.close();
    await reg?.stop();
  });

  it("builds on the registry base and pushes; skopeo reads back the same digests", () => {
    const p = first.platforms[0];
    expect(p.baseLayers).toBe(1);
    expect(p.layers.map((l) => l.role)).toEqual([
      "runtime deps",
      "native runtime (onnxruntime)",
      "server code",
      "model",
    ]);
    expect(firstPush.digest).toBe(first.digest);
    // The base layer is mounted from base/node (same registry), ours and the config are uploaded.
    expect(firstPush.mounted).toBe(1);
    expect(firstPush.uploaded).toBe(p.layers.length + 1);

    const info = skopeo(["inspect", "--tls-verify=false", `docker://${reg.host}/models/mlp:1`]);
    expect(info.code, info.stderr).toBe(0);
    const json = JSON.parse(info.stdout) as {
      Digest: string;
      Layers: string[];
      Labels: Record<string, string>;
      Architecture: string;
    };
    expect(json.Digest).toBe(first.digest);
    const manifest = JSON.parse(
      fs.readFileSync(new OciLayout(first.output).blobPath(first.digest), "utf8"),
    ) as ImageManifest;
    expect(json.Layers).toEqual(manifest.layers.map((l) => l.digest));
    expect(json.Labels["dev.mlpack.model.name"]).toBe("mlp");
    expect(json.Labels["dev.mlpack.model.digest"]).toBe(first.model.digest);
    const raw = skopeo(["inspect", "--raw", "--tls-verify=false", `docker://${reg.host}/models/mlp:1`]);
    expect(sha(Buffer.from(raw.stdout))).toBe(first.digest);

    const copied = path.join(work, "copied");
    const cp = skopeo([
      "copy",
      "--src-tls-verify=false",
      `docker://${reg.host}/models/mlp:1`,
      `oci:${copied}:mlp`,
    ]);
    expect(cp.code, cp.stderr).toBe(0);
    const index = JSON.parse(fs.readFileSync(path.join(copied, "index.json"), "utf8")) as ImageIndex;
    expect(index.manifests[0].digest).toBe(first.digest);
    for (const l of manifest.layers)
      expect(fs.existsSync(new OciLayout(copied).blobPath(l.digest))).toBe(true);
  });

  it("unpacks with umoci and serves /v2/health/ready and an inference from the entrypoint under chroot", async () => {
    const { rootfs, process: proc } = unpackImage(
      `${path.join(work, "copied")}:mlp`,
      path.join(work, "bundle"),
    );
    expect(proc.args).toEqual([
      "node",
      "/app/bin/mlpack.js",
      "serve",
      "--config",
      "/models/mlpack-serve.json",
    ]);
    expect(proc.cwd).toBe("/app");
    expect(proc.uid).toBe(65532);
    // Only the target's onnxruntime binaries are in the image.
    const ortBin = path.join(rootfs, "app/node_modules/onnxruntime-node/bin/napi-v6");
    expect(fs.readdirSync(ortBin)).toEqual(["linux"]);
    expect(fs.readdirSync(path.join(ortBin, "linux"))).toEqual([process.arch]);
    expect(fs.existsSync(path.join(rootfs, "app/node_modules/@tensorflow"))).toBe(false);

    const port = await freePort();
    const srv = startInChroot(rootfs, proc, ["--host", "127.0.0.1", "--port", String(port)]);
    try {
      const url = `http://127.0.0.1:${port}`;
      for (let i = 0; ; i++) {
        const r = curl(["-o", "/dev/null", "-w", "%{http_code}", `${url}/v2/health/ready`]);
        if (r.stdout === "200") break;
        if (i > 300 || srv.child.exitCode !== null)
          throw new Error(`server did not get ready:\n${srv.output()}`);
        await new Promise((res) => setTimeout(res, 100));
      }
      expect(curl([`${url}/v2/health/ready`]).stdout).toContain('"ready":true');
      const rows = [
        [0.5, -1, 2, 0.25],
        [3, 0, -0.5, 1],
      ];
      const body = JSON.stringify({
        inputs: [{ name: "input", datatype: "FP32", shape: [2, 4], data: rows.flat() }],
      });
      const r = curl([
        "-X",
        "POST",
        "-H",
        "content-type: application/json",
        "--data",
        body,
        `${url}/v2/models/mlp/infer`,
      ]);
      expect(r.code, r.stdout).toBe(0);
      const out = JSON.parse(r.stdout) as {
        model_name: string;
        outputs: { name: string; shape: number[]; data: number[] }[];
      };
      expect(out.model_name).toBe("mlp");
      expect(out.outputs[0].shape).toEqual([2, 3]);
      const s = await ort.InferenceSession.create(model1);
      const want = await s.run({ input: new ort.Tensor("float32", Float32Array.from(rows.flat()), [2, 4]) });
      await s.release();
      expect(out.outputs[0].data.map(Math.fround)).toEqual(Array.from(want.output.data as Float32Array));
      expect(srv.output()).toContain("model mlp version 1: /models/model.onnx");
      expect(srv.output()).toContain("1 worker(s) × 1 intra-op thread(s)");
    } finally {
      srv.child.kill("SIGTERM");
    }
  });

  it("a model-only change re-uploads exactly one layer, the config and the manifest", async () => {
    const second = await buildImage({
      appRoot,
      model: model2,
      name: "mlp",
      server: serverDefaults,
      out: path.join(work, "out2"),
      base: baseRef,
      insecure: true,
      builder: "oci",
      cacheDir: cache,
    });
    const [a, b] = [first.platforms[0].layers, second.platforms[0].layers];
    expect(b.slice(0, -1).map((l) => l.digest)).toEqual(a.slice(0, -1).map((l) => l.digest));
    expect(b.slice(0, -1).every((l) => l.cached)).toBe(true);
    expect(b.at(-1)!.digest).not.toBe(a.at(-1)!.digest);

    const seenBefore = counter.seen.length;
    const report = await pushImage(second.output, `${counter.host}/models/mlp:1`, { insecure: true });
    const sent = counter.seen.slice(seenBefore);
    const blobCommits = sent.filter(
      (r) => r.method === "PUT" && r.url.includes("/blobs/uploads/") && r.status === 201,
    );
    const manifestPuts = sent.filter(
      (r) => r.method === "PUT" && r.url.includes("/manifests/") && r.status === 201,
    );
    expect(report.uploaded).toBe(2);
    expect(blobCommits).toHaveLength(2);
    expect(manifestPuts).toHaveLength(1);
    expect(report.skipped).toBe(second.platforms[0].layers.length + second.platforms[0].baseLayers - 1);
    const uploaded = report.blobs.filter((x) => x.outcome === "uploaded").map((x) => x.digest);
    expect(uploaded.sort()).toEqual([b.at(-1)!.digest, second.platforms[0].configDigest].sort());
    const info = JSON.parse(
      skopeo(["inspect", "--tls-verify=false", `docker://${reg.host}/models/mlp:1`]).stdout,
    ) as { Digest: string };
    expect(info.Digest).toBe(second.digest);
  });

  it("is reproducible: a second build without the cache gives the same layer and manifest digests", async () => {
    const again = await buildImage({
      appRoot,
      model: model1,
      name: "mlp",
      server: serverDefaults,
      out: path.join(work, "out1-again"),
      base: baseRef,
      insecure: true,
      tag: `${reg.host}/models/mlp:1`,
      builder: "oci",
      cacheDir: false,
    });
    expect(again.platforms[0].layers.every((l) => !l.cached)).toBe(true);
    expect(again.platforms[0].layers.map((l) => l.digest)).toEqual(
      first.platforms[0].layers.map((l) => l.digest),
    );
    expect(again.platforms[0].configDigest).toBe(first.platforms[0].configDigest);
    expect(again.digest).toBe(first.digest);
  });

  it("`mlpack push` (the built CLI) pushes an oci-archive and reports what it uploaded", async () => {
    const built = await buildImage({
      appRoot,
      model: model1,
      name: "mlp",
      out: path.join(work, "out-archive"),
      base: baseRef,
      insecure: true,
      builder: "oci",
      format: "oci-archive",
      cacheDir: cache,
    });
    expect(built.output.endsWith("oci-archive.tar")).toBe(true);
    const r = spawnSync(
      process.execPath,
      [path.join(REPO, "bin/mlpack.js"), "push", built.output, `${reg.host}/cli/mlp:v1`, "--insecure"],
      {
        encoding: "utf8",
        env: { ...process.env, NO_COLOR: "1", DOCKER_CONFIG: path.join(work, "no-docker-config") },
      },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`pushed ${reg.host}/cli/mlp:v1@${built.digest}`);
    const info = JSON.parse(
      skopeo(["inspect", "--tls-verify=false", `docker://${reg.host}/cli/mlp:v1`]).stdout,
    ) as { Digest: string };
    expect(info.Digest).toBe(built.digest);
    const local = JSON.parse(skopeo(["inspect", `oci-archive:${built.output}`]).stdout) as { Digest: string };
    expect(local.Digest).toBe(built.digest);
    const bad = spawnSync(
      process.execPath,
      [path.join(REPO, "bin/mlpack.js"), "push", built.output, `${reg.host}/cli/mlp:v1`],
      {
        encoding: "utf8",
        env: { ...process.env, NO_COLOR: "1", DOCKER_CONFIG: path.join(work, "no-docker-config") },
      },
    );
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/cannot reach https:\/\/127\.0\.0\.1:\d+/);
    expect(bad.stderr).toContain("--insecure");
  });

  it("builds FROM scratch with node and its shared libraries into a docker-archive skopeo reads", async () => {
    const built = await buildImage({
      appRoot,
      model: model1,
      name: "mlp",
      out: path.join(work, "out-scratch"),
      fromScratch: true,
      format: "docker-archive",
      tag: "mlp:scratch",
      cacheDir: cache,
    });
    const p = built.platforms[0];
    expect(p.baseLayers).toBe(0);
    expect(p.layers[0].role).toBe("runtime (node + shared libraries)");
    expect(p.size).toBe(p.layers.reduce((s, l) => s + l.size, 0));
    const info = skopeo(["inspect", `docker-archive:${built.output}`]);
    expect(info.code, info.stderr).toBe(0);
    expect((JSON.parse(info.stdout) as { Layers: string[] }).Layers).toHaveLength(p.layers.length);
    console.info(
      `FROM scratch image: ${(p.size / 1e6).toFixed(1)} MB compressed, ${(p.addedUncompressed / 1e6).toFixed(1)} MB unpacked`,
    );
  });

  it("builds linux/amd64 + linux/arm64 on a local two-platform base and pushes the index (--push)", async () => {
    const baseDir = path.join(work, "two-platform-base");
    await writeTwoPlatformBase(baseDir);
    const tag = `${reg.host}/models/mlp-multi:1`;
    const built = await buildImage({
      appRoot,
      model: model1,
      name: "mlp",
      out: path.join(work, "out-multi"),
      base: baseDir,
      platforms: ["linux/amd64", "linux/arm64"],
      tag,
      push: true,
      insecure: true,
      cacheDir: cache,
    });
    expect(built.mediaType).toBe("application/vnd.oci.image.index.v1+json");
    expect(built.platforms.map((p) => p.platform)).toEqual(["linux/amd64", "linux/arm64/v8"]);
    expect(built.push?.digest).toBe(built.digest);
    expect(built.push?.manifests).toBe(3);
    // Identical COPYs are packed once and shared; only the onnxruntime layer differs.
    const [amd, arm] = built.platforms.map((p) => p.layers.map((l) => l.digest));
    expect(amd.filter((d, i) => d !== arm[i])).toHaveLength(1);

    const raw = skopeo(["inspect", "--raw", "--tls-verify=false", `docker://${tag}`]);
    expect(sha(Buffer.from(raw.stdout))).toBe(built.digest);
    const index = JSON.parse(raw.stdout) as ImageIndex;
    expect(index.manifests.map((m) => m.digest)).toEqual(built.platforms.map((p) => p.manifestDigest));
    const arm64 = skopeo(["inspect", "--tls-verify=false", "--override-arch", "arm64", `docker://${tag}`]);
    expect((JSON.parse(arm64.stdout) as { Architecture: string; Digest: string }).Architecture).toBe("arm64");

    // The arm64 image's onnxruntime layer holds the linux/arm64 binaries and nothing else.
    const nativeLayer = built.platforms[1].layers.find((l) => l.role.startsWith("native"))!;
    const listing = spawnSync("tar", ["-tzf", new OciLayout(built.output).blobPath(nativeLayer.digest)], {
      encoding: "utf8",
    });
    const files = listing.stdout.split("\n").filter((f) => f && !f.endsWith("/"));
    expect(files.length).toBeGreaterThan(0);
    expect(
      files.every((f) => f.startsWith("app/node_modules/onnxruntime-node/bin/napi-v6/linux/arm64/")),
    ).toBe(true);
  });

  it("takes a docker-archive base (as skopeo or `docker save` write it) and gives the same image every time", async () => {
    const tar = path.join(work, "base-docker-archive.tar");
    const cp = skopeo([
      "copy",
      "--src-tls-verify=false",
      `docker://${baseRef}`,
      `docker-archive:${tar}:base/node:20`,
    ]);
    expect(cp.code, cp.stderr).toBe(0);
    const builds = [];
    for (const out of ["out-da-1", "out-da-2"])
      builds.push(
        await buildImage({
          appRoot,
          model: model1,
          name: "mlp",
          server: serverDefaults,
          out: path.join(work, out),
          base: tar,
          cacheDir: false,
        }),
      );
    expect(builds[0].digest).toBe(builds[1].digest);
    expect(builds[0].platforms[0].baseLayers).toBe(1);
    // Same file system as the registry-based image: the diff_ids match, though the base layer was recompressed.
    const config = (r: BuildImageResult) =>
      JSON.parse(fs.readFileSync(new OciLayout(r.output).blobPath(r.platforms[0].configDigest), "utf8")) as {
        rootfs: { diff_ids: string[] };
      };
    expect(config(builds[0]).rootfs.diff_ids).toEqual(config(first).rootfs.diff_ids);
  });
});
