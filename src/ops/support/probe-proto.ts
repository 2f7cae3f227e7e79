/**
 * Protobuf building blocks for probe models: type strings to TypeProto, tiny tensors, attributes,
 * value infos and the subgraphs control-flow probes need.
 */
import {
  create,
  AttributeProtoSchema,
  AttributeType,
  GraphProtoSchema,
  NodeProtoSchema,
  TensorProtoSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type AttributeProto,
  type GraphProto,
  type TensorProto,
  type TypeProto,
  type ValueInfoProto,
} from "../../onnx/proto.js";
import { dtypeByName, rawByteLength } from "../../onnx/dtypes.js";

export type AttrValue =
  | { kind: "int"; value: number }
  | { kind: "float"; value: number }
  | { kind: "string"; value: string }
  | { kind: "ints"; value: number[] }
  | { kind: "floats"; value: number[] }
  | { kind: "strings"; value: string[] }
  | { kind: "tensor"; value: TensorProto }
  | { kind: "graph"; value: GraphProto };

/** "tensor(float)" → TypeProto; also seq(..), optional(..), map(k, v) and sparse_tensor(..). */
export function typeProtoOf(type: string): TypeProto {
  const m = /^(tensor|sparse_tensor|seq|optional|map)\((.*)\)$/.exec(type);
  if (!m) {
    // Bare element names appear as map values: map(int64, float).
    return typeProtoOf(`tensor(${type})`);
  }
  const [, ctor, inner] = m;
  if (ctor === "tensor" || ctor === "sparse_tensor") {
    const elemType = elemTypeId(inner);
    return create(TypeProtoSchema, {
      value: { case: ctor === "tensor" ? "tensorType" : "sparseTensorType", value: { elemType } },
    });
  }
  if (ctor === "seq") {
    return create(TypeProtoSchema, {
      value: { case: "sequenceType", value: { elemType: typeProtoOf(inner) } },
    });
  }
  if (ctor === "optional") {
    return create(TypeProtoSchema, {
      value: { case: "optionalType", value: { elemType: typeProtoOf(inner) } },
    });
  }
  const comma = inner.indexOf(",");
  const key = inner.slice(0, comma).trim();
  const value = inner.slice(comma + 1).trim();
  return create(TypeProtoSchema, {
    value: { case: "mapType", value: { keyType: elemTypeId(key), valueType: typeProtoOf(value) } },
  });
}

function elemTypeId(name: string): number {
  const info = dtypeByName(name);
  if (!info) throw new Error(`probe: unknown element type "${name}"`);
  return info.id;
}

/** Element type id of "tensor(x)" (also inside seq(..)/optional(..)), undefined for other types. */
export function tensorElemId(type: string | undefined): number | undefined {
  if (type === undefined) return undefined;
  const inner = /^(?:seq|optional)\((.*)\)$/.exec(type);
  if (inner) return tensorElemId(inner[1]);
  const m = /^tensor\((\w+)\)$/.exec(type);
  return m ? dtypeByName(m[1])?.id : undefined;
}

/** A tensor of `type` (zeros; "" for strings) with the given dims. */
export function smallTensor(type: string, dims: number[] = [1]): TensorProto {
  const info = dtypeByName(/^tensor\((\w+)\)$/.exec(type)?.[1] ?? "float");
  if (!info) throw new Error(`probe: no tensor of type ${type}`);
  const count = dims.reduce((x, y) => x * y, 1);
  const base = { dataType: info.id, dims: dims.map(BigInt) };
  if (info.bits === 0) {
    return create(TensorProtoSchema, {
      ...base,
      stringData: Array.from({ length: count }, () => new Uint8Array()),
    });
  }
  return create(TensorProtoSchema, { ...base, rawData: new Uint8Array(rawByteLength(info, count)) });
}

export function valueInfo(name: string, type: string | undefined): ValueInfoProto {
  return create(ValueInfoProtoSchema, type === undefined ? { name } : { name, type: typeProtoOf(type) });
}

export function attr(name: string, value: AttrValue): AttributeProto {
  const a = create(AttributeProtoSchema, { name });
  switch (value.kind) {
    case "int":
      a.type = AttributeType.INT;
      a.i = BigInt(value.value);
      break;
    case "float":
      a.type = AttributeType.FLOAT;
      a.f = value.value;
      break;
    case "string":
      a.type = AttributeType.STRING;
      a.s = new TextEncoder().encode(value.value);
      break;
    case "ints":
      a.type = AttributeType.INTS;
      a.ints = value.value.map(BigInt);
      break;
    case "floats":
      a.type = AttributeType.FLOATS;
      a.floats = [...value.value];
      break;
    case "strings":
      a.type = AttributeType.STRINGS;
      a.strings = value.value.map((s) => new TextEncoder().encode(s));
      break;
    case "tensor":
      a.type = AttributeType.TENSOR;
      a.t = value.value;
      break;
    case "graph":
      a.type = AttributeType.GRAPH;
      a.g = value.value;
      break;
  }
  return a;
}

/**
 * A subgraph with no nodes whose outputs are its own inputs or outer-scope values (`from`): nothing
 * in it needs a kernel, so only the control-flow op itself is probed.
 */
export function passThroughGraph(
  name: string,
  inputs: { name: string; type: string | undefined }[],
  outputs: { type: string | undefined; from: string }[],
): GraphProto {
  return create(GraphProtoSchema, {
    name,
    input: inputs.map((i) => valueInfo(i.name, i.type)),
    output: outputs.map((o) => valueInfo(o.from, o.type)),
  });
}

/** A subgraph of one node `opType(inputs) → out` with no inputs of its own (reads outer scope). */
export function nodeGraph(
  name: string,
  opType: string,
  inputs: string[],
  outType: string,
  attributes: Record<string, AttrValue>,
): GraphProto {
  const out = `${name}_out`;
  const node = create(NodeProtoSchema, {
    name: `${name}_${opType}`,
    opType,
    input: inputs,
    output: [out],
    attribute: Object.entries(attributes).map(([n, v]) => attr(n, v)),
  });
  return create(GraphProtoSchema, { name, node: [node], output: [valueInfo(out, outType)] });
}
