/**
 * `buildImage()`: model → build context (always) → image. Daemonless (default without a Docker
 * daemon): the rendered Dockerfile is executed here, one gzip layer per COPY, on top of the base
 * image's layers, for each platform; the result is an OCI layout or an image tarball, and
 * optionally pushed. With a daemon: the same context is built by `docker build` through dockerode.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { silentLogger, type Logger } from "../../log.js";
import { UsageError, UserError } from "../../errors.js";
import { readModel } from "../../onnx/read.js";
import { collectAppFiles, SERVER_OMITTED_PACKAGES } from "./app-files.js";
import { collectScratchRuntime, hostArchitecture, hostNativeFiles } from "./scratch.js";
import { emitContext } from "./context.js";
import { planDockerfile } from "./dockerfile.js";
import { resolveBase, type BaseSource } from "./base.js";
import { buildDaemonless, type PlatformImage } from "./build-layers.js";
import { writeArchive, type ImageFormat } from "./archive.js";
import { parsePlatform, formatPlatform } from "./image-config.js";
import { pushImage, type PushReport } from "./push.js";
import { buildWithDaemon, daemonAvailable, type DaemonDeps } from "./daemon.js";
import type { RegistryClientOptions } from "../registry/client.js";
import type { DockerTargetConfig, ServerConfig } from "../../config/types.js";
import { DEFAULT_PORT, renderServeConfig, SERVE_CONFIG_FILE } from "./serve-config.js";
import { dockerCredentials } from "../registry/auth.js";

export const DEFAULT_BASE = "node:20-bookworm-slim";
const NAME_RE = /^[A-Za-z0-9_.-]+$/;

/**
 * What `mlpack build --target docker` passes. The DockerTargetConfig fields (base, tag, platforms,
 * push, insecure, fromScratch, format) mean what they mean in mlpack.yaml.
 */
export interface BuildImageOptions extends Omit<DockerTargetConfig, "platforms"> {
  /** The .onnx file (its external data files go into the model layer too). */
  model: string;
  /** Model name in the server's URLs (default: the file name without .onnx). */
  name?: string;
  /** Model version in /v2/models/{name}/versions/{version} (default "1"). */
  version?: string;
  /** Server defaults baked into the image's serve config (workers, batching, cache, port). */
  server?: ServerConfig;
  /** Output directory: context/ and oci/ (or oci-archive.tar / docker-archive.tar). */
  out: string;
  /** e.g. ["linux/amd64", "linux/arm64"]; default: this machine's. */
  platforms?: string[];
  /** auto (default): the Docker daemon when one answers and no --format/--from-scratch, else oci. */
  builder?: "auto" | "daemon" | "oci";
  /** Layer and base-blob cache; false turns it off. Default ~/.cache/mlpack. */
  cacheDir?: string | false;
  gzipLevel?: number;
  /** Image `created` time in seconds (default 0: the epoch). */
  sourceDateEpoch?: number;
  /** The mlpack installation to package (default: this one). */
  appRoot?: string;
  omitPackages?: string[];
  logger?: Logger;
  registry?: Omit<RegistryClientOptions, "insecure" | "logger">;
  daemon?: DaemonDeps;
}

export interface BuildImageResult {
  builder: "oci" | "daemon";
  out: string;
  context: string;
  format: ImageFormat;
  /** The OCI layout directory or the tarball (daemonless), or the daemon's image id. */
  output: string;
  tag?: string;
  /** The image's digest: its manifest's (one platform) or its index's (several). */
  digest: string;
  mediaType: string;
  model: { name: string; version: string; file: string; digest: string; bytes: number };
  /** Per platform: manifest and config digests, and every layer with its sizes. */
  platforms: PlatformImage[];
  packages: string[];
  push?: PushReport;
  timings: Record<string, number>;
}

export function defaultAppRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "mlpack");
}

async function hashFile(file: string): Promise<string> {
  const h = crypto.createHash("sha256");
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return "sha256:" + h.digest("hex");
}

