/**
 * The target steps: each turns the shipped model into one artifact through that target's library
 * function, caches the result under a key of content hashes (model bytes, the target's config, the
 * server defaults, mlpack's version), and records the artifact in the manifest. `push` is separate
 * and last, so that no gate can fail after an image is in a registry.
 */
import fs from "node:fs";
import path from "node:path";
import { listFiles } from "../cache.js";
import { cachedArtifact } from "./cached-artifact.js";
import { fmtMiB as mb, shownPath } from "../events.js";
import type { BuildStep, TargetName } from "../types.js";
import { tfjsStep } from "./tfjs.js";

function sizeOf(p: string): number {
  return listFiles(p).reduce((s, f) => s + fs.statSync(f).size, 0);
}

export const dockerStep: BuildStep = {
  name: "docker",
  async run(ctx) {
    const d = ctx.config.targets.docker!;
    const out = path.join(ctx.outDir, "docker");
    const base =
      d.base && fs.existsSync(path.resolve(ctx.configDir, d.base))
        ? path.resolve(ctx.configDir, d.base)
        : d.base;
    const baseHash =
      base && fs.existsSync(base) && fs.statSync(base).isFile() ? await ctx.cache.fileHash(base) : base;
    const { artifact, cached } = await cachedArtifact(
      ctx,
      "docker",
      { d: { ...d, push: undefined }, base: baseHash, server: ctx.config.server ?? {} },
      async () => {
        const { buildImage } = await import("../../artifacts/oci/build.js");
        const r = await buildImage({
          ...d,
          base,
          push: false,
          model: ctx.shippedModel,
          name: ctx.name,
          version: ctx.version,
          server: ctx.config.server,
          out,
          logger: ctx.log,
        });
        const layers = r.platforms.flatMap((p) => p.layers);
        return {
          artifact: {
            target: "docker",
            kind: r.builder === "daemon" ? "docker-image" : r.format,
            path: r.output,
            bytes: fs.existsSync(r.output) ? sizeOf(r.output) : 0,
            digest: r.digest,
            ref: d.tag,
            details: {
              builder: r.builder,
              mediaType: r.mediaType,
              context: r.context,
              platforms: r.platforms,
              layers: layers.length,
            },
          },
          outputs: [r.output, r.context].filter((p) => fs.existsSync(p)),
        };
      },
    );
    return {
      status: cached ? "cached" : "ok",
      summary: `${artifact.kind} ${artifact.digest?.slice(0, 19)} (${mb(artifact.bytes)}) → ${shownPath(artifact.path)}`,
    };
  },
};

export const lambdaStep: BuildStep = {
  name: "lambda",
  async run(ctx) {
    const l = ctx.config.targets.lambda!;
    const output = path.join(ctx.outDir, `${ctx.name}-lambda.zip`);
    const { artifact, cached } = await cachedArtifact(
      ctx,
      "lambda",
      { l, server: ctx.config.server ?? {} },
      async () => {
        const { buildLambdaZip } = await import("../../artifacts/lambda/build.js");
        const r = await buildLambdaZip({
          model: ctx.shippedModel,
          name: ctx.name,
          version: ctx.version,
          lambda: l,
          server: ctx.config.server,
          output,
          logger: ctx.log,
        });
        return {
          artifact: {
            target: "lambda",
            kind: "zip",
            path: r.zipPath,
            bytes: r.zippedBytes,
            sha256: r.sha256,
            details: {
              unzippedBytes: r.unzippedBytes,
              breakdown: r.breakdown,
              handler: r.handler,
              runtime: l.runtime ?? "nodejs20.x",
              arch: l.arch ?? "x86_64",
              onnxruntime: r.onnxruntimeVersion,
              warnings: r.warnings,
            },
          },
          outputs: [r.zipPath],
        };
      },
    );
    const unzipped = (artifact.details?.unzippedBytes as number) ?? 0;
    return {
      status: cached ? "cached" : "ok",
      summary: `${mb(artifact.bytes)} zipped, ${mb(unzipped)} unzipped → ${shownPath(artifact.path)}`,
    };
  },
};

export const pushStep: BuildStep = {
  name: "push",
  async run(ctx) {
    const d = ctx.config.targets.docker!;
    const image = ctx.manifest.artifacts.find((a) => a.target === "docker");
    if (!image) throw new Error("push: no docker artifact was built");
    if (!d.tag) throw new Error("push: targets.docker.tag is checked before the build starts");
    if (image.kind === "docker-image")
      return {
        status: "skipped",
        summary: `built by the Docker daemon: push it with \`docker push ${d.tag}\``,
      };
    const { pushImage } = await import("../../artifacts/oci/push.js");
    const r = await pushImage(image.path, d.tag, {
      insecure: d.insecure,
      logger: ctx.log,
      onProgress: (done, total) => ctx.log.progress(total ? done / total : 1, `${mb(done)} of ${mb(total)}`),
    });
    image.ref = r.reference;
    image.details = {
      ...image.details,
      pushed: {
        digest: r.digest,
        uploaded: r.uploaded,
        skipped: r.skipped,
        mounted: r.mounted,
        uploadedBytes: r.uploadedBytes,
      },
    };
    return {
      status: "ok",
      summary: `${r.reference}@${r.digest.slice(0, 19)}: ${r.uploaded} blob(s) uploaded (${mb(r.uploadedBytes)}), ${r.skipped} already there, ${r.mounted} mounted`,
    };
  },
};

export const TARGET_STEPS: Record<TargetName, BuildStep> = {
  docker: dockerStep,
  lambda: lambdaStep,
  tfjs: tfjsStep,
};
