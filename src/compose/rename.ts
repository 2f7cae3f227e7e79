/**
 * Renames every value name of one piece (in its main graph and all If/Loop/Scan bodies) with one
 * function, so names cannot clash with another piece's: a consistent rename keeps the graph's meaning.
 */
import { Graph, Model, modelToProto } from "../ir/graph.js";
import type { ModelProto } from "../onnx/proto.js";

export type Renamer = (name: string) => string;

function renameGraph(g: Graph, f: Renamer, nodePrefix: string): void {
  for (const v of [...g.inputs, ...g.outputs, ...g.valueInfo]) v.name = f(v.name);
  for (const t of g.initializers) t.name = f(t.name);
  for (const s of g.sparseInitializers) {
    if (s.values) s.values.name = f(s.values.name);
    if (s.indices) s.indices.name = f(s.indices.name);
  }
  for (const [i, n] of g.nodes.entries()) {
    // "" marks an omitted optional input or output and must stay "".
    n.inputs = n.inputs.map((x) => (x === "" ? x : f(x)));
    n.outputs = n.outputs.map((x) => (x === "" ? x : f(x)));
    // Unnamed nodes get one, so that messages about the pipeline can say which piece a node is from.
    n.name = nodePrefix + (n.name || (nodePrefix ? `${n.opType}_${i}` : ""));
    for (const sg of n.childGraphs()) renameGraph(sg, f, nodePrefix);
  }
}

/** A renamed copy of the model's proto (the value-info and tensor protos are renamed in place). */
export function renamePiece(proto: ModelProto, f: Renamer, nodePrefix: string): ModelProto {
  const m = new Model(proto);
  renameGraph(m.graph, f, nodePrefix);
  return modelToProto(m);
}
