/**
 * Op combinations the backend suite does not reach, built in code and checked against
 * onnxruntime-node: convolutions inside the NHWC region with constant weights (strided + dilated,
 * grouped, grouped/dilated transposed with output_padding), Resize between convs, ceil-mode pools,
 * channel-axis reductions/softmax in NHWC, bidirectional recurrent nets.
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
import { tempDir } from "./helpers/tmp.js";
import { loadTfjsDir, runTfjs } from "./helpers/tfjs-load.js";
import { maxRelativeError } from "./helpers/tfjs-compare.js";

const dir = process.env.KEEP_TFJS_OPS ?? tempDir("mlpack-tfjs-ops-");
const rand = seededRandom(21);
const w = (name: string, dims: number[]): TensorProto =>
  arrayToTensor(
    name,
    DT.FLOAT,
    dims,
    randomWeights(
      dims.reduce((a, b) => a * b, 1),
      0.5,
      rand,
    ),
  );
const n = (op: string, ins: string[], out: string, attrs: Record<string, AttrValue> = {}): NodeProto =>
  makeNode(op, ins, [out], attrs, { name: out });

async function check(
  name: string,
  nodes: NodeProto[],
  inits: TensorProto[],
  inDims: number[],
  outDims: (number | string)[],
  opset = 17,
  declaredIn: (number | string)[] = inDims,
) {
  const file = path.join(dir, `${name}.onnx`);
  fs.writeFileSync(
    file,
    encodeModelProto(
      makeModel({
        nodes,
        inputs: [makeValueInfo("x", DT.FLOAT, declaredIn)],
        outputs: [makeValueInfo("y", DT.FLOAT, outDims)],
        initializers: inits,
        opsets: { "": opset },
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
  // Both layouts: channels-last regions (default) and --keep-layout (every value in ONNX order).
  const reports = [];
  for (const keepLayout of [false, true]) {
    const out = path.join(dir, `${name}${keepLayout ? "-keep" : ""}`);
    reports.push(await convertToTfjs(file, out, { keepLayout }));
    const m = await loadTfjsDir(out);
    const got = (await runTfjs(m, { x: { dims: inDims, dtype: "float32", data: x } }, ["y"])).y;
    m.dispose();
    expect(got.dims).toEqual([...expected.dims]);
    expect(maxRelativeError(got.data, expected.data as Float32Array)).toBeLessThan(1e-4);
  }
  return reports[0];
}

describe("TF.js converter: op combinations vs onnxruntime-node", () => {
  it("strided + dilated Conv (kernel dilated at conversion), grouped Conv with bias", async () => {
    await check(
      "conv-strided-dilated",
      [
        n("Conv", ["x", "w1"], "a", {
          strides: { ints: [2, 2] },
          dilations: { ints: [2, 2] },
          pads: { ints: [2, 1, 2, 1] },
        }),
        n("Conv", ["a", "w2", "b2"], "y", { group: { int: 2 }, pads: { ints: [1, 1, 1, 1] } }),
      ],
      [w("w1", [8, 4, 3, 3]), w("w2", [6, 4, 3, 3]), w("b2", [6])],
      [1, 4, 15, 13],
      [1, 6, 8, 6],
    );
  });

  it("grouped, dilated ConvTranspose with output_padding and strides", async () => {
    await check(
      "convtranspose-grouped",
      [
        n("Relu", ["x"], "r"),
        n("ConvTranspose", ["r", "w", "b"], "y", {
          group: { int: 2 },
          strides: { ints: [2, 2] },
          dilations: { ints: [2, 1] },
          output_padding: { ints: [1, 0] },
          pads: { ints: [1, 0, 0, 1] },
        }),
      ],
      [w("w", [4, 3, 3, 3]), w("b", [6])],
      [1, 4, 5, 6],
      [1, 6, 13, 12],
    );
  });

  it("Resize (linear, align_corners) and ceil-mode pools between convs, channel Softmax and ReduceMean", async () => {
    await check(
      "resize-pools",
      [
        n("Conv", ["x", "w1"], "a", { pads: { ints: [1, 1, 1, 1] } }),
        n("MaxPool", ["a"], "p", {
          kernel_shape: { ints: [3, 3] },
          strides: { ints: [2, 2] },
          ceil_mode: { int: 1 },
        }),
        n("Resize", ["p", "", "scales"], "u", {
          mode: { string: "linear" },
          coordinate_transformation_mode: { string: "align_corners" },
        }),
        n("AveragePool", ["u"], "q", {
          kernel_shape: { ints: [3, 3] },
          pads: { ints: [1, 1, 1, 1] },
          count_include_pad: { int: 1 },
          ceil_mode: { int: 1 },
          strides: { ints: [2, 2] },
        }),
        n("Softmax", ["q"], "sm", { axis: { int: 1 } }),
        n("ReduceMean", ["sm", "axes"], "y", { keepdims: { int: 1 } }),
      ],
      [
        w("w1", [5, 3, 3, 3]),
        arrayToTensor("scales", DT.FLOAT, [4], Float32Array.of(1, 1, 2, 1.5)),
        arrayToTensor("axes", DT.INT64, [2], BigInt64Array.of(1n, 3n)),
      ],
      [2, 3, 12, 11],
      [2, 1, 7, 1],
      18,
    );
  });

  it("bidirectional LSTM and GRU (linear_before_reset) with initial states", async () => {
    const h = 5;
    await check(
      "recurrent",
      [
        n("LSTM", ["x", "lw", "lr", "lb", "", "h0", "c0"], "ly", {
          hidden_size: { int: h },
          direction: { string: "bidirectional" },
        }),
        makeNode("Transpose", ["ly"], ["lt"], { perm: { ints: [0, 2, 1, 3] } }, { name: "lt" }),
        makeNode("Reshape", ["lt", "shape"], ["lr2"], {}, { name: "lr2" }),
        n("GRU", ["lr2", "gw", "gr", "gb"], "gy", {
          hidden_size: { int: h },
          linear_before_reset: { int: 1 },
          direction: { string: "reverse" },
        }),
        makeNode("Squeeze", ["gy", "one"], ["y"], {}, { name: "y" }),
      ],
      [
        w("lw", [2, 4 * h, 3]),
        w("lr", [2, 4 * h, h]),
        w("lb", [2, 8 * h]),
        w("h0", [2, 2, h]),
        w("c0", [2, 2, h]),
        arrayToTensor("shape", DT.INT64, [3], BigInt64Array.of(4n, 2n, BigInt(2 * h))),
        w("gw", [1, 3 * h, 2 * h]),
        w("gr", [1, 3 * h, h]),
        w("gb", [1, 6 * h]),
        arrayToTensor("one", DT.INT64, [1], BigInt64Array.of(1n)),
      ],
      [4, 2, 3],
      [4, 2, h],
    );
  });

  it("layout-aware ops inside the NHWC region: Split/Slice/Gather/Pad/Transpose/PRelu/DepthToSpace/norms", async () => {
    const c64 = (name: string, v: number[]) =>
      arrayToTensor(name, DT.INT64, [v.length], BigInt64Array.from(v.map(BigInt)));
    const report = await check(
      "nhwc-region",
      [
        n("Conv", ["x", "w1"], "a", { pads: { ints: [1, 1, 1, 1] } }),
        makeNode("Split", ["a", "sp"], ["s1", "s2"], { axis: { int: 1 } }, { name: "split" }),
        n("PRelu", ["s1", "slope"], "pr"),
        n("Mul", ["s2", "chscale"], "ms"),
        n("Concat", ["ms", "pr"], "cat", { axis: { int: 1 } }),
        n("Slice", ["cat", "st", "en", "ax", "stp"], "sl"),
        n("Pad", ["sl", "pads"], "pd", { mode: { string: "reflect" } }),
        n("Gather", ["pd", "gidx"], "ga", { axis: { int: 1 } }),
        n("InstanceNormalization", ["ga", "ins", "inb"], "in", { epsilon: { float: 1e-5 } }),
        n("DepthToSpace", ["in"], "d2s", { blocksize: { int: 2 }, mode: { string: "CRD" } }),
        n("SpaceToDepth", ["d2s"], "s2d", { blocksize: { int: 2 } }),
        n("Transpose", ["s2d"], "tr", { perm: { ints: [0, 1, 3, 2] } }),
        n("Erf", ["tr"], "erf"),
        n("ReduceMax", ["erf", "rax"], "rm", { keepdims: { int: 1 } }),
        n("ArgMax", ["erf"], "am", { axis: { int: 1 }, keepdims: { int: 0 } }),
        n("Cast", ["am"], "amf", { to: { int: DT.FLOAT } }),
        n("Unsqueeze", ["amf", "one"], "amu"),
        n("Add", ["rm", "amu"], "sum"),
        n("LayerNormalization", ["sum", "lns", "lnb"], "y", { axis: { int: -1 } }),
      ],
      [
        w("w1", [8, 3, 3, 3]),
        c64("sp", [3, 5]),
        w("slope", [3, 1, 1]),
        w("chscale", [1, 5, 1, 1]),
        c64("st", [1, 1, 0]),
        c64("en", [7, 100, 9]),
        c64("ax", [1, 2, 3]),
        c64("stp", [1, 1, 1]),
        c64("pads", [0, 0, 1, 2, 0, 0, 2, 1]),
        c64("gidx", [3, 0, 5, 1]),
        w("ins", [4]),
        w("inb", [4]),
        c64("rax", [3]),
        c64("one", [1]),
        w("lns", [12]),
        w("lnb", [12]),
      ],
      [2, 3, 10, 9],
      [2, 4, 12, 12],
      18,
    );
    expect(report.transposesAdded).toBeLessThanOrEqual(4);
  });

  it("transformer block: attention heads (Reshape/Transpose/MatMul/Softmax), LayerNorm, Gelu MLP, symbolic batch", async () => {
    const [T, D, H] = [6, 16, 4];
    const c64 = (name: string, v: number[]) =>
      arrayToTensor(name, DT.INT64, [v.length], BigInt64Array.from(v.map(BigInt)));
    await check(
      "transformer",
      [
        n("LayerNormalization", ["x", "g1", "b1"], "ln", { axis: { int: -1 } }),
        n("MatMul", ["ln", "wq"], "q"),
        n("MatMul", ["ln", "wk"], "k"),
        n("MatMul", ["ln", "wv"], "v"),
        n("Reshape", ["q", "heads"], "qh"),
        n("Reshape", ["k", "heads"], "kh"),
        n("Reshape", ["v", "heads"], "vh"),
        n("Transpose", ["qh"], "qt", { perm: { ints: [0, 2, 1, 3] } }),
        n("Transpose", ["kh"], "kt", { perm: { ints: [0, 2, 3, 1] } }),
        n("Transpose", ["vh"], "vt", { perm: { ints: [0, 2, 1, 3] } }),
        n("MatMul", ["qt", "kt"], "s"),
        n("Div", ["s", "scale"], "ss"),
        n("Softmax", ["ss"], "p", { axis: { int: -1 } }),
        n("MatMul", ["p", "vt"], "o"),
        n("Transpose", ["o"], "ot", { perm: { ints: [0, 2, 1, 3] } }),
        n("Reshape", ["ot", "flat"], "of"),
        n("MatMul", ["of", "wo"], "proj"),
        n("Add", ["x", "proj"], "r1"),
        n("LayerNormalization", ["r1", "g2", "b2"], "ln2", { axis: { int: -1 } }),
        n("MatMul", ["ln2", "w1"], "h1"),
        n("Gelu", ["h1"], "ge"),
        n("MatMul", ["ge", "w2"], "h2"),
        n("Add", ["r1", "h2"], "y"),
      ],
      [
        w("g1", [D]),
        w("b1", [D]),
        w("wq", [D, D]),
        w("wk", [D, D]),
        w("wv", [D, D]),
        c64("heads", [0, T, H, D / H]),
        arrayToTensor("scale", DT.FLOAT, [], Float32Array.of(Math.sqrt(D / H))),
        c64("flat", [0, T, D]),
        w("wo", [D, D]),
        w("g2", [D]),
        w("b2", [D]),
        w("w1", [D, 2 * D]),
        w("w2", [2 * D, D]),
      ],
      [3, T, D],
      ["batch", T, D],
      20,
      ["batch", T, D],
    );
  });

  it("Pad with pads computed at run time, negative ones cropping", async () => {
    await check(
      "pad-runtime",
      [
        n("ReduceMax", ["x"], "mx", { keepdims: { int: 0 } }),
        n("Mul", ["mx", "zero"], "z"),
        n("Cast", ["z"], "zi", { to: { int: DT.INT64 } }),
        n("Add", ["padsk", "zi"], "pads"),
        n("Pad", ["x", "pads", "cv"], "y"),
      ],
      [
        arrayToTensor("zero", DT.FLOAT, [], Float32Array.of(0)),
        arrayToTensor("padsk", DT.INT64, [8], BigInt64Array.of(0n, 1n, -2n, 3n, 0n, -1n, 2n, -3n)),
        arrayToTensor("cv", DT.FLOAT, [], Float32Array.of(0.5)),
      ],
      [2, 3, 7, 8],
      [2, 3, 7, 8],
    );
  });

  it("ViT-style patch embedding: Conv -> Reshape [N, C, HW] -> Transpose stays one Transpose in total", async () => {
    const c64 = (name: string, v: number[]) =>
      arrayToTensor(name, DT.INT64, [v.length], BigInt64Array.from(v.map(BigInt)));
    const report = await check(
      "patch-embed",
      [
        n("Conv", ["x", "wp", "bp"], "pe", { kernel_shape: { ints: [4, 4] }, strides: { ints: [4, 4] } }),
        n("Reshape", ["pe", "seq"], "pr"),
        n("Transpose", ["pr"], "tok", { perm: { ints: [0, 2, 1] } }),
        n("LayerNormalization", ["tok", "g", "b"], "ln", { axis: { int: -1 } }),
        n("MatMul", ["ln", "wm"], "y"),
      ],
      [
        w("wp", [12, 3, 4, 4]),
        w("bp", [12]),
        c64("seq", [0, 12, -1]),
        w("g", [12]),
        w("b", [12]),
        w("wm", [12, 7]),
      ],
      [2, 3, 16, 16],
      ["batch", 16, 7],
      17,
      ["batch", 3, 16, 16],
    );
    expect(report.transposesAdded).toBe(1);
  });

  it("broadcasting against channels-last tensors: [W], [C,1,1], [H,W] computed at run time, Where, Clip, Max", async () => {
    const c64 = (name: string, v: number[]) =>
      arrayToTensor(name, DT.INT64, [v.length], BigInt64Array.from(v.map(BigInt)));
    await check(
      "broadcast-nhwc",
      [
        n("Conv", ["x", "wc"], "a", { pads: { ints: [1, 1, 1, 1] } }),
        n("ReduceMean", ["x", "ax01"], "hw", { keepdims: { int: 0 } }),
        n("Add", ["a", "hw"], "b1"),
        n("Mul", ["b1", "vw"], "b2"),
        n("Sub", ["b2", "vc"], "b3"),
        n("Greater", ["b3", "zero"], "pos"),
        n("Where", ["pos", "b3", "hw"], "wh"),
        n("Clip", ["wh", "lo"], "cl"),
        n("Max", ["cl", "b1", "vc"], "mx"),
        n("GlobalMaxPool", ["mx"], "gm"),
        n("Add", ["mx", "gm"], "y"),
      ],
      [
        w("wc", [4, 3, 3, 3]),
        c64("ax01", [0, 1]),
        w("vw", [7]),
        w("vc", [4, 1, 1]),
        arrayToTensor("zero", DT.FLOAT, [], Float32Array.of(0)),
        arrayToTensor("lo", DT.FLOAT, [], Float32Array.of(-0.25)),
      ],
      [2, 3, 5, 7],
      [2, 4, 5, 7],
      18,
    );
  });
});
