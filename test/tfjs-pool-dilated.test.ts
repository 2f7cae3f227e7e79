/**
 * Dilated pooling lowered with SpaceToBatchND / BatchToSpaceND: a node count independent of the
 * kernel size and dilation, outputs equal to onnxruntime-node's (the 60x80 dilation-10
 * MaxPool, a big 30x40 kernel, strided and padded AveragePool, 1-D).
 */
import fs from "node:fs";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { makeModel, makeNode, makeValueInfo, type AttrValue } from "../src/onnx/build.js";
import { DT } from "../src/onnx/dtypes.js";
import { encodeModelProto } from "../src/onnx/proto.js";
import { randomWeights, seededRandom } from "../src/onnx/random.js";
import { convertToTfjs } from "../src/convert/tfjs/convert.js";
import { tempDir } from "./helpers/tmp.js";
import { loadTfjsDir, runTfjs } from "./helpers/tfjs-load.js";
import { maxRelativeError } from "./helpers/tfjs-compare.js";

const dir = tempDir("mlpack-tfjs-pool-");
const rand = seededRandom(7);
const ints = (v: number[]): AttrValue => ({ ints: v });

async function check(name: string, op: string, inDims: number[], attrs: Record<string, AttrValue>) {
  const file = path.join(dir, `${name}.onnx`);
  fs.writeFileSync(
    file,
    encodeModelProto(
      makeModel({
        nodes: [makeNode(op, ["x"], ["y"], attrs, { name: "pool" })],
        inputs: [makeValueInfo("x", DT.FLOAT, inDims)],
        outputs: [makeValueInfo("y", DT.FLOAT, undefined)],
        opsets: { "": 19 },
      }),
    ),
  );
  const x = randomWeights(
    inDims.reduce((a, b) => a * b, 1),
    1,
    rand,
  );
  const s = await ort.InferenceSession.create(file);
  const expected = (await s.run({ x: new ort.Tensor("float32", x, inDims) })).y;
  const ops: string[][] = [];
  for (const keepLayout of [false, true]) {
    const out = path.join(dir, `${name}${keepLayout ? "-keep" : ""}`);
    const t0 = performance.now();
    const r = await convertToTfjs(file, out, { keepLayout });
    const ms = performance.now() - t0;
    const json = JSON.parse(fs.readFileSync(path.join(out, "model.json"), "utf8"));
    ops.push(json.modelTopology.node.map((nd: { op: string }) => nd.op).filter((o: string) => o !== "Const"));
    const m = await loadTfjsDir(out);
    const got = (await runTfjs(m, { x: { dims: inDims, dtype: "float32", data: x } }, ["y"])).y;
    m.dispose();
    console.log(
      `${name}${keepLayout ? " (--keep-layout)" : ""}: ${r.tfNodes} TF nodes, converted in ${ms.toFixed(0)} ms`,
    );
    expect(got.dims).toEqual([...expected.dims]);
    expect(maxRelativeError(got.data, expected.data as Float32Array)).toBeLessThan(1e-5);
  }
  return ops[0];
}

describe("dilated pooling via SpaceToBatchND", () => {
  it("the issue's case: 60x80 input, dilation 10 MaxPool, a handful of nodes", async () => {
    const ops = await check("max-d10", "MaxPool", [1, 2, 60, 80], {
      kernel_shape: ints([5, 7]),
      dilations: ints([10, 10]),
      pads: ints([4, 6, 4, 6]),
    });
    expect(ops).toContain("SpaceToBatchND");
    expect(ops).toContain("BatchToSpaceND");
    expect(ops.length).toBeLessThan(12);
  });

  it("node count does not grow with the kernel: 30x40 kernel, dilation 2", async () => {
    const small = await check("max-small", "MaxPool", [1, 3, 70, 90], {
      kernel_shape: ints([2, 2]),
      dilations: ints([2, 2]),
    });
    const big = await check("max-big", "MaxPool", [1, 3, 70, 90], {
      kernel_shape: ints([30, 40]),
      dilations: ints([2, 2]),
    });
    expect(big.length).toBe(small.length);
  });

  it("strided, padded, ceil-mode AveragePool (count_include_pad 0 and 1)", async () => {
    for (const cip of [0, 1])
      await check(`avg-${cip}`, "AveragePool", [2, 3, 17, 23], {
        kernel_shape: ints([3, 4]),
        dilations: ints([2, 3]),
        strides: ints([2, 3]),
        pads: ints([1, 2, 2, 1]),
        ceil_mode: { int: 1 },
        count_include_pad: { int: cip },
      });
  });

  it("1-D dilated MaxPool with stride", async () => {
    await check("max-1d", "MaxPool", [2, 4, 50], {
      kernel_shape: ints([5]),
      dilations: ints([3]),
      strides: ints([2]),
      pads: ints([2, 3]),
    });
  });
});
