/** Shape ops: Identity, Constant*, Shape, Size, Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Expand, Tile, Range. */
import { A } from "../graph-builder.js";
import { constantAttr, unsupported, type MapCtx, type OpSpec } from "../context.js";
import { invert, isIdentity, permAfterDrop, permute } from "../layout.js";
import { broadcastShapes, elementCount, isStatic, transposeConst, vectorConst } from "../values.js";
import type { Dim, TfDtype, Val } from "../types.js";
import { bin, cast, concat, gather, reshape, select, slice } from "./emit.js";
import { tfDtypeOf } from "../values.js";
import { mergeGroups, reshapedPerm } from "../reshape-layout.js";

const passThrough: OpSpec = { map: (c) => [{ ...c.in(0) }] };

const dropoutSpec: OpSpec = {
  map: (c) => {
    const training = c.opt(2);
    if (training && (!training.const || training.const.data[0])) unsupported("Dropout in training mode");
    const x = c.in(0);
    const outs: Val[] = [{ ...x }];
    if (c.wants(1)) {
      const s = c.staticShape(x, "the Dropout mask");
      outs.push({
        dtype: "bool",
        shape: s,
        const: { dims: s, data: new Float64Array(elementCount(s)).fill(1) },
      });
    }
    return outs;
  },
};

const constantSpec: OpSpec = {
  map: (c) => {
    const v = constantAttr(c.node);
    if (typeof v === "string") unsupported(v);
    return [{ dtype: v.dtype, shape: v.c.dims, const: v.c }];
  },
};

const constantOfShapeSpec: OpSpec = {
  map: (c) => {
    const t = c.node.attribute("value")?.t;
    const dtype: TfDtype | undefined = t ? tfDtypeOf(t.dataType) : "float32";
    if (!dtype) unsupported("ConstantOfShape value type has no TF.js equivalent");
    const fill = constantAttr(c.node);
    const value = typeof fill === "string" ? 0 : fill.c.data[0];
    const shape = c.in(0);
    if (shape.const) {
      const dims = Array.from(shape.const.data);
      const n = elementCount(dims);
      const data = dtype === "float32" ? new Float32Array(n).fill(value) : new Float64Array(n).fill(value);
      return [{ dtype, shape: dims, const: { dims, data } }];
    }
    const dims = c.ref(shape, "native");
    const r = c.op("Fill", [dims, c.k(value, dtype)], { T: A.type(dtype), index_type: A.type("int32") });
    const rank = shape.shape?.[0];
    return [c.out(r, dtype, typeof rank === "number" ? new Array<Dim>(rank).fill(null) : undefined)];
  },
};

const shapeSpec: OpSpec = {
  map: (c) => {
    const x = c.in(0);
    if (!x.shape) unsupported("Shape of a tensor of unknown rank");
    const r = x.shape.length;
    const norm = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
    const start = norm(c.attr.int("start", 0));
    const end = norm(c.attr.int("end", r));
    const dims = x.shape.slice(start, Math.max(start, end));
    if (isStatic(dims)) return [{ dtype: "int32", shape: [dims.length], const: vectorConst(dims, "int32") }];
    const full = c.op("Shape", [c.ref(x, x.perm)], { T: A.type(x.dtype), out_type: A.type("int32") });
    const order = Array.from({ length: end - start }, (_, i) =>
      x.perm ? x.perm.indexOf(start + i) : start + i,
    );
    const identityOrder = order.every((v, i) => v === i) && order.length === r;
    const out = identityOrder ? full : gather(c, full, c.kInts(order), 0, "int32");
    return [c.out(out, "int32", [dims.length])];
  },
};

const sizeSpec: OpSpec = {
  map: (c) => {
    const s = c.in(0).shape;
    if (!isStatic(s)) unsupported("Size needs a static shape");
    return [{ dtype: "int32", shape: [], const: { dims: [], data: Float64Array.of(elementCount(s)) } }];
  },
};

/**
 * Target dims of Reshape, with 0 copied from the input and at most one -1 resolved when possible: dims
 * copied from the input (a symbolic batch) cancel out of both element counts.
 */
function reshapeDims(input: Dim[] | undefined, target: number[], allowZero: boolean): Dim[] {
  const copied = target.map((d, i) => d === 0 && !allowZero && input !== undefined && i < input.length);
  const dims: Dim[] = target.map((d, i) => (copied[i] ? input![i] : d));
  const neg = dims.indexOf(-1);
  if (neg >= 0 && input) {
    const inRest = input.filter((_, i) => !(i < target.length && copied[i]));
    const outRest = dims.filter((_, i) => i !== neg && !copied[i]);
    dims[neg] =
      isStatic(inRest) && isStatic(outRest)
        ? elementCount(inRest) / Math.max(1, elementCount(outRest))
        : null;
  } else if (neg >= 0) dims[neg] = null;
  return dims;
}

