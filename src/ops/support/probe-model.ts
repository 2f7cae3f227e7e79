/**
 * Builds the one-node models that probe whether a runtime has a kernel for (op, version, types).
 *
 * Only kernel lookup is under test, so inputs are graph inputs of unknown shape and attributes just
 * need to pass the runtime's schema check and kernel constructor. Where an op needs more than
 * "required attributes with plausible values", the per-op recipes in probe-recipes.ts say so.
 */
import {
  create,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  encodeModelProto,
  type NodeProto,
  type ValueInfoProto,
} from "../../onnx/proto.js";
import type { AttrSchema, FormalParam, OpSchema } from "../schema/types.js";
import { attr, smallTensor, tensorElemId, valueInfo, type AttrValue } from "./probe-proto.js";
import { recipeFor, type ProbeContext, type ProbeRecipe } from "./probe-recipes.js";

/** The name of the node under test; errors naming another node are about the scaffolding. */
export const PROBE_NODE = "probe";

/** Released ONNX versions: [ai.onnx opset, IR version, ai.onnx.ml opset] (onnx-spec Versioning.md). */
const RELEASES: readonly (readonly [number, number, number])[] = [
  [1, 3, 1],
  [5, 3, 1],
  [6, 3, 1],
  [7, 3, 1],
  [8, 3, 1],
  [9, 4, 1],
  [10, 5, 1],
  [11, 6, 2],
  [12, 7, 2],
  [13, 7, 2],
  [14, 7, 2],
  [15, 8, 2],
  [16, 8, 3],
  [17, 8, 3],
  [18, 8, 3],
  [19, 9, 3],
  [20, 9, 4],
  [21, 10, 5],
  [22, 10, 5],
  [23, 11, 5],
  [24, 12, 5],
  [25, 13, 5],
  [26, 13, 5],
  [27, 13, 5],
];

/** The first ONNX release whose ai.onnx opset is at least `opset` (the newest one past the table). */
function releaseForOpset(opset: number): readonly [number, number, number] {
  return RELEASES.find((r) => r[0] >= opset) ?? RELEASES[RELEASES.length - 1];
}

/** ai.onnx opset and IR version a model of `domain` at `version` was stamped with when it was new. */
export function companionVersions(domain: string, version: number): { onnxOpset: number; irVersion: number } {
  if (domain === "") {
    const r = releaseForOpset(version);
    return { onnxOpset: version, irVersion: r[1] };
  }
  if (domain === "ai.onnx.ml") {
    const r = RELEASES.find((x) => x[2] >= version) ?? RELEASES[RELEASES.length - 1];
    return { onnxOpset: r[0], irVersion: r[1] };
  }
  if (domain === "ai.onnx.preview.training") return { onnxOpset: 12, irVersion: 7 };
  // ai.onnx.preview, com.microsoft and other vendor domains: a current, widely accepted pairing.
  return { onnxOpset: 21, irVersion: 10 };
}

export function representativeType(allowed: readonly string[]): string {
  return allowed.includes("tensor(float)") ? "tensor(float)" : allowed[0];
}

function defaultAttr(a: AttrSchema, ctx: ProbeContext): AttrValue | undefined {
  const outType = ctx.schema.outputs[0] ? ctx.typeOf(ctx.schema.outputs[0]) : undefined;
  switch (a.type) {
    case "int":
      if (["to", "dtype", "output_dtype", "output_datatype"].includes(a.name)) {
        const id = tensorElemId(outType);
        if (id !== undefined) return { kind: "int", value: id };
      }
      return { kind: "int", value: a.name === "axis" ? 0 : 1 };
    case "float":
      return { kind: "float", value: 1 };
    case "string":
      return { kind: "string", value: "a" };
    case "ints":
      return { kind: "ints", value: [1] };
    case "floats":
      return { kind: "floats", value: [1] };
    case "strings":
      return { kind: "strings", value: ["a"] };
    case "tensor":
      return { kind: "tensor", value: smallTensor(outType ?? "tensor(float)") };
    default:
      return undefined;
  }
}

/**
 * Which formals to wire. Required ones always; an optional one when the recipe asks, or when it is
 * the only place its type parameter can be bound (for an input: no required input binds it, since
 * runtimes infer outputs from inputs; for an output: nothing required binds it).
 */
