/**
 * Models for the bench tests and benchmarks: a chain of dense layers, optionally with a side branch
 * that repeats some of those layers (the "same graph plus extra work" slower variant).
 */
import { makeModel, makeNode, makeValueInfo } from "../onnx/build.js";
import { arrayToTensor } from "../onnx/tensor.js";
import { DT } from "../onnx/dtypes.js";
import { randomWeights, seededRandom } from "../onnx/random.js";
import type { ModelProto, NodeProto, TensorProto } from "../onnx/proto.js";

export interface ChainSpec {
  /** Width of every layer (input is [batch, width]). */
  width: number;
  /** Dense layers on the main path. */
  layers: number;
  /** Extra dense layers on a side branch whose result is a second output ("extra work"). */
  extraLayers?: number;
  seed?: number;
}

/** MatMul+Add+Relu layers of one width; the first dim of the input is symbolic ("batch"). */
export function makeChainModel(spec: ChainSpec): ModelProto {
  const rand = seededRandom(spec.seed ?? 7);
  const { width } = spec;
  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [];
  const scale = Math.sqrt(3 / width);
  const layer = (prefix: string, i: number, input: string, output: string) => {
    inits.push(
      arrayToTensor(`${prefix}${i}.w`, DT.FLOAT, [width, width], randomWeights(width ** 2, scale, rand)),
    );
    inits.push(arrayToTensor(`${prefix}${i}.b`, DT.FLOAT, [width], randomWeights(width, 0.01, rand)));
    nodes.push(makeNode("MatMul", [input, `${prefix}${i}.w`], [`${prefix}${i}.mm`]));
    nodes.push(makeNode("Add", [`${prefix}${i}.mm`, `${prefix}${i}.b`], [`${prefix}${i}.add`]));
    nodes.push(makeNode("Relu", [`${prefix}${i}.add`], [output]));
  };
  let cur = "input";
  for (let i = 0; i < spec.layers; i++) {
    const out = i === spec.layers - 1 ? "output" : `h${i}`;
    layer("fc", i, cur, out);
    cur = out;
  }
  const outputs = [makeValueInfo("output", DT.FLOAT, ["batch", width])];
  const extra = spec.extraLayers ?? 0;
  let side = "input";
  for (let i = 0; i < extra; i++) {
    const out = i === extra - 1 ? "extra" : `x${i}`;
    layer("extra", i, side, out);
    side = out;
  }
  if (extra > 0) outputs.push(makeValueInfo("extra", DT.FLOAT, ["batch", width]));
  return makeModel({
    name: "chain",
    nodes,
    inputs: [makeValueInfo("input", DT.FLOAT, ["batch", width])],
    outputs,
    initializers: inits,
    opsets: { "": 17 },
    producerName: "mlpack-bench-fixtures",
  });
}
