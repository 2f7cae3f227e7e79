/** Structure of every graph: SSA names, defined reads, produced outputs, order, cycles, unused initializers. */
import { implicitInputs } from "../ir/walk.js";
import { nodeRef, type GraphScope, type ValidationContext } from "./validate-context.js";

export function validateGraphs(ctx: ValidationContext): void {
  for (const scope of ctx.scopes) validateGraph(ctx, scope);
}

function validateGraph(ctx: ValidationContext, scope: GraphScope): void {
  const d = ctx.diagnostics;
  const g = scope.graph;
  const where = scope.isMain ? "" : ` in ${scope.path}`;

  // What defined each value before the nodes (inputs, initializers); node outputs are looked up in
  // the topological sort's producer table (first writer per name) instead of copying it into more
  // million-entry Maps and Sets, which made garbage collection the largest cost on large graphs.
  const prod = scope.topo.producers;
  const nodes = g.nodes;
  const preDefined = new Map<string, string>();
  const describeDef = (name: string) => {
    const i = prod.get(name)!;
    return preDefined.get(name) ?? `output of node "${nodeRef(scope, nodes[i], i).name}"`;
  };
  const define = (name: string, what: string) => {
    if (preDefined.has(name)) {
      d.error(
        "duplicate-value",
        `value "${name}" is defined twice (${describeDef(name)}, and ${what})${where}`,
        {
          node: undefined,
          value: name,
          hint: "every value must have exactly one producer (SSA); rename one of them",
        },
      );
    } else preDefined.set(name, what);
  };
  const inputNames = new Set<string>();
  for (const v of g.inputs) {
    if (inputNames.has(v.name)) define(v.name, "a graph input");
    inputNames.add(v.name);
    preDefined.set(v.name, "a graph input");
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
  const isDefined = (name: string) => preDefined.has(name) || prod.has(name);

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
  } else if (order.some((n, i) => n !== nodes[i])) {
    const first = order.find((n, i) => n !== nodes[i])!;
    d.error(
      "unsorted-nodes",
      `nodes are not in topological order (node "${nodeRef(scope, first).name}" reads a value produced later)${where}`,
      {
        node: nodeRef(scope, first),
        hint: "ONNX requires nodes sorted so each reads only values produced before it; re-export or sort them",
      },
    );
  }

  // Every read must be defined somewhere in the graph or an enclosing one (reads of values produced
  // later are the order check's business above).
  for (let j = 0; j < nodes.length; j++) {
    const n = nodes[j];
    // The node's reference (an object) is made only when a problem names it.
    let ref: ReturnType<typeof nodeRef> | undefined;
    const refOf = () => (ref ??= nodeRef(scope, n, j));
    for (const i of n.inputs) {
      if (i === "" || isDefined(i) || scope.outer.has(i)) continue;
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
    const outs = n.outputs;
    // A name repeated within one node's outputs: a scan for the usual few, a Set for hostile many.
    const seen = outs.length > 8 ? new Set<string>() : undefined;
    for (let k = 0; k < outs.length; k++) {
      const o = outs[k];
      if (o === "") continue;
      const first = prod.get(o)!;
      const again = preDefined.has(o) || first < j || (seen ? seen.has(o) : outs.indexOf(o) < k);
      seen?.add(o);
      if (!again) continue;
      d.error(
        "duplicate-value",
        `value "${o}" is defined twice (${describeDef(o)}, and output of node "${refOf().name}")${where}`,
        {
          node: refOf(),
          value: o,
          hint: "every value must have exactly one producer (SSA); rename one of them",
        },
      );
    }
  }

  for (const o of g.outputs) {
    if (!isDefined(o.name) && !scope.outer.has(o.name)) {
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

  // Only "is it read anywhere" matters, and only for initializers: a Set of their names, not of
  // every value read.
  const unused = new Set(g.initializers.map((t) => t.name));
  if (unused.size > 0) {
    for (const n of nodes) {
      for (const i of n.inputs) unused.delete(i);
      if (n.subgraphs.size > 0) for (const i of implicitInputs(n)) unused.delete(i);
    }
  }
  const outputs = new Set(g.outputs.map((o) => o.name));
  for (const t of g.initializers) {
    if (unused.has(t.name) && !outputs.has(t.name)) {
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
