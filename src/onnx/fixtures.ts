/** Models built in code for examples, tests and benchmarks (random but seeded weights). */
import { makeModel, makeNode, makeValueInfo } from "./build.js";
import { arrayToTensor } from "./tensor.js";
import { DT } from "./dtypes.js";
import { randomWeights, seededRandom } from "./random.js";
import type { ModelProto, NodeProto, TensorProto } from "./proto.js";

export interface MlpSpec {
  /** Layer widths, input first: [784, 128, 10]. */
  widths: number[];
  seed?: number;
  /** Append a Softmax after the last layer (classifier-shaped output). */
  softmax?: boolean;
  name?: string;
}

/** A dense ReLU network of Gemm layers with a symbolic batch dimension. */
export function makeMlp(spec: MlpSpec): ModelProto {
  const rand = seededRandom(spec.seed ?? 1);
  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [];
  let cur = "input";
  const layers = spec.widths.length - 1;
  for (let l = 0; l < layers; l++) {
    const [inW, outW] = [spec.widths[l], spec.widths[l + 1]];
    const scale = Math.sqrt(6 / (inW + outW));
    inits.push(arrayToTensor(`fc${l}.weight`, DT.FLOAT, [inW, outW], randomWeights(inW * outW, scale, rand)));
    inits.push(arrayToTensor(`fc${l}.bias`, DT.FLOAT, [outW], randomWeights(outW, 0.1, rand)));
    const out = l === layers - 1 && !spec.softmax ? "output" : `fc${l}`;
    nodes.push(makeNode("Gemm", [cur, `fc${l}.weight`, `fc${l}.bias`], [out], {}, { name: `fc${l}` }));
    cur = out;
    if (l < layers - 1) {
      nodes.push(makeNode("Relu", [cur], [`relu${l}`], {}, { name: `relu${l}` }));
      cur = `relu${l}`;
    }
  }
  if (spec.softmax)
    nodes.push(makeNode("Softmax", [cur], ["output"], { axis: { int: -1 } }, { name: "softmax" }));
  return makeModel({
    name: spec.name ?? "mlp",
    nodes,
    inputs: [makeValueInfo("input", DT.FLOAT, ["batch", spec.widths[0]])],
    outputs: [makeValueInfo("output", DT.FLOAT, ["batch", spec.widths[spec.widths.length - 1]])],
    initializers: inits,
    opsets: { "": 17 },
    producerName: "mlpack-fixtures",
  });
}
