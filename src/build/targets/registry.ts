/**
 * The target registry: every target `mlpack build` knows, in build order. A target is one folder
 * (src/build/targets/<name>/: config.ts with its `targets.<name>` section, index.ts with its
 * definition, see types.ts); adding one means adding that folder and one line in each of the two
 * lists below. Everything else — the config schema (npm run gen:config-schema), `--target` choices,
 * the build plan, which shared steps apply, validation targets — is derived from here.
 */
import type { DockerTargetConfig } from "./docker/config.js";
import type { KubernetesTargetConfig } from "./kubernetes/config.js";
import type { LambdaTargetConfig } from "./lambda/config.js";
import type { TfjsTargetConfig } from "./tfjs/config.js";
import { dockerTarget } from "./docker/index.js";
import { kubernetesTarget } from "./kubernetes/index.js";
import { lambdaTarget } from "./lambda/index.js";
import { tfjsTarget } from "./tfjs/index.js";
import type { TargetDefinition } from "./types.js";

/** The artifacts `mlpack build` emits: one section per target, at least one. */
export interface TargetsConfig {
  /** A container image running the model server. */
  docker?: DockerTargetConfig;
  /** An AWS Lambda deployment zip. */
  lambda?: LambdaTargetConfig;
  /** A TensorFlow.js graph-model bundle for browsers. */
  tfjs?: TfjsTargetConfig;
  /** Kubernetes manifests (KServe, or Deployment/Argo Rollouts) running the docker target's image. */
  kubernetes?: KubernetesTargetConfig;
}

export type TargetName = keyof TargetsConfig;

/**
 * The definitions, in the order their steps run (cheapest first: a failing docker base should not
 * hide a finished bundle). `satisfies` keeps the keys equal to TargetsConfig's and each definition's
 * config type equal to its section's.
 */
const DEFINITIONS = {
  tfjs: tfjsTarget,
  lambda: lambdaTarget,
  docker: dockerTarget,
  // After docker: it runs the image this build made, pinned by its digest.
  kubernetes: kubernetesTarget,
} satisfies { [K in TargetName]-?: TargetDefinition<NonNullable<TargetsConfig[K]>> };

export const TARGET_NAMES = Object.keys(DEFINITIONS) as TargetName[];

export function getTarget(name: TargetName): TargetDefinition<unknown> {
  return DEFINITIONS[name] as TargetDefinition<unknown>;
}

export function isTargetName(name: string): name is TargetName {
  return Object.hasOwn(DEFINITIONS, name);
}
