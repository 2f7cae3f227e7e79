/** The data model of `mlpack build`: options in, a manifest out (dist/mlpack-manifest.json). */
import type { MlpackConfig } from "../config/types.js";
import type { BuildCache } from "./cache.js";
import type { EmitFn, StepStatus } from "./events.js";
import type { Logger } from "../log.js";
import type { Comparison } from "../bench/gate.js";
import type { ShipDecision } from "./ship-decision.js";

import type { TargetName } from "./targets/registry.js";

export type { TargetName };

export interface BuildOptions {
  /** mlpack.yaml / mlpack.json; default: looked up in cwd. */
  config?: string;
  cwd?: string;
  /** Only these targets (default: every target in the config). */
  targets?: TargetName[];
  /** Override targets.docker.push. */
  push?: boolean;
  /** Ignore and do not write the cache. */
  noCache?: boolean;
  /**
   * `NAME=DIMS` shapes (an input's full shape or one symbolic dim) over quantize.shapes and
   * bench.shapes, entry by entry (see shapes.ts).
   */
  shapes?: string[];
  /** Write this build's benchmark as a baseline JSON. */
  saveBaseline?: string;
  emit?: EmitFn;
}

export interface ArtifactRecord {
  target: TargetName;
  kind: string;
  path: string;
  bytes: number;
  sha256?: string;
  /** OCI image: manifest digest (per platform and the index), and the pushed reference. */
  digest?: string;
  ref?: string;
  details?: Record<string, unknown>;
}

export interface StepRecord {
  step: string;
  status: StepStatus;
  ms: number;
  summary: string;
}

export interface BuildManifest {
  schema: "mlpack-build-manifest";
  schemaVersion: 1;
  mlpackVersion: string;
  status: "ok" | "failed";
  error?: { message: string; exitCode: number };
  config: string;
  model: {
    name: string;
    version: string;
    source: string;
    sha256: string;
    shipped: string;
    shippedSha256?: string;
  };
  steps: StepRecord[];
  artifacts: ArtifactRecord[];
  validate?: { errors: number; warnings: number; targets: string[] };
  quantize?: Record<string, unknown>;
  bench?: Record<string, unknown>;
  /** Which model docker and lambda ship, why, and the figures (when the build quantized). */
  ship?: ShipDecision;
}

/** What each step sees: the resolved config, paths, the cache and a logger of its own. */
export interface StepContext {
  config: MlpackConfig;
  configFile: string;
  configDir: string;
  outDir: string;
  name: string;
  version: string;
  /** The float model as given. */
  sourceModel: string;
  sourceSha256: string;
  /** The model that ships: the quantized one when quantization is on. */
  shippedModel: string;
  shippedSha256: string;
  cache: BuildCache;
  /** The targets this build emits (the config's, or those picked with --target). */
  targets: TargetName[];
  log: Logger & { progress(fraction?: number, message?: string): void };
  options: BuildOptions;
  manifest: BuildManifest;
  /** A path from the manifest or a cache entry (relative to outDir) as an absolute path. */
  resolve(p: string): string;
  /** mlpack's version and a hash of its code: part of every cache key. */
  mlpackVersion: string;
  /** int8 size / float size, once the quantize step ran. */
  quantizedSizeRatio?: number;
  /** How many layers the quantize step quantized (0: the "int8" model is the float one). */
  quantizedLayers?: number;
  /** The benchmark's int8-against-float comparison (when it measured that, not a baseline). */
  floatComparison?: Comparison;
  /** The benchmark's Markdown report, for the build summary. */
  benchMarkdown?: string;
}

export interface StepOutcome {
  status: "ok" | "cached" | "skipped";
  summary: string;
}

export interface BuildStep {
  name: string;
  /**
   * Whether the step is in this build, decided from the config and the chosen targets before any
   * step runs: true runs it, a string lists it as skipped with that reason, false leaves it out of
   * the plan. Default: true.
   */
  applies?(ctx: StepContext): boolean | string;
  /**
   * Every input of the step's result besides what the context fixes for all (the model bytes it reads,
   * its config section, files it reads, mlpack's code id): the step reruns exactly when this changes.
   * Steps without one (push) always run.
   */
  cacheKey?(ctx: StepContext): Promise<unknown>;
  /**
   * Cheap checks of what the step will need (files, a registry, a dependency), run by the preflight
   * step before any step spends time: throw a UserError with a hint; return a note for the summary.
   */
  preflight?(ctx: StepContext): Promise<string | undefined>;
  run(ctx: StepContext): Promise<StepOutcome>;
}
