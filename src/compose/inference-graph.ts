/**
 * KServe InferenceGraph (Sequence) for a chain of served models, validated against the CRD's own
 * openAPIV3Schema (schema/kserve/serving.kserve.io_inferencegraphs.yaml, read at run time). The CRD is
 * OpenAPI v3 with Kubernetes extensions: `x-kubernetes-*` keywords are dropped (int-or-string is
 * already spelled out as anyOf), int32/int64 formats become ranges, and unknown fields are refused as
 * the API server's strict field validation (kubectl --validate=strict) refuses them.
 */
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";
import { Ajv, type ErrorObject } from "ajv";
import { UserError } from "../errors.js";

export const INFERENCE_GRAPH_CRD = fileURLToPath(
  new URL("../../schema/kserve/serving.kserve.io_inferencegraphs.yaml", import.meta.url),
);

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
export function inferenceGraphSchema(file = INFERENCE_GRAPH_CRD): Json {
  const crd = parse(fs.readFileSync(file, "utf8")) as {
    spec: { versions: { name: string; schema: { openAPIV3Schema: Json } }[] };
  };
  const v = crd.spec.versions.find((x) => x.name === "v1alpha1");
  if (!v) throw new Error(`${file}: no v1alpha1 version in the CRD`);
  return toJsonSchema(v.schema.openAPIV3Schema);
}

const RANGES: Record<string, [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

function toJsonSchema(node: unknown): Json {
  if (Array.isArray(node)) return node.map(toJsonSchema) as unknown as Json;
  if (node === null || typeof node !== "object") return node as Json;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) {
    if (k.startsWith("x-kubernetes-")) continue;
    if (k === "format" && typeof v === "string" && RANGES[v]) {
      [out.minimum, out.maximum] = RANGES[v];
      continue;
    }
    // properties/additionalProperties hold schemas keyed by field name: recurse into the values.
    out[k] =
      k === "properties"
        ? Object.fromEntries(Object.entries(v as Json).map(([p, s]) => [p, toJsonSchema(s)]))
        : toJsonSchema(v);
  }
  const preserve = (node as Json)["x-kubernetes-preserve-unknown-fields"] === true;
  if (out.type === "object" && out.properties && out.additionalProperties === undefined && !preserve)
    out.additionalProperties = false;
  return out;
}

let validator: ReturnType<Ajv["compile"]> | undefined;

function compiled() {
  validator ??= new Ajv({ allErrors: true, strict: false }).compile(inferenceGraphSchema());
  return validator;
}

function describeError(e: ErrorObject): string {
  const where = e.instancePath || "(top level)";
  if (e.keyword === "additionalProperties")
    return `${where}: unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  return `${where}: ${e.message ?? e.keyword}`;
}

/** Throws a UserError listing every problem when `obj` is not a valid InferenceGraph. */
export function validateInferenceGraph(obj: unknown): void {
  const validate = compiled();
  if (!validate(obj))
    throw new UserError(
      `the InferenceGraph does not match KServe's CRD schema: ${(validate.errors ?? []).map(describeError).join("; ")}`,
      { hint: "this is the schema in schema/kserve/serving.kserve.io_inferencegraphs.yaml" },
    );
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