function chooseWired(
  schema: OpSchema,
  binding: Readonly<Record<string, string>>,
  recipe: ProbeRecipe,
  kind: "in" | "out",
): boolean[] {
  const params = kind === "in" ? schema.inputs : schema.outputs;
  const forced = (kind === "in" ? recipe.inputs : recipe.outputs) ?? [];
  const drop = kind === "in" ? recipe.dropInputs : recipe.dropOutputs;
  const dropped = (typeof drop === "function" ? drop(binding) : drop) ?? [];
  const binders = kind === "in" ? schema.inputs : [...schema.inputs, ...schema.outputs];
  return params.map((p) => {
    if (dropped.includes(p.name)) return false;
    if (p.option !== "optional" || forced.includes(p.name)) return true;
    // Quantized ops are always written with their zero points; kernels may assume them.
    if (kind === "in" && /zero_point$/i.test(p.name)) return true;
    if (/^\w+\(/.test(p.type)) return false;
    return !binders.some((q) => q !== p && q.option !== "optional" && q.type === p.type);
  });
}

/** Serialized one-node model exercising `schema` with `binding` (type param → type string). */
export function buildProbeModel(schema: OpSchema, binding: Readonly<Record<string, string>>): Uint8Array {
  const recipe = recipeFor(schema);
  const typeOf = (p: FormalParam): string => binding[p.type] ?? p.type;
  const extraInputs: ValueInfoProto[] = [];
  const ctx: ProbeContext = {
    schema,
    binding,
    typeOf,
    addGraphInput: (name, type) => extraInputs.push(valueInfo(name, type)),
  };

  const inUse = chooseWired(schema, binding, recipe, "in");
  const outUse = chooseWired(schema, binding, recipe, "out");
  const lastIn = inUse.lastIndexOf(true);
  const lastOut = outUse.lastIndexOf(true);

  const nodeInputs: string[] = [];
  const graphInputs: ValueInfoProto[] = [];
  schema.inputs.forEach((p, i) => {
    if (i > lastIn) return;
    if (!inUse[i]) return void nodeInputs.push("");
    const count = p.option === "variadic" ? Math.max(1, recipe.variadicInputs ?? schema.minInputs - i) : 1;
    for (let k = 0; k < count; k++) {
      const name = count === 1 ? `in${i}` : `in${i}_${k}`;
      nodeInputs.push(name);
      const varTypes = p.option === "variadic" ? recipe.variadicInputTypes?.(ctx) : undefined;
      graphInputs.push(valueInfo(name, varTypes?.[k] ?? typeOf(p)));
    }
  });
  const nodeOutputs: string[] = [];
  const graphOutputs: ValueInfoProto[] = [];
  schema.outputs.forEach((p, i) => {
    if (i > lastOut) return;
    if (!outUse[i]) return void nodeOutputs.push("");
    const count = p.option === "variadic" ? Math.max(1, recipe.variadicOutputs ?? schema.minOutputs - i) : 1;
    for (let k = 0; k < count; k++) {
      const name = count === 1 ? `out${i}` : `out${i}_${k}`;
      nodeOutputs.push(name);
      graphOutputs.push(valueInfo(name, typeOf(p)));
    }
  });

  const attrs = new Map<string, AttrValue>();
  for (const a of schema.attributes) {
    if (!a.required) continue;
    const v = defaultAttr(a, ctx);
    if (v) attrs.set(a.name, v);
  }
  // dtype-like attributes decide the output type where no input does; bind them to the probed type.
  for (const a of schema.attributes) {
    if (a.required || a.type !== "int" || !["dtype", "output_dtype", "output_datatype"].includes(a.name))
      continue;
    const v = defaultAttr({ ...a, required: true }, ctx);
    if (v) attrs.set(a.name, v);
  }
  // Recipes cover every version of an op; each version only gets the attributes its schema declares.
  const declared = new Set(schema.attributes.map((a) => a.name));
  for (const [name, value] of Object.entries(recipe.attributes?.(ctx) ?? {})) {
    if (value === null) attrs.delete(name);
    else if (value !== undefined && declared.has(name)) attrs.set(name, value);
  }

  const node = create(NodeProtoSchema, {
    name: PROBE_NODE,
    opType: schema.name,
    domain: schema.domain,
    input: nodeInputs,
    output: nodeOutputs,
    attribute: [...attrs.entries()]
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
      .map(([n, v]) => attr(n, v)),
  });
  const graph = create(GraphProtoSchema, {
    name: "probe_graph",
    node: [node],
    input: [...graphInputs, ...extraInputs],
    output: graphOutputs,
  });
  const { onnxOpset, irVersion } = companionVersions(schema.domain, schema.sinceVersion);
  const opsetImport = [create(OperatorSetIdProtoSchema, { domain: "", version: BigInt(onnxOpset) })];
  if (schema.domain !== "") {
    opsetImport.push(
      create(OperatorSetIdProtoSchema, { domain: schema.domain, version: BigInt(schema.sinceVersion) }),
    );
  }
  return encodeModelProto(
    create(ModelProtoSchema, {
      irVersion: BigInt(irVersion),
      producerName: "mlpack-probe",
      opsetImport,
      graph,
    }),
  );
}

/** A model stamped `domain`@`opset` (and IR `irVersion`) holding one trivially valid node. */
export function buildOpsetModel(
  domain: string,
  opset: number,
  irVersion: number,
  node: NodeProto,
): Uint8Array {
  const opsetImport = [create(OperatorSetIdProtoSchema, { domain, version: BigInt(opset) })];
  if (domain !== "") opsetImport.push(create(OperatorSetIdProtoSchema, { domain: "", version: 17n }));
  const graph = create(GraphProtoSchema, {
    name: "opset_probe",
    node: [node],
    input: node.input.map((n) => valueInfo(n, "tensor(float)")),
    output: node.output.map((n) => valueInfo(n, undefined)),
  });
  return encodeModelProto(create(ModelProtoSchema, { irVersion: BigInt(irVersion), opsetImport, graph }));
}
