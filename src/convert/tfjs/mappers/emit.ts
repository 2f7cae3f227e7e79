/** Small emitters shared by the mappers: typed TF ops on refs, so composites read like the math. */
import { A } from "../graph-builder.js";
import type { MapCtx } from "../context.js";
import type { TfDtype } from "../types.js";

export type Ref = string;

export function un(c: MapCtx, op: string, x: Ref, dtype: TfDtype = "float32", tag = op): Ref {
  return c.op(op, [x], { T: A.type(dtype) }, tag);
}

export function bin(c: MapCtx, op: string, x: Ref, y: Ref, dtype: TfDtype = "float32", tag = op): Ref {
  return c.op(op, [x, y], { T: A.type(dtype) }, tag);
}

export const add = (c: MapCtx, x: Ref, y: Ref, t: TfDtype = "float32") => bin(c, "AddV2", x, y, t);
export const sub = (c: MapCtx, x: Ref, y: Ref, t: TfDtype = "float32") => bin(c, "Sub", x, y, t);
export const mul = (c: MapCtx, x: Ref, y: Ref, t: TfDtype = "float32") => bin(c, "Mul", x, y, t);
export const div = (c: MapCtx, x: Ref, y: Ref, t: TfDtype = "float32") => bin(c, "RealDiv", x, y, t);
export const maximum = (c: MapCtx, x: Ref, y: Ref, t: TfDtype = "float32") => bin(c, "Maximum", x, y, t);
export const minimum = (c: MapCtx, x: Ref, y: Ref, t: TfDtype = "float32") => bin(c, "Minimum", x, y, t);

export function cast(c: MapCtx, x: Ref, from: TfDtype, to: TfDtype): Ref {
  if (from === to) return x;
  return c.op("Cast", [x], { SrcT: A.type(from), DstT: A.type(to), Truncate: A.bool(false) }, "cast");
}

export function select(c: MapCtx, cond: Ref, x: Ref, y: Ref, t: TfDtype = "float32"): Ref {
  return c.op("SelectV2", [cond, x, y], { T: A.type(t) }, "select");
}

export function reshape(c: MapCtx, x: Ref, shape: readonly (number | null)[], t: TfDtype): Ref {
  return c.op(
    "Reshape",
    [x, c.kInts(shape.map((d) => d ?? -1))],
    { T: A.type(t), Tshape: A.type("int32") },
    "reshape",
  );
}

export function reduce(
  c: MapCtx,
  op: string,
  x: Ref,
  axes: readonly number[],
  keep: boolean,
  t: TfDtype = "float32",
): Ref {
  return c.op(
    op,
    [x, c.kInts(axes)],
    { T: A.type(t), Tidx: A.type("int32"), keep_dims: A.bool(keep) },
    op.toLowerCase(),
  );
}

export function transpose(c: MapCtx, x: Ref, perm: readonly number[], t: TfDtype): Ref {
  return c.op("Transpose", [x, c.kInts(perm)], { T: A.type(t), Tperm: A.type("int32") }, "transpose");
}

export function concat(c: MapCtx, xs: Ref[], axis: number, t: TfDtype): Ref {
  return c.op(
    "ConcatV2",
    [...xs, c.kInts([axis], true)],
    { T: A.type(t), N: A.int(xs.length), Tidx: A.type("int32") },
    "concat",
  );
}

export function gather(c: MapCtx, x: Ref, idx: Ref, axis: number, t: TfDtype): Ref {
  return c.op(
    "GatherV2",
    [x, idx, c.kInts([axis], true)],
    {
      Tparams: A.type(t),
      Tindices: A.type("int32"),
      Taxis: A.type("int32"),
      batch_dims: A.int(0),
    },
    "gather",
  );
}

export function slice(c: MapCtx, x: Ref, begin: number[], size: number[], t: TfDtype): Ref {
  return c.op("Slice", [x, c.kInts(begin), c.kInts(size)], { T: A.type(t), Index: A.type("int32") }, "slice");
}

export function pad(c: MapCtx, x: Ref, pads: number[][], t: TfDtype, value?: number): Ref {
  const p = c.kConst({ dims: [pads.length, 2], data: Float64Array.from(pads.flat()) }, "int32");
  if (value === undefined || value === 0)
    return c.op("Pad", [x, p], { T: A.type(t), Tpaddings: A.type("int32") }, "pad");
  return c.op("PadV2", [x, p, c.k(value, t)], { T: A.type(t), Tpaddings: A.type("int32") }, "pad");
}
