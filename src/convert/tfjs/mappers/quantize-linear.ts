/**
 * DequantizeLinear / QuantizeLinear. TF.js has no 8-bit tensors: a constant int8/uint8 weight is
 * dequantized here to float32 (the manifest can compress it again with --quantize); at run time
 * integers travel as int32 and QuantizeLinear rounds half-to-even and saturates to the ONNX type.
 */
import type { Graph } from "../../../ir/graph.js";
import { unsupported, type MapCtx, type OpSpec } from "../context.js";
import { DT } from "../../../onnx/dtypes.js";
import { broadcastConst } from "../values.js";
import { gatherConst } from "../fold.js";
import type { ConstData, Dim, Val } from "../types.js";
import { add, bin, cast, maximum, minimum, mul, reshape, sub, un, type Ref } from "./emit.js";

const RANGE: Record<number, [number, number]> = {
  [DT.INT8]: [-128, 127],
  [DT.UINT8]: [0, 255],
  [DT.INT16]: [-32768, 32767],
  [DT.UINT16]: [0, 65535],
  [DT.INT32]: [-2147483648, 2147483647],
};

/** The ONNX element type of a value, from initializers, graph inputs, value_info or Constant nodes. */
function elemTypeOf(g: Graph, name: string): number | undefined {
  const init = g.initializer(name);
  if (init) return init.dataType;
  for (const vi of [...g.inputs, ...g.valueInfo, ...g.outputs]) {
    if (vi.name === name && vi.type?.value.case === "tensorType") return vi.type.value.value.elemType;
  }
  const producer = g.nodes.find((n) => n.outputs.includes(name));
  if (producer?.opType === "Constant") return producer.attribute("value")?.t?.dataType;
  if (producer?.opType === "Cast") return Number(producer.attribute("to")?.i ?? 0);
  return undefined;
}

/** A [K] per-axis parameter reshaped so it broadcasts along `axis` of a rank-r tensor. */
function alongAxis(c: MapCtx, v: Val, axis: number, rank: number): Val {
  if (!v.shape || v.shape.length !== 1 || rank <= 1) return v;
  const dims: Dim[] = Array.from({ length: rank }, (_, k) => (k === axis ? v.shape![0] : 1));
  if (v.const) return { ...v, shape: dims, const: { dims: dims as number[], data: v.const.data } };
  return { dtype: v.dtype, shape: dims, ref: reshape(c, c.ref(v, "native"), dims, v.dtype) };
}

function axisOf(c: MapCtx, rank: number): number {
  const a = c.attr.int("axis", 1);
  return a < 0 ? a + rank : a;
}

/**
 * Scale or zero point `i` shaped to broadcast against x: per-tensor as is, per-axis along `axis`, and
 * blocked (block_size) expanded to x's full shape at conversion time (so it must be a constant).
 */
function param(c: MapCtx, i: number, x: Val, axis: number): Val {
  const r = x.shape!.length;
  const block = c.attr.int("block_size", 0);
  if (block <= 0) return alongAxis(c, c.in(i), axis, r);
  const data = c.constIn(i, "a blocked quantization parameter");
  const dim = x.shape![axis];
  if (dim === null) unsupported("blocked quantization along an unknown dimension");
  const idx = { dims: [dim], data: Float64Array.from({ length: dim }, (_, j) => Math.floor(j / block)) };
  const full = gatherConst(data, idx, axis);
  return { dtype: c.in(i).dtype, shape: full.dims, const: full };
}

const dequantize: OpSpec = {
  layout: "any",
  data: [0],
  map: (c) => {
    const x = c.in(0);
    const r = x.shape?.length;
    if (r === undefined) unsupported("DequantizeLinear of a tensor of unknown rank");
    const axis = axisOf(c, r);
    const scale = param(c, 1, x, axis);
    const zp = c.opt(2) && param(c, 2, x, axis);
    if (scale.shape && scale.shape.length > 1 && r > 0 && scale.shape.length !== r)
      unsupported("DequantizeLinear scale of an unexpected rank");
    if (x.const && scale.const && (!zp || zp.const)) {
      const shifted: ConstData = zp ? broadcastConst(x.const, zp.const!, (a, b) => a - b, false) : x.const;
      return [
        {
          dtype: "float32",
          shape: x.shape,
          const: broadcastConst(shifted, scale.const, (a, b) => a * b, true),
        },
      ];
    }
    let y: Ref = cast(c, c.ref(x), x.dtype, "float32");
    if (zp) y = sub(c, y, cast(c, c.refBroadcast(zp, r), zp.dtype, "float32"));
    y = mul(c, y, c.refBroadcast(scale, r));
    return [c.outP(y, "float32", x.shape)];
  },
};

const quantize: OpSpec = {
  layout: "any",
  data: [0],
  map: (c) => {
    const x = c.in(0);
    const r = x.shape?.length;
    if (r === undefined) unsupported("QuantizeLinear of a tensor of unknown rank");
    const zpName = c.node.inputs[2];
    const type = zpName ? elemTypeOf(c.node.graph, zpName) : c.attr.int("output_dtype", 0) || DT.UINT8;
    const range = type === undefined ? undefined : RANGE[type];
    if (!range) unsupported(`QuantizeLinear to ONNX type ${type ?? "unknown"}`);
    const axis = axisOf(c, r);
    const scale = param(c, 1, x, axis);
    const zp = c.opt(2) && param(c, 2, x, axis);
    // tfjs Round is round-half-to-even, as ONNX requires.
    let q = un(c, "Round", bin(c, "RealDiv", c.ref(x), c.refBroadcast(scale, r)));
    if (zp) q = add(c, q, cast(c, c.refBroadcast(zp, r), zp.dtype, "float32"));
    q = minimum(c, maximum(c, q, c.kFloat(range[0])), c.kFloat(range[1]));
    return [c.outP(cast(c, q, "float32", "int32"), "int32", x.shape)];
  },
};

export const QUANTIZE_LINEAR_OPS: Record<string, OpSpec> = {
  DequantizeLinear: dequantize,
  QuantizeLinear: quantize,
};