function reshapeTo(c: MapCtx, x: Val, dims: Dim[]): Val {
  if (x.const && isStatic(dims)) return { dtype: x.dtype, shape: dims, const: { dims, data: x.const.data } };
  if (dims.filter((d) => d === null).length > 1)
    unsupported("Reshape to a shape with more than one unknown dimension");
  if (x.perm && x.ref && x.shape) {
    // Channels-last input: reshape the stored tensor when the reshape only merges stored-contiguous runs.
    const groups = mergeGroups(x.shape, dims);
    const perm = groups && reshapedPerm(x.shape, x.perm, groups);
    if (perm) return c.out(reshape(c, x.ref, permute(dims, perm), x.dtype), x.dtype, dims, perm);
  }
  return c.out(reshape(c, c.ref(x, "native"), dims, x.dtype), x.dtype, dims);
}

const reshapeSpec: OpSpec = {
  map: (c) => {
    const x = c.in(0);
    const s = c.in(1);
    if (s.const)
      return [
        reshapeTo(c, x, reshapeDims(x.shape, Array.from(s.const.data), c.attr.int("allowzero", 0) === 1)),
      ];
    const rank = s.shape?.[0];
    let target = c.ref(s, "native");
    if (c.attr.int("allowzero", 0) === 0) {
      // ONNX 0 copies the input's dim; TF's 0 means an empty dim: substitute at run time.
      const xr = x.shape?.length;
      if (typeof rank !== "number" || xr === undefined)
        unsupported("Reshape to a run-time shape of unknown length");
      let dims = c.op(
        "Shape",
        [c.ref(x, "native")],
        { T: A.type(x.dtype), out_type: A.type("int32") },
        "xshape",
      );
      if (rank < xr) dims = slice(c, dims, [0], [rank], "int32");
      else if (rank > xr) dims = concat(c, [dims, c.kInts(new Array<number>(rank - xr).fill(0))], 0, "int32");
      const zero = bin(c, "Equal", target, c.k(0, "int32"), "int32");
      target = select(c, zero, dims, target, "int32");
    }
    const r = c.op("Reshape", [c.ref(x, "native"), target], { T: A.type(x.dtype), Tshape: A.type("int32") });
    return [c.out(r, x.dtype, typeof rank === "number" ? new Array<Dim>(rank).fill(null) : undefined)];
  },
};

const flattenSpec: OpSpec = {
  map: (c) => {
    const x = c.in(0);
    if (!x.shape) unsupported("Flatten of a tensor of unknown rank");
    const r = x.shape.length;
    let axis = c.attr.int("axis", 1);
    if (axis < 0) axis += r;
    const prod = (ds: Dim[]) => (isStatic(ds) ? elementCount(ds) : null);
    return [reshapeTo(c, x, [prod(x.shape.slice(0, axis)), prod(x.shape.slice(axis))])];
  },
};

const transposeSpec: OpSpec = {
  map: (c) => {
    const x = c.in(0);
    if (!x.shape) unsupported("Transpose of a tensor of unknown rank");
    const r = x.shape.length;
    const t = c.attr.ints("perm") ?? Array.from({ length: r }, (_, i) => r - 1 - i);
    const shape = permute(x.shape, t);
    if (x.const) return [{ dtype: x.dtype, shape, const: transposeConst(x.const, t) }];
    // No TF op: the output is the same stored tensor with a relabelled permutation.
    const inv = invert(t);
    const from = x.perm ?? t.map((_, i) => i);
    const perm = from.map((p) => inv[p]);
    return [{ dtype: x.dtype, shape, ref: c.ref(x, x.perm), perm: isIdentity(perm) ? undefined : perm }];
  },
};

function axesOf(c: MapCtx, attrName: string, input: number): number[] | undefined {
  if (c.opset >= 13 && c.opt(input)) return c.ints(input, attrName);
  return c.opset >= 13 ? undefined : c.attr.ints(attrName);
}

const squeezeSpec: OpSpec = {
  map: (c) => {
    const x = c.in(0);
    if (!x.shape) unsupported("Squeeze of a tensor of unknown rank");
    const r = x.shape.length;
    let axes = axesOf(c, "axes", 1)?.map((a) => (a < 0 ? a + r : a));
    if (!axes) {
      if (x.shape.includes(null)) unsupported("Squeeze without axes needs a static shape");
      axes = x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
    }
    const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
    const shape = kept.map((i) => x.shape![i]);
    if (x.const) return [{ dtype: x.dtype, shape, const: { dims: shape as number[], data: x.const.data } }];
    const stored = axes.map((a) => (x.perm ? x.perm.indexOf(a) : a));
    const ref = c.op("Squeeze", [c.ref(x, x.perm)], { T: A.type(x.dtype), squeeze_dims: A.ints(stored) });
    return [{ dtype: x.dtype, shape, ref, perm: permAfterDrop(x.perm, kept) }];
  },
};

