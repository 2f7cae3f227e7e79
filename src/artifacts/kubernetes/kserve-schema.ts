/**
 * KServe's CRD schemas (schema/kserve/<kind>-<version>.schema.json, the openAPIV3Schema extracted by
 * scripts/gen-kserve-schemas.mjs) as ajv validators. The CRDs are OpenAPI v3 with Kubernetes
 * extensions: `x-kubernetes-*` keywords are dropped (int-or-string is already spelled out as anyOf),
 * int32/int64 formats become ranges, and unknown fields are refused as the API server's strict field
 * validation (kubectl --validate=strict) refuses them. Shared by the kubernetes target and compose's
 * InferenceGraph.
 */
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";

type Json = Record<string, unknown>;

export type KserveKind = "inferenceservice-v1beta1" | "servingruntime-v1alpha1" | "inferencegraph-v1alpha1";

export function kserveSchemaFile(kind: KserveKind): string {
  return fileURLToPath(new URL(`../../../schema/kserve/${kind}.schema.json`, import.meta.url));
}

/** The CRD's openAPIV3Schema as plain JSON Schema (draft-07 keywords ajv knows). */
export function kserveSchema(kind: KserveKind): Json {
  const file = kserveSchemaFile(kind);
  const doc = JSON.parse(fs.readFileSync(file, "utf8")) as { schema: Json };
  return toJsonSchema(doc.schema);
}

const RANGES: Record<string, [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

export function toJsonSchema(node: unknown): Json {
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

const schemas = new Map<KserveKind, Json>();
const compiled = new Map<string, ValidateFunction>();
const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });

/**
 * The problems of `obj` against the CRD's schema, each "JSON path: problem"; empty when valid.
 * Compiling the whole InferenceService schema (600 kB: every container field, four times) takes ajv
 * tens of seconds, so the schema is first cut down to the branches the object has (pruneTo), which
 * gives the same verdict, and that small schema is compiled (and kept per shape).
 */
export function kserveProblems(kind: KserveKind, obj: unknown): string[] {
  let schema = schemas.get(kind);
  if (!schema) schemas.set(kind, (schema = kserveSchema(kind)));
  const pruned = pruneTo(schema, obj);
  const key = `${kind} ${JSON.stringify(pruned)}`;
  let validate = compiled.get(key);
  if (!validate) compiled.set(key, (validate = ajv.compile(pruned as Json)));
  return validate(obj) ? [] : (validate.errors ?? []).map(describeSchemaError);
}

const MIXED = Symbol("values of different types");
const isObj = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v);

/** One value with the union of the keys of `values` (array elements, map values). */
function mergeShapes(values: unknown[]): unknown {
  if (values.length === 0) return undefined;
  if (values.every(isObj)) {
    const out: Json = {};
    for (const k of new Set(values.flatMap((v) => Object.keys(v))))
      out[k] = mergeShapes(values.filter((v) => k in v).map((v) => v[k]));
    return out;
  }
  if (values.every(Array.isArray)) return values.flat();
  if (values.some((v) => isObj(v) || Array.isArray(v))) return MIXED;
  return values[0];
}

/**
 * The schema with every property the instance lacks replaced by `true` (the names stay, so
 * additionalProperties: false still refuses unknown fields): a subschema that cannot apply to the
 * instance is never evaluated, so the verdict is the full schema's.
 */
export function pruneTo(schema: unknown, inst: unknown): unknown {
  if (!isObj(schema) || inst === MIXED) return schema;
  const out: Json = { ...schema };
  for (const k of ["anyOf", "oneOf", "allOf"])
    if (Array.isArray(schema[k])) out[k] = (schema[k] as unknown[]).map((s) => pruneTo(s, inst));
  const props = isObj(schema.properties) ? schema.properties : undefined;
  if (props)
    out.properties = Object.fromEntries(
      Object.entries(props).map(([p, s]) => [p, isObj(inst) && p in inst ? pruneTo(s, inst[p]) : true]),
    );
  if (isObj(schema.additionalProperties)) {
    const extra = isObj(inst) ? Object.keys(inst).filter((k) => !props || !(k in props)) : [];
    out.additionalProperties = extra.length
      ? pruneTo(schema.additionalProperties, mergeShapes(extra.map((k) => (inst as Json)[k])))
      : true;
  }
  if (isObj(schema.items))
    out.items = Array.isArray(inst) && inst.length ? pruneTo(schema.items, mergeShapes(inst)) : true;
  return out;
}

/** One ajv error as "JSON path: problem". */
export function describeSchemaError(e: ErrorObject): string {
  const where = e.instancePath || "(top level)";
  if (e.keyword === "additionalProperties")
    return `${where}: unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  return `${where}: ${e.message ?? e.keyword}`;
}
