import { describe, expect, it } from "vitest";
import { validateModelProto } from "./validate.js";
import { makeGraph, makeModel, makeNode, makeValueInfo, type ModelSpec } from "../onnx/build.js";
import { arrayToTensor } from "../onnx/tensor.js";
import { DT } from "../onnx/dtypes.js";
import { create, OperatorSetIdProtoSchema, FunctionProtoSchema } from "../onnx/proto.js";
import type { Diagnostic } from "../diagnostics.js";

const X = makeValueInfo("x", DT.FLOAT, [2, 3]);
const Y = makeValueInfo("y", DT.FLOAT, [2, 3]);

function check(spec: Partial<ModelSpec> & Pick<ModelSpec, "nodes">) {
  const model = makeModel({ inputs: [X], outputs: [Y], ...spec });
  return validateModelProto(model, "test.onnx");
}

function codes(ds: Diagnostic[], severity = "error"): string[] {
  return ds.filter((d) => d.severity === severity).map((d) => d.code);
}

describe("validate: each rule", () => {
  it("accepts a valid graph", () => {
    const r = check({ nodes: [makeNode("Relu", ["x"], ["y"])] });
    expect(r.valid).toBe(true);
    expect(r.diagnostics).toEqual([]);
    expect(r.passes).toEqual(["model-header", "graph-structure", "node-schemas"]);
  });

  it("unknown op, with a hint when the op lives in another domain", () => {
    const r = check({ nodes: [makeNode("Reluu", ["x"], ["y"], {}, { name: "r1" })] });
    expect(codes(r.diagnostics)).toEqual(["unknown-op"]);
    expect(r.diagnostics[0].node).toEqual({ name: "r1", opType: "Reluu", domain: "", graph: "main" });
    const g = check({ nodes: [makeNode("FusedMatMul", ["x", "x"], ["y"])] });
    expect(g.diagnostics[0].hint).toMatch(/exists in domain "com\.microsoft"/);
  });

  it("op newer than the imported opset", () => {
    const r = check({ nodes: [makeNode("Gelu", ["x"], ["y"])], opsets: { "": 17 } });
    expect(codes(r.diagnostics)).toEqual(["op-not-in-opset"]);
    expect(r.diagnostics[0].message).toMatch(
      /Gelu first appears in ai\.onnx opset 20; the model imports opset 17/,
    );
  });

  it("domain used without an opset import, and unknown custom domains", () => {
    const r = check({ nodes: [makeNode("Gelu", ["x"], ["y"], {}, { domain: "com.microsoft" })] });
    expect(codes(r.diagnostics)).toEqual(["missing-opset-import"]);
    const c = check({
      nodes: [makeNode("Thing", ["x"], ["y"], {}, { domain: "com.acme" })],
      opsets: { "": 17, "com.acme": 1 },
    });
    expect(c.valid).toBe(true);
    expect(codes(c.diagnostics, "info")).toEqual(["unchecked-op"]);
  });

  it("wrong input and output counts; empty required input", () => {
    const r = check({ nodes: [makeNode("Add", ["x"], ["y"])] });
    expect(codes(r.diagnostics)).toEqual(["input-count"]);
    expect(r.diagnostics[0].message).toMatch(/Add-14 takes 2 inputs, the node has 1/);
    const o = check({ nodes: [makeNode("Relu", ["x"], ["y", "z"])] });
    expect(codes(o.diagnostics)).toEqual(["output-count"]);
    const e = check({ nodes: [makeNode("Add", ["", "x"], ["y"])] });
    expect(codes(e.diagnostics)).toEqual(["missing-input"]);
  });

  it("missing required attribute, unknown attribute, attribute type mismatch", () => {
    const r = check({ nodes: [makeNode("Cast", ["x"], ["y"])] });
    expect(codes(r.diagnostics)).toEqual(["missing-attribute"]);
    expect(r.diagnostics[0].message).toMatch(/"to" \(int\)/);
    expect(r.diagnostics[0].hint).toBe('add attribute "to" (int) to the node');
    const u = check({ nodes: [makeNode("Relu", ["x"], ["y"], { alpha: { float: 1 } })] });
    expect(codes(u.diagnostics)).toEqual(["unknown-attribute"]);
    const t = check({ nodes: [makeNode("Softmax", ["x"], ["y"], { axis: { float: 1.5 } })] });
    expect(codes(t.diagnostics)).toEqual(["attribute-type"]);
    expect(t.diagnostics[0].message).toMatch(/"axis" is float, Softmax expects int/);
  });

  it("type-constraint violations and mismatched type parameters", () => {
    const xi = makeValueInfo("xi", DT.INT32, [2, 3]);
    const r = check({ inputs: [xi], nodes: [makeNode("Sqrt", ["xi"], ["y"])] });
    expect(codes(r.diagnostics)).toContain("type-constraint");
    const m = check({ inputs: [X, xi], nodes: [makeNode("Add", ["x", "xi"], ["y"])] });
    expect(codes(m.diagnostics)).toEqual(["type-mismatch"]);
    expect(m.diagnostics[0].message).toMatch(
      /"xi"\) is tensor\(int32\) but "x" is tensor\(float\); both bind T/,
    );
  });

  it("types propagate through the graph (Cast then Sqrt on int64 is caught)", () => {
    const r = check({
      nodes: [makeNode("Cast", ["x"], ["c"], { to: { int: DT.INT64 } }), makeNode("Sqrt", ["c"], ["y"])],
    });
    expect(codes(r.diagnostics)).toContain("type-constraint");
    expect(r.diagnostics.find((d) => d.code === "type-constraint")!.message).toMatch(/is tensor\(int64\)/);
  });

  it("undefined and duplicate value names", () => {
    const r = check({ nodes: [makeNode("Add", ["x", "nowhere"], ["y"])] });
    expect(codes(r.diagnostics)).toEqual(["undefined-value"]);
    expect(r.diagnostics[0].value).toBe("nowhere");
    const d = check({ nodes: [makeNode("Relu", ["x"], ["y"]), makeNode("Neg", ["x"], ["y"])] });
    expect(codes(d.diagnostics)).toEqual(["duplicate-value"]);
  });

  it("cycles and unsorted nodes", () => {
    const cyc = check({
      nodes: [
        makeNode("Add", ["x", "b"], ["a"]),
        makeNode("Relu", ["a"], ["b"]),
        makeNode("Identity", ["b"], ["y"]),
      ],
    });
    expect(codes(cyc.diagnostics)).toContain("cycle");
    const uns = check({ nodes: [makeNode("Relu", ["a"], ["y"]), makeNode("Neg", ["x"], ["a"])] });
    expect(codes(uns.diagnostics)).toEqual(["unsorted-nodes"]);
  });

  it("graph outputs not produced; unused initializers are warnings", () => {
    const r = check({ nodes: [makeNode("Relu", ["x"], ["z"])] });
    expect(codes(r.diagnostics)).toEqual(["output-not-produced"]);
    const w = check({
      nodes: [makeNode("Relu", ["x"], ["y"])],
      initializers: [arrayToTensor("unused_w", DT.FLOAT, [2], new Float32Array(2))],
    });
    expect(w.valid).toBe(true);
    expect(codes(w.diagnostics, "warning")).toEqual(["unused-initializer"]);
  });

  it("collects every problem instead of stopping at the first", () => {
    const r = check({
      nodes: [
        makeNode("Reluu", ["x"], ["a"]),
        makeNode("Cast", ["a"], ["b"]),
        makeNode("Add", ["b", "ghost"], ["c"]),
      ],
      initializers: [arrayToTensor("w", DT.FLOAT, [1], new Float32Array(1))],
    });
    expect(new Set(codes(r.diagnostics))).toEqual(
      new Set(["unknown-op", "missing-attribute", "undefined-value", "output-not-produced"]),
    );
    expect(codes(r.diagnostics, "warning")).toEqual(["unused-initializer"]);
    expect(r.errors).toBe(4);
    for (const d of r.diagnostics) expect(d.hint, d.code).toBeTruthy();
  });

  it("checks inside subgraphs and lets them read outer values", () => {
    const body = (out: string, input: string) =>
      makeGraph({
        nodes: [makeNode("Relu", [input], [out])],
        inputs: [],
        outputs: [makeValueInfo(out, DT.FLOAT)],
      });
    const cond = makeValueInfo("cond", DT.BOOL, []);
    const ok = check({
      inputs: [X, cond],
      nodes: [
        makeNode(
          "If",
          ["cond"],
          ["y"],
          { then_branch: { graph: body("t", "x") }, else_branch: { graph: body("e", "x") } },
          { name: "if0" },
        ),
      ],
    });
    expect(ok.valid).toBe(true);
    const bad = check({
      inputs: [X, cond],
      nodes: [
        makeNode(
          "If",
          ["cond"],
          ["y"],
          { then_branch: { graph: body("t", "missing") }, else_branch: { graph: body("e", "x") } },
          { name: "if0" },
        ),
      ],
    });
    expect(codes(bad.diagnostics)).toEqual(["undefined-value"]);
    expect(bad.diagnostics[0].node!.graph).toBe("main/if0:then_branch");
  });

  it("model-local functions are callable, and their bodies are checked", () => {
    const fn = create(FunctionProtoSchema, {
      name: "MyRelu",
      domain: "local",
      input: ["a"],
      output: ["b"],
      node: [makeNode("Relu", ["a"], ["b"])],
      opsetImport: [create(OperatorSetIdProtoSchema, { domain: "", version: 17n })],
    });
    const model = makeModel({
      inputs: [X],
      outputs: [Y],
      nodes: [makeNode("MyRelu", ["x"], ["y"], {}, { domain: "local" })],
      opsets: { "": 17, local: 1 },
    });
    model.functions.push(fn);
    expect(validateModelProto(model, "f.onnx").valid).toBe(true);
    fn.node[0].opType = "Relux";
    const r = validateModelProto(model, "f.onnx");
    expect(codes(r.diagnostics)).toEqual(["unknown-op"]);
    expect(r.diagnostics[0].node!.graph).toBe("function:local.MyRelu");
  });

  it("model header: missing and duplicate opset imports", () => {
    const m = makeModel({ inputs: [X], outputs: [Y], nodes: [makeNode("Relu", ["x"], ["y"])], opsets: {} });
    expect(codes(validateModelProto(m, "m").diagnostics)).toEqual([
      "missing-opset-import",
      "missing-opset-import",
    ]);
    m.opsetImport.push(
      create(OperatorSetIdProtoSchema, { domain: "", version: 17n }),
      create(OperatorSetIdProtoSchema, { domain: "ai.onnx", version: 17n }),
    );
    expect(codes(validateModelProto(m, "m").diagnostics)).toEqual(["duplicate-opset-import"]);
  });
});
