/**
 * A registered target as a build step: pick the model it ships, reuse the cached artifact when its
 * key (model bytes, name, version, mlpack's code id and the target's own cache key) and files match,
 * else build it; record the artifact in the manifest either way.
 */
import { hashJson } from "../cache.js";
import type { ArtifactRecord, BuildStep, StepContext } from "../types.js";
import { getTarget, type TargetName } from "../targets/registry.js";
import type { TargetBuildContext } from "../targets/types.js";

/** The model a target ships: the quantized one (when the build ships it) or always the float one. */
export function targetModel(ctx: StepContext, name: TargetName): { model: string; modelSha256: string } {
  return getTarget(name).ships === "float"
    ? { model: ctx.sourceModel, modelSha256: ctx.sourceSha256 }
    : { model: ctx.shippedModel, modelSha256: ctx.shippedSha256 };
}

export function targetContext(ctx: StepContext, name: TargetName): TargetBuildContext<unknown> {
  return { ctx, config: ctx.config.targets[name], ...targetModel(ctx, name) };
}

export function targetStep(name: TargetName): BuildStep {
  const def = getTarget(name);
  const cacheKey = async (ctx: StepContext) => {
    const t = targetContext(ctx, name);
    return {
      model: t.modelSha256,
      name: ctx.name,
      version: ctx.version,
      v: ctx.mlpackVersion,
      target: await def.cacheKey(t),
    };
  };
  return {
    name,
    applies: (ctx) => ctx.targets.includes(name),
    cacheKey,
    preflight: async (ctx) => def.preflight?.(targetContext(ctx, name)),
    async run(ctx) {
      const t = targetContext(ctx, name);
      const key = hashJson(await cacheKey(ctx));
      let artifact = ctx.cache.get<ArtifactRecord>(name, key);
      const cached = !!artifact;
      if (!artifact) {
        const built = await def.build(t);
        artifact = built.artifact;
        ctx.cache.put(name, key, artifact, built.outputs);
      }
      ctx.manifest.artifacts.push(artifact);
      // Stored records hold paths relative to the output folder; the step line shows them from here.
      const shown = { ...artifact, path: ctx.resolve(artifact.path) };
      return { status: cached ? "cached" : "ok", summary: def.summarize(shown) };
    },
  };
}

/** The chosen targets that ship the onnxruntime (possibly quantized) model. */
export function quantizedTargets(ctx: Pick<StepContext, "targets">): TargetName[] {
  return ctx.targets.filter((t) => getTarget(t).ships === "quantized");
}

/** Why a step about the onnxruntime model does not apply, or undefined when some target ships it. */
export function noQuantizedTarget(ctx: Pick<StepContext, "targets">): string | undefined {
  if (quantizedTargets(ctx).length > 0) return undefined;
  const floats = ctx.targets.filter((t) => getTarget(t).ships === "float");
  return `no chosen target ships the onnxruntime model${floats.length ? ` (${floats.join(", ")} converts the float model)` : ""}`;
}
