/**
 * What a build target declares, in one module per target (src/build/targets/<name>/index.ts): its
 * name, what model it ships, what its model must validate against, its cheap up-front checks, how its
 * artifact is built and cached, and how the artifact is summed up. The orchestrator (build.ts) and
 * the shared steps (validate, quantize, bench) read these declarations; they never name a target.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import type { TargetId } from "../../ops/support/targets.js";
import type { ArtifactRecord, BuildStep, StepContext } from "../types.js";

/**
 * "quantized": ships the onnxruntime model, int8 when the quantize step ran (and the build decided to
 * ship it); "float": always converts the float model as given.
 */
export type ShippedModel = "quantized" | "float";

/** What a target's build function gets: the step context, its own config section and its model. */
export interface TargetBuildContext<C> {
  ctx: StepContext;
  config: C;
  /** The model this target ships (per `ships`) and its sha256. */
  model: string;
  modelSha256: string;
}

export interface TargetDefinition<C> {
  /** The key under `targets:` in mlpack.yaml, the step's name and `--target NAME`. */
  name: string;
  ships: ShippedModel;
  /** The runtime whose op support the model is validated against (see `mlpack validate --target`). */
  validateFor: TargetId;
  /**
   * Checks of the config and options alone (no I/O), before the build starts: throw a UsageError or
   * UserError. Nothing is printed or written when one fails.
   */
  checkConfig?(t: TargetBuildContext<C>): void;
  /**
   * Cheap checks run before any expensive step (base image reachable, optional dependency
   * installed…): throw a UserError with a hint, or return a note for the preflight step's line. Runs
   * in the preflight step, first of all steps.
   */
  preflight?(t: TargetBuildContext<C>): Promise<string | undefined>;
  /**
   * Everything besides the model bytes, the name, version and mlpack's own code id that decides the
   * artifact: a change in any of it rebuilds the artifact, nothing else does.
   */
  cacheKey(t: TargetBuildContext<C>): Promise<unknown>;
  /** Builds the artifact; `outputs` are the files whose change invalidates the cache entry. */
  build(t: TargetBuildContext<C>): Promise<{ artifact: ArtifactRecord; outputs: string[] }>;
  /** The step line's summary for a built or cached artifact. */
  summarize(artifact: ArtifactRecord): string;
  /** Steps that run after every target is built (docker's push), in the order the targets come. */
  after?: BuildStep[];
}

/** An installed package's version (for cache keys of artifacts that carry it), or null. */
export function packageVersion(name: string): string | null {
  try {
    const file = createRequire(import.meta.url).resolve(`${name}/package.json`);
    return (JSON.parse(fs.readFileSync(file, "utf8")) as { version: string }).version;
  } catch {
    return null;
  }
}

/** Keeps a target module's config type attached to its definition. */
export function defineTarget<C>(def: TargetDefinition<C>): TargetDefinition<C> {
  return def;
}
