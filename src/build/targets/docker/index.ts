/**
 * The docker target: an OCI image (or a Docker daemon build) running `mlpack serve` with the shipped
 * model, then — last of all steps, when targets.docker.push is on or --push is given — the push.
 */
import fs from "node:fs";
import path from "node:path";
import { listFiles } from "../../cache.js";
import { fmtMiB, shownPath } from "../../events.js";
import { defineTarget, packageVersion } from "../types.js";
import type { DockerTargetConfig } from "./config.js";
import { pushStep, pushWanted } from "./push.js";
import { checkBase } from "./preflight.js";
import { UsageError } from "../../../errors.js";

const sizeOf = (p: string) => listFiles(p).reduce((s, f) => s + fs.statSync(f).size, 0);

/** A local base (layout directory or tarball) relative to the config file, else the reference as given. */
function resolvedBase(configDir: string, base: string | undefined): string | undefined {
  return base && fs.existsSync(path.resolve(configDir, base)) ? path.resolve(configDir, base) : base;
}

export const dockerTarget = defineTarget<DockerTargetConfig>({
  name: "docker",
  ships: "quantized",
  validateFor: "ort-cpu",
  checkConfig({ ctx, config }) {
    if (pushWanted(ctx) && !config.tag)
      throw new UsageError(
        ctx.options.push
          ? "--push needs targets.docker.tag: the reference to push to"
          : "targets.docker.push is on but targets.docker.tag is not set",
        { hint: "set targets.docker.tag, e.g. registry.example.com/team/model:1 (or build with --no-push)" },
      );
  },
  preflight: ({ ctx, config }) => checkBase(ctx.configDir, config),
  async cacheKey({ ctx, config }) {
    // A local base (layout folder or tarball) by its content, a registry base by its reference.
    const base = resolvedBase(ctx.configDir, config.base);
    const baseId = base && fs.existsSync(base) ? await ctx.cache.contentId(base) : (base ?? null);
    // push is a separate step and does not change the image; the image carries onnxruntime-node, and
    // a FROM-scratch one this machine's node binary.
    return {
      config: { ...config, push: undefined },
      base: baseId,
      server: ctx.config.server ?? {},
      onnxruntime: packageVersion("onnxruntime-node"),
      node: config.fromScratch ? `${process.version} ${process.arch}` : null,
    };
  },
  async build({ ctx, config, model }) {
    const { buildImage } = await import("../../../artifacts/oci/build.js");
    const r = await buildImage({
      ...config,
      base: resolvedBase(ctx.configDir, config.base),
      push: false,
      model,
      name: ctx.name,
      version: ctx.version,
      server: ctx.config.server,
      out: path.join(ctx.outDir, "docker"),
      logger: ctx.log,
    });
    return {
      artifact: {
        target: "docker",
        kind: r.builder === "daemon" ? "docker-image" : r.format,
        path: r.output,
        bytes: fs.existsSync(r.output) ? sizeOf(r.output) : 0,
        digest: r.digest,
        ref: config.tag,
        details: {
          builder: r.builder,
          mediaType: r.mediaType,
          context: r.context,
          platforms: r.platforms,
          layers: r.platforms.flatMap((p) => p.layers).length,
        },
      },
      outputs: [r.output, r.context].filter((p) => fs.existsSync(p)),
    };
  },
  summarize: (a) => `${a.kind} ${a.digest?.slice(0, 19)} (${fmtMiB(a.bytes)}) → ${shownPath(a.path)}`,
  after: [pushStep],
});
