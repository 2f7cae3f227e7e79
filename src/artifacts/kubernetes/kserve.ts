/**
 * flavor: kserve — a ServingRuntime that runs the mlpack image (Open Inference Protocol v2) and an
 * InferenceService whose predictor selects it. KServe would auto-select Triton or onnxruntime-server
 * for an ONNX model; naming our runtime keeps the image that the build measured and pushed.
 */
import {
  containerSecurityContext,
  dnsLabel,
  LIVE_PATH,
  metadata,
  podSecurityContext,
  READY_PATH,
} from "./pod.js";
import type { Sizing } from "./sizing.js";
import type { KubernetesInputs, KubernetesTargetConfig, ManifestFile } from "./types.js";

export const KSERVE_API = "serving.kserve.io/v1beta1";
export const RUNTIME_API = "serving.kserve.io/v1alpha1";
/** Knative and KServe recognise only these port names (http1 = HTTP/1.1 REST). */
const KSERVE_PORT_NAME = "http1";

export function kserveManifests(
  input: KubernetesInputs,
  cfg: KubernetesTargetConfig,
  sizing: Sizing,
): ManifestFile[] {
  const name = dnsLabel(input.name);
  const runtimeName = `mlpack-${name}`.slice(0, 63).replace(/-+$/, "");
  const probe = (path: string, period: number, failures: number) => ({
    httpGet: { path, port: input.port },
    periodSeconds: period,
    timeoutSeconds: 2,
    failureThreshold: failures,
  });
  const container = {
    name: "kserve-container",
    image: input.image,
    ports: [{ name: KSERVE_PORT_NAME, containerPort: input.port, protocol: "TCP" }],
    readinessProbe: probe(READY_PATH, 5, 2),
    livenessProbe: probe(LIVE_PATH, 10, 3),
    resources: sizing.resources,
    securityContext: containerSecurityContext(),
  };
  const runtime = {
    apiVersion: RUNTIME_API,
    kind: "ServingRuntime",
    metadata: metadata(runtimeName, input, cfg.namespace),
    spec: {
      supportedModelFormats: [{ name: "onnx", version: "1", autoSelect: false }],
      protocolVersions: ["v2"],
      multiModel: false,
      containers: [container],
    },
  };
  const predictor: Record<string, unknown> = {
    minReplicas: sizing.minReplicas,
    maxReplicas: sizing.maxReplicas,
    ...(sizing.rpsTarget !== undefined
      ? { scaleMetric: "rps", scaleTarget: sizing.rpsTarget }
      : { scaleMetric: "cpu", scaleTarget: sizing.cpuUtilization }),
    ...(input.canaryTrafficPercent !== undefined ? { canaryTrafficPercent: input.canaryTrafficPercent } : {}),
    securityContext: podSecurityContext(),
    automountServiceAccountToken: false,
    terminationGracePeriodSeconds: Math.ceil(input.shutdownTimeoutMs / 1000) + 5,
    model: {
      modelFormat: { name: "onnx", version: "1" },
      runtime: runtimeName,
      protocolVersion: "v2",
      // The model is baked into the image: no storageUri, no storage initializer.
      image: input.image,
      resources: sizing.resources,
    },
  };
  const isvc = {
    apiVersion: KSERVE_API,
    kind: "InferenceService",
    metadata: metadata(name, input, cfg.namespace, {
      annotations: {
        "serving.kserve.io/enable-prometheus-scraping": "true",
        "prometheus.kserve.io/port": String(input.port),
        "prometheus.kserve.io/path": "/metrics",
      },
    }),
    spec: { predictor },
  };
  return [
    { file: "servingruntime.yaml", objects: [runtime] },
    { file: "inferenceservice.yaml", objects: [isvc] },
  ];
}
