/**
 * `buildImage()`: model → build context (always, see prepare.ts) → image. Daemonless (default
 * without a Docker daemon): the rendered Dockerfile is executed here, one gzip layer per COPY, on top
 * of the base image's layers, for each platform; the result is an OCI layout or an image tarball, and
 * optionally pushed. With a daemon: the same context is built by `docker build` through dockerode.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { silentLogger, type Logger } from "../../log.js";
import { UserError } from "../../errors.js";
import { planDockerfile } from "./dockerfile.js";
import { resolveBase, type BaseSource } from "./base.js";
import { buildDaemonless, type PlatformImage } from "./build-layers.js";
import { writeArchive, type ImageFormat } from "./archive.js";
import { pushImage, type PushReport } from "./push.js";
import { buildWithDaemon, daemonAvailable, type DaemonDeps } from "./daemon.js";
import { checkPlatforms, DEFAULT_BASE, writeBuildContext, type ModelInfo } from "./prepare.js";
import type { RegistryClientOptions } from "../registry/client.js";
import type { ServerConfig } from "../../config/types.js";
import type { DockerTargetConfig } from "../../build/targets/docker/config.js";
import { dockerCredentials } from "../registry/auth.js";
import { parseReference } from "../registry/reference.js";

export { DEFAULT_BASE };

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
  model: ModelInfo;
  /** Per platform: manifest and config digests, and every layer with its sizes. */
  platforms: PlatformImage[];
  packages: string[];
  push?: PushReport;
  timings: Record<string, number>;
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "mlpack");
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
  const platforms = checkPlatforms(opts);
  const wantDaemon =
    opts.builder === "daemon" ||
    (opts.builder !== "oci" && !opts.fromScratch && !opts.format && (await daemonAvailable(opts.daemon)));
  const cacheDir = opts.cacheDir === false ? undefined : (opts.cacheDir ?? defaultCacheDir());
  const out = path.resolve(opts.out);
  await fs.promises.mkdir(out, { recursive: true });

  const context = await writeBuildContext(opts);
  lap("context");
  logger.info(`build context: ${context.dir} (${context.packages.length} npm packages)`);
  if (wantDaemon) {
    logger.info("building with the Docker daemon");
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
      model: context.model,
      platforms: [],
      packages: context.packages,
      timings,
    };
  }

  let base: BaseSource | undefined;
  try {
    if (!opts.fromScratch) {
      const baseRef = opts.base ?? DEFAULT_BASE;
      logger.info(`base image: ${baseRef}`);
      const hosts = [baseRef, ...(opts.tag ? [opts.tag] : [])].map((r) => {
        try {
          return parseReference(r).registry;
        } catch {
          return r;
        }
      });
      base = await resolveBase(baseRef, {
        platforms,
        cacheDir: cacheDir && path.join(cacheDir, "base"),
        registry: {
          credentials: dockerCredentials(),
          ...opts.registry,
          insecureRegistries: opts.insecure ? hosts : [],
        },
      }).catch((e: unknown) => {
        if (e instanceof UserError && !opts.base)
          throw new UserError(`cannot get the default base image ${DEFAULT_BASE}: ${e.message}`, {
            hint: "set targets.docker.base to a registry image, an OCI layout or a docker save tarball, or set targets.docker.fromScratch: true",
          });
        throw e;
      });
      lap("base");
    }
    const plans = platforms.map((p) =>
      planDockerfile(context.dockerfile, { TARGETARCH: p.architecture, BASE_IMAGE: context.baseImage }),
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
    }).catch(async (e: unknown) => {
      await fs.promises.rm(layoutDir, { recursive: true, force: true });
      throw e;
    });
    lap("layers");
    let output: string;
    if (format === "oci") {
      output = path.join(out, "oci");
      await fs.promises.rm(output, { recursive: true, force: true });
      await fs.promises.rename(layoutDir, output);
    } else {
      output = path.join(out, `${format}.tar`);
      const tags = opts.tag ? [opts.tag] : [`${context.model.name.toLowerCase()}:latest`];
      await writeArchive(layoutDir, output, format, tags);
      await fs.promises.rm(layoutDir, { recursive: true, force: true });
    }
    lap("write");
    logger.info(`image ${built.digest}: ${output}`);
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
      model: context.model,
      platforms: built.platforms,
      packages: context.packages,
      push: pushed,
      timings,
    };
  } finally {
    await base?.cleanup();
  }
}
