import { describe, expect, it } from "vitest";
import { modelFromProto, modelToProto } from "./graph.js";
import { consumers, implicitInputs, producers, replaceAllUses, topoSort, allGraphs } from "./walk.js";
import { makeGraph, makeModel, makeNode, makeValueInfo } from "../onnx/build.js";
import { encodeModelProto } from "../onnx/proto.js";
import { makeMlp } from "../onnx/fixtures.js";
import { DT } from "../onnx/dtypes.js";

const X = makeValueInfo("x", DT.FLOAT, [2]);
const C = makeValueInfo("c", DT.BOOL, []);

function ifModel() {
  const branch = (name: string) =>
    makeGraph({
      name,
      nodes: [makeNode("Add", ["x", "a"], [`${name}_out`])],
      inputs: [],
      outputs: [makeValueInfo(`${name}_out`, DT.FLOAT)],
    });
  return makeModel({
    inputs: [X, C],
    outputs: [makeValueInfo("y", DT.FLOAT)],
    nodes: [
      makeNode("Relu", ["x"], ["a"], {}, { name: "relu" }),
      makeNode(
        "If",
        ["c"],
        ["y"],
        { then_branch: { graph: branch("then") }, else_branch: { graph: branch("else") } },
        { name: "if" },
      ),
    ],
  });
}

describe("IR", () => {
  it("round-trips to the same bytes, subgraphs included", () => {
    for (const p of [makeMlp({ widths: [4, 8, 2] }), ifModel()]) {
      expect(encodeModelProto(modelToProto(modelFromProto(p)))).toEqual(encodeModelProto(p));
    }
  });

  it("exposes subgraphs as child graphs with paths", () => {
    const m = modelFromProto(ifModel());
    const ifNode = m.graph.nodes[1];
    expect(ifNode.childGraphs().map((g) => g.path())).toEqual(["main/if:then_branch", "main/if:else_branch"]);
    expect(allGraphs(m.graph)).toHaveLength(3);
  });

  it("producer/consumer maps count outer-scope reads from subgraphs", () => {
    const m = modelFromProto(ifModel());
    const [relu, ifNode] = m.graph.nodes;
    expect(producers(m.graph).get("a")).toBe(relu);
    expect(implicitInputs(ifNode).sort()).toEqual(["a", "x"]);
    expect(consumers(m.graph).get("a")).toEqual([ifNode]);
    expect(consumers(m.graph).get("x")).toEqual([relu, ifNode]);
  });

  it("topo-sorts, keeps sorted graphs in order, and reports cycles", () => {
    const m = modelFromProto(ifModel());
    expect(topoSort(m.graph).order.map((n) => n.name)).toEqual(["relu", "if"]);
    m.graph.nodes.reverse(); // If before the Relu it (implicitly) depends on
    expect(topoSort(m.graph).order.map((n) => n.name)).toEqual(["relu", "if"]);
    const cyc = modelFromProto(
      makeModel({
        inputs: [X],
        outputs: [],
        nodes: [
          makeNode("Add", ["x", "b"], ["a"], {}, { name: "n1" }),
          makeNode("Relu", ["a"], ["b"], {}, { name: "n2" }),
        ],
      }),
    );
    const r = topoSort(cyc.graph);
    expect(r.order).toEqual([]);
    expect(r.cyclic.map((n) => n.name)).toEqual(["n1", "n2"]);
  });

  it("edits flow back into the proto (rename a value everywhere, add a node)", () => {
    const p = ifModel();
    const m = modelFromProto(p);
    replaceAllUses(m.graph, "a", "a2");
    m.graph.nodes[0].outputs = ["a2"];
    const out = modelToProto(m);
    expect(out.graph!.node[0].output).toEqual(["a2"]);
    expect(out.graph!.node[1].attribute[0].g!.node[0].input).toEqual(["x", "a2"]);
    // The source proto is not modified.
    expect(p.graph!.node[1].attribute[0].g!.node[0].input).toEqual(["x", "a"]);
  });
});
