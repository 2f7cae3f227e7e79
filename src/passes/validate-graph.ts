/** Structure of every graph: SSA names, defined reads, produced outputs, order, cycles, unused initializers. */
import { implicitInputs } from "../ir/walk.js";
import type { Node } from "../ir/graph.js";
import { nodeRef, type GraphScope, type ValidationContext } from "./validate-context.js";

export function validateGraphs(ctx: ValidationContext): void {
  for (const scope of ctx.scopes) validateGraph(ctx, scope);
}

function validateGraph(ctx: ValidationContext, scope: GraphScope): void {
  const d = ctx.diagnostics;
  const g = scope.graph;
  const where = scope.isMain ? "" : ` in ${scope.path}`;

  // What defined each value: a description, or the producing node (described only when needed).
  const defined = new Map<string, string | Node>();
  const describeDef = (w: string | Node) =>
    typeof w === "string" ? w : `output of node "${nodeRef(scope, w).name}"`;
  // `what` may be a function: describing every node output up front cost a string per value.
  const whatOf = (w: string | (() => string)) => (typeof w === "string" ? w : w());
  const define = (name: string, what: string | (() => string), node?: ReturnType<typeof nodeRef>) => {
    const prev = defined.get(name);
    if (prev !== undefined) {
      d.error(
        "duplicate-value",
        `value "${name}" is defined twice (${describeDef(prev)}, and ${whatOf(what)})${where}`,
        {
          node,
          value: name,
          hint: "every value must have exactly one producer (SSA); rename one of them",
        },
      );
    } else defined.set(name, whatOf(what));
  };
  const inputNames = new Set<string>();
  for (const v of g.inputs) {
    if (inputNames.has(v.name)) define(v.name, "a graph input");
    inputNames.add(v.name);
    defined.set(v.name, "a graph input");
    if (scope.isMain && !v.type) {
      d.error("missing-type", `graph input "${v.name}" has no type`, {
        value: v.name,
        hint: "declare its element type and shape",
      });
    }
  }
  for (const t of g.initializers) {
    // An initializer may share a graph input's name: it is that input's default value.
    if (inputNames.has(t.name)) continue;
    define(t.name, "an initializer");
  }
  for (const s of g.sparseInitializers) if (s.values) define(s.values.name, "a sparse initializer");

  const { order, cyclic } = scope.topo;
  if (cyclic.length > 0) {
    const names = cyclic.slice(0, 5).map((n) => `"${nodeRef(scope, n).name}"`);
    d.error(
      "cycle",
      `the graph has a cycle through ${cyclic.length} node(s): ${names.join(", ")}${cyclic.length > 5 ? ", ..." : ""}${where}`,
      {
        node: nodeRef(scope, cyclic[0]),
        hint: "an ONNX graph must be acyclic; use Loop for iteration",
      },
    );
  } else if (order.some((n, i) => n !== g.nodes[i])) {
    const first = order.find((n, i) => n !== g.nodes[i])!;
    d.error(
      "unsorted-nodes",
      `nodes are not in topological order (node "${nodeRef(scope, first).name}" reads a value produced later)${where}`,
      {
        node: nodeRef(scope, first),
        hint: "ONNX requires nodes sorted so each reads only values produced before it; re-export or sort them",
      },
    );
  }

  // Reads are checked in file order against what is defined so far, plus enclosing scopes.
  const producedSoFar = new Set<string>([...defined.keys()]);
  const allOutputs = new Set<string>();
  for (const n of g.nodes) for (const o of n.outputs) if (o !== "") allOutputs.add(o);
  for (const n of g.nodes) {
    // The node's reference (a position lookup and an object) is made only when a problem names it.
    let ref: ReturnType<typeof nodeRef> | undefined;
    const refOf = () => (ref ??= nodeRef(scope, n));
    for (const i of n.inputs) {
      if (i === "" || producedSoFar.has(i) || allOutputs.has(i) || scope.outer.has(i)) continue;
      d.error(
        "undefined-value",
        `input "${i}" is not a graph input, an initializer, or any node's output${where}`,
        {
          node: refOf(),
          value: i,
          hint: "connect it to a producer, or add it as a graph input or initializer",
        },
      );
    }
    for (const o of n.outputs) {
      if (o === "") continue;
      if (defined.has(o)) define(o, `output of node "${refOf().name}"`, refOf());
      else defined.set(o, n);
    }
    for (const o of n.outputs) producedSoFar.add(o);
  }

  for (const o of g.outputs) {
    if (!defined.has(o.name) && !scope.outer.has(o.name)) {
      d.error(
        "output-not-produced",
        `graph output "${o.name}" is not produced by any node, input or initializer${where}`,
        {
          value: o.name,
          hint: "remove it from the outputs or connect it to the value that should be returned",
        },
      );
    }
    if (scope.isMain && !o.type) {
      d.error("missing-type", `graph output "${o.name}" has no type`, {
        value: o.name,
        hint: "declare its element type",
      });
    }
  }

  // Only "is it read anywhere" matters here: a Set of names, not consumers()' list per value.
  const used = new Set<string>();
  for (const n of g.nodes) {
    for (const i of n.inputs) used.add(i);
    if (n.subgraphs.size > 0) for (const i of implicitInputs(n)) used.add(i);
  }
  const outputs = new Set(g.outputs.map((o) => o.name));
  for (const t of g.initializers) {
    if (!used.has(t.name) && !outputs.has(t.name)) {
      d.warning("unused-initializer", `initializer "${t.name}" is never used${where}`, {
        value: t.name,
        hint: "it only makes the file bigger; remove it",
      });
    }
  }

  const names = new Map<string, number>();
  for (const n of g.nodes) if (n.name) names.set(n.name, (names.get(n.name) ?? 0) + 1);
  for (const [name, count] of names) {
    if (count > 1)
      d.warning("duplicate-node-name", `${count} nodes are named "${name}"${where}`, {
        hint: "give nodes unique names so tools and errors can point at them",
      });
  }
}
