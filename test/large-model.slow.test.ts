/**
 * A model over the 2 GiB protobuf limit: writeModel must move its weights to an external data file,
 * and the reader, inspect and validate must handle the result. Slow (writes ~2.4 GB); runs in CI.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { writeModel } from "../src/onnx/write.js";
import { readModel, readTensor, MAX_PROTO_BYTES } from "../src/onnx/read.js";
import { makeModel, makeNode, makeValueInfo } from "../src/onnx/build.js";
import { create, TensorProtoSchema } from "../src/onnx/proto.js";
import { DT } from "../src/onnx/dtypes.js";
import { isExternal } from "../src/onnx/tensor.js";
import { summarizeModel } from "../src/inspect/summary.js";
import { validateModelProto } from "../src/passes/validate.js";
import { tempDir } from "./helpers/tmp.js";

const dir = tempDir("mlpack-large-");
const ROWS = 200_000_000 / 1000; // 200M floats = 800 MB per tensor
const COLS = 1000;

function bigTensor(name: string, seed: number) {
  const data = new Float32Array(ROWS * COLS);
  for (let i = 0; i < data.length; i += 4096) data[i] = seed + i;
  // Wrap the bytes without copying (arrayToTensor would copy 800 MB).
  return create(TensorProtoSchema, {
    name,
    dataType: DT.FLOAT,
    dims: [BigInt(ROWS), BigInt(COLS)],
    rawData: new Uint8Array(data.buffer),
  });
}

describe("models larger than 2 GiB", () => {
  it("are saved with external data automatically and read back intact", async () => {
    const names = ["w0", "w1", "w2"];
    const model = makeModel({
      inputs: [makeValueInfo("x", DT.FLOAT, ["n", ROWS])],
      outputs: [makeValueInfo("y", DT.FLOAT, ["n", COLS])],
      nodes: [
        makeNode("MatMul", ["x", "w0"], ["a"]),
        makeNode("Add", ["w1", "w2"], ["b"]),
        makeNode("Add", ["a", "b"], ["c"]),
        makeNode("Identity", ["c"], ["y"]),
      ],
      initializers: names.map((n, i) => bigTensor(n, i * 10)),
    });
    const file = path.join(dir, "big.onnx");
    const r = await writeModel(model, file);
    expect(r.externalTensors).toBe(3);
    expect(r.dataBytes).toBeGreaterThan(MAX_PROTO_BYTES);
    expect(r.modelBytes).toBeLessThan(10_000);
    expect(fs.statSync(path.join(dir, "big.onnx.data")).size).toBe(r.dataBytes);

    const back = await readModel(file);
    expect(back.proto.graph!.initializer.every(isExternal)).toBe(true);
    const summary = summarizeModel(back);
    expect(summary.parameters.count).toBe(3 * ROWS * COLS);
    expect(summary.externalFiles).toEqual([{ location: "big.onnx.data", bytes: r.dataBytes }]);
    expect(validateModelProto(back.proto, file).valid).toBe(true);

    const w2 = readTensor(back, back.proto.graph!.initializer[2]).data as Float32Array;
    expect(w2.length).toBe(ROWS * COLS);
    const last = Math.floor((ROWS * COLS - 1) / 4096) * 4096; // the last element the fill wrote
    expect([w2[0], w2[4096], w2[last], w2[last + 1]]).toEqual([20, 20 + 4096, Math.fround(20 + last), 0]);
  }, 300_000);
});
