/**
 * The kubernetes target: OUTPUT/kubernetes/ with a KServe InferenceService, or a Deployment (or Argo
 * Rollout) + Service + HPA + PDB, and a kustomization.yaml. It runs the docker target's image pinned
 * by digest and sizes the pods from what the bench step measured (src/artifacts/kubernetes/sizing.ts).
 * It comes after docker in the registry, so this build's image digest is known when it runs.
 */
import fs from "node:fs";
import path from "node:path";
import { UsageError } from "../../../errors.js";
import { shownPath } from "../../events.js";
import { defineTarget } from "../types.js";
import { stepsProblem } from "../../../artifacts/kubernetes/steps.js";
import type { KubernetesTargetConfig } from "./config.js";
import { benchFigures, kubernetesInputs, requireImage, resolveImage } from "./inputs.js";

function checkSteps(steps: number[] | undefined): void {
  const problem = steps && stepsProblem(steps);
  if (problem)
    throw new UsageError(`targets.kubernetes.canary.steps: ${problem}`, {
      hint: "e.g. steps: [1, 10, 50, 100]",
    });
}

export const kubernetesTarget = defineTarget<KubernetesTargetConfig>({
  name: "kubernetes",
  ships: "quantized",
  validateFor: "ort-cpu",
  checkConfig({ ctx, config }) {
    if (config.flavor === "kserve" && config.rollout === "argo")
      throw new UsageError("targets.kubernetes.rollout: argo applies to flavor: deployment, not kserve", {
        hint: "KServe does its own canary (canaryTrafficPercent): drop rollout, or use flavor: deployment",
      });
    if (!config.image && !ctx.config.targets.docker)
      throw new UsageError(
        "targets.kubernetes needs an image: there is no targets.docker section and no targets.kubernetes.image",
        {
          hint: "add targets.docker (the image is built and pinned by its digest) or set targets.kubernetes.image: REPO@sha256:…",
        },
      );
    checkSteps(config.canary?.steps);
    if (config.graph && config.flavor !== "kserve")
      throw new UsageError("targets.kubernetes.graph: an InferenceGraph needs flavor: kserve", {
        hint: "set flavor: kserve, or chain the models in one pod with pipeline: (mlpack compose)",
      });
  },
  // The manifests follow from the config, the serve settings, the image digest and the measurements.
  async cacheKey({ ctx, config }) {
    return {
      config,
      server: ctx.config.server ?? {},
      image: resolveImage(ctx, config).image ?? null,
      bench: benchFigures(ctx),
    };
  },
  async build({ ctx, config, model }) {
    const { kubernetesManifests, writeManifestDir } = await import("../../../artifacts/kubernetes/write.js");
    const resolved = resolveImage(ctx, config);
    const image = requireImage(resolved);
    const { input, notes } = kubernetesInputs(ctx, image, fs.statSync(model).size);
    const { files, sizing } = kubernetesManifests(input, config);
    const out = path.join(ctx.outDir, "kubernetes");
    const header = [
      `Written by mlpack build (${ctx.name} ${ctx.version}); image from the ${resolved.source}.`,
      ...sizing.explain,
    ];
    const written = await writeManifestDir(out, files, header);
    return {
      artifact: {
        target: "kubernetes",
        kind: `kubernetes-${config.flavor ?? "deployment"}${config.rollout === "argo" ? "-argo" : ""}`,
        path: out,
        bytes: written.reduce((s, f) => s + fs.statSync(path.join(out, f)).size, 0),
        ref: image,
        details: {
          files: written,
          image,
          imageSource: resolved.source,
          sizing: sizing.explain,
          notes,
          resources: sizing.resources,
        },
      },
      outputs: [out],
    };
  },
  summarize(a) {
    const d = a.details as {
      files: string[];
      notes: string[];
      resources: { requests: { cpu: string; memory: string } };
    };
    const r = d.resources.requests;
    const notes = d.notes.length ? `; ${d.notes.join("; ")}` : "";
    return `${a.kind}: ${d.files.length} file(s), cpu ${r.cpu}, memory ${r.memory}, ${a.ref?.replace(/@sha256:(.{12}).*/, "@sha256:$1…")}${notes} → ${shownPath(a.path)}`;
  },
});
