/**
 * What the kubernetes target's manifests are made from, gathered from the build: the image (the
 * docker target's digest, from this build or the last one), the serve settings, and the bench step's
 * measurements. Whatever is missing falls back to a documented default and is named in `notes`.
 */
import fs from "node:fs";
import path from "node:path";
import { UserError } from "../../../errors.js";
import { DEFAULT_PORT } from "../../../artifacts/oci/serve-config.js";
import { SERVE_DEFAULTS } from "../../../serve/options.js";
import type { KubernetesInputs } from "../../../artifacts/kubernetes/types.js";
import type { ArtifactRecord, BuildManifest, StepContext } from "../../types.js";
import type { KubernetesTargetConfig } from "./config.js";

// The same defaults the image's serve config and `mlpack serve` use.
const DEFAULT_SHUTDOWN_MS = SERVE_DEFAULTS.shutdownTimeoutMs;

export interface ResolvedImage {
  image?: string;
  /** Where it came from, for the summary. */
  source: string;
}

function fromArtifact(a: ArtifactRecord, ctx: StepContext, source: string): ResolvedImage {
  // The image's digest is the same built and pushed (push uploads the layout's root manifest as is).
  const pushed = (a.details?.pushed as { digest?: string } | undefined)?.digest;
  const digest = pushed ?? a.digest;
  if (!digest) return { source: `${source} (no digest recorded)` };
  const repo = (a.ref ?? ctx.config.targets.docker?.tag ?? ctx.name).replace(/@sha256:[0-9a-f]+$/, "");
  return { image: `${repo}@${digest}`, source: pushed ? `${source}, pushed` : source };
}

/** targets.kubernetes.image, else this build's docker image, else the last build's (its manifest). */
export function resolveImage(ctx: StepContext, config: KubernetesTargetConfig): ResolvedImage {
  if (config.image) return { image: config.image, source: "targets.kubernetes.image" };
  const now = ctx.manifest.artifacts?.find((a) => a.target === "docker");
  if (now) return fromArtifact(now, ctx, "docker target of this build");
  const file = path.join(ctx.outDir, "mlpack-manifest.json");
  try {
    const last = JSON.parse(fs.readFileSync(file, "utf8")) as BuildManifest;
    const a = last.artifacts?.find((x) => x.target === "docker");
    if (last.model?.version === ctx.version) {
      if (a) return fromArtifact(a, ctx, "docker target of the last build");
      // The last build was `--target kubernetes` alone too: the image its manifests ran.
      const d = last.artifacts?.find((x) => x.target === "kubernetes")?.details as
        { image?: string; imageSource?: string } | undefined;
      if (d?.image) return { image: d.image, source: d.imageSource ?? "last build" };
    }
  } catch {
    // No earlier build: nothing to reuse.
  }
  return { source: "none" };
}

export function requireImage(r: ResolvedImage): string {
  if (r.image) return r.image;
  throw new UserError("targets.kubernetes: no image to run", {
    hint: "build the docker target in the same build (configure targets.docker; with --target, name both: --target docker --target kubernetes), or set targets.kubernetes.image to an image pinned by digest (REPO@sha256:…)",
  });
}

/** The figures the bench step recorded: peak RSS and the best inferences/s of the shipped model. */
export function benchFigures(ctx: StepContext): {
  peakRssBytes?: number;
  throughput?: number;
  source?: string;
} {
  const b = ctx.manifest.bench as
    | {
        peakRssBytes?: number;
        results?: { role: string; batch: number; concurrency: number; inferencesPerSec: number }[];
      }
    | undefined;
  if (!b) return {};
  const mine = (b.results ?? []).filter((r) => r.role === "candidate" && r.inferencesPerSec > 0);
  const best = mine.sort((x, y) => y.inferencesPerSec - x.inferencesPerSec)[0];
  return {
    peakRssBytes: b.peakRssBytes,
    throughput: best?.inferencesPerSec,
    source: best ? `bench step, batch ${best.batch}, concurrency ${best.concurrency}` : undefined,
  };
}

export function kubernetesInputs(
  ctx: StepContext,
  image: string,
  modelBytes: number,
): { input: KubernetesInputs; notes: string[] } {
  const s = ctx.config.server ?? {};
  const notes: string[] = [];
  const bench = benchFigures(ctx);
  if (bench.peakRssBytes === undefined)
    notes.push("no peak RSS measured (bench not run): memory from the model size");
  if (bench.throughput === undefined)
    notes.push("no throughput measured (bench not run): autoscaling on cpu");
  if (s.intraOpThreads === undefined)
    notes.push("server.intraOpThreads unset: sized for 1 thread per worker (set it to match the pod's cpu)");
  return {
    input: {
      name: ctx.name,
      version: ctx.version,
      image,
      port: s.port ?? DEFAULT_PORT,
      workers: s.workers ?? 1,
      intraOpThreads: s.intraOpThreads ?? 1,
      peakRssBytes: bench.peakRssBytes,
      modelBytes,
      replicaThroughput: bench.throughput,
      throughputSource: bench.source,
      shutdownTimeoutMs: s.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_MS,
    },
    notes,
  };
}
