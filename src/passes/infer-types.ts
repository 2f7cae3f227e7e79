/**
 * Element-type propagation (not shapes): graph inputs, initializers and value_info seed the table;
 * each node's outputs follow from its schema's type constraints, or from attributes for the ops whose
 * output type an attribute decides (Cast, Constant, RandomNormal, ...).
 */
import type { Graph, Node } from "../ir/graph.js";
import { topoSort, type TopoResult } from "../ir/walk.js";
import { typeToString } from "../ir/types.js";
import { dtypeName } from "../onnx/dtypes.js";
import { resolveSchema, normalizeDomain } from "../ops/schema/registry.js";
import type { FormalParam, OpSchema } from "../ops/schema/types.js";

export type TypeTable = Map<string, string>;

const DTYPE_ATTR_OPS = new Set([
  "EyeLike",
  "RandomNormal",
  "RandomUniform",
  "RandomNormalLike",
  "RandomUniformLike",
  "Multinomial",
  "Bernoulli",
]);

/** Which formal parameter an actual input/output position binds to (variadic last param repeats). */
export function formalAt(params: readonly FormalParam[], i: number): FormalParam | undefined {
  if (i < params.length) return params[i];
  const last = params[params.length - 1];
  return last?.option === "variadic" ? last : undefined;
}

export function isTypeParam(schema: OpSchema, type: string): boolean {
  return schema.typeConstraints.some((c) => c.param === type);
}

/** Type parameter -> type, from the inputs whose types are known (homogeneous params only). */
export function bindTypeParams(schema: OpSchema, inputTypes: (string | undefined)[]): Map<string, string> {
  const bound = new Map<string, string>();
  inputTypes.forEach((t, i) => {
    const f = formalAt(schema.inputs, i);
    if (!t || !f || !isTypeParam(schema, f.type) || (f.option === "variadic" && !f.homogeneous)) return;
    if (!bound.has(f.type)) bound.set(f.type, t);
  });
  return bound;
}

function attrType(node: Node): string | undefined {
  const intAttr = (name: string) => {
    const a = node.attribute(name);
    return a && a.i !== 0n ? `tensor(${dtypeName(Number(a.i))})` : undefined;
  };
  switch (node.opType) {
    case "Cast":
      return intAttr("to");
    case "Constant": {
      for (const a of node.attributes) {
        if (a.name === "value" && a.t) return `tensor(${dtypeName(a.t.dataType)})`;
        if (a.name === "sparse_value" && a.sparseTensor?.values)
          return `sparse_tensor(${dtypeName(a.sparseTensor.values.dataType)})`;
        if (a.name === "value_float" || a.name === "value_floats") return "tensor(float)";
        if (a.name === "value_int" || a.name === "value_ints") return "tensor(int64)";
        if (a.name === "value_string" || a.name === "value_strings") return "tensor(string)";
      }
      return undefined;
    }
    case "ConstantOfShape": {
      const v = node.attribute("value");
      return v?.t ? `tensor(${dtypeName(v.t.dataType)})` : "tensor(float)";
    }
    default:
      if (DTYPE_ATTR_OPS.has(node.opType)) {
        const t = intAttr("dtype");
        if (t) return t;
        if (node.opType === "RandomNormal" || node.opType === "RandomUniform") return "tensor(float)";
        if (node.opType === "Multinomial") return "tensor(int32)";
      }
      return undefined;
  }
}

function subgraphOutputType(node: Node, attr: string, index: number): string | undefined {
  const g = node.subgraphs.get(attr)?.[0];
  return typeToString(g?.outputs[index]?.type);
}

function controlFlowOutputType(node: Node, i: number): string | undefined {
  if (node.opType === "If")
    return subgraphOutputType(node, "then_branch", i) ?? subgraphOutputType(node, "else_branch", i);
  // Loop body outputs: cond, then the loop-carried values, then scan outputs (stacked, same elem type).
  if (node.opType === "Loop") return subgraphOutputType(node, "body", i + 1);
  if (node.opType === "Scan") return subgraphOutputType(node, "body", i);
  return undefined;
}

/** Does a node read a value it writes itself (a cycle of one, or a hostile file)? */
function readsOwnOutput(inputs: string[], outputs: string[]): boolean {
  for (const o of outputs) if (o !== "" && inputs.includes(o)) return true;
  return false;
}

/** The type of the first input bound to `param`, as bindTypeParams picks it (without its array and Map). */
function boundType(s: OpSchema, inputs: string[], types: TypeTable, param: string): string | undefined {
  for (let i = 0; i < inputs.length; i++) {
    const f = formalAt(s.inputs, i);
    if (!f || f.type !== param || (f.option === "variadic" && !f.homogeneous)) continue;
    const t = types.get(inputs[i]);
    if (t) return t;
  }
  return undefined;
}

/** Types of every value visible in g: outer scope, inputs, initializers, value_info, inferred. */
export function inferGraphTypes(
  g: Graph,
  opsets: Map<string, number>,
  outer?: TypeTable,
  /** g's topological order when the caller has it already (validate sorts each graph once). */
  topo: TopoResult = topoSort(g),
): TypeTable {
  const types: TypeTable = new Map(outer);
  for (const v of [...g.inputs, ...g.valueInfo, ...g.outputs]) {
    const t = typeToString(v.type);
    if (t) types.set(v.name, t);
  }
  for (const t of g.initializers)
    if (!types.has(t.name)) types.set(t.name, `tensor(${dtypeName(t.dataType)})`);
  for (const s of g.sparseInitializers) {
    if (s.values && !types.has(s.values.name))
      types.set(s.values.name, `sparse_tensor(${dtypeName(s.values.dataType)})`);
  }
  for (const node of topo.order) {
    const domain = normalizeDomain(node.domain);
    const opset = opsets.get(domain);
    const schema = opset === undefined ? undefined : resolveSchema(domain, node.opType, opset);
    // Type parameters bound by the inputs' types. The usual node (few inputs, none of them its own
    // output) finds them by a scan when an output needs one, without an array and a Map per node;
    // otherwise they are bound up front, before this node's outputs get types.
    const { inputs, outputs } = node;
    const bound =
      schema && (inputs.length > 8 || readsOwnOutput(inputs, outputs))
        ? bindTypeParams(
            schema,
            inputs.map((n) => types.get(n)),
          )
        : undefined;
    for (let i = 0; i < outputs.length; i++) {
      const out = outputs[i];
      if (out === "" || types.has(out)) continue;
      let t: string | undefined = attrType(node) ?? controlFlowOutputType(node, i);
      const f = schema && formalAt(schema.outputs, i);
      if (!t && schema && f) {
        if (!isTypeParam(schema, f.type)) t = f.type;
        else {
          t = bound ? bound.get(f.type) : boundType(schema, inputs, types, f.type);
          if (t === undefined) {
            const allowed = schema.typeConstraints.find((c) => c.param === f.type)?.allowed ?? [];
            if (allowed.length === 1) t = allowed[0];
          }
        }
      }
      if (t) types.set(out, t);
    }
  }
  return types;
}
