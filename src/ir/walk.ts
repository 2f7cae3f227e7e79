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
    // A node counts once per value it reads; the Set is only needed when a name can repeat.
    const names =
      n.subgraphs.size > 0
        ? new Set([...n.inputs, ...implicitInputs(n)])
        : n.inputs.length > 1
          ? new Set(n.inputs)
          : n.inputs;
    for (const name of names) {
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
  /** Value name -> file position of the first node that writes it (validate reuses this table;
   * its iteration order means nothing). */
  producers: Map<string, number>;
}

/**
 * Kahn's algorithm; stable (keeps file order among ready nodes). Values not produced in g are ready.
 * Linear in graph size up to a log factor: nodes are numbered by file position and the ready set is
 * a binary min-heap of those numbers (a scan of the ready list per step was quadratic on wide graphs).
 */
export function topoSort(g: Graph): TopoResult {
  const nodes = g.nodes;
  const count = nodes.length;
  // Filled from the last node back, so the first writer's position is the one left: one set per
  // output instead of a lookup and a set.
  const prod = new Map<string, number>();
  for (let i = count - 1; i >= 0; i--) {
    const outs = nodes[i].outputs;
    for (let k = outs.length - 1; k >= 0; k--) if (outs[k] !== "") prod.set(outs[k], i);
  }
  // Most graphs are stored sorted, and then Kahn's stable order is the file order (the smallest
  // unplaced node always has all its producers placed): one check instead of edges and a heap.
  if (isSorted(nodes, prod)) return { order: nodes.slice(), cyclic: [], producers: prod };
  // Edges in flat typed arrays (compressed rows) and a per-node stamp for de-duplication: no Set or
  // array per node, which made garbage collection the largest cost on million-node graphs.
  const indeg = new Int32Array(count);
  const stamp = new Int32Array(count).fill(-1);
  let from: Int32Array = new Int32Array(Math.max(16, count * 2));
  let to: Int32Array = new Int32Array(from.length);
  let edges = 0;
  const add = (i: number, name: string) => {
    const p = prod.get(name);
    if (p === undefined || stamp[p] === i) return;
    stamp[p] = i;
    indeg[i]++;
    if (edges === from.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      from = grow(from);
      to = grow(to);
    }
    from[edges] = p;
    to[edges++] = i;
  };
  for (let i = 0; i < count; i++) {
    const n = nodes[i];
    for (const name of n.inputs) add(i, name);
    if (n.subgraphs.size > 0) for (const name of implicitInputs(n)) add(i, name);
  }
  const first = new Int32Array(count + 1);
  for (let e = 0; e < edges; e++) first[from[e] + 1]++;
  for (let i = 0; i < count; i++) first[i + 1] += first[i];
  const users = new Int32Array(edges);
  const fill = first.slice(0, count);
  for (let e = 0; e < edges; e++) users[fill[from[e]]++] = to[e];

  const heap = new MinHeap();
  for (let i = 0; i < count; i++) if (indeg[i] === 0) heap.push(i);
  const order: Node[] = [];
  const placed = new Uint8Array(count);
  while (heap.size > 0) {
    const i = heap.pop();
    order.push(nodes[i]);
    placed[i] = 1;
    for (let e = first[i]; e < first[i + 1]; e++) if (--indeg[users[e]] === 0) heap.push(users[e]);
  }
  return {
    order,
    cyclic: order.length === count ? [] : nodes.filter((_, i) => !placed[i]),
    producers: prod,
  };
}

/** Does every node read only values written by nodes before it (or not written in this graph)? */
function isSorted(nodes: Node[], prod: Map<string, number>): boolean {
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    for (const name of n.inputs) {
      const p = prod.get(name);
      if (p !== undefined && p >= i) return false;
    }
    if (n.subgraphs.size > 0)
      for (const name of implicitInputs(n)) {
        const p = prod.get(name);
        if (p !== undefined && p >= i) return false;
      }
  }
  return true;
}

class MinHeap {
  private items: number[] = [];
  get size(): number {
    return this.items.length;
  }
  push(v: number): void {
    const a = this.items;
    let i = a.push(v) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent] <= v) break;
      a[i] = a[parent];
      i = parent;
    }
    a[i] = v;
  }
  pop(): number {
    const a = this.items;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const c = l + 1 < a.length && a[l + 1] < a[l] ? l + 1 : l;
        if (a[c] >= last) break;
        a[i] = a[c];
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
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
