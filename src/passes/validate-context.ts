/** What the validation passes share: the IR, every graph with its opsets and inferred types. */
import { create, GraphProtoSchema, ValueInfoProtoSchema, type ModelProto } from "../onnx/proto.js";
import { Graph, Model, type Node } from "../ir/graph.js";
import { inferGraphTypes, type TypeTable } from "./infer-types.js";
import { topoSort, type TopoResult } from "../ir/walk.js";
import type { DiagnosticBag, DiagnosticNode } from "../diagnostics.js";

export interface GraphScope {
  graph: Graph;
  /** "main", a subgraph path, or "function:<domain>.<name>". */
  path: string;
  opsets: Map<string, number>;
  types: TypeTable;
  /** Values defined by enclosing graphs (visible to this one). */
  outer: Set<string>;
  isMain: boolean;
  isFunction: boolean;
  /** The graph's topological order, computed once for type inference and the structure checks. */
  topo: TopoResult;
}

export interface ValidationContext {
  source: string;
  model: Model;
  proto: ModelProto;
  scopes: GraphScope[];
  /** "domain::name" of model-local functions. */
  functions: Set<string>;
  diagnostics: DiagnosticBag;
}

/** Node positions per graph, built once: nodeRef runs for every node, so indexOf made validate quadratic. */
const positions = new WeakMap<Graph, Map<Node, number>>();

function positionOf(g: Graph, node: Node): number {
  let m = positions.get(g);
  if (!m || m.size !== g.nodes.length) {
    m = new Map();
    for (let i = 0; i < g.nodes.length; i++) m.set(g.nodes[i], i);
    positions.set(g, m);
  }
  return m.get(node) ?? -1;
}

/** How diagnostics name a node; `index` (its file position) saves the lookup when the caller has it. */
export function nodeRef(scope: GraphScope, node: Node, index?: number): DiagnosticNode {
  const name = node.name || `#${index ?? positionOf(scope.graph, node)}`;
  return { name, opType: node.opType, domain: node.domain, graph: scope.path };
}

export function definedIn(g: Graph): Set<string> {
  const s = new Set<string>([...g.inputs.map((v) => v.name), ...g.initializers.map((t) => t.name)]);
  for (const sp of g.sparseInitializers) if (sp.values) s.add(sp.values.name);
  for (const n of g.nodes) for (const o of n.outputs) if (o !== "") s.add(o);
  return s;
}

export function buildContext(
  proto: ModelProto,
  source: string,
  diagnostics: DiagnosticBag,
): ValidationContext {
  const model = new Model(proto);
  const scopes: GraphScope[] = [];
  const addTree = (
    graph: Graph,
    path: string,
    opsets: Map<string, number>,
    outerTypes: TypeTable | undefined,
    outer: Set<string>,
    isFunction: boolean,
  ) => {
    const topo = topoSort(graph);
    const types = inferGraphTypes(graph, opsets, outerTypes, topo);
    scopes.push({ graph, path, opsets, types, outer, isMain: path === "main", isFunction, topo });
    // What subgraphs see; built only for graphs that have subgraphs (a copy of every name otherwise).
    let visible: Set<string> | undefined;
    for (const n of graph.nodes) {
      if (n.subgraphs.size === 0) continue;
      visible ??= new Set([...outer, ...definedIn(graph)]);
      for (const [attr, subs] of n.subgraphs) {
        subs.forEach((sg, i) => {
          const p = `${path}/${n.name || n.opType}:${attr}${subs.length > 1 ? `[${i}]` : ""}`;
          addTree(sg, p, opsets, types, visible!, isFunction);
        });
      }
    }
  };
  addTree(model.graph, "main", model.opsets(), undefined, new Set(), false);
  const functions = new Set<string>();
  for (const f of proto.functions) {
    functions.add(`${f.domain}::${f.name}`);
    const opsets = new Map<string, number>();
    for (const o of f.opsetImport) opsets.set(o.domain === "ai.onnx" ? "" : o.domain, Number(o.version));
    const vi = (name: string) => create(ValueInfoProtoSchema, { name });
    const g = new Graph(
      create(GraphProtoSchema, {
        name: f.name,
        node: f.node,
        input: f.input.map(vi),
        output: f.output.map(vi),
        valueInfo: f.valueInfo,
      }),
    );
    addTree(g, `function:${f.domain}.${f.name}`, opsets, undefined, new Set(), true);
  }
  return { source, model, proto, scopes, functions, diagnostics };
}
