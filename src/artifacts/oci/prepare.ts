/**
 * The first half of a Docker-target build, shared by every builder: check the options, read the
 * model, collect what the server needs at run time (dist/, bin/, the production node_modules with
 * onnxruntime's binaries for the target platforms only), and write the build context that any OCI
 * builder (docker, podman, buildah, kaniko, or the daemonless builder here) can build.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "../../errors.js";
import { readModel } from "../../onnx/read.js";
import type { ServerConfig } from "../../config/types.js";
import { collectAppFiles, SERVER_OMITTED_PACKAGES } from "./app-files.js";
import { collectScratchRuntime, hostArchitecture, hostNativeFiles } from "./scratch.js";
import { emitContext } from "./context.js";
import { formatPlatform, parsePlatform } from "./image-config.js";
import { DEFAULT_PORT, renderServeConfig, SERVE_CONFIG_FILE } from "./serve-config.js";
import { formatReference, parseReference } from "../registry/reference.js";
import type { Platform } from "./layout.js";
import type { ImageFormat } from "./archive.js";

export const DEFAULT_BASE = "node:20-bookworm-slim";
const NAME_RE = /^[A-Za-z0-9_.-]+$/;

export interface BuildContextOptions {
  model: string;
  name?: string;
  version?: string;
  server?: ServerConfig;
  /** Output directory; the context goes to <out>/context. */
  out: string;
  platforms?: string[];
  base?: string;
  fromScratch?: boolean;
  tag?: string;
  push?: boolean;
  format?: ImageFormat;
  appRoot?: string;
  omitPackages?: string[];
}

export interface ModelInfo {
  name: string;
  version: string;
  file: string;
  digest: string;
  /** The model file and its external data files. */
  bytes: number;
}

export interface BuildContext {
  dir: string;
  /** The rendered Dockerfile text. */
  dockerfile: string;
  platforms: Platform[];
  model: ModelInfo;
  /** The npm packages in the image. */
  packages: string[];
  /** The FROM reference (scratch, or the base as a registry reference). */
  baseImage: string;
}

export function defaultAppRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
}

async function hashFile(file: string): Promise<string> {
  const h = crypto.createHash("sha256");
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return "sha256:" + h.digest("hex");
}

/** `oci:DIR`, `docker-archive:TAR` or a path that exists: a local base (not a registry reference). */
export function localBasePath(base: string): string | undefined {
  const p = base.replace(/^(oci|oci-archive|docker-archive):/, "");
  return fs.existsSync(p) ? p : undefined;
}

export function checkPlatforms(opts: BuildContextOptions): Platform[] {
  const platforms = (opts.platforms?.length ? opts.platforms : [`linux/${hostArchitecture()}`]).map((p) => {
    try {
      return parsePlatform(p);
    } catch (e) {
      throw new UsageError((e as Error).message, {
        hint: "targets.docker.platforms: [linux/amd64, linux/arm64]",
      });
    }
  });
  const archs = [...new Set(platforms.map((p) => p.architecture))];
  if (new Set(platforms.map(formatPlatform)).size !== platforms.length)
    throw new UsageError("a platform is given twice", {
      hint: "targets.docker.platforms: [linux/amd64, linux/arm64]",
    });
  if (opts.format === "docker-archive" && platforms.length > 1)
    throw new UsageError("docker-archive holds one platform", {
      hint: "list one platform in targets.docker.platforms, or set targets.docker.format: oci (or oci-archive)",
    });
  if (opts.fromScratch && (archs.length > 1 || archs[0] !== hostArchitecture()))
    throw new UsageError(
      `targets.docker.fromScratch copies this machine's node binary, so it builds linux/${hostArchitecture()} only`,
      { hint: "drop fromScratch and use a multi-platform targets.docker.base for other platforms" },
    );
  if (opts.fromScratch && opts.base)
    throw new UsageError("targets.docker.fromScratch and targets.docker.base exclude each other", {
      hint: "pick one",
    });
  if (opts.push && !opts.tag)
    throw new UsageError("pushing needs targets.docker.tag: REGISTRY/REPOSITORY:TAG", {
      hint: "name where to push",
    });
  return platforms;
}

