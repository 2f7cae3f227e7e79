/**
 * 3-D Conv (TF's Conv3D, NDHWC) and opset-6 PRelu with a per-channel slope [C], converted and run by
 * @tensorflow/tfjs against onnxruntime-node, in both layouts; `validate --target tfjs` agrees.
 * onnxruntime has no PRelu kernel before opset 7, so the PRelu reference is the same model at
 * opset 9 with the slope written as [C, 1, 1] (what opset 6's per-channel slope means).
 */
import fs from "node:fs";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { makeModel, makeNode, makeValueInfo, type AttrValue } from "../src/onnx/build.js";
import { arrayToTensor } from "../src/onnx/tensor.js";
import { DT } from "../src/onnx/dtypes.js";
import { encodeModelProto, type NodeProto, type TensorProto } from "../src/onnx/proto.js";
import { randomWeights, seededRandom } from "../src/onnx/random.js";
import { convertToTfjs } from "../src/convert/tfjs/convert.js";
import { validateModelProto } from "../src/passes/validate.js";
import { tfjsSupport } from "../src/ops/support/tfjs.js";
import { tempDir } from "./helpers/tmp.js";
import { loadTfjsDir, runTfjs } from "./helpers/tfjs-load.js";
import { maxRelativeError } from "./helpers/tfjs-compare.js";

const dir = tempDir("mlpack-tfjs-c3d-");
const rand = seededRandom(33);
const count = (d: number[]) => d.reduce((a, b) => a * b, 1);
const w = (name: string, dims: number[]): TensorProto =>
  arrayToTensor(name, DT.FLOAT, dims, randomWeights(count(dims), 0.5, rand));
const n = (op: string, ins: string[], attrs: Record<string, AttrValue> = {}): NodeProto =>
  makeNode(op, ins, ["y"], attrs, { name: "y" });

function write(name: string, node: NodeProto, inits: TensorProto[], inDims: number[], opset: number): string {
  const file = path.join(dir, `${name}.onnx`);
  const proto = makeModel({
    nodes: [node],
    inputs: [makeValueInfo("x", DT.FLOAT, inDims)],
    outputs: [makeValueInfo("y", DT.FLOAT, undefined)],
    initializers: inits,
    opsets: { "": opset },
  });
  expect(
    validateModelProto(proto, name, { target: tfjsSupport }).diagnostics.filter((d) =>
      d.code.startsWith("target-"),
    ),
  ).toEqual([]);
  fs.writeFileSync(file, encodeModelProto(proto));
  return file;
}

async function check(file: string, reference: string, inDims: number[]): Promise<void> {
  const x = randomWeights(count(inDims), 1, rand);
  const s = await ort.InferenceSession.create(reference);
  const expected = (await s.run({ x: new ort.Tensor("float32", x, inDims) })).y;
  for (const keepLayout of [false, true]) {
    const out = `${file}.${keepLayout ? "keep" : "nhwc"}`;
    await convertToTfjs(file, out, { keepLayout });
    const m = await loadTfjsDir(out);
    const got = (await runTfjs(m, { x: { dims: inDims, dtype: "float32", data: x } }, ["y"])).y;
    m.dispose();
    expect(got.dims).toEqual([...expected.dims]);
    expect(maxRelativeError(got.data, expected.data as Float32Array)).toBeLessThan(1e-4);
  }
}

describe("3-D Conv", () => {
  const cases: [string, Record<string, AttrValue>, boolean][] = [
    ["plain", {}, false],
    ["pads-bias", { pads: { ints: [1, 0, 2, 1, 1, 0] } }, true],
    ["strided", { strides: { ints: [2, 1, 2] }, pads: { ints: [1, 1, 1, 1, 1, 1] } }, true],
    ["dilated", { dilations: { ints: [2, 1, 2] } }, false],
    ["strided-dilated", { strides: { ints: [2, 2, 1] }, dilations: { ints: [1, 2, 2] } }, true],
    ["same-upper", { auto_pad: { string: "SAME_UPPER" }, strides: { ints: [2, 2, 2] } }, true],
  ];
  for (const [name, attrs, bias] of cases) {
    it(`${name} matches onnxruntime`, async () => {
      const inDims = [2, 3, 7, 8, 9];
      const inits = [w("w", [4, 3, 3, 2, 3]), ...(bias ? [w("b", [4])] : [])];
      const file = write(
        `conv3d-${name}`,
        n("Conv", ["x", "w", ...(bias ? ["b"] : [])], attrs),
        inits,
        inDims,
        17,
      );
      await check(file, file, inDims);
    });
  }
});

describe("PRelu with a per-channel slope", () => {
  it("opset 6 slope [C] is per channel (axis 1), as onnxruntime computes [C,1,1] at opset 9", async () => {
    const inDims = [2, 5, 4, 6];
    const slope = randomWeights(5, 1, rand);
    const file = write(
      "prelu6",
      n("PRelu", ["x", "s"]),
      [arrayToTensor("s", DT.FLOAT, [5], slope)],
      inDims,
      6,
    );
    const ref = write(
      "prelu9",
      n("PRelu", ["x", "s"]),
      [arrayToTensor("s", DT.FLOAT, [5, 1, 1], slope)],
      inDims,
      9,
    );
    await check(file, ref, inDims);
  });

  it("opset 6 slope [C] on a 3-D input", async () => {
    const inDims = [3, 4, 7];
    const slope = randomWeights(4, 1, rand);
    const file = write(
      "prelu6-1d",
      n("PRelu", ["x", "s"]),
      [arrayToTensor("s", DT.FLOAT, [4], slope)],
      inDims,
      6,
    );
    const ref = write(
      "prelu9-1d",
      n("PRelu", ["x", "s"]),
      [arrayToTensor("s", DT.FLOAT, [4, 1], slope)],
      inDims,
      9,
    );
    await check(file, ref, inDims);
  });
});
