/** The conversion report lists where TF.js narrows types (float64 -> float32, int64 -> int32). */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { makeModel, makeNode, makeValueInfo } from "../src/onnx/build.js";
import { arrayToTensor } from "../src/onnx/tensor.js";
import { DT } from "../src/onnx/dtypes.js";
import { encodeModelProto } from "../src/onnx/proto.js";
import { convertToTfjs } from "../src/convert/tfjs/convert.js";
import { renderConvertReport } from "../src/convert/tfjs/render.js";
import { tempDir } from "./helpers/tmp.js";

const dir = tempDir("mlpack-tfjs-prec-");

describe("precision changes in the report", () => {
  it("float64 input, int64 output and int64 initializers (INT64_MAX slice end counted)", async () => {
    const file = path.join(dir, "m.onnx");
    fs.writeFileSync(
      file,
      encodeModelProto(
        makeModel({
          nodes: [
            makeNode("Slice", ["x", "starts", "ends", "axes"], ["s"]),
            makeNode("Cast", ["s"], ["y"], { to: { int: DT.INT64 } }),
          ],
          inputs: [makeValueInfo("x", DT.DOUBLE, [2, 5])],
          outputs: [makeValueInfo("y", DT.INT64, [2, 4])],
          initializers: [
            arrayToTensor("starts", DT.INT64, [1], BigInt64Array.of(1n)),
            arrayToTensor("ends", DT.INT64, [1], BigInt64Array.of(9223372036854775807n)),
            arrayToTensor("axes", DT.INT64, [1], BigInt64Array.of(1n)),
          ],
        }),
      ),
    );
    const r = await convertToTfjs(file, path.join(dir, "out"));
    expect(r.precision).toEqual([
      { kind: "input", name: "x", from: "float64", to: "float32" },
      { kind: "output", name: "y", from: "int64", to: "int32" },
      { kind: "initializer", name: "starts", from: "int64", to: "int32", outOfRange: 0 },
      { kind: "initializer", name: "ends", from: "int64", to: "int32", outOfRange: 1 },
      { kind: "initializer", name: "axes", from: "int64", to: "int32", outOfRange: 0 },
    ]);
    const text = renderConvertReport(r);
    expect(text).toMatch(/input x: float64 -> float32/);
    expect(text).toMatch(/output y: int64 -> int32/);
    expect(text).toMatch(/3 initializers int64 -> int32/);
    expect(text).toMatch(/initializer ends: 1 value outside the int32 range/);
  });
});
