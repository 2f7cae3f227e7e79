/**
 * Small conv-net architectures built in code with random (seeded) weights, for the TF.js converter's
 * end-to-end tests: ResNet-style (BatchNormalization, residual Add, grouped conv), MobileNet-style
 * (depthwise separable, inverted residuals, Relu6 Clip, HardSwish, squeeze-excite), Inception-style
 * (parallel branches joined by a channel Concat) and SqueezeNet-style (fire modules, ceil-mode pools).
 */
import { makeModel, makeNode, makeValueInfo, type AttrValue } from "../../src/onnx/build.js";
import { arrayToTensor } from "../../src/onnx/tensor.js";
import { DT } from "../../src/onnx/dtypes.js";
import { randomWeights, seededRandom } from "../../src/onnx/random.js";
import type { ModelProto, NodeProto, TensorProto } from "../../src/onnx/proto.js";

type Act = "relu" | "relu6" | "hardswish" | "none";

class Net {
  readonly nodes: NodeProto[] = [];
  readonly inits: TensorProto[] = [];
  private id = 0;
  private readonly rand: () => number;
  constructor(seed: number) {
    this.rand = seededRandom(seed);
  }

  private name(p: string): string {
    return `${p}${this.id++}`;
  }

  weight(name: string, dims: number[], scale: number): string {
    const n = dims.reduce((a, b) => a * b, 1);
    this.inits.push(arrayToTensor(name, DT.FLOAT, dims, randomWeights(n, scale, this.rand)));
    return name;
  }

  node(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputs = 1): string {
    const n = this.name(op.toLowerCase());
    const outs = Array.from({ length: outputs }, (_, i) => (i ? `${n}_out${i}` : `${n}_out`));
    this.nodes.push(makeNode(op, inputs, outs, attrs, { name: n }));
    return outs[0];
  }

  act(x: string, act: Act): string {
    if (act === "relu") return this.node("Relu", [x]);
    if (act === "relu6") {
      const lo = this.const1(`c${this.id++}_lo`, 0);
      const hi = this.const1(`c${this.id++}_hi`, 6);
      return this.node("Clip", [x, lo, hi]);
    }
    if (act === "hardswish") return this.node("HardSwish", [x]);
    return x;
  }

  const1(name: string, v: number): string {
    this.inits.push(arrayToTensor(name, DT.FLOAT, [], Float32Array.of(v)));
    return name;
  }

  /** Conv (+ BatchNormalization) (+ activation). */
  conv(
    x: string,
    cin: number,
    cout: number,
    k: number,
    o: { stride?: number; group?: number; bn?: boolean; act?: Act; pad?: number; bias?: boolean } = {},
  ): string {
    const g = o.group ?? 1;
    const n = this.name("conv");
    const w = this.weight(`${n}.w`, [cout, cin / g, k, k], 1.6 * Math.sqrt(2 / ((cin / g) * k * k)));
    const ins = [x, w];
    if (o.bias ?? !o.bn) ins.push(this.weight(`${n}.b`, [cout], 0.05));
    const p = o.pad ?? Math.floor(k / 2);
    let y = this.node("Conv", ins, {
      kernel_shape: { ints: [k, k] },
      strides: { ints: [o.stride ?? 1, o.stride ?? 1] },
      pads: { ints: [p, p, p, p] },
      group: { int: g },
    });
    if (o.bn) {
      const scale = this.inits.push(
        arrayToTensor(
          `${n}.bn.s`,
          DT.FLOAT,
          [cout],
          Float32Array.from({ length: cout }, () => 0.8 + 0.4 * this.rand()),
        ),
      );
      void scale;
      const bias = this.weight(`${n}.bn.b`, [cout], 0.1);
      const mean = this.weight(`${n}.bn.m`, [cout], 0.1);
      this.inits.push(
        arrayToTensor(
          `${n}.bn.v`,
          DT.FLOAT,
          [cout],
          Float32Array.from({ length: cout }, () => 0.5 + this.rand()),
        ),
      );
      y = this.node("BatchNormalization", [y, `${n}.bn.s`, bias, mean, `${n}.bn.v`], {
        epsilon: { float: 1e-5 },
      });
    }
    return this.act(y, o.act ?? "relu");
  }

  head(x: string, c: number, classes: number, flatten: "Flatten" | "Reshape" = "Flatten"): string {
    const pooled = this.node("GlobalAveragePool", [x]);
    let flat: string;
    if (flatten === "Flatten") flat = this.node("Flatten", [pooled], { axis: { int: 1 } });
    else {
      this.inits.push(arrayToTensor("head.shape", DT.INT64, [2], BigInt64Array.of(0n, -1n)));
      flat = this.node("Reshape", [pooled, "head.shape"]);
    }
    const w = this.weight("fc.w", [classes, c], Math.sqrt(6 / (c + classes)));
    const b = this.weight("fc.b", [classes], 0.05);
    const logits = this.node("Gemm", [flat, w, b], { transB: { int: 1 } });
    return this.node("Softmax", [logits], { axis: { int: 1 } });
  }

  model(name: string, out: string, size: number, classes: number, opset = 13): ModelProto {
    this.nodes.push(makeNode("Identity", [out], ["output"], {}, { name: "output_identity" }));
    return makeModel({
      name,
      nodes: this.nodes,
      inputs: [makeValueInfo("input", DT.FLOAT, ["batch", 3, size, size])],
      outputs: [makeValueInfo("output", DT.FLOAT, ["batch", classes])],
      initializers: this.inits,
      opsets: { "": opset },
      producerName: "mlpack-arch-fixtures",
    });
  }
}

