/** The `targets.kubernetes` section: manifests for a Kubernetes cluster (KServe or Deployment/Argo Rollouts). */
export interface KubernetesTargetConfig {
  /** kserve: a KServe InferenceService; deployment (default): Deployment + Service + HPA + PDB. */
  flavor?: "kserve" | "deployment";
  /** With flavor deployment: "argo" writes an Argo Rollouts Rollout + AnalysisTemplate instead of a Deployment. */
  rollout?: "argo" | "none";
  /**
   * Namespace for every object. Default: none (kubectl's current namespace).
   * @pattern ^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$
   */
  namespace?: string;
  /**
   * Image to run, pinned by digest (REPO@sha256:…). Default: the docker target's tag and the digest
   * the build made.
   * @pattern ^[^\s@]+@sha256:[0-9a-f]{64}$
   */
  image?: string;
  /**
   * Fewest replicas. Default 1.
   * @minimum 0
   * @asType integer
   */
  minReplicas?: number;
  /**
   * Most replicas. Default 10.
   * @minimum 1
   * @asType integer
   */
  maxReplicas?: number;
  /**
   * Share of one replica's measured throughput at which to add replicas. Default 0.7.
   * @minimum 0.05
   * @maximum 1
   */
  targetUtilization?: number;
  /**
   * Override the memory request/limit derived from the benchmark's peak RSS, e.g. "1Gi".
   * @pattern ^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|K|M|G|T)?$
   */
  memory?: string;
  /**
   * Override the CPU request derived from workers × intra-op threads, e.g. "2" or "500m".
   * @pattern ^([0-9]+(\.[0-9]+)?|[0-9]+m)$
   */
  cpu?: string;
  /** Canary rollout (Argo Rollouts and KServe canaryTrafficPercent). */
  canary?: CanaryConfig;
  /**
   * With flavor kserve: also write a KServe InferenceGraph (Sequence router) that chains this model's
   * InferenceService with separately deployed ones (each step gets the previous step's response).
   */
  graph?: InferenceGraphConfig;
}

export interface InferenceGraphConfig {
  /**
   * metadata.name of the InferenceGraph.
   * @pattern ^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$
   */
  name: string;
  /** InferenceService names that run before this model, in order. */
  before?: string[];
  /** InferenceService names that run after this model, in order. */
  after?: string[];
}

export interface CanaryConfig {
  /**
   * Traffic percentages, increasing, ending at 100. Default [1, 10, 50, 100].
   * @minItems 1
   */
  steps?: CanaryStep[];
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

/**
 * A canary step's share of traffic in percent.
 * @minimum 1
 * @maximum 100
 * @asType integer
 */
export type CanaryStep = number;
