/**
 * KServe InferenceGraph (Sequence) for a chain of served models, validated against the CRD's own
 * openAPIV3Schema (schema/kserve/inferencegraph-v1alpha1.schema.json, read at run time; the
 * conversion to JSON Schema is shared with the kubernetes target: artifacts/kubernetes/kserve-schema.ts).
 */
import { stringify } from "yaml";
import { UserError } from "../../errors.js";
import { kserveProblems, kserveSchema, kserveSchemaFile } from "./kserve-schema.js";

export const INFERENCE_GRAPH_SCHEMA = kserveSchemaFile("inferencegraph-v1alpha1");

export interface InferenceGraphOptions {
  /** metadata.name of the InferenceGraph. */
  name: string;
  namespace?: string;
  /** InferenceService names, in order: each step gets the previous step's response. */
  services: string[];
  /** Request timeout in seconds (spec.timeout). */
  timeoutSeconds?: number;
}

type Json = Record<string, unknown>;

/** The CRD's openAPIV3Schema as plain JSON Schema (draft-07 keywords ajv knows). */
export function inferenceGraphSchema(): Json {
  return kserveSchema("inferencegraph-v1alpha1");
}

/** Throws a UserError listing every problem when `obj` is not a valid InferenceGraph. */
export function validateInferenceGraph(obj: unknown): void {
  const problems = kserveProblems("inferencegraph-v1alpha1", obj);
  if (problems.length > 0)
    throw new UserError(`the InferenceGraph does not match KServe's CRD schema: ${problems.join("; ")}`, {
      hint: "this is the schema in schema/kserve/inferencegraph-v1alpha1.schema.json",
    });
}

/** Kubernetes object names: DNS-1123 labels for InferenceServices (they become hostnames). */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function makeInferenceGraph(o: InferenceGraphOptions): Json {
  for (const n of [o.name, ...o.services])
    if (!DNS_LABEL.test(n) || n.length > 63)
      throw new UserError(`"${n}" is not a valid Kubernetes name for an InferenceGraph or InferenceService`, {
        hint: "use lower-case letters, digits and '-', starting and ending with a letter or digit (at most 63)",
      });
  if (o.services.length === 0)
    throw new UserError("an InferenceGraph needs at least one service", { hint: "list the models in order" });
  const graph: Json = {
    apiVersion: "serving.kserve.io/v1alpha1",
    kind: "InferenceGraph",
    metadata: { name: o.name, ...(o.namespace ? { namespace: o.namespace } : {}) },
    spec: {
      nodes: {
        root: {
          routerType: "Sequence",
          // The first step gets the client's request; each later one the previous step's response.
          steps: o.services.map((s, i) => ({
            name: s,
            serviceName: s,
            data: i === 0 ? "$request" : "$response",
          })),
        },
      },
      ...(o.timeoutSeconds !== undefined ? { timeout: o.timeoutSeconds } : {}),
    },
  };
  validateInferenceGraph(graph);
  return graph;
}

export function inferenceGraphYaml(o: InferenceGraphOptions): string {
  return stringify(makeInferenceGraph(o));
}
