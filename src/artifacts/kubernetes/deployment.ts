/**
 * flavor: deployment — Deployment (or, with rollout: argo, an Argo Rollouts Rollout and its
 * AnalysisTemplate) + Service + HorizontalPodAutoscaler (autoscaling/v2) + PodDisruptionBudget.
 */
import { DEFAULT_PAUSE, DEFAULT_RULE, DEFAULT_STEPS, promQueries } from "../../rollout/rule.js";
import { dnsLabel, labels, metadata, podAnnotations, podSpec, PORT_NAME, selector } from "./pod.js";
import type { Sizing } from "./sizing.js";
import type { KubernetesInputs, KubernetesTargetConfig, ManifestFile } from "./types.js";

export const ROLLOUT_API = "argoproj.io/v1alpha1";
export const DEFAULT_PROMETHEUS = "http://prometheus-server.monitoring.svc:80";

export function deploymentManifests(
  input: KubernetesInputs,
  cfg: KubernetesTargetConfig,
  sizing: Sizing,
): ManifestFile[] {
  const name = dnsLabel(input.name);
  const ns = cfg.namespace;
  const argo = cfg.rollout === "argo";
  const template = {
    metadata: { labels: labels(input), annotations: podAnnotations(input) },
    spec: podSpec(input, sizing),
  };
  const workload = argo
    ? {
        apiVersion: ROLLOUT_API,
        kind: "Rollout",
        metadata: metadata(name, input, ns),
        spec: {
          replicas: Math.max(1, sizing.minReplicas),
          revisionHistoryLimit: 3,
          selector: { matchLabels: selector(input) },
          template,
          strategy: { canary: canaryStrategy(name, cfg) },
        },
      }
    : {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: metadata(name, input, ns),
        spec: {
          replicas: Math.max(1, sizing.minReplicas),
          revisionHistoryLimit: 3,
          selector: { matchLabels: selector(input) },
          strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
          template,
        },
      };
  const service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: metadata(name, input, ns),
    spec: {
      selector: selector(input),
      ports: [{ name: PORT_NAME, port: 80, targetPort: PORT_NAME, protocol: "TCP" }],
    },
  };
  const hpa = {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: metadata(name, input, ns),
    spec: {
      scaleTargetRef: argo
        ? { apiVersion: ROLLOUT_API, kind: "Rollout", name }
        : { apiVersion: "apps/v1", kind: "Deployment", name },
      minReplicas: Math.max(1, sizing.minReplicas),
      maxReplicas: sizing.maxReplicas,
      metrics: [
        {
          type: "Resource",
          resource: {
            name: "cpu",
            target: { type: "Utilization", averageUtilization: sizing.cpuUtilization },
          },
        },
      ],
      behavior: {
        // Scale out fast, scale in slowly: a model server's cold start costs more than an idle pod.
        scaleUp: {
          stabilizationWindowSeconds: 0,
          policies: [{ type: "Percent", value: 100, periodSeconds: 30 }],
        },
        scaleDown: {
          stabilizationWindowSeconds: 300,
          policies: [{ type: "Pods", value: 1, periodSeconds: 60 }],
        },
      },
    },
  };
  const pdb = {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: metadata(name, input, ns),
    spec: { maxUnavailable: 1, selector: { matchLabels: selector(input) } },
  };
  const files: ManifestFile[] = [
    { file: argo ? "rollout.yaml" : "deployment.yaml", objects: [workload] },
    { file: "service.yaml", objects: [service] },
    { file: "hpa.yaml", objects: [hpa] },
    { file: "pdb.yaml", objects: [pdb] },
  ];
  if (argo) files.push({ file: "analysis-template.yaml", objects: [analysisTemplate(name, input, cfg)] });
  return files;
}

function canaryStrategy(name: string, cfg: KubernetesTargetConfig): Record<string, unknown> {
  const steps = cfg.canary?.steps ?? DEFAULT_STEPS;
  const pause = cfg.canary?.pause ?? DEFAULT_PAUSE;
  return {
    // The analysis runs in the background from the first step: a failing canary is aborted (traffic
    // back to stable) at whichever step it fails.
    analysis: {
      templates: [{ templateName: `${name}-canary-analysis` }],
      startingStep: 1,
      args: [
        { name: "canary-hash", valueFrom: { podTemplateHashValue: "Latest" } },
        { name: "stable-hash", valueFrom: { podTemplateHashValue: "Stable" } },
      ],
    },
    steps: steps.flatMap((w, i) =>
      i === steps.length - 1 && w === 100
        ? [{ setWeight: w }]
        : [{ setWeight: w }, { pause: { duration: pause } }],
    ),
  };
}

/** The rollback rule as Prometheus queries; the selector reads labels Prometheus copies from the pod. */
export function analysisTemplate(
  name: string,
  input: KubernetesInputs,
  cfg: KubernetesTargetConfig,
): Record<string, unknown> {
  const rule = {
    ...DEFAULT_RULE,
    ...(cfg.canary?.maxErrorRatioIncrease !== undefined
      ? { maxErrorRatioIncrease: cfg.canary.maxErrorRatioIncrease }
      : {}),
    ...(cfg.canary?.maxP99Ratio !== undefined ? { maxP99Ratio: cfg.canary.maxP99Ratio } : {}),
  };
  const q = promQueries(
    (w) => `app_kubernetes_io_name="${name}",rollouts_pod_template_hash="{{args.${w}-hash}}"`,
    rule.window,
  );
  const address = cfg.canary?.prometheus ?? DEFAULT_PROMETHEUS;
  return {
    apiVersion: ROLLOUT_API,
    kind: "AnalysisTemplate",
    metadata: metadata(`${name}-canary-analysis`, input, cfg.namespace),
    spec: {
      args: [{ name: "canary-hash" }, { name: "stable-hash" }],
      metrics: [
        {
          name: "error-ratio-increase",
          interval: "1m",
          failureLimit: 1,
          successCondition: `isNaN(result[0]) || result[0] <= ${rule.maxErrorRatioIncrease}`,
          provider: { prometheus: { address, query: q.errorRatioIncrease } },
        },
        {
          name: "p99-latency-ratio",
          interval: "1m",
          failureLimit: 1,
          successCondition: `isNaN(result[0]) || result[0] <= ${rule.maxP99Ratio}`,
          provider: { prometheus: { address, query: q.p99Ratio } },
        },
      ],
    },
  };
}
