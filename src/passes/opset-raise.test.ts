import { describe, expect, it } from "vitest";
import { checkOpsetRaise, withRaisedOpset } from "./opset-raise.js";
import { Model } from "../ir/graph.js";
import { makeModel, makeNode, makeValueInfo } from "../onnx/build.js";
import { DT } from "../onnx/dtypes.js";
import { encodeModelProto } from "../onnx/proto.js";

const X = makeValueInfo("x", DT.FLOAT, [1, 4]);
const Y = makeValueInfo("y", DT.FLOAT, [1, 4]);

describe("checkOpsetRaise", () => {
  it("allows ops that only gained types, optional inputs or attributes", () => {
    const m = makeModel({
      inputs: [X],
      outputs: [Y],
      opsets: { "": 11 },
      nodes: [makeNode("Relu", ["x"], ["a"]), makeNode("Add", ["a", "x"], ["y"])],
    });
    expect(checkOpsetRaise(new Model(m), 13)).toEqual({ safe: true, blockers: [] });
  });

  it("blocks ops whose signature or defaults changed (Softmax-11 -> 13 changed the axis default)", () => {
    const m = makeModel({
      inputs: [X],
      outputs: [Y],
      opsets: { "": 11 },
      nodes: [makeNode("Softmax", ["x"], ["y"])],
    });
    expect(checkOpsetRaise(new Model(m), 13)).toEqual({
      safe: false,
      blockers: ["Softmax-11 -> Softmax-13"],
    });
    const clip = makeModel({
      inputs: [X],
      outputs: [Y],
      opsets: { "": 6 },
      nodes: [makeNode("Clip", ["x"], ["y"])],
    });
    expect(checkOpsetRaise(new Model(clip), 13).blockers).toEqual(["Clip-6 -> Clip-13"]);
  });

  it("withRaisedOpset copies without touching the original", () => {
    const m = makeModel({
      inputs: [X],
      outputs: [Y],
      opsets: { "": 11 },
      irVersion: 6,
      nodes: [makeNode("Relu", ["x"], ["y"])],
    });
    const before = encodeModelProto(m);
    const r = withRaisedOpset(m, 13, 7);
    expect(r.opsetImport[0].version).toBe(13n);
    expect(r.irVersion).toBe(7n);
    expect(encodeModelProto(m)).toEqual(before);
  });
});
