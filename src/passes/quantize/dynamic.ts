/**
 * Dynamic quantization, the graph onnxruntime's CPU provider fuses into its integer kernels:
 * MatMul/Gemm with a constant weight become
 *   DynamicQuantizeLinear(x) -> MatMulInteger(x_q, W_q, x_zp, W_zp) -> Cast(float) -> Mul(x_scale * W_scale)
 * (+ Add(bias) for Gemm), with W int8 symmetric per tensor or per output column; a MatMul of two
 * activations (attention) quantizes both at run time into the same MatMulInteger. Gather on a
 * constant embedding table reads int8 rows and dequantizes them. Conv stays float: onnxruntime has no
 * ConvInteger kernel for uint8 activations x int8 weights, so mlpack says so rather than emit a model
 * the CPU runtime cannot load.
 */
import { Node, type Graph, type Model } from "../../ir/graph.js";
import { makeNode } from "../../onnx/build.js";
import { arrayToTensor } from "../../onnx/tensor.js";
import { DT } from "../../onnx/dtypes.js";
import { constantTensors, matchesNode, NameScope, removeDeadCode, type TensorReader } from "./graph-edit.js";
import { quantizeWeight } from "./weights.js";
import type { LayerRecord, QuantizePassOptions } from "./types.js";
import type { TensorProto } from "../../onnx/proto.js";

interface Weight2d {
  data: Float32Array;
  k: number;
  n: number;
}

function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

function intAttr(n: Node, name: string, def: number): number {
  const a = n.attribute(name);
  return a ? Number(a.i) : def;
}

function floatAttr(n: Node, name: string, def: number): number {
  const a = n.attribute(name);
  return a ? a.f : def;
}

export const AUTO_EXCLUDED = "kept in float by --auto-exclude (accuracy)";

export function selected(n: Node, opts: QuantizePassOptions): string | undefined {
  if (matchesNode(n, opts.exclude)) return "excluded by --exclude";
  if (opts.autoExcluded && matchesNode(n, opts.autoExcluded)) return AUTO_EXCLUDED;
  const kept = opts.keptFloat?.[n.name || n.outputs[0]];
  if (kept) return kept;
  if (opts.include.length > 0 && !matchesNode(n, opts.include)) return "not in --include";
  return undefined;
}

