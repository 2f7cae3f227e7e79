/**
 * A small IR over ModelProto: graphs, nodes (with their If/Loop/Scan subgraphs as child graphs),
 * values, initializers. Each IR object keeps its proto for the fields the IR does not model, so
 * modelToProto(modelFromProto(p)) re-encodes byte-exactly.
 */
import type {
  AttributeProto,
  GraphProto,
  ModelProto,
  NodeProto,
  SparseTensorProto,
  TensorProto,
  ValueInfoProto,
} from "../onnx/proto.js";

/** Shared by every node without subgraphs (most of them): one Map per node was a large part of the
 * memory, and garbage-collection time, of million-node graphs. */
const NO_SUBGRAPHS: ReadonlyMap<string, Graph[]> = new Map();

export class Node {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: AttributeProto[];
  /** Subgraph attributes (If: then_branch/else_branch, Loop/Scan: body), by attribute name. */
  subgraphs: ReadonlyMap<string, Graph[]> = NO_SUBGRAPHS;
  readonly proto: NodeProto;

  constructor(
    proto: NodeProto,
    readonly graph: Graph,
  ) {
    this.proto = proto;
    this.name = proto.name;
    this.opType = proto.opType;
    this.domain = proto.domain;
    this.inputs = [...proto.input];
    this.outputs = [...proto.output];
    this.attributes = [...proto.attribute];
    let subgraphs: Map<string, Graph[]> | undefined;
    for (const a of proto.attribute) {
      const gs = a.g ? [a.g] : a.graphs;
      if (gs.length > 0)
        (subgraphs ??= new Map()).set(
          a.name,
          gs.map((g) => new Graph(g, this)),
        );
    }
    if (subgraphs) this.subgraphs = subgraphs;
  }

  attribute(name: string): AttributeProto | undefined {
    return this.attributes.find((a) => a.name === name);
  }

  /** Every graph nested in this node's attributes. */
  childGraphs(): Graph[] {
    return [...this.subgraphs.values()].flat();
  }
}

export class Graph {
  name: string;
  nodes: Node[];
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
  valueInfo: ValueInfoProto[];
  initializers: TensorProto[];
  sparseInitializers: SparseTensorProto[];
  readonly proto: GraphProto;

  constructor(
    proto: GraphProto,
    readonly owner?: Node,
  ) {
    this.proto = proto;
    this.name = proto.name;
    this.inputs = [...proto.input];
    this.outputs = [...proto.output];
    this.valueInfo = [...proto.valueInfo];
    this.initializers = [...proto.initializer];
    this.sparseInitializers = [...proto.sparseInitializer];
    this.nodes = proto.node.map((n) => new Node(n, this));
  }

  get parent(): Graph | undefined {
    return this.owner?.graph;
  }

  /** "main", or the chain of owner nodes and attribute names leading here. */
  path(): string {
    if (!this.owner) return "main";
    const attr = [...this.owner.subgraphs].find(([, gs]) => gs.includes(this))?.[0] ?? "?";
    return `${this.owner.graph.path()}/${this.owner.name || this.owner.opType}:${attr}`;
  }

  initializer(name: string): TensorProto | undefined {
    return this.initializers.find((t) => t.name === name);
  }
}

export class Model {
  graph: Graph;
  readonly proto: ModelProto;
  constructor(proto: ModelProto) {
    if (!proto.graph) throw new Error("model has no graph");
    this.proto = proto;
    this.graph = new Graph(proto.graph);
  }

  /** Opset version per normalized domain ("" for ai.onnx). */
  opsets(): Map<string, number> {
    const m = new Map<string, number>();
    for (const o of this.proto.opsetImport) m.set(o.domain === "ai.onnx" ? "" : o.domain, Number(o.version));
    return m;
  }
}

export function modelFromProto(proto: ModelProto): Model {
  return new Model(proto);
}

/** A copy that keeps proto2 field presence: own properties only, same prototype. */
function shallowCopy<T extends object>(m: T): T {
  return Object.assign(Object.create(Object.getPrototypeOf(m)) as T, m);
}

function setIfChanged<T extends object, K extends keyof T>(obj: T, key: K, value: T[K]): void {
  if (obj[key] !== value) obj[key] = value;
}

export function graphToProto(g: Graph): GraphProto {
  const p = shallowCopy(g.proto);
  setIfChanged(p, "name", g.name);
  p.node = g.nodes.map(nodeToProto);
  p.input = g.inputs;
  p.output = g.outputs;
  p.valueInfo = g.valueInfo;
  p.initializer = g.initializers;
  p.sparseInitializer = g.sparseInitializers;
  return p;
}

export function nodeToProto(n: Node): NodeProto {
  const p = shallowCopy(n.proto);
  setIfChanged(p, "name", n.name);
  setIfChanged(p, "opType", n.opType);
  setIfChanged(p, "domain", n.domain);
  p.input = n.inputs;
  p.output = n.outputs;
  p.attribute = n.attributes.map((a) => {
    const subs = n.subgraphs.get(a.name);
    if (!subs) return a;
    const copy = shallowCopy(a);
    if (a.g) copy.g = graphToProto(subs[0]);
    else copy.graphs = subs.map(graphToProto);
    return copy;
  });
  return p;
}

export function modelToProto(m: Model): ModelProto {
  const p = shallowCopy(m.proto);
  p.graph = graphToProto(m.graph);
  return p;
}
