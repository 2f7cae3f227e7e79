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

export interface ConvNetSpec {
  /** Input channels, spatial size. */
  channels?: number;
  size?: number;
  /** Channel widths of the residual stages. */
  widths?: number[];
  classes?: number;
  seed?: number;
  /** End with Softmax (default) or return the logits. */
  softmax?: boolean;
}

/**
 * A small ResNet-style classifier (stem conv, residual basic blocks with BatchNormalization folded
 * into conv weights, strided stages, global average pool, Gemm head), random but seeded weights.
 * Opset 13 so per-channel QDQ is expressible.
 */
export function makeResNet(spec: ConvNetSpec = {}): ModelProto {
  const rand = seededRandom(spec.seed ?? 7);
  const cIn = spec.channels ?? 3;
  const size = spec.size ?? 32;
  const widths = spec.widths ?? [16, 32, 64];
  const classes = spec.classes ?? 10;
  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [];
  let id = 0;
  const conv = (x: string, cinN: number, coutN: number, k: number, stride: number, relu: boolean): string => {
    const n = `conv${id++}`;
    const scale = Math.sqrt(2 / (cinN * k * k));
    inits.push(
      arrayToTensor(
        `${n}.weight`,
        DT.FLOAT,
        [coutN, cinN, k, k],
        randomWeights(coutN * cinN * k * k, scale * 1.7, rand),
      ),
    );
    inits.push(arrayToTensor(`${n}.bias`, DT.FLOAT, [coutN], randomWeights(coutN, 0.05, rand)));
    const pad = Math.floor(k / 2);
    nodes.push(
      makeNode(
        "Conv",
        [x, `${n}.weight`, `${n}.bias`],
        [`${n}_out`],
        {
          kernel_shape: { ints: [k, k] },
          strides: { ints: [stride, stride] },
          pads: { ints: [pad, pad, pad, pad] },
        },
        { name: n },
      ),
    );
    if (!relu) return `${n}_out`;
    nodes.push(makeNode("Relu", [`${n}_out`], [`${n}_relu`], {}, { name: `${n}_relu` }));
    return `${n}_relu`;
  };
  let x = conv("input", cIn, widths[0], 3, 1, true);
  let c = widths[0];
  widths.forEach((w, stage) => {
    const stride = stage === 0 ? 1 : 2;
    const a = conv(x, c, w, 3, stride, true);
    const b = conv(a, w, w, 3, 1, false);
    const shortcut = stride === 1 && c === w ? x : conv(x, c, w, 1, stride, false);
    const sum = `add${stage}`;
    nodes.push(makeNode("Add", [b, shortcut], [sum], {}, { name: sum }));
    nodes.push(makeNode("Relu", [sum], [`${sum}_relu`], {}, { name: `${sum}_relu` }));
    x = `${sum}_relu`;
    c = w;
  });
  nodes.push(makeNode("GlobalAveragePool", [x], ["pooled"], {}, { name: "gap" }));
  nodes.push(makeNode("Flatten", ["pooled"], ["flat"], { axis: { int: 1 } }, { name: "flatten" }));
  inits.push(
    arrayToTensor(
      "fc.weight",
      DT.FLOAT,
      [classes, c],
      randomWeights(classes * c, Math.sqrt(6 / (c + classes)), rand),
    ),
  );
  inits.push(arrayToTensor("fc.bias", DT.FLOAT, [classes], randomWeights(classes, 0.05, rand)));
  nodes.push(
    makeNode("Gemm", ["flat", "fc.weight", "fc.bias"], ["logits"], { transB: { int: 1 } }, { name: "fc" }),
  );
  nodes.push(makeNode("Softmax", ["logits"], ["output"], { axis: { int: 1 } }, { name: "softmax" }));
  return makeModel({
    name: "resnet",
    nodes,
    inputs: [makeValueInfo("input", DT.FLOAT, ["batch", cIn, size, size])],
    outputs: [makeValueInfo("output", DT.FLOAT, ["batch", classes])],
    initializers: inits,
    opsets: { "": 13 },
    producerName: "mlpack-fixtures",
  });
}
