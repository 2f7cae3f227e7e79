/**
 * Resources and autoscaling derived from what the build measured (pure). The rules, also in the
 * README's "Scaling out" section:
 * - CPU request = workers × intra-op threads (the cores the server keeps busy at full load); no CPU
 *   limit, because a limit throttles latency-critical inference while the node has idle cores.
 * - Memory request = limit = peak RSS of the build's benchmark × 1.5, rounded up to 64 Mi (headroom
 *   for the batcher's queue and the response cache); with no measurement, 3 × the model + 256 Mi.
 * - Scale target = targetUtilization (default 0.7) × the inferences/s one replica sustained in the
 *   build's benchmark: replicas are added before the running ones saturate, leaving room for the
 *   burst that arrives while a new pod starts.
 */
import { UserError } from "../../errors.js";
import type { KubernetesInputs, KubernetesTargetConfig } from "./types.js";

const MI = 1024 * 1024;

export interface Sizing {
  resources: { requests: { cpu: string; memory: string }; limits: { memory: string } };
  minReplicas: number;
  maxReplicas: number;
  /** Requests per second per replica at which to scale out, when a throughput was measured. */
  rpsTarget?: number;
  /** CPU utilization (percent of the request) at which the HPA scales out. */
  cpuUtilization: number;
  /** One line per decision, written as a comment into the manifests. */
  explain: string[];
}

export function sizeDeployment(input: KubernetesInputs, cfg: KubernetesTargetConfig): Sizing {
  const explain: string[] = [];
  const cores = input.workers * input.intraOpThreads;
  const cpu = cfg.cpu ?? String(cores);
  explain.push(
    cfg.cpu
      ? `cpu request ${cpu}: targets.kubernetes.cpu`
      : `cpu request ${cpu}: ${input.workers} worker(s) × ${input.intraOpThreads} intra-op thread(s); no cpu limit (throttling hurts latency)`,
  );
  let memory: string;
  if (cfg.memory) {
    memory = cfg.memory;
    explain.push(`memory ${memory}: targets.kubernetes.memory`);
  } else if (input.peakRssBytes && input.peakRssBytes > 0) {
    const mi = roundUp64((input.peakRssBytes * 1.5) / MI);
    memory = `${mi}Mi`;
    explain.push(
      `memory ${memory}: peak RSS ${(input.peakRssBytes / MI).toFixed(0)} Mi measured by the build's benchmark × 1.5`,
    );
  } else {
    const mi = roundUp64((3 * input.modelBytes) / MI + 256);
    memory = `${mi}Mi`;
    explain.push(
      `memory ${memory}: no benchmark ran; 3 × the model (${(input.modelBytes / MI).toFixed(1)} Mi) + 256 Mi`,
    );
  }
  const minReplicas = cfg.minReplicas ?? 1;
  const maxReplicas = cfg.maxReplicas ?? 10;
  if (maxReplicas < Math.max(1, minReplicas))
    throw new UserError(
      `targets.kubernetes.maxReplicas (${maxReplicas}) is below minReplicas (${minReplicas})`,
      { hint: "raise targets.kubernetes.maxReplicas or lower minReplicas in mlpack.yaml" },
    );
  const utilization = cfg.targetUtilization ?? 0.7;
  let rpsTarget: number | undefined;
  if (input.replicaThroughput && input.replicaThroughput > 0) {
    rpsTarget = Math.max(1, Math.floor(input.replicaThroughput * utilization));
    explain.push(
      `scale target ${rpsTarget} requests/s per replica: ${utilization} × ${input.replicaThroughput.toFixed(1)} inferences/s measured (${input.throughputSource ?? "build benchmark"}); KServe scales on it, the HPA of flavor deployment on cpu at ${Math.round(utilization * 100)}% of the request`,
    );
  } else {
    explain.push(
      `no throughput measured: scaling on cpu at ${Math.round(utilization * 100)}% of the request`,
    );
  }
  return {
    resources: { requests: { cpu, memory }, limits: { memory } },
    minReplicas,
    maxReplicas,
    rpsTarget,
    cpuUtilization: Math.round(utilization * 100),
    explain,
  };
}

function roundUp64(mi: number): number {
  return Math.ceil(mi / 64) * 64;
}
