/** BatchNormalization (folded to a per-channel affine), Instance/Layer/MeanVariance normalization, LRN. */
import { A } from "../graph-builder.js";
import { unsupported, type MapCtx, type OpSpec } from "../context.js";
import { storedAxis } from "../layout.js";
import type { ConstData, Dim, Val } from "../types.js";
import { add, mul, reduce, sub, un, type Ref } from "./emit.js";

/** A per-channel vector [C] as a Val shaped [C, 1, ..., 1] that broadcasts against rank-r NC... data. */
function channelVal(c: MapCtx, v: Val, rank: number): Val {
  const ch = v.shape?.[0] ?? null;
  const shape: Dim[] = [ch, ...new Array<Dim>(rank - 2).fill(1)];
  if (v.const) return { dtype: v.dtype, shape, const: { dims: shape as number[], data: v.const.data } };
  const r = c.op(
    "Reshape",
    [c.ref(v, "native"), c.kInts(shape.map((d) => d ?? -1))],
    { T: A.type(v.dtype), Tshape: A.type("int32") },
    "chan",
  );
  return { dtype: v.dtype, shape, ref: r };
}

const batchNorm: OpSpec = {
  layout: "any",
  data: [0],
  check: (a) => (a.int("training_mode", 0) === 1 ? "BatchNormalization in training mode" : undefined),
  map: (c) => {
    const x = c.in(0);
    const r = x.shape?.length;
    if (r === undefined || r < 2) unsupported("BatchNormalization needs an N, C, ... input");
    const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => c.in(i));
    const eps = c.attr.float("epsilon", 1e-5);
    const xr = c.ref(x);
    let y: Ref;
    if (scale.const && bias.const && mean.const && variance.const) {
      const n = scale.const.data.length;
      const a = new Float32Array(n);
      const b = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        a[i] = scale.const.data[i] / Math.sqrt(variance.const.data[i] + eps);
        b[i] = bias.const.data[i] - mean.const.data[i] * a[i];
      }
      const vec = (data: Float32Array): Val => ({
        dtype: "float32",
        shape: [n],
        const: { dims: [n], data } as ConstData,
      });
      y = add(
        c,
        mul(c, xr, c.refBroadcast(channelVal(c, vec(a), r), r)),
        c.refBroadcast(channelVal(c, vec(b), r), r),
      );
    } else {
      const ch = (v: Val) => c.refBroadcast(channelVal(c, v, r), r);
      const inv = un(c, "Rsqrt", add(c, ch(variance), c.kFloat(eps)));
      y = add(c, mul(c, mul(c, sub(c, xr, ch(mean)), inv), ch(scale)), ch(bias));
    }
    return [c.outP(y, "float32", x.shape)];
  },
};

/** (x - mean) * rsqrt(var + eps) over stored axes; returns [normalized, mean, inverse std]. */
function normalize(c: MapCtx, xr: Ref, axes: number[], eps: number): [Ref, Ref, Ref] {
  const mean = reduce(c, "Mean", xr, axes, true);
  const d = sub(c, xr, mean);
  const variance = reduce(c, "Mean", mul(c, d, d), axes, true);
  const inv = un(c, "Rsqrt", add(c, variance, c.kFloat(eps)));
  return [mul(c, d, inv), mean, inv];
}

const instanceNorm: OpSpec = {
  layout: "nhwc",
  map: (c) => {
    const x = c.in(0);
    const r = x.shape?.length;
    if (r === undefined || r < 3) unsupported("InstanceNormalization needs an N, C, spatial... input");
    const axes = Array.from({ length: r - 2 }, (_, i) => storedAxis(i + 2, r, c.perm));
    const [y] = normalize(c, c.ref(x), axes, c.attr.float("epsilon", 1e-5));
    const out = add(
      c,
      mul(c, y, c.refBroadcast(channelVal(c, c.in(1), r), r)),
      c.refBroadcast(channelVal(c, c.in(2), r), r),
    );
    return [c.outP(out, "float32", x.shape)];
  },
};

const layerNorm: OpSpec = {
  layout: "any",
  data: [0],
  map: (c) => {
    const x = c.in(0);
    const r = x.shape?.length;
    if (r === undefined) unsupported("LayerNormalization of a tensor of unknown rank");
    let axis = c.attr.int("axis", -1);
    if (axis < 0) axis += r;
    const logical = Array.from({ length: r - axis }, (_, i) => axis + i);
    const axes = logical.map((a) => storedAxis(a, r, c.perm)).sort((a, b) => a - b);
    const [n, mean, inv] = normalize(c, c.ref(x), axes, c.attr.float("epsilon", 1e-5));
    let y = mul(c, n, c.refBroadcast(c.in(1), r));
    if (c.opt(2)) y = add(c, y, c.refBroadcast(c.in(2), r));
    const statShape = x.shape!.map((d, i) => (i >= axis ? 1 : d));
    return [
      c.outP(y, "float32", x.shape),
      c.outP(mean, "float32", statShape),
      c.outP(inv, "float32", statShape),
    ];
  },
};

const mvn: OpSpec = {
  layout: "any",
  map: (c) => {
    const x = c.in(0);
    const r = x.shape?.length ?? 4;
    const axes = (c.attr.ints("axes") ?? [0, 2, 3]).map((a) => storedAxis(a, r, c.perm));
    const [y] = normalize(c, c.ref(x), axes, 1e-9);
    return [c.outP(y, "float32", x.shape)];
  },
};

const lrn: OpSpec = {
  layout: "nhwc",
  check: (a) => (a.int("size", 1) % 2 === 0 ? "LRN with an even size (asymmetric window)" : undefined),
  map: (c) => {
    const x = c.in(0);
    if (x.shape?.length !== 4) unsupported("LRN needs a 4-D input");
    const size = c.attr.int("size", 1);
    const y = c.op("LRN", [c.ref(x)], {
      T: A.type("float32"),
      depth_radius: A.int((size - 1) / 2),
      bias: A.float(c.attr.float("bias", 1)),
      alpha: A.float(c.attr.float("alpha", 1e-4) / size),
      beta: A.float(c.attr.float("beta", 0.75)),
    });
    return [c.outP(y, "float32", x.shape)];
  },
};

export const NORMALIZATION_OPS: Record<string, OpSpec> = {
  BatchNormalization: batchNorm,
  InstanceNormalization: instanceNorm,
  LayerNormalization: layerNorm,
  MeanVarianceNormalization: mvn,
  LRN: lrn,
};
