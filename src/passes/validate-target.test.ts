import { describe, expect, it } from "vitest";
import { validateModelProto } from "./validate.js";
import { makeModel, makeNode, makeValueInfo, type ModelSpec } from "../onnx/build.js";
import { arrayToTensor } from "../onnx/tensor.js";
import { DT } from "../onnx/dtypes.js";
import { ortCpuSupport } from "../ops/support/ort-cpu.js";
import type { SupportQuery, TargetSupport } from "../ops/support/types.js";
import type { Diagnostic } from "../diagnostics.js";

const validate = (spec: ModelSpec, target: TargetSupport = ortCpuSupport) =>
  validateModelProto(makeModel(spec), "test.onnx", { target });

const only = (ds: Diagnostic[], severity: Diagnostic["severity"]) =>
  ds.filter((d) => d.severity === severity);

/** A target that supports everything and records what the pass asked it. */
function recordingTarget() {
  const queries: SupportQuery[] = [];
  const io: string[] = [];
  const target: TargetSupport = {
    id: "rec",
    description: "records queries",
    maxIrVersion: 99,
    maxOpset: () => 99,
    check: (q) => (queries.push(q), { supported: true }),
    checkGraphIo: (kind, name, type) => (io.push(`${kind} ${name} ${type}`), { supported: true }),
  };
  return { target, queries, io };
}

describe("validate --target: graph inputs and outputs", () => {
  it("refuses a bfloat16 graph input the runtime's API cannot pass, and says where to cast", () => {
    const r = validate({
      opsets: { "": 21 },
      nodes: [makeNode("Cast", ["x"], ["y"], { to: { int: DT.FLOAT } })],
      inputs: [makeValueInfo("x", DT.BFLOAT16, [2])],
      outputs: [makeValueInfo("y", DT.FLOAT, [2])],
    });
    expect(r.valid).toBe(false);
    const errors = only(r.diagnostics, "error");
    expect(errors.map((d) => d.code)).toEqual(["target-io-type"]);
    expect(errors[0].value).toBe("x");
    expect(errors[0].message).toMatch(/graph input "x" is tensor\(bfloat16\).*onnxruntime-node/);
    expect(errors[0].hint).toMatch(/declare "x" as tensor\(float\) and add a Cast to tensor\(bfloat16\)/);
  });

  it("refuses a float8 graph output", () => {
    const r = validate({
      opsets: { "": 21 },
      nodes: [makeNode("Cast", ["x"], ["y"], { to: { int: DT.FLOAT8E4M3FN } })],
      inputs: [makeValueInfo("x", DT.FLOAT, [2])],
      outputs: [makeValueInfo("y", DT.FLOAT8E4M3FN, [2])],
    });
    const errors = only(r.diagnostics, "error");
    expect(errors.map((d) => d.code)).toEqual(["target-io-type"]);
    expect(errors[0].message).toMatch(/graph output "y" is tensor\(float8e4m3fn\)/);
    expect(errors[0].hint).toMatch(/add a Cast to tensor\(float\) before "y"/);
  });

  it("asks about main-graph inputs (not initializer defaults) and outputs with known types", () => {
    const { target, io } = recordingTarget();
    const w = arrayToTensor("w", DT.FLOAT, [2], new Float32Array([1, 2]));
    validate(
      {
        irVersion: 8,
        nodes: [makeNode("Add", ["x", "w"], ["y"])],
        inputs: [makeValueInfo("x", DT.FLOAT, [2]), makeValueInfo("w", DT.FLOAT, [2])],
        initializers: [w],
        outputs: [makeValueInfo("y", DT.FLOAT, [2])],
      },
      target,
    );
    expect(io).toEqual(["input x tensor(float)", "output y tensor(float)"]);
  });
});

describe("validate --target: kernel attribute restrictions", () => {
  const lstm = (attrs: Parameters<typeof makeNode>[3]): ModelSpec => ({
    opsets: { "": 22 },
    nodes: [
      makeNode("LSTM", ["X", "W", "R"], ["Y"], { hidden_size: { int: 2 }, ...attrs }, { name: "lstm" }),
    ],
    inputs: [
      makeValueInfo("X", DT.FLOAT, [1, 3, 4]),
      makeValueInfo("W", DT.FLOAT, [1, 8, 4]),
      makeValueInfo("R", DT.FLOAT, [1, 8, 2]),
    ],
    outputs: [makeValueInfo("Y", DT.FLOAT)],
  });

  it("refuses LSTM with layout = 1 (batchwise), naming the node", () => {
    const r = validate(lstm({ layout: { int: 1 } }));
    const errors = only(r.diagnostics, "error");
    expect(errors.map((d) => d.code)).toEqual(["target-unsupported"]);
    expect(errors[0].node?.name).toBe("lstm");
    expect(errors[0].message).toMatch(/LSTM-22 refuses layout = 1/);
    expect(errors[0].hint).toMatch(/layout = 0/);
  });

  it("accepts LSTM with layout = 0 or without the attribute", () => {
    expect(validate(lstm({ layout: { int: 0 } })).diagnostics).toEqual([]);
    expect(validate(lstm({})).diagnostics).toEqual([]);
  });

  it("warns (does not fail) when StringNormalizer needs a locale the host may lack", () => {
    const spec = (attrs: Parameters<typeof makeNode>[3]): ModelSpec => ({
      opsets: { "": 17 },
      nodes: [makeNode("StringNormalizer", ["x"], ["y"], attrs, { name: "norm" })],
      inputs: [makeValueInfo("x", DT.STRING, [3])],
      outputs: [makeValueInfo("y", DT.STRING)],
    });
    const r = validate(spec({ case_change_action: { string: "LOWER" }, is_case_sensitive: { int: 1 } }));
    expect(r.valid).toBe(true);
    const warnings = only(r.diagnostics, "warning");
    expect(warnings.map((d) => d.code)).toEqual(["target-host-dependent"]);
    expect(warnings[0].node?.name).toBe("norm");
    expect(warnings[0].message).toMatch(/locale "en_US\.UTF-8"/);
    expect(warnings[0].hint).toMatch(/locale-gen/);

    // Case-insensitive stopwords also need the locale; a built-in locale or no case work does not.
    const stop = { stopwords: { strings: ["monday"] } };
    expect(only(validate(spec(stop)).diagnostics, "warning")).toHaveLength(1);
    expect(validate(spec({ ...stop, is_case_sensitive: { int: 1 } })).diagnostics).toEqual([]);
    expect(
      validate(spec({ case_change_action: { string: "UPPER" }, locale: { string: "C" } })).diagnostics,
    ).toEqual([]);
  });

  it("passes each node's scalar and list attributes to the target, decoded", () => {
    const { target, queries } = recordingTarget();
    validate(
      {
        nodes: [
          makeNode("LeakyRelu", ["x"], ["t"], { alpha: { float: 0.5 } }),
          makeNode("Transpose", ["t"], ["u"], { perm: { ints: [1, 0] } }),
          makeNode("StringNormalizer", ["s"], ["y"], {
            case_change_action: { string: "LOWER" },
            stopwords: { strings: ["a", "b"] },
          }),
        ],
        inputs: [makeValueInfo("x", DT.FLOAT, [2, 3]), makeValueInfo("s", DT.STRING, [2])],
        outputs: [makeValueInfo("u", DT.FLOAT), makeValueInfo("y", DT.STRING)],
      },
      target,
    );
    expect(queries.map((q) => q.attributes)).toEqual([
      { alpha: 0.5 },
      { perm: [1, 0] },
      { case_change_action: "LOWER", stopwords: ["a", "b"] },
    ]);
  });
});