export async function buildImage(opts: BuildImageOptions): Promise<BuildImageResult> {
  const logger = opts.logger ?? silentLogger;
  const timings: Record<string, number> = {};
  let t = performance.now();
  const lap = (k: string) => {
    const now = performance.now();
    timings[k] = Math.round(now - t);
    t = now;
  };
  const format = opts.format ?? "oci";
  const platforms = (opts.platforms?.length ? opts.platforms : [`linux/${hostArchitecture()}`]).map((p) => {
    try {
      return parsePlatform(p);
    } catch (e) {
      throw new UsageError((e as Error).message, { hint: "--platform linux/amd64,linux/arm64" });
    }
  });
  const archs = [...new Set(platforms.map((p) => p.architecture))];
  if (format === "docker-archive" && platforms.length > 1)
    throw new UsageError("docker-archive holds one platform", {
      hint: "build one --platform, or use --format oci / oci-archive",
    });
  if (opts.fromScratch && (archs.length > 1 || archs[0] !== hostArchitecture()))
    throw new UsageError(
      `--from-scratch copies this machine's node binary, so it builds linux/${hostArchitecture()} only`,
      {
        hint: "drop --from-scratch and use a multi-platform --base for other platforms",
      },
    );
  if (opts.fromScratch && opts.base)
    throw new UsageError("--from-scratch and --base exclude each other", { hint: "pick one" });
  if (opts.push && !opts.tag)
    throw new UsageError("--push needs --tag REGISTRY/REPOSITORY:TAG", { hint: "name where to push" });

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
      { hint: "pass --name" },
    );
  const version = opts.version ?? "1";
  if (!NAME_RE.test(version))
    throw new UsageError(`model version "${version}" may only hold letters, digits, "_", "." and "-"`, {
      hint: "pass --version",
    });
  const serveConfig = renderServeConfig({
    name,
    version,
    modelPath: `/models/${path.basename(modelFiles[0])}`,
    server: opts.server,
  });
  const modelDigest = await hashFile(modelFiles[0]);
  const modelBytes = modelFiles.reduce((s, f) => s + fs.statSync(f).size, 0);
  lap("readModel");

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
  lap("collect");

  const wantDaemon =
    opts.builder === "daemon" ||
    (opts.builder !== "oci" && !opts.fromScratch && !opts.format && (await daemonAvailable(opts.daemon)));
  const cacheDir = opts.cacheDir === false ? undefined : (opts.cacheDir ?? defaultCacheDir());
  const out = path.resolve(opts.out);
  await fs.promises.mkdir(out, { recursive: true });
  let base: BaseSource | undefined;
  try {
    if (!opts.fromScratch && !wantDaemon) {
      const baseRef = opts.base ?? DEFAULT_BASE;
      const registryHostOf = (r: string) => r.split("/")[0];
      base = await resolveBase(baseRef, {
        platforms,
        cacheDir: cacheDir && path.join(cacheDir, "base"),
        registry: {
          credentials: dockerCredentials(),
          ...opts.registry,
          insecureRegistries: opts.insecure
            ? [registryHostOf(opts.tag ?? baseRef), registryHostOf(baseRef)]
            : [],
        },
      }).catch((e: unknown) => {
        if (e instanceof UserError && !opts.base)
          throw new UserError(`cannot get the default base image ${DEFAULT_BASE}: ${e.message}`, {
            hint: "pass --base REF|DIR|TAR (a registry image, OCI layout or docker save tarball), or --from-scratch",
          });
        throw e;
      });
      lap("base");
    }
    const baseImage = opts.fromScratch ? "scratch" : (base?.reference ?? opts.base ?? DEFAULT_BASE);
    const context = await emitContext({
      dir: path.join(out, "context"),
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
        port: String(opts.server?.port ?? DEFAULT_PORT),
        serveConfig: SERVE_CONFIG_FILE,
        modelFile: path.basename(modelFiles[0]),
        modelDigest,
        tag: opts.tag ?? `${name.toLowerCase()}:latest`,
        platforms: platforms.map(formatPlatform).join(","),
        baseImage: fs.existsSync(baseImage) ? DEFAULT_BASE : baseImage,
        baseNote: opts.fromScratch
          ? `FROM scratch: node ${process.version} and its shared libraries are in rootfs/ (linux/${hostArchitecture()} only).`
          : fs.existsSync(baseImage)
            ? `The base was the local image ${baseImage}; push it to a registry and pass --build-arg BASE_IMAGE=REF.`
            : `Base image: ${baseImage} (override with --build-arg BASE_IMAGE=REF).`,
        defaultArch: archs[0],
        runtimeCopy: scratch ? "COPY rootfs/ /" : "# node comes from the base image.",
      },
    });
    lap("context");

    const model_ = {
      name,
      version,
      file: path.basename(modelFiles[0]),
      digest: modelDigest,
      bytes: modelBytes,
    };
    if (wantDaemon) {
      const built = await buildWithDaemon({
        context: context.dir,
        dockerfile: context.dockerfile,
        platforms,
        tag: opts.tag,
        push: opts.push,
        logger,
        deps: opts.daemon,
      });
      lap("daemonBuild");
      return {
        builder: "daemon",
        out,
        context: context.dir,
        format,
        output: built.id,
        tag: opts.tag,
        digest: built.id,
        mediaType: "",
        model: model_,
        platforms: [],
        packages: app.packages,
        timings,
      };
    }

    const plans = platforms.map((p) =>
      planDockerfile(context.dockerfile, { TARGETARCH: p.architecture, BASE_IMAGE: baseImage }),
    );
    const layoutDir = path.join(out, `.oci.tmp-${process.pid}`);
    await fs.promises.rm(layoutDir, { recursive: true, force: true });
    const built = await buildDaemonless({
      layoutDir,
      contextDir: context.dir,
      platforms,
      plans,
      base,
      tag: opts.tag,
      created: opts.sourceDateEpoch,
      gzipLevel: opts.gzipLevel,
      cacheDir: cacheDir && path.join(cacheDir, "layers"),
      logger,
    });
    lap("layers");
    let output: string;
    if (format === "oci") {
      output = path.join(out, "oci");
      await fs.promises.rm(output, { recursive: true, force: true });
      await fs.promises.rename(layoutDir, output);
    } else {
      output = path.join(out, `${format}.tar`);
      const tags = opts.tag ? [opts.tag] : [`${name.toLowerCase()}:latest`];
      await writeArchive(layoutDir, output, format, tags);
      await fs.promises.rm(layoutDir, { recursive: true, force: true });
    }
    lap("write");
    let pushed: PushReport | undefined;
    if (opts.push && opts.tag) {
      pushed = await pushImage(output, opts.tag, {
        insecure: opts.insecure,
        registry: opts.registry,
        logger,
      });
      lap("push");
    }
    return {
      builder: "oci",
      out,
      context: context.dir,
      format,
      output,
      tag: opts.tag,
      digest: built.digest,
      mediaType: built.mediaType,
      model: model_,
      platforms: built.platforms,
      packages: app.packages,
      push: pushed,
      timings,
    };
  } finally {
    await base?.cleanup();
  }
}
