/** Iterative walks over raw GraphProto trees (no recursion, so hostile nesting cannot blow the stack). */
import type { GraphProto } from "./proto.js";

/** Calls fn for the graph and every subgraph in node attributes, depth 0 for the root. */
export function forEachGraph(root: GraphProto, fn: (g: GraphProto, depth: number) => void): void {
  const stack: [GraphProto, number][] = [[root, 0]];
  while (stack.length) {
    const [g, depth] = stack.pop()!;
    fn(g, depth);
    for (const n of g.node ?? []) {
      for (const a of n.attribute) {
        if (a.g) stack.push([a.g, depth + 1]);
        for (const sg of a.graphs) stack.push([sg, depth + 1]);
      }
    }
  }
}
