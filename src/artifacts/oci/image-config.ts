/**
 * Image config, manifest and index documents (pure). No clocks: `created` is fixed (the epoch, or
 * SOURCE_DATE_EPOCH when given) and history entries carry no timestamps, so identical inputs give
 * identical digests.
 */
import { MEDIA, type Descriptor, type ImageIndex, type ImageManifest, type Platform } from "./layout.js";
import type { DockerfilePlan } from "./dockerfile.js";

export interface ImageConfig {
  created?: string;
  architecture: string;
  os: string;
  variant?: string;
  config?: {
    User?: string;
    ExposedPorts?: Record<string, object>;
    Env?: string[];
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    WorkingDir?: string;
    Labels?: Record<string, string>;
    [k: string]: unknown;
  };
  rootfs: { type: "layers"; diff_ids: string[] };
  history?: { created?: string; created_by?: string; comment?: string; empty_layer?: boolean }[];
  [k: string]: unknown;
}

export function createdTime(sourceDateEpoch?: number): string {
  return new Date((sourceDateEpoch ?? 0) * 1000).toISOString().replace(/\.000Z$/, "Z");
}

function sortedRecord<T>(entries: [string, T][]): Record<string, T> {
  return Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Base config + the Dockerfile plan's settings + our layers' diff_ids. */
export function buildImageConfig(opts: {
  base: ImageConfig | undefined;
  platform: Platform;
  plan: DockerfilePlan;
  diffIds: string[];
  created: string;
}): ImageConfig {
  const { base, plan } = opts;
  const inherited = base?.config ?? {};
  const env = new Map<string, string>();
  for (const kv of inherited.Env ?? []) {
    const eq = kv.indexOf("=");
    env.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  if (!env.has("PATH")) env.set("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  for (const [k, v] of plan.env) env.set(k, v);
  const ports = { ...(inherited.ExposedPorts ?? {}) };
  for (const p of plan.expose) ports[p] = {};
  const labels = { ...(inherited.Labels ?? {}) };
  for (const [k, v] of plan.labels) labels[k] = v;
  const history = [...(base?.history ?? [])];
  for (const c of plan.copies)
    history.push({ created: opts.created, created_by: `${c.text} # mlpack`, comment: "mlpack" });
  const config: NonNullable<ImageConfig["config"]> = {
    ...inherited,
    User: plan.user ?? inherited.User,
    ExposedPorts: sortedRecord(Object.entries(ports)),
    Env: [...env].map(([k, v]) => `${k}=${v}`),
    Entrypoint: plan.entrypoint ?? inherited.Entrypoint ?? null,
    Cmd: plan.entrypoint ? (plan.cmd ?? null) : (plan.cmd ?? inherited.Cmd ?? null),
    WorkingDir: plan.workdir ?? inherited.WorkingDir ?? "",
    Labels: sortedRecord(Object.entries(labels)),
  };
  return {
    created: opts.created,
    architecture: opts.platform.architecture,
    os: opts.platform.os,
    ...(opts.platform.variant ? { variant: opts.platform.variant } : {}),
    config,
    rootfs: { type: "layers", diff_ids: [...(base?.rootfs.diff_ids ?? []), ...opts.diffIds] },
    history,
  };
}

export function buildManifest(
  config: Descriptor,
  layers: Descriptor[],
  annotations?: Record<string, string>,
): ImageManifest {
  return {
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    config: { mediaType: MEDIA.ociConfig, digest: config.digest, size: config.size },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    ...(annotations && Object.keys(annotations).length
      ? { annotations: sortedRecord(Object.entries(annotations)) }
      : {}),
  };
}

export function buildIndex(manifests: Descriptor[]): ImageIndex {
  return { schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests };
}

/** Docker media types of a base image's layers, mapped to their OCI names (the bytes are the same). */
export function ociLayerMediaType(mediaType: string): string {
  if (mediaType === MEDIA.dockerLayerGzip) return MEDIA.ociLayerGzip;
  if (mediaType === MEDIA.dockerForeignGzip) return MEDIA.ociForeignGzip;
  return mediaType;
}

export function parsePlatform(s: string): Platform {
  const [os, architecture, variant] = s.split("/");
  if (!os || !architecture || s.split("/").length > 3)
    throw new Error(`platform "${s}" should look like linux/amd64 or linux/arm64/v8`);
  if (architecture === "arm64") return { os, architecture, variant: variant ?? "v8" };
  return variant ? { os, architecture, variant } : { os, architecture };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join("/");
}

/** Does a base manifest's platform serve the requested one (variant optional on either side)? */
export function platformMatches(have: Platform | undefined, want: Platform): boolean {
  if (!have) return false;
  if (have.os !== want.os || have.architecture !== want.architecture) return false;
  return !have.variant || !want.variant || have.variant === want.variant;
}
