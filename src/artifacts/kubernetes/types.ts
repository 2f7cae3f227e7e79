/** What the Kubernetes manifests are made from: the target's config and what the build measured. */

// The config section is declared with the build target (src/build/targets/kubernetes/config.ts).
import type { KubernetesTargetConfig, CanaryConfig } from "../../build/targets/kubernetes/config.js";
export type { KubernetesTargetConfig, CanaryConfig };

/** What the build knows when it writes the manifests. */
export interface KubernetesInputs {
  name: string;
  version: string;
  /** Image reference pinned by digest (repo@sha256:…) or repo:tag@sha256:…. */
  image: string;
  port: number;
  workers: number;
  intraOpThreads: number;
  /** Peak resident memory of one server process in the build's benchmark, if measured. */
  peakRssBytes?: number;
  /** Model file size (lower bound for memory when nothing was measured). */
  modelBytes: number;
  /** Inferences per second one replica sustained in the build's benchmark, if measured. */
  replicaThroughput?: number;
  /** Where the throughput figure comes from, for the explanation in the manifests. */
  throughputSource?: string;
  /** A rollout in progress: the canary's share of traffic (KServe canaryTrafficPercent). */
  canaryTrafficPercent?: number;
  shutdownTimeoutMs: number;
}

/** One file of OUTPUT/kubernetes: its name, the objects it holds (YAML documents). */
export interface ManifestFile {
  file: string;
  objects: Record<string, unknown>[];
}
