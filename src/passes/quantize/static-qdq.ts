/**
 * Static quantization in QDQ form: calibrated activations get QuantizeLinear -> DequantizeLinear
 * pairs, weights become int8 initializers read through DequantizeLinear (per output channel where the
 * opset allows), and biases become int32 with scale = s_x * s_w. onnxruntime fuses DQ -> Conv/MatMul -> Q
 * into its QLinear kernels. Weights-only mode stores int8 weights behind DequantizeLinear and computes
 * in float.
 */
import { Node, type Graph, type Model } from "../../ir/graph.js";
import { makeNode } from "../../onnx/build.js";
import { arrayToTensor } from "../../onnx/tensor.js";
import { DT } from "../../onnx/dtypes.js";
import type { TensorProto } from "../../onnx/proto.js";
import { constantTensors, NameScope, removeDeadCode, type TensorReader } from "./graph-edit.js";
import { quantizeBias, quantizeWeight } from "./weights.js";
import { computeScaleZeroPoint, qRange, type QParams } from "./params.js";
import { selected } from "./dynamic.js";
import type { Range } from "./calibrate/histogram.js";
import type { LayerRecord, QuantizePassOptions } from "./types.js";

const OPS = new Set(["Conv", "MatMul", "Gemm"]);

/** Which input holds the weight, and the output-channel axis of that weight. */
function weightAxis(n: Node, dims: number[]): number | undefined {
  if (n.opType === "Conv") return 0;
  if (n.opType === "Gemm") return Number(n.attribute("transB")?.i ?? 0n) ? 0 : 1;
  return dims.length === 2 ? 1 : undefined;
}

interface Candidate {
  node: Node;
  weight: TensorProto;
  bias?: TensorProto;
}

function candidates(g: Graph, opts: QuantizePassOptions, records: LayerRecord[]): Candidate[] {
  const consts = constantTensors(g);
  const out: Candidate[] = [];
  for (const n of g.nodes) {
    if (!OPS.has(n.opType) || (n.domain && n.domain !== "ai.onnx")) continue;
    const label = n.name || n.outputs[0];
    const why = selected(n, opts);
    const w = consts.get(n.inputs[1]);
    const skipReason =
      why ??
      (!w || w.dataType !== DT.FLOAT ? "weight is not a constant float tensor" : undefined) ??
      (n.opType === "Gemm" && Number(n.attribute("transA")?.i ?? 0n) ? "Gemm with transA=1" : undefined) ??
      (n.opType === "MatMul" && w!.dims.length !== 2 ? "MatMul weight is not 2-D" : undefined);
    if (skipReason) {
      records.push({ node: label, opType: n.opType, status: "skipped", detail: skipReason });
      continue;
    }
    let bias: TensorProto | undefined;
    const b = n.inputs[2] ? consts.get(n.inputs[2]) : undefined;
    const beta = n.attribute("beta")?.f ?? 1;
    if (b && b.dataType === DT.FLOAT && b.dims.length === 1 && beta === 1) bias = b;
    out.push({ node: n, weight: w!, bias });
  }
  return out;
}

/** The activation tensors static quantization needs ranges for (inputs and outputs of quantized nodes). */
export function tensorsToCalibrate(model: Model, opts: QuantizePassOptions): string[] {
  const set = new Set<string>();
  for (const c of candidates(model.graph, opts, [])) {
    set.add(c.node.inputs[0]);
    set.add(c.node.outputs[0]);
  }
  return [...set];
}

export interface StaticOptions extends QuantizePassOptions {
  /** false = weights-only: int8 weights behind DequantizeLinear, float activations. */
  activations: boolean;
}