export async function writeBuildContext(opts: BuildContextOptions): Promise<BuildContext> {
  const platforms = checkPlatforms(opts);
  const archs = [...new Set(platforms.map((p) => p.architecture))];
  const model = await readModel(opts.model);
  const modelDir = path.dirname(path.resolve(opts.model));
  const modelFiles = [
    path.resolve(opts.model),
    ...model.externalFiles.map((f) => path.join(modelDir, f.location)),
  ];
  const name = opts.name ?? path.basename(opts.model).replace(/\.onnx$/i, "");
  if (!NAME_RE.test(name))
    throw new UsageError(
      `model name "${name}" may only hold letters, digits, "_", "." and "-" (it goes in URLs)`,
      {
        hint: "set name in mlpack.yaml",
      },
    );
  const version = opts.version ?? "1";
  if (!NAME_RE.test(version))
    throw new UsageError(`model version "${version}" may only hold letters, digits, "_", "." and "-"`, {
      hint: "set version in mlpack.yaml",
    });
  const file = path.basename(modelFiles[0]);
  const serveConfig = renderServeConfig({ name, version, modelPath: `/models/${file}`, server: opts.server });
  const info: ModelInfo = {
    name,
    version,
    file,
    digest: await hashFile(modelFiles[0]),
    bytes: modelFiles.reduce((s, f) => s + fs.statSync(f).size, 0),
  };

  const appRoot = opts.appRoot ?? defaultAppRoot();
  const mlpackVersion = (
    JSON.parse(fs.readFileSync(path.join(appRoot, "package.json"), "utf8")) as { version: string }
  ).version;
  const app = collectAppFiles(appRoot, {
    architectures: archs,
    omitPackages: opts.omitPackages ?? SERVER_OMITTED_PACKAGES,
  });
  const scratch = opts.fromScratch
    ? await collectScratchRuntime({ nativeFiles: hostNativeFiles(app.native) })
    : undefined;

  const local = opts.base ? localBasePath(opts.base) : undefined;
  const baseImage = opts.fromScratch
    ? "scratch"
    : local
      ? DEFAULT_BASE
      : formatReference(parseReference(opts.base ?? DEFAULT_BASE));
  const baseNote = opts.fromScratch
    ? `FROM scratch: node ${process.version} and its shared libraries are in rootfs/ (linux/${hostArchitecture()} only).`
    : local
      ? `The base was the local image ${local}; push it to a registry and pass --build-arg BASE_IMAGE=REF.`
      : `Base image: ${baseImage} (override with --build-arg BASE_IMAGE=REF).`;
  const context = await emitContext({
    dir: path.join(path.resolve(opts.out), "context"),
    templateDir: path.join(appRoot, "templates", "docker"),
    architectures: archs,
    app,
    modelFiles,
    scratch,
    generated: [{ rel: `models/${SERVE_CONFIG_FILE}`, text: serveConfig }],
    values: {
      mlpackVersion,
      modelName: name,
      modelVersion: version,
      modelFile: file,
      modelDigest: info.digest,
      port: String(opts.server?.port ?? DEFAULT_PORT),
      serveConfig: SERVE_CONFIG_FILE,
      tag: opts.tag ?? `${name.toLowerCase()}:latest`,
      platforms: platforms.map(formatPlatform).join(","),
      baseImage,
      baseNote,
      defaultArch: archs[0],
      runtimeCopy: scratch ? "COPY rootfs/ /" : "# node comes from the base image.",
    },
  });
  return {
    dir: context.dir,
    dockerfile: context.dockerfile,
    platforms,
    model: info,
    packages: app.packages,
    baseImage,
  };
}
