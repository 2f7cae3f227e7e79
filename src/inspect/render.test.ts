/** inspect's text rendering: the doc line says when it was cut. */
import { describe, expect, it } from "vitest";
import { docLine, renderSummary } from "./render.js";
import { summarizeModel } from "./summary.js";
import { readModelFromBytes } from "../onnx/read.js";
import { encodeModelProto } from "../onnx/proto.js";
import { makeModel, makeNode, makeValueInfo } from "../onnx/build.js";
import { DT } from "../onnx/dtypes.js";

describe("inspect doc line", () => {
  it("keeps a short doc string as is", () => {
    expect(docLine("a small classifier")).toBe("a small classifier");
  });

  it("cuts a long first line to 100 characters ending in …", () => {
    const long = "x".repeat(150);
    const line = docLine(long);
    expect(line).toHaveLength(100);
    expect(line).toBe("x".repeat(99) + "…");
    expect(docLine("y".repeat(100))).toBe("y".repeat(100)); // exactly 100 fits, nothing cut
  });

  it("marks the lines it leaves out", () => {
    expect(docLine("first line\nsecond line")).toBe("first line …");
  });

  it("renders the cut doc string in the summary", () => {
    const proto = makeModel({
      nodes: [makeNode("Relu", ["x"], ["y"])],
      inputs: [makeValueInfo("x", DT.FLOAT, [1, 4])],
      outputs: [makeValueInfo("y", DT.FLOAT, [1, 4])],
    });
    proto.docString = "d".repeat(120);
    const s = summarizeModel(readModelFromBytes(encodeModelProto(proto)));
    expect(renderSummary(s)).toContain(`  doc          ${"d".repeat(99)}…\n`);
  });
});
