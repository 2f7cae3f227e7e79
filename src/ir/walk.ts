/** Graph queries: producers, consumers, outer-scope reads of subgraphs, topological order, cycles. */
import type { Graph, Node } from "./graph.js";

/** Value name -> the node that writes it (first writer wins; duplicates are a validation error). */
export function producers(g: Graph): Map<string, Node> {
  const m = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) if (o !== "" && !m.has(o)) m.set(o, n);
  return m;
}

/** Value name -> nodes that read it, including reads from inside their subgraphs. */
export function consumers(g: Graph): Map<string, Node[]> {
  const m = new Map<string, Node[]>();
  for (const n of g.nodes) {
    for (const name of new Set([...n.inputs, ...implicitInputs(n)])) {
      if (name === "") continue;
      const list = m.get(name);
      if (list) list.push(n);
      else m.set(name, [n]);
    }
  }
  return m;
}

/** Names a node's subgraphs read from enclosing scopes (not defined inside the subgraph itself). */
export function implicitInputs(n: Node): string[] {
  const out = new Set<string>();
  for (const sg of n.childGraphs()) for (const name of outerReads(sg)) out.add(name);
  return [...out];
}

function outerReads(g: Graph): Set<string> {
  const defined = new Set<string>([...g.inputs.map((v) => v.name), ...g.initializers.map((t) => t.name)]);
  for (const s of g.sparseInitializers) if (s.values) defined.add(s.values.name);
  for (const n of g.nodes) for (const o of n.outputs) defined.add(o);
  const reads = new Set<string>();
  for (const n of g.nodes) {
    for (const i of [...n.inputs, ...implicitInputs(n)]) if (i !== "" && !defined.has(i)) reads.add(i);
  }
  for (const o of g.outputs) if (!defined.has(o.name)) reads.add(o.name);
  return reads;
}

export interface TopoResult {
  order: Node[];
  /** Nodes that could not be ordered because they sit on or behind a cycle. */
  cyclic: Node[];
}

/** Kahn's algorithm; stable (keeps file order among ready nodes). Values not produced in g are ready. */
export function topoSort(g: Graph): TopoResult {
  const prod = producers(g);
  const indeg = new Map<Node, number>();
  const users = new Map<Node, Node[]>();
  for (const n of g.nodes) {
    const deps = new Set<Node>();
    for (const i of [...n.inputs, ...implicitInputs(n)]) {
      const p = prod.get(i);
      if (p && p !== n) deps.add(p);
      else if (p === n) deps.add(n);
    }
    indeg.set(n, deps.size);
    for (const d of deps) {
      const list = users.get(d);
      if (list) list.push(n);
      else users.set(d, [n]);
    }
  }
  const order: Node[] = [];
  const ready = g.nodes.filter((n) => indeg.get(n) === 0);
  const index = new Map(g.nodes.map((n, i) => [n, i]));
  while (ready.length) {
    // Pick the earliest ready node in file order so a sorted graph comes back unchanged.
    let best = 0;
    for (let i = 1; i < ready.length; i++) if (index.get(ready[i])! < index.get(ready[best])!) best = i;
    const n = ready.splice(best, 1)[0];
    order.push(n);
    for (const u of users.get(n) ?? []) {
      const d = indeg.get(u)! - 1;
      indeg.set(u, d);
      if (d === 0) ready.push(u);
    }
  }
  const placed = new Set(order);
  return { order, cyclic: g.nodes.filter((n) => !placed.has(n)) };
}

/** Every graph under g (g first), depth-first, without recursion. */
export function allGraphs(g: Graph): Graph[] {
  const out: Graph[] = [];
  const stack = [g];
  while (stack.length) {
    const cur = stack.pop()!;
    out.push(cur);
    for (const n of cur.nodes) for (const sg of n.childGraphs()) stack.push(sg);
  }
  return out;
}

/** Rewire every read of `from` (in g and its subgraphs) to `to`. */
export function replaceAllUses(g: Graph, from: string, to: string): void {
  for (const graph of allGraphs(g)) {
    for (const n of graph.nodes) n.inputs = n.inputs.map((i) => (i === from ? to : i));
    if (graph === g) {
      // Copy before renaming: the ValueInfoProto may still be shared with the source ModelProto.
      graph.outputs = graph.outputs.map((o) =>
        o.name === from ? Object.assign(Object.create(Object.getPrototypeOf(o)), o, { name: to }) : o,
      );
    }
  }
}
