/** Helpers the quantization passes share: constant lookup, unique names, and dead-code removal. */
import type { Graph, Node } from "../../ir/graph.js";
import type { TensorProto } from "../../onnx/proto.js";
import type { DecodedTensor } from "../../onnx/tensor.js";
import { consumers } from "../../ir/walk.js";

export type TensorReader = (t: TensorProto) => DecodedTensor;

/** Tensors whose value is known: initializers (not overridable by a graph input) and Constant nodes. */
export function constantTensors(g: Graph): Map<string, TensorProto> {
  const inputs = new Set(g.inputs.map((v) => v.name));
  const m = new Map<string, TensorProto>();
  for (const t of g.initializers) if (!inputs.has(t.name)) m.set(t.name, t);
  for (const n of g.nodes) {
    if (n.opType !== "Constant" || (n.domain && n.domain !== "ai.onnx")) continue;
    const v = n.attribute("value");
    if (v?.t && n.outputs[0]) m.set(n.outputs[0], v.t);
  }
  return m;
}

export class NameScope {
  private readonly used = new Set<string>();
  constructor(g: Graph) {
    const add = (s: string) => this.used.add(s);
    g.inputs.forEach((v) => add(v.name));
    g.outputs.forEach((v) => add(v.name));
    g.initializers.forEach((t) => add(t.name));
    for (const n of g.nodes) {
      n.outputs.forEach(add);
      n.inputs.forEach(add);
      if (n.name) add(n.name);
    }
  }
  /** `base`, or `base_1`, `base_2`, ... whichever is free; reserves it. */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }
}

/** Removes nodes whose outputs nobody reads (and are not graph outputs), then unused initializers. */
export function removeDeadCode(g: Graph): void {
  const graphOutputs = new Set(g.outputs.map((o) => o.name));
  for (;;) {
    const used = consumers(g);
    const dead = new Set<Node>(
      g.nodes.filter((n) => n.outputs.every((o) => o === "" || (!used.has(o) && !graphOutputs.has(o)))),
    );
    if (dead.size === 0) break;
    g.nodes = g.nodes.filter((n) => !dead.has(n));
  }
  const used = consumers(g);
  g.initializers = g.initializers.filter((t) => used.has(t.name) || graphOutputs.has(t.name));
}

/** True when `name` (a node name or an op type) matches the node. */
export function matchesNode(n: Node, patterns: readonly string[]): boolean {
  return patterns.some((p) => p === n.name || p === n.opType);
}