/** Stem + MaxPool, basic blocks with BN, a grouped (ResNeXt) conv, projection shortcuts. */
export function makeResNetStyle(size = 32, classes = 10): ModelProto {
  const n = new Net(11);
  let x = n.conv("input", 3, 16, 3, { bn: true });
  x = n.node("MaxPool", [x], {
    kernel_shape: { ints: [3, 3] },
    strides: { ints: [2, 2] },
    pads: { ints: [1, 1, 1, 1] },
  });
  let c = 16;
  for (const [w, stride, group] of [
    [16, 1, 1],
    [32, 2, 4],
    [64, 2, 1],
  ]) {
    const a = n.conv(x, c, w, 3, { stride, bn: true });
    const b = n.conv(a, w, w, 3, { bn: true, act: "none", group });
    const s = stride === 1 && c === w ? x : n.conv(x, c, w, 1, { stride, bn: true, act: "none" });
    x = n.node("Relu", [n.node("Add", [b, s])]);
    c = w;
  }
  return n.model("resnet-style", n.head(x, c, classes), size, classes);
}

/** MobileNetV2/V3-style: depthwise separable inverted residuals, Relu6 and HardSwish, squeeze-excite. */
export function makeMobileNetStyle(size = 32, classes = 10): ModelProto {
  const n = new Net(12);
  let x = n.conv("input", 3, 16, 3, { stride: 2, bn: true, act: "hardswish" });
  let c = 16;
  for (const [expand, out, stride, se] of [
    [2, 16, 1, 0],
    [4, 24, 2, 1],
    [3, 24, 1, 1],
    [4, 32, 2, 0],
  ]) {
    const hidden = c * expand;
    let y = n.conv(x, c, hidden, 1, { bn: true, act: "relu6" });
    y = n.conv(y, hidden, hidden, 3, { stride, group: hidden, bn: true, act: "relu6" });
    if (se) {
      const s = n.node("GlobalAveragePool", [y]);
      const r = n.conv(s, hidden, Math.max(8, hidden / 4), 1, { act: "relu", pad: 0 });
      const e = n.node(
        "HardSigmoid",
        [n.conv(r, Math.max(8, hidden / 4), hidden, 1, { act: "none", pad: 0 })],
        {
          alpha: { float: 1 / 6 },
          beta: { float: 0.5 },
        },
      );
      y = n.node("Mul", [y, e]);
    }
    y = n.conv(y, hidden, out, 1, { bn: true, act: "none" });
    x = stride === 1 && c === out ? n.node("Add", [x, y]) : y;
    c = out;
  }
  x = n.conv(x, c, 64, 1, { bn: true, act: "hardswish" });
  return n.model("mobilenet-style", n.head(x, 64, classes, "Reshape"), size, classes, 14);
}

/** Inception-style: 1x1 / 3x3 / double-3x3 / pool branches joined on channels. */
export function makeInceptionStyle(size = 32, classes = 10): ModelProto {
  const n = new Net(13);
  let x = n.conv("input", 3, 24, 3, { stride: 2, bn: true });
  let c = 24;
  for (const w of [8, 12]) {
    const b1 = n.conv(x, c, w, 1, { bn: true });
    const b2 = n.conv(n.conv(x, c, w, 1, { bn: true }), w, w * 2, 3, { bn: true });
    const b3 = n.conv(n.conv(n.conv(x, c, w / 2, 1, { bn: true }), w / 2, w, 3, { bn: true }), w, w, 3, {
      bn: true,
    });
    const p = n.node("AveragePool", [x], {
      kernel_shape: { ints: [3, 3] },
      strides: { ints: [1, 1] },
      pads: { ints: [1, 1, 1, 1] },
      count_include_pad: { int: 0 },
    });
    const b4 = n.conv(p, c, w, 1, { bn: true });
    x = n.node("Concat", [b1, b2, b3, b4], { axis: { int: 1 } });
    c = w * 5;
    x = n.node("MaxPool", [x], {
      kernel_shape: { ints: [3, 3] },
      strides: { ints: [2, 2] },
      pads: { ints: [1, 1, 1, 1] },
    });
  }
  return n.model("inception-style", n.head(x, c, classes), size, classes);
}

/** SqueezeNet-style: fire modules (squeeze 1x1, expand 1x1 + 3x3 concatenated), ceil-mode pools, conv head. */
export function makeSqueezeNetStyle(size = 33, classes = 10): ModelProto {
  const n = new Net(14);
  let x = n.conv("input", 3, 32, 3, { stride: 2, pad: 0 });
  const pool = (v: string) =>
    n.node("MaxPool", [v], {
      kernel_shape: { ints: [3, 3] },
      strides: { ints: [2, 2] },
      ceil_mode: { int: 1 },
    });
  x = pool(x);
  let c = 32;
  for (const [s, e] of [
    [8, 16],
    [8, 24],
    [12, 32],
  ]) {
    const sq = n.conv(x, c, s, 1, { pad: 0 });
    x = n.node("Concat", [n.conv(sq, s, e, 1, { pad: 0 }), n.conv(sq, s, e, 3)], { axis: { int: 1 } });
    c = 2 * e;
    if (e === 24) x = pool(x);
  }
  x = n.node("Dropout", [x]);
  x = n.conv(x, c, classes, 1, { pad: 0 });
  const pooled = n.node("GlobalAveragePool", [x]);
  const flat = n.node("Flatten", [pooled], { axis: { int: 1 } });
  return n.model("squeezenet-style", n.node("Softmax", [flat], { axis: { int: 1 } }), size, classes);
}

export const ARCHITECTURES = {
  resnet: makeResNetStyle,
  mobilenet: makeMobileNetStyle,
  inception: makeInceptionStyle,
  squeezenet: makeSqueezeNetStyle,
};
