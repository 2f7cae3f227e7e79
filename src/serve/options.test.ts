/** The serve option table: model specs and defaults. */
import { describe, expect, it } from "vitest";
import { parseModelSpec } from "./options.js";

describe("parseModelSpec", () => {
  it("names a model after its file, without .onnx and the .int8 that mlpack build adds", () => {
    expect(parseModelSpec("dist/mlp.int8.onnx")).toEqual({
      name: "mlp",
      version: "1",
      path: "dist/mlp.int8.onnx",
    });
    expect(parseModelSpec("m.onnx").name).toBe("m");
    expect(parseModelSpec("fast=dist/mlp.int8.onnx").name).toBe("fast");
  });
});
