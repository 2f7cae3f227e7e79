/**
 * Every object is checked against its real schema before a manifest is written: Kubernetes core
 * types with kubernetes-models (the OpenAPI definitions of the API server, as ajv validators), Argo
 * Rollouts objects with @kubernetes-models/argo-rollouts (its CRDs' schemas), KServe objects with the
 * vendored CRD schemas (kserve-schema.ts). An error names the object (kind/name) and the JSON path.
 */
import { Deployment } from "kubernetes-models/apps/v1";
import { Service } from "kubernetes-models/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { Job } from "kubernetes-models/batch/v1";
import { AnalysisTemplate, Rollout } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1";
import type { ErrorObject } from "ajv";
import { UserError } from "../../errors.js";
import { describeSchemaError, kserveProblems, type KserveKind } from "./kserve-schema.js";

type Json = Record<string, unknown>;

/** A model class of kubernetes-models: construct it from the object, `.validate()` throws. */
type ModelClass = new (data: never) => { validate(): void };

const MODELS: Record<string, ModelClass> = {
  "apps/v1 Deployment": Deployment,
  "v1 Service": Service,
  "autoscaling/v2 HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "policy/v1 PodDisruptionBudget": PodDisruptionBudget,
  "batch/v1 Job": Job,
  "argoproj.io/v1alpha1 Rollout": Rollout,
  "argoproj.io/v1alpha1 AnalysisTemplate": AnalysisTemplate,
};

const KSERVE: Record<string, KserveKind> = {
  "serving.kserve.io/v1beta1 InferenceService": "inferenceservice-v1beta1",
  "serving.kserve.io/v1alpha1 ServingRuntime": "servingruntime-v1alpha1",
  "serving.kserve.io/v1alpha1 InferenceGraph": "inferencegraph-v1alpha1",
};

export const KUSTOMIZATION_API = "kustomize.config.k8s.io/v1beta1";

/** The kinds this module checks, as "apiVersion kind". */
export const VALIDATED_KINDS = [...Object.keys(MODELS), ...Object.keys(KSERVE)];

function objectName(obj: Json): string {
  const meta = (obj.metadata ?? {}) as { name?: unknown };
  return `${String(obj.kind)}/${typeof meta.name === "string" ? meta.name : "(no name)"}`;
}

/** The problems with one object, each "JSON path: problem"; empty when it is valid. */
export function objectProblems(obj: Json): string[] {
  const key = `${String(obj.apiVersion)} ${String(obj.kind)}`;
  const kserve = KSERVE[key];
  if (kserve) {
    return kserveProblems(kserve, obj);
  }
  if (key === `${KUSTOMIZATION_API} Kustomization`) return kustomizationProblems(obj);
  const Model = MODELS[key];
  if (!Model) return [`(top level): no schema for ${key}`];
  try {
    new Model(structuredClone(obj) as never).validate();
    return [];
  } catch (e) {
    const errors = (e as { errors?: ErrorObject[] }).errors;
    if (Array.isArray(errors) && errors.length > 0) return errors.map(describeSchemaError);
    return [`(top level): ${e instanceof Error ? e.message : String(e)}`];
  }
}

/** kustomize has no published schema: the few fields mlpack writes are checked by hand. */
function kustomizationProblems(obj: Json): string[] {
  const out: string[] = [];
  const res = obj.resources;
  if (!Array.isArray(res) || res.length === 0) out.push("/resources: must be a non-empty list of files");
  else
    res.forEach((r, i) => {
      if (typeof r !== "string" || r.includes("..") || r.startsWith("/"))
        out.push(`/resources/${i}: must be a file name inside the folder`);
    });
  for (const k of Object.keys(obj))
    if (!["apiVersion", "kind", "resources", "namespace", "labels", "commonAnnotations"].includes(k))
      out.push(`/${k}: unknown field "${k}"`);
  return out;
}

/** Throws a UserError naming every invalid object, its kind/name and the JSON path of each problem. */
export function validateObjects(objects: Json[], where: string): void {
  const bad = objects.flatMap((o) => {
    const p = objectProblems(o);
    return p.length ? [`${objectName(o)}: ${p.join("; ")}`] : [];
  });
  if (bad.length > 0)
    throw new UserError(
      `${where}: ${bad.length} object(s) do not match their schema:\n  ${bad.join("\n  ")}`,
      {
        hint: "check the values in targets.kubernetes (mlpack.yaml) or the edited manifests; the schemas are Kubernetes' own (kubernetes-models), Argo Rollouts' and KServe's CRDs (schema/kserve/)",
      },
    );
}
