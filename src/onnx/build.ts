/** Small constructors for building models in code (tests, fixtures, passes that add nodes). */
import {
  create,
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  TensorShapeProtoSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  StringStringEntryProtoSchema,
  AttributeType,
  type AttributeProto,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type TypeProto,
  type ValueInfoProto,
} from "./proto.js";

export type AttrValue =
  | { int: number | bigint }
  | { float: number }
  | { string: string }
  | { ints: (number | bigint)[] }
  | { floats: number[] }
  | { strings: string[] }
  | { tensor: TensorProto }
  | { graph: GraphProto }
  | { graphs: GraphProto[] };

const enc = new TextEncoder();

export function makeAttribute(name: string, v: AttrValue): AttributeProto {
  if ("int" in v) return create(AttributeProtoSchema, { name, type: AttributeType.INT, i: BigInt(v.int) });
  if ("float" in v) return create(AttributeProtoSchema, { name, type: AttributeType.FLOAT, f: v.float });
  if ("string" in v)
    return create(AttributeProtoSchema, { name, type: AttributeType.STRING, s: enc.encode(v.string) });
  if ("ints" in v)
    return create(AttributeProtoSchema, {
      name,
      type: AttributeType.INTS,
      ints: v.ints.map((x) => BigInt(x)),
    });
  if ("floats" in v)
    return create(AttributeProtoSchema, { name, type: AttributeType.FLOATS, floats: v.floats });
  if ("strings" in v)
    return create(AttributeProtoSchema, {
      name,
      type: AttributeType.STRINGS,
      strings: v.strings.map((s) => enc.encode(s)),
    });
  if ("tensor" in v) return create(AttributeProtoSchema, { name, type: AttributeType.TENSOR, t: v.tensor });
  if ("graph" in v) return create(AttributeProtoSchema, { name, type: AttributeType.GRAPH, g: v.graph });
  return create(AttributeProtoSchema, { name, type: AttributeType.GRAPHS, graphs: v.graphs });
}

export function makeNode(
  opType: string,
  inputs: string[],
  outputs: string[],
  attrs: Record<string, AttrValue> = {},
  opts: { name?: string; domain?: string } = {},
): NodeProto {
  return create(NodeProtoSchema, {
    opType,
    input: inputs,
    output: outputs,
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    ...(opts.domain ? { domain: opts.domain } : {}),
    attribute: Object.entries(attrs).map(([k, v]) => makeAttribute(k, v)),
  });
}

export function tensorType(elemType: number, dims?: (number | string | null)[]): TypeProto {
  const shape =
    dims &&
    create(TensorShapeProtoSchema, {
      dim: dims.map((d) =>
        d === null
          ? {}
          : typeof d === "number"
            ? { value: { case: "dimValue" as const, value: BigInt(d) } }
            : { value: { case: "dimParam" as const, value: d } },
      ),
    });
  return create(TypeProtoSchema, {
    value: { case: "tensorType", value: { elemType, ...(shape ? { shape } : {}) } },
  });
}

export function makeValueInfo(
  name: string,
  elemType: number,
  dims?: (number | string | null)[],
): ValueInfoProto {
  return create(ValueInfoProtoSchema, { name, type: tensorType(elemType, dims) });
}

export interface GraphSpec {
  name?: string;
  nodes: NodeProto[];
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
  initializers?: TensorProto[];
  valueInfo?: ValueInfoProto[];
}

export function makeGraph(g: GraphSpec): GraphProto {
  return create(GraphProtoSchema, {
    name: g.name ?? "graph",
    node: g.nodes,
    input: g.inputs,
    output: g.outputs,
    initializer: g.initializers ?? [],
    valueInfo: g.valueInfo ?? [],
  });
}

export interface ModelSpec extends GraphSpec {
  /** Opset per domain; "" is ai.onnx. Default { "": 17 }. */
  opsets?: Record<string, number>;
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  metadata?: Record<string, string>;
}

export function makeModel(spec: ModelSpec): ModelProto {
  const opsets = spec.opsets ?? { "": 17 };
  return create(ModelProtoSchema, {
    irVersion: BigInt(spec.irVersion ?? 8),
    producerName: spec.producerName ?? "mlpack",
    producerVersion: spec.producerVersion ?? "",
    opsetImport: Object.entries(opsets).map(([domain, version]) =>
      create(OperatorSetIdProtoSchema, { domain, version: BigInt(version) }),
    ),
    graph: makeGraph(spec),
    metadataProps: Object.entries(spec.metadata ?? {}).map(([key, value]) =>
      create(StringStringEntryProtoSchema, { key, value }),
    ),
  });
}
