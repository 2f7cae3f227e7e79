// Benchmark: daemonless image build time for a model of ~100 MB against `tar -czf` of the same bytes
// (the build context the image is made of: runtime deps, onnxruntime for the platform, server code,
// model). Goal: build ≤ 1.5× tar+gzip. Both compress at gzip level 6; rounds alternate (tar, build,
// tar, build, ...) so other load on the machine hits both alike, and medians are compared.
//
// The build is measured cold (no layer cache, fresh output directory: it reads the model, copies it
// into the context, hashes it, packs and gzips every layer, writes the OCI layout), on a tiny local
// OCI base so no network is involved. A warm rebuild after changing only the model is reported too.
//
// Usage: npm run bench:image [-- --rounds 3 --mb 100]
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { buildImage } from "../dist/artifacts/oci/build.js";
import { OciLayout, MEDIA } from "../dist/artifacts/oci/layout.js";
import { writeLayer } from "../dist/artifacts/oci/layer.js";
import { makeMlp } from "../dist/onnx/fixtures.js";
import { writeModel } from "../dist/onnx/write.js";
import { formatBytes } from "../dist/format-bytes.js";

const { values } = parseArgs({
  options: { rounds: { type: "string", default: "3" }, mb: { type: "string", default: "100" } },
});
const rounds = Number(values.rounds);
const width = Math.round(Math.sqrt((Number(values.mb) * 1e6) / 4));

const work = fs.mkdtempSync(path.join(os.tmpdir(), "mlpack-bench-image-"));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  // Two same-shaped models with different weights (random floats: close to incompressible, like real weights).
  const models = [];
  for (const seed of [1, 2]) {
    const file = path.join(work, `m${seed}`, "model.onnx");
    fs.mkdirSync(path.dirname(file));
    await writeModel(makeMlp({ widths: [width, width], seed }), file);
    models.push(file);
  }
  const modelBytes = fs.statSync(models[0]).size;

  // A minimal local base image: one small layer, linux/<host arch>.
  const baseDir = path.join(work, "base");
  const base = await OciLayout.create(baseDir);
  const layer = await writeLayer(base, [
    { path: "etc", type: "dir", mode: 0o755 },
    {
      path: "etc/os-release",
      type: "file",
      mode: 0o644,
      size: 9,
      source: { bytes: Buffer.from("ID=bench\n") },
    },
  ]);
  const arch = process.arch === "x64" ? "amd64" : process.arch;
  const config = await base.writeJsonBlob(
    {
      architecture: arch,
      os: "linux",
      config: { Env: ["PATH=/usr/local/bin:/usr/bin:/bin"] },
      rootfs: { type: "layers", diff_ids: [layer.diffId] },
    },
    MEDIA.ociConfig,
  );
  const manifest = await base.writeJsonBlob(
    { schemaVersion: 2, mediaType: MEDIA.ociManifest, config: config.descriptor, layers: [layer.descriptor] },
    MEDIA.ociManifest,
  );
  await base.writeIndex({ schemaVersion: 2, manifests: [manifest.descriptor] });

  const build = async (i, model, cacheDir = false) => {
    const t0 = performance.now();
    const r = await buildImage({
      model,
      name: "bench",
      out: path.join(work, `out-${i}`),
      base: baseDir,
      builder: "oci",
      cacheDir,
    });
    return { ms: performance.now() - t0, r };
  };
  const tarGzip = (contextDir, i) => {
    const t0 = performance.now();
    const out = path.join(work, `ctx-${i}.tar.gz`);
    const p = spawnSync("tar", ["-czf", out, "-C", contextDir, "."], { env: { ...process.env, GZIP: "-6" } });
    if (p.status !== 0) throw new Error(`tar failed: ${p.stderr}`);
    const ms = performance.now() - t0;
    return { ms, bytes: fs.statSync(out).size };
  };

  const warmup = await build("warmup", models[0]);
  const contextDir = warmup.r.context;
  const contextBytes = spawnSync("du", ["-sb", contextDir], { encoding: "utf8" }).stdout.split(/\s/)[0];
  const builds = [];
  const tars = [];
  let last;
  for (let i = 0; i < rounds; i++) {
    const t = tarGzip(contextDir, i);
    tars.push(t.ms);
    const b = await build(i, models[0]);
    builds.push(b.ms);
    last = { b, t };
    fs.rmSync(path.join(work, `out-${i}`), { recursive: true, force: true });
  }
  // Warm rebuild: the layer cache holds everything but the model layer.
  const cache = path.join(work, "cache");
  await build("c1", models[0], cache);
  const warm = await build("c2", models[1], cache);
  const cachedLayers = warm.r.platforms[0].layers.filter((l) => l.cached).length;

  const p = last.b.r.platforms[0];
  const ratio = median(builds) / median(tars);
  console.log(
    `model: ${formatBytes(modelBytes)}; build context: ${formatBytes(Number(contextBytes))}; ${os.cpus().length} CPUs; ${rounds} rounds, medians`,
  );
  console.log(
    `tar -czf of the context:      ${median(tars).toFixed(0).padStart(6)} ms  (${formatBytes(last.t.bytes)})`,
  );
  console.log(
    `mlpack image build (cold):    ${median(builds).toFixed(0).padStart(6)} ms  (${formatBytes(p.layers.reduce((s, l) => s + l.size, 0))} of layers)`,
  );
  console.log(
    `mlpack rebuild, model changed: ${warm.ms.toFixed(0).padStart(5)} ms  (${cachedLayers} of ${warm.r.platforms[0].layers.length} layers from the cache)`,
  );
  console.log(`layers: ${p.layers.map((l) => `${l.role} ${formatBytes(l.size)}`).join(", ")}`);
  console.log(`ratio build / tar+gzip: ${ratio.toFixed(2)}× (goal ≤ 1.5×) ${ratio <= 1.5 ? "PASS" : "FAIL"}`);
  console.log(
    `all samples: tar ${tars.map((x) => x.toFixed(0)).join(", ")} ms; build ${builds.map((x) => x.toFixed(0)).join(", ")} ms`,
  );
  if (ratio > 1.5) process.exitCode = 1;
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
