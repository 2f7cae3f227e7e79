/** What the Kubernetes manifests are made from: the target's config and what the build measured. */

/** targets.kubernetes in mlpack.yaml. */
export interface KubernetesTargetConfig {
  /** kserve: a KServe InferenceService; deployment (default): Deployment + Service + HPA + PDB. */
  flavor?: "kserve" | "deployment";
  /** With flavor deployment: "argo" writes an Argo Rollouts Rollout + AnalysisTemplate instead of a Deployment. */
  rollout?: "argo" | "none";
  /** Namespace for every object. Default: none (kubectl's current namespace). */
  namespace?: string;
  /**
   * Image to run, pinned by digest. Default: the docker target's tag and the digest the build made.
   * @pattern ^[^\s]+$
   */
  image?: string;
  /**
   * Fewest replicas. Default 1.
   * @minimum 0
   */
  minReplicas?: number;
  /**
   * Most replicas. Default 10.
   * @minimum 1
   */
  maxReplicas?: number;
  /**
   * Share of one replica's measured throughput at which to add replicas. Default 0.7.
   * @minimum 0.05
   * @maximum 1
   */
  targetUtilization?: number;
  /** Override the memory request/limit derived from the benchmark's peak RSS, e.g. "1Gi". */
  memory?: string;
  /** Override the CPU request/limit derived from workers × intra-op threads, e.g. "2" or "500m". */
  cpu?: string;
  /** Canary rollout (Argo Rollouts and KServe canaryTrafficPercent). */
  canary?: CanaryConfig;
}

export interface CanaryConfig {
  /** Traffic percentages, ending at 100. Default [1, 10, 50, 100]. */
  steps?: number[];
  /**
   * Pause after each step before the analysis decides, e.g. "5m" (default).
   * @pattern ^\d+(s|m|h)$
   */
  pause?: string;
  /**
   * Roll back when the canary's 5xx ratio exceeds the stable one's by more than this (absolute). Default 0.01.
   * @minimum 0
   * @maximum 1
   */
  maxErrorRatioIncrease?: number;
  /**
   * Roll back when the canary's p99 latency exceeds the stable one's by more than this factor. Default 1.2.
   * @minimum 1
   */
  maxP99Ratio?: number;
  /** Prometheus the analysis queries. Default http://prometheus-server.monitoring.svc:80. */
  prometheus?: string;
}

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
