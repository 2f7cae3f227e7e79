/** The cache wrapper every target step uses: reuse the artifact when the key and its files match. */
import { hashJson } from "../cache.js";
import type { ArtifactRecord, StepContext } from "../types.js";

/** Runs `make` unless the cache has a result for this key whose files are intact. */
export async function cachedArtifact(
  ctx: StepContext,
  step: string,
  keyParts: unknown,
  make: () => Promise<{ artifact: ArtifactRecord; outputs: string[] }>,
): Promise<{ artifact: ArtifactRecord; cached: boolean }> {
  const key = hashJson({
    model: ctx.shippedSha256,
    name: ctx.name,
    version: ctx.version,
    v: ctx.mlpackVersion,
    keyParts,
  });
  const hit = ctx.cache.get<ArtifactRecord>(step, key);
  if (hit) {
    ctx.manifest.artifacts.push(hit);
    return { artifact: hit, cached: true };
  }
  const { artifact, outputs } = await make();
  ctx.cache.put(step, key, artifact, outputs);
  ctx.manifest.artifacts.push(artifact);
  return { artifact, cached: false };
}
