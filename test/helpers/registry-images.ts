/**
 * Images for the OCI tests, made with independent tools where it matters: the node base image is a
 * rootfs of this machine's node binary and the shared libraries `ldd` lists, turned into an OCI
 * image by umoci and pushed by skopeo; built images are unpacked by umoci and their entrypoint is
 * started under chroot (no container runtime works on this kernel).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { makeMlp } from "../../src/onnx/fixtures.js";
import { writeModel } from "../../src/onnx/write.js";
import { OciLayout, MEDIA } from "../../src/artifacts/oci/layout.js";
import { writeLayer } from "../../src/artifacts/oci/layer.js";
import { skopeo } from "./registry.js";

export const ORT_BINDING = path.resolve(
  import.meta.dirname,
  "../../node_modules/onnxruntime-node/bin/napi-v6/linux",
  process.arch,
  "onnxruntime_binding.node",
);

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 120_000, maxBuffer: 64 << 20 });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** A 4 → 8 → 3 MLP; different seeds give same-shaped models with different weights. */
export async function writeMlp(file: string, seed: number): Promise<string> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await writeModel(makeMlp({ widths: [4, 8, 3], seed }), file);
  return file;
}

/** rootfs with node and its libraries → OCI layout (umoci) → registry (skopeo). Returns the ref. */
export function pushNodeBase(work: string, registry: string, repoTag = "base/node:20"): string {
  const rootfs = path.join(work, "base-rootfs");
  fs.mkdirSync(path.join(rootfs, "usr/local/bin"), { recursive: true });
  fs.mkdirSync(path.join(rootfs, "tmp"), { recursive: true, mode: 0o1777 });
  fs.copyFileSync(fs.realpathSync(process.execPath), path.join(rootfs, "usr/local/bin/node"));
  fs.chmodSync(path.join(rootfs, "usr/local/bin/node"), 0o755);
  const libs = new Set<string>();
  for (const bin of [process.execPath, ORT_BINDING])
    for (const m of run("ldd", [bin]).matchAll(/(\/\S+)/g))
      if (!m[1].includes("node_modules")) libs.add(m[1]);
  for (const lib of libs) {
    fs.mkdirSync(path.join(rootfs, path.dirname(lib)), { recursive: true });
    fs.copyFileSync(fs.realpathSync(lib), path.join(rootfs, lib));
  }
  const layout = path.join(work, "base-layout");
  run("umoci", ["init", "--layout", layout]);
  run("umoci", ["new", "--image", `${layout}:node`]);
  run("umoci", ["insert", "--image", `${layout}:node`, rootfs, "/"]);
  const arch = process.arch === "x64" ? "amd64" : process.arch;
  run("umoci", [
    "config",
    "--image",
    `${layout}:node`,
    "--config.env",
    "PATH=/usr/local/bin:/usr/bin:/bin",
    "--os",
    "linux",
    "--architecture",
    arch,
  ]);
  const ref = `${registry}/${repoTag}`;
  const r = skopeo(["copy", "--dest-tls-verify=false", `oci:${layout}:node`, `docker://${ref}`]);
  if (r.code !== 0) throw new Error(`skopeo copy of the base failed:\n${r.stderr}`);
  return ref;
}

/** A small single-platform image written with mlpack's own layout code (for push tests). */
export async function writeSmallImage(
  dir: string,
  seed: number,
  layers = 3,
  bytes = 300_000,
): Promise<OciLayout> {
  const layout = await OciLayout.create(dir);
  const diffIds: string[] = [];
  const descs = [];
  for (let i = 0; i < layers; i++) {
    // Incompressible, seeded bytes: a sha256 counter stream.
    const data = Buffer.alloc(bytes);
    for (let j = 0; j < bytes; j += 32)
      crypto.createHash("sha256").update(`${seed}/${i}/${j}`).digest().copy(data, j);
    const l = await writeLayer(layout, [
      { path: `data${i}.bin`, type: "file", mode: 0o644, size: bytes, source: { bytes: data } },
    ]);
    diffIds.push(l.diffId);
    descs.push(l.descriptor);
  }
  const config = await layout.writeJsonBlob(
    { architecture: "amd64", os: "linux", config: {}, rootfs: { type: "layers", diff_ids: diffIds } },
    MEDIA.ociConfig,
  );
  const manifest = await layout.writeJsonBlob(
    { schemaVersion: 2, mediaType: MEDIA.ociManifest, config: config.descriptor, layers: descs },
    MEDIA.ociManifest,
  );
  await layout.writeIndex({
    schemaVersion: 2,
    manifests: [{ ...manifest.descriptor, annotations: { "org.opencontainers.image.ref.name": "latest" } }],
  });
  return layout;
}