const unsqueezeSpec: OpSpec = {
  map: (c) => {
    const x = c.in(0);
    if (!x.shape) unsupported("Unsqueeze of a tensor of unknown rank");
    const axesRaw = axesOf(c, "axes", 1);
    if (!axesRaw) unsupported("Unsqueeze needs axes");
    const r = x.shape.length + axesRaw.length;
    const axes = axesRaw.map((a) => (a < 0 ? a + r : a)).sort((a, b) => a - b);
    const shape: Dim[] = [];
    let k = 0;
    for (let i = 0; i < r; i++) shape.push(axes.includes(i) ? 1 : x.shape[k++]);
    if (x.const) return [{ dtype: x.dtype, shape, const: { dims: shape as number[], data: x.const.data } }];
    if (x.perm && x.ref && shape.filter((d) => d === null).length <= 1) {
      // Channels-last input: keep its stored order and append the new unit axes (a free Reshape).
      const oldToNew = Array.from({ length: r }, (_, i) => i).filter((i) => !axes.includes(i));
      const perm = [...x.perm.map((p) => oldToNew[p]), ...axes];
      const ref = reshape(c, x.ref, permute(shape, perm), x.dtype);
      return [c.out(ref, x.dtype, shape, perm)];
    }
    if (shape.filter((d) => d === null).length <= 1) return [reshapeTo(c, x, shape)];
    let ref = c.ref(x, "native");
    for (const a of axes)
      ref = c.op("ExpandDims", [ref, c.kInts([a], true)], { T: A.type(x.dtype), Tdim: A.type("int32") });
    return [c.out(ref, x.dtype, shape)];
  },
};

const expandSpec: OpSpec = {
  map: (c) => {
    const x = c.in(0);
    const s = c.in(1);
    if (s.const) {
      const target = Array.from(s.const.data);
      const shape = broadcastShapes(x.shape, target);
      if (isStatic(shape)) {
        const ref = c.op("BroadcastTo", [c.ref(x, "native"), c.kInts(shape)], {
          T: A.type(x.dtype),
          Tidx: A.type("int32"),
        });
        return [c.out(ref, x.dtype, shape)];
      }
    }
    const xs = c.ref(x, "native");
    const shapeX = c.op("Shape", [xs], { T: A.type(x.dtype), out_type: A.type("int32") }, "shape");
    const both = c.op("BroadcastArgs", [shapeX, c.ref(s, "native")], { T: A.type("int32") }, "bargs");
    const ref = c.op("BroadcastTo", [xs, both], { T: A.type(x.dtype), Tidx: A.type("int32") });
    const rank = Math.max(x.shape?.length ?? 0, typeof s.shape?.[0] === "number" ? s.shape[0] : 0);
    return [c.out(ref, x.dtype, broadcastShapes(x.shape, new Array<Dim>(rank).fill(null)))];
  },
};

const tileSpec: OpSpec = {
  layout: "any",
  data: [0],
  map: (c) => {
    const x = c.in(0);
    const reps = c.in(1);
    const shape =
      reps.const && x.shape
        ? x.shape.map((d, i) => (d === null ? null : d * reps.const!.data[i]))
        : x.shape?.map(() => null);
    const m = reps.const ? c.kInts(permute(Array.from(reps.const.data), c.perm)) : c.ref(reps, "native");
    if (!reps.const && c.perm) unsupported("Tile with run-time repeats on a channels-last tensor");
    const ref = c.op("Tile", [c.ref(x), m], { T: A.type(x.dtype), Tmultiples: A.type("int32") });
    return [c.outP(ref, x.dtype, shape)];
  },
};

const rangeSpec: OpSpec = {
  map: (c) => {
    const [s, l, d] = [c.in(0), c.in(1), c.in(2)];
    const t = s.dtype;
    if (s.const && l.const && d.const) {
      const [a, b, step] = [s.const.data[0], l.const.data[0], d.const.data[0]];
      const n = Math.max(Math.ceil((b - a) / step), 0);
      const vals = Array.from({ length: n }, (_, i) => a + i * step);
      return [{ dtype: t, shape: [n], const: vectorConst(vals, t) }];
    }
    const refs = [s, l, d].map((v) => cast(c, c.ref(v, "native"), v.dtype, t));
    return [c.out(c.op("Range", refs, { Tidx: A.type(t) }), t, [null])];
  },
};

export const SHAPE_OPS: Record<string, OpSpec> = {
  Identity: passThrough,
  Dropout: dropoutSpec,
  Constant: constantSpec,
  ConstantOfShape: constantOfShapeSpec,
  Shape: shapeSpec,
  Size: sizeSpec,
  Reshape: reshapeSpec,
  Flatten: flattenSpec,
  Transpose: transposeSpec,
  Squeeze: squeezeSpec,
  Unsqueeze: unsqueezeSpec,
  Expand: expandSpec,
  Tile: tileSpec,
  Range: rangeSpec,
};