export function quantizeDynamic(model: Model, read: TensorReader, opts: QuantizePassOptions): LayerRecord[] {
  const g = model.graph;
  const opset = model.opsets().get("") ?? 0;
  const records: LayerRecord[] = [];
  const consts = constantTensors(g);
  const names = new NameScope(g);
  const dql = new Map<string, { q: string; scale: string; zp: string }>();
  const out: Node[] = [];
  const skip = (n: Node, detail: string) =>
    records.push({ node: n.name || n.outputs[0], opType: n.opType, status: "skipped", detail });
  const floatConst = (name: string): TensorProto | undefined => {
    const t = consts.get(name);
    return t && t.dataType === DT.FLOAT ? t : undefined;
  };

  // One DynamicQuantizeLinear per activation, shared by every layer that reads it.
  const quantizeInput = (x: string) => {
    let xq = dql.get(x);
    if (!xq) {
      xq = {
        q: names.fresh(`${x}_quantized`),
        scale: names.fresh(`${x}_scale`),
        zp: names.fresh(`${x}_zero_point`),
      };
      dql.set(x, xq);
      out.push(
        node(g, "DynamicQuantizeLinear", [x], [xq.q, xq.scale, xq.zp], `${x}_DynamicQuantizeLinear`, names),
      );
    }
    return xq;
  };

  for (const n of g.nodes) {
    const isCandidate =
      n.opType === "MatMul" || n.opType === "Gemm" || n.opType === "Gather" || n.opType === "Conv";
    if (!isCandidate || (n.domain && n.domain !== "ai.onnx")) {
      out.push(n);
      continue;
    }
    const why = selected(n, opts);
    if (why) {
      skip(n, why);
      out.push(n);
      continue;
    }
    if (n.opType === "Conv") {
      skip(
        n,
        "Conv stays float in dynamic mode (onnxruntime has no ConvInteger kernel for uint8 x int8); use --mode static",
      );
      out.push(n);
      continue;
    }
    if (opset < 11) {
      skip(n, `needs ai.onnx opset >= 11 for DynamicQuantizeLinear (model has ${opset})`);
      out.push(n);
      continue;
    }
    if (n.opType === "Gather") {
      const table = floatConst(n.inputs[0]);
      if (!table || intAttr(n, "axis", 0) !== 0) {
        skip(n, table ? "Gather on an axis other than 0" : "data is not a constant float tensor");
        out.push(n);
        continue;
      }
      const t = read(table);
      const qw = quantizeWeight(t.data as Float32Array, t.dims, {
        qtype: opts.weightType,
        reduceRange: opts.reduceRange,
      });
      const base = names.fresh(`${table.name}_quantized`);
      const scale = names.fresh(`${table.name}_scale`);
      const zp = names.fresh(`${table.name}_zero_point`);
      g.initializers.push(
        arrayToTensor(base, opts.weightType === "int8" ? DT.INT8 : DT.UINT8, t.dims, qw.values),
        arrayToTensor(scale, DT.FLOAT, [], qw.scales),
        arrayToTensor(
          zp,
          opts.weightType === "int8" ? DT.INT8 : DT.UINT8,
          [],
          opts.weightType === "int8" ? Int8Array.from(qw.zeroPoints) : Uint8Array.from(qw.zeroPoints),
        ),
      );
      const gathered = names.fresh(`${n.outputs[0]}_quantized`);
      out.push(node(g, "Gather", [base, n.inputs[1]], [gathered], n.name || "gather", names, { axis: 0 }));
      out.push(
        node(
          g,
          "DequantizeLinear",
          [gathered, scale, zp],
          [n.outputs[0]],
          `${n.name || "gather"}_dequantize`,
          names,
        ),
      );
      records.push({
        node: n.name || n.outputs[0],
        opType: n.opType,
        weight: table.name,
        weightShape: t.dims,
        status: "quantized",
        detail: `${opts.weightType} per-tensor table`,
        weightSqnr: qw.sqnr,
      });
      continue;
    }
    // MatMul of two activations (attention scores Q x K^T, probabilities x V): both inputs quantized
    // at run time, as onnxruntime's dynamic quantizer does. The accuracy gate and auto-exclusion treat
    // it as any other layer.
    if (n.opType === "MatMul" && !consts.has(n.inputs[0]) && !consts.has(n.inputs[1])) {
      const a = quantizeInput(n.inputs[0]);
      const b = quantizeInput(n.inputs[1]);
      const base = n.name || n.outputs[0];
      const y = n.outputs[0];
      const mmInt = names.fresh(`${y}_MatMulInteger`);
      const mmF = names.fresh(`${y}_cast`);
      const scale = names.fresh(`${y}_scale`);
      out.push(
        node(g, "MatMulInteger", [a.q, b.q, a.zp, b.zp], [mmInt], `${base}_MatMulInteger`, names),
        node(g, "Cast", [mmInt], [mmF], `${base}_cast`, names, { to: DT.FLOAT }),
        node(g, "Mul", [a.scale, b.scale], [scale], `${base}_scale`, names),
        node(g, "Mul", [mmF, scale], [y], `${base}_rescale`, names),
      );
      records.push({
        node: base,
        opType: n.opType,
        status: "quantized",
        detail: "two activations, uint8 per tensor at run time",
      });
      continue;
    }
    // MatMul / Gemm with a constant 2-D float weight.
    const weightName = n.inputs[1];
    const wt = floatConst(weightName);
    if (!wt || wt.dims.length !== 2) {
      skip(n, wt ? "weight is not 2-D" : "weight is not a constant float tensor");
      out.push(n);
      continue;
    }
    if (n.opType === "Gemm" && intAttr(n, "transA", 0) !== 0) {
      skip(n, "Gemm with transA=1");
      out.push(n);
      continue;
    }
    const t = read(wt);
    let w: Weight2d = { data: t.data as Float32Array, k: t.dims[0], n: t.dims[1] };
    let bias: string | undefined;
    if (n.opType === "Gemm") {
      if (intAttr(n, "transB", 0)) w = { data: transpose(w.data, w.k, w.n), k: w.n, n: w.k };
      const alpha = floatAttr(n, "alpha", 1);
      if (alpha !== 1) w.data = w.data.map((v) => v * alpha);
      if (n.inputs[2]) {
        const beta = floatAttr(n, "beta", 1);
        if (beta === 1) bias = n.inputs[2];
        else {
          const c = floatConst(n.inputs[2]);
          if (!c) {
            skip(n, "Gemm with beta != 1 and a non-constant C");
            out.push(n);
            continue;
          }
          const cd = read(c);
          bias = names.fresh(`${c.name}_scaled`);
          g.initializers.push(
            arrayToTensor(
              bias,
              DT.FLOAT,
              cd.dims,
              (cd.data as Float32Array).map((v) => v * beta),
            ),
          );
        }
      }
    }
    const qw = quantizeWeight(w.data, [w.k, w.n], {
      qtype: opts.weightType,
      axis: opts.perChannel ? 1 : undefined,
      reduceRange: opts.reduceRange,
    });
    const wq = names.fresh(`${weightName}_quantized`);
    const ws = names.fresh(`${weightName}_scale`);
    const wz = names.fresh(`${weightName}_zero_point`);
    const channelDims = opts.perChannel ? [w.n] : [];
    const zpData =
      opts.weightType === "int8" ? Int8Array.from(qw.zeroPoints) : Uint8Array.from(qw.zeroPoints);
    g.initializers.push(
      arrayToTensor(wq, opts.weightType === "int8" ? DT.INT8 : DT.UINT8, [w.k, w.n], qw.values),
      arrayToTensor(ws, DT.FLOAT, channelDims, qw.scales),
      arrayToTensor(wz, opts.weightType === "int8" ? DT.INT8 : DT.UINT8, channelDims, zpData),
    );
    const xq = quantizeInput(n.inputs[0]);
    const base = n.name || n.outputs[0];
    const y = n.outputs[0];
    const mmInt = names.fresh(`${y}_MatMulInteger`);
    const mmF = names.fresh(`${y}_cast`);
    const scale = names.fresh(`${y}_scale`);
    const product = bias ? names.fresh(`${y}_matmul`) : y;
    out.push(
      node(g, "MatMulInteger", [xq.q, wq, xq.zp, wz], [mmInt], `${base}_MatMulInteger`, names),
      node(g, "Cast", [mmInt], [mmF], `${base}_cast`, names, { to: DT.FLOAT }),
      node(g, "Mul", [xq.scale, ws], [scale], `${base}_scale`, names),
      node(g, "Mul", [mmF, scale], [product], `${base}_rescale`, names),
    );
    if (bias) out.push(node(g, "Add", [product, bias], [y], `${base}_bias`, names));
    records.push({
      node: base,
      opType: n.opType,
      weight: weightName,
      weightShape: t.dims,
      status: "quantized",
      detail: `${opts.weightType} ${opts.perChannel ? "per-channel" : "per-tensor"}`,
      weightSqnr: qw.sqnr,
    });
  }
  g.nodes = out;
  removeDeadCode(g);
  return records;
}

function node(
  g: Graph,
  op: string,
  inputs: string[],
  outputs: string[],
  name: string,
  names: NameScope,
  ints: Record<string, number> = {},
): Node {
  const attrs = Object.fromEntries(Object.entries(ints).map(([k, v]) => [k, { int: v }]));
  return new Node(makeNode(op, inputs, outputs, attrs, { name: names.fresh(name) }), g);
}