export interface RuntimeSpec {
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
}

/** umoci unpack → bundle/rootfs and the OCI runtime config umoci derived from the image config. */
export function unpackImage(layoutRef: string, bundle: string): { rootfs: string; process: RuntimeSpec } {
  run("umoci", ["unpack", "--image", layoutRef, bundle]);
  const spec = JSON.parse(fs.readFileSync(path.join(bundle, "config.json"), "utf8")) as {
    process: { args: string[]; env: string[]; cwd: string; user: { uid: number; gid: number } };
  };
  const p = spec.process;
  return {
    rootfs: path.join(bundle, "rootfs"),
    process: { args: p.args, env: p.env, cwd: p.cwd, uid: p.user.uid, gid: p.user.gid },
  };
}

/** Starts the image's entrypoint (plus extra args) under chroot as the image's user. */
export function startInChroot(
  rootfs: string,
  proc: RuntimeSpec,
  extra: string[],
): { child: ChildProcess; output: () => string } {
  // chroot(1) always starts in the new root's "/" (the image's WorkingDir is checked by the tests
  // instead); the entrypoint only uses absolute paths.
  const chroot = ["/usr/sbin/chroot", "/usr/bin/chroot"].find((f) => fs.existsSync(f)) ?? "chroot";
  const child = spawn(chroot, [`--userspec=${proc.uid}:${proc.gid}`, rootfs, ...proc.args, ...extra], {
    env: Object.fromEntries(
      proc.env.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
    ),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

export function curl(args: string[]): { code: number; stdout: string } {
  const r = spawnSync("curl", ["-sS", "--max-time", "10", ...args], { encoding: "utf8" });
  return { code: r.status ?? -1, stdout: r.stdout + r.stderr };
}

/**
 * A two-platform base (linux/amd64 + linux/arm64/v8) as an OCI layout with an index: one tiny layer
 * each, naming its platform in /etc/platform. Enough to check platform selection and layering.
 */
export async function writeTwoPlatformBase(dir: string): Promise<OciLayout> {
  const layout = await OciLayout.create(dir);
  const manifests = [];
  for (const [architecture, variant] of [
    ["amd64", undefined],
    ["arm64", "v8"],
  ] as const) {
    const text = Buffer.from(`linux/${architecture}\n`);
    const l = await writeLayer(layout, [
      { path: "etc", type: "dir", mode: 0o755 },
      { path: "etc/platform", type: "file", mode: 0o644, size: text.length, source: { bytes: text } },
    ]);
    const platform = { os: "linux", architecture, ...(variant ? { variant } : {}) };
    const config = await layout.writeJsonBlob(
      {
        ...platform,
        config: { Env: ["PATH=/usr/local/bin:/usr/bin:/bin"] },
        rootfs: { type: "layers", diff_ids: [l.diffId] },
      },
      MEDIA.ociConfig,
    );
    const m = await layout.writeJsonBlob(
      { schemaVersion: 2, mediaType: MEDIA.ociManifest, config: config.descriptor, layers: [l.descriptor] },
      MEDIA.ociManifest,
    );
    manifests.push({ ...m.descriptor, platform });
  }
  const index = await layout.writeJsonBlob(
    { schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests },
    MEDIA.ociIndex,
  );
  await layout.writeIndex({
    schemaVersion: 2,
    manifests: [{ ...index.descriptor, annotations: { "org.opencontainers.image.ref.name": "base" } }],
  });
  return layout;
}

/**
 * A frozen copy of the mlpack installation an image carries (package.json, bin/, dist/, templates/;
 * node_modules linked), so builds within one test file see the same bytes even if dist/ is rebuilt
 * meanwhile. Pass it as buildImage's appRoot.
 */
export function snapshotApp(repo: string, dest: string): string {
  fs.mkdirSync(dest, { recursive: true });
  fs.copyFileSync(path.join(repo, "package.json"), path.join(dest, "package.json"));
  for (const sub of ["bin", "dist", "templates"])
    fs.cpSync(path.join(repo, sub), path.join(dest, sub), { recursive: true });
  fs.symlinkSync(path.join(repo, "node_modules"), path.join(dest, "node_modules"));
  return dest;
}