export function quantizeQdq(
  model: Model,
  read: TensorReader,
  ranges: Map<string, Range>,
  opts: StaticOptions,
): LayerRecord[] {
  const g = model.graph;
  const opset = model.opsets().get("") ?? 0;
  const records: LayerRecord[] = [];
  if (opset < 10) {
    for (const n of g.nodes)
      if (OPS.has(n.opType))
        records.push({
          node: n.name || n.outputs[0],
          opType: n.opType,
          status: "skipped",
          detail: `QuantizeLinear needs ai.onnx opset >= 10 (model has ${opset}); convert the model first`,
        });
    return records;
  }
  const perChannel = opts.perChannel && opset >= 13;
  const names = new NameScope(g);
  const list = candidates(g, opts, records);
  const byNode = new Map(list.map((c) => [c.node, c]));
  const actType = opts.symmetricActivations ? DT.INT8 : DT.UINT8;
  // --reduce-range narrows the weights only, as in onnxruntime's quantizer: 7-bit weights are what
  // keeps the 16-bit sums of u8 x s8 products from saturating; activations keep all 8 bits.
  const actRange = qRange(opts.symmetricActivations ? "int8" : "uint8", {
    symmetric: opts.symmetricActivations,
  });
  const qparams = new Map<string, QParams>();
  const dequantized = new Map<string, string>(); // float tensor -> its DQ output
  const paramsFor = (t: string): QParams | undefined => {
    if (!qparams.has(t)) {
      const r = ranges.get(t);
      if (!r) return undefined;
      qparams.set(t, computeScaleZeroPoint(r.rmin, r.rmax, actRange, opts.symmetricActivations));
    }
    return qparams.get(t);
  };
  const scalarInits = (base: string, p: QParams): [string, string] => {
    const s = names.fresh(`${base}_scale`);
    const z = names.fresh(`${base}_zero_point`);
    g.initializers.push(
      arrayToTensor(s, DT.FLOAT, [], Float32Array.of(p.scale)),
      arrayToTensor(
        z,
        actType,
        [],
        actType === DT.INT8 ? Int8Array.of(p.zeroPoint) : Uint8Array.of(p.zeroPoint),
      ),
    );
    return [s, z];
  };
  const mk = (
    op: string,
    inputs: string[],
    outputs: string[],
    name: string,
    attrs: Record<string, { int: number }> = {},
  ) => new Node(makeNode(op, inputs, outputs, attrs, { name: names.fresh(name) }), g);

  const out: Node[] = [];
  for (const n of g.nodes) {
    const c = byNode.get(n);
    if (!c) {
      out.push(n);
      continue;
    }
    const label = n.name || n.outputs[0];
    // Activation input: Q -> DQ once per tensor (a quantized producer's output is already dequantized).
    let inputScale: number | undefined;
    if (opts.activations) {
      const x = n.inputs[0];
      const p = paramsFor(x);
      if (!p) {
        records.push({
          node: label,
          opType: n.opType,
          status: "skipped",
          detail: `no calibration range for input "${x}"`,
        });
        out.push(n);
        continue;
      }
      inputScale = p.scale;
      if (!dequantized.has(x)) {
        const [s, z] = scalarInits(x, p);
        const q = names.fresh(`${x}_QuantizeLinear`);
        const dq = names.fresh(`${x}_DequantizeLinear`);
        out.push(
          mk("QuantizeLinear", [x, s, z], [q], `${x}_QuantizeLinear`),
          mk("DequantizeLinear", [q, s, z], [dq], `${x}_DequantizeLinear`),
        );
        dequantized.set(x, dq);
      }
      n.inputs[0] = dequantized.get(x)!;
    }
    // Weight: int8 symmetric, per output channel when asked and expressible.
    const w = read(c.weight);
    const axis = perChannel ? weightAxis(n, w.dims) : undefined;
    const qw = quantizeWeight(w.data as Float32Array, w.dims, {
      qtype: "int8",
      axis,
      reduceRange: opts.reduceRange,
    });
    const wq = names.fresh(`${c.weight.name}_quantized`);
    const ws = names.fresh(`${c.weight.name}_scale`);
    const wz = names.fresh(`${c.weight.name}_zero_point`);
    const chDims = axis === undefined ? [] : [w.dims[axis]];
    g.initializers.push(
      arrayToTensor(wq, DT.INT8, w.dims, qw.values),
      arrayToTensor(ws, DT.FLOAT, chDims, qw.scales),
      arrayToTensor(wz, DT.INT8, chDims, Int8Array.from(qw.zeroPoints)),
    );
    const wdq = names.fresh(`${c.weight.name}_DequantizeLinear`);
    out.push(
      mk(
        "DequantizeLinear",
        [wq, ws, wz],
        [wdq],
        `${c.weight.name}_DequantizeLinear`,
        axis === undefined ? {} : { axis: { int: axis } },
      ),
    );
    n.inputs[1] = wdq;
    // Bias: int32 at s_x * s_w (only when activations are quantized, so s_x exists).
    if (c.bias && inputScale !== undefined) {
      const b = read(c.bias);
      const qb = quantizeBias(b.data as Float32Array, inputScale, qw.scales);
      const bq = names.fresh(`${c.bias.name}_quantized`);
      const bs = names.fresh(`${c.bias.name}_scale`);
      const bz = names.fresh(`${c.bias.name}_zero_point`);
      const perAxis = qw.scales.length > 1;
      g.initializers.push(
        arrayToTensor(bq, DT.INT32, b.dims, qb.values),
        arrayToTensor(bs, DT.FLOAT, perAxis ? b.dims : [], perAxis ? qb.scales : qb.scales.subarray(0, 1)),
        arrayToTensor(bz, DT.INT32, perAxis ? b.dims : [], new Int32Array(perAxis ? b.dims[0] : 1)),
      );
      const bdq = names.fresh(`${c.bias.name}_DequantizeLinear`);
      out.push(
        mk(
          "DequantizeLinear",
          [bq, bs, bz],
          [bdq],
          `${c.bias.name}_DequantizeLinear`,
          perAxis ? { axis: { int: 0 } } : {},
        ),
      );
      n.inputs[2] = bdq;
    }
    out.push(n);
    // Output: the node writes a fresh name; Q -> DQ restores the original name for every reader.
    if (opts.activations) {
      const y = n.outputs[0];
      const p = paramsFor(y);
      if (p) {
        const pre = names.fresh(`${y}_float`);
        n.outputs[0] = pre;
        const [s, z] = scalarInits(y, p);
        const q = names.fresh(`${y}_QuantizeLinear`);
        out.push(
          mk("QuantizeLinear", [pre, s, z], [q], `${y}_QuantizeLinear`),
          mk("DequantizeLinear", [q, s, z], [y], `${y}_DequantizeLinear`),
        );
        dequantized.set(y, y);
      }
    }
    records.push({
      node: label,
      opType: n.opType,
      weight: c.weight.name,
      weightShape: w.dims,
      status: "quantized",
      detail: `${opts.activations ? "QDQ" : "weights-only"} int8 ${axis === undefined ? "per-tensor" : "per-channel"}${opts.perChannel && !perChannel ? " (per-channel needs opset >= 13)" : ""}`,
      weightSqnr: qw.sqnr,
    });
  }
  g.nodes = out;
  removeDeadCode(g);
  return records;
}
