/**
 * The pieces every flavor shares: labels, the serving container (probes on the server's own health
 * routes, the restricted Pod Security settings) and the pod around it.
 */
import type { Sizing } from "./sizing.js";
import type { KubernetesInputs } from "./types.js";

/** Probe paths: the Open Inference Protocol v2 health routes that `mlpack serve` answers. */
export const READY_PATH = "/v2/health/ready";
export const LIVE_PATH = "/v2/health/live";
export const METRICS_PATH = "/metrics";
/** The non-root user the restricted Pod Security Standard asks for (distroless "nonroot"). */
export const RUN_AS_USER = 65532;
export const PORT_NAME = "http";

export function labels(input: KubernetesInputs): Record<string, string> {
  return {
    "app.kubernetes.io/name": dnsLabel(input.name),
    "app.kubernetes.io/version": labelValue(input.version),
    "app.kubernetes.io/managed-by": "mlpack",
  };
}

export function selector(input: KubernetesInputs): Record<string, string> {
  return { "app.kubernetes.io/name": dnsLabel(input.name) };
}

/** Container-level restricted settings (also valid inside KServe's container specs). */
export function containerSecurityContext(): Record<string, unknown> {
  return {
    runAsNonRoot: true,
    runAsUser: RUN_AS_USER,
    runAsGroup: RUN_AS_USER,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

export function podSecurityContext(): Record<string, unknown> {
  return {
    runAsNonRoot: true,
    runAsUser: RUN_AS_USER,
    runAsGroup: RUN_AS_USER,
    fsGroup: RUN_AS_USER,
    seccompProfile: { type: "RuntimeDefault" },
  };
}

function probe(path: string, period: number, failures: number): Record<string, unknown> {
  return {
    httpGet: { path, port: PORT_NAME },
    periodSeconds: period,
    timeoutSeconds: 2,
    failureThreshold: failures,
  };
}

/** The serving container; `name` is "kserve-container" inside KServe objects. */
export function serveContainer(
  input: KubernetesInputs,
  sizing: Sizing,
  name = "mlpack-serve",
): Record<string, unknown> {
  return {
    name,
    image: input.image,
    imagePullPolicy: "IfNotPresent",
    ports: [{ name: PORT_NAME, containerPort: input.port, protocol: "TCP" }],
    readinessProbe: probe(READY_PATH, 5, 2),
    livenessProbe: probe(LIVE_PATH, 10, 3),
    // Loading a large model can take longer than the liveness budget: start-up gets its own.
    startupProbe: probe(LIVE_PATH, 2, 150),
    resources: sizing.resources,
    securityContext: containerSecurityContext(),
    // The root filesystem is read-only; onnxruntime and Node may still want a scratch directory.
    volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
  };
}

export function podAnnotations(input: KubernetesInputs): Record<string, string> {
  return {
    "prometheus.io/scrape": "true",
    "prometheus.io/port": String(input.port),
    "prometheus.io/path": METRICS_PATH,
  };
}

/** The pod spec of a Deployment or Rollout. */
export function podSpec(input: KubernetesInputs, sizing: Sizing): Record<string, unknown> {
  return {
    automountServiceAccountToken: false,
    securityContext: podSecurityContext(),
    // SIGTERM drains in-flight requests for up to shutdownTimeoutMs; give it that and a margin.
    terminationGracePeriodSeconds: Math.ceil(input.shutdownTimeoutMs / 1000) + 5,
    containers: [serveContainer(input, sizing)],
    volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
    topologySpreadConstraints: ["topology.kubernetes.io/zone", "kubernetes.io/hostname"].map((key) => ({
      maxSkew: 1,
      topologyKey: key,
      whenUnsatisfiable: "ScheduleAnyway",
      labelSelector: { matchLabels: selector(input) },
    })),
  };
}

export function metadata(
  name: string,
  input: KubernetesInputs,
  namespace: string | undefined,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { name, ...(namespace ? { namespace } : {}), labels: labels(input), ...extra };
}

/** A DNS-1035 label from a model name: lower case, [a-z0-9-], starts with a letter, ≤ 63 characters. */
export function dnsLabel(name: string): string {
  let s = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-+|-+$/g, "");
  if (!/^[a-z]/.test(s)) s = `m-${s}`;
  return s.slice(0, 63).replace(/-+$/, "");
}

/** A label value: ≤ 63 characters of [A-Za-z0-9_.-], alphanumeric at both ends. */
export function labelValue(v: string): string {
  const s = v
    .replace(/[^A-Za-z0-9_.-]+/g, "-")
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
  return s || "1";
}
