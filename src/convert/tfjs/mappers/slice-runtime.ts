/**
 * Slice whose starts or ends are computed at run time (bounds derived from Shape in exported models):
 * a StridedSlice over every axis, with begin/end vectors assembled at run time. TF clamps and wraps
 * negative indices as ONNX does for positive steps; axes and steps must be constants.
 */
import { A } from "../graph-builder.js";
import { unsupported, type MapCtx } from "../context.js";
import type { Dim, Val } from "../types.js";
import { cast, concat, slice, type Ref } from "./emit.js";

export function sliceAtRunTime(c: MapCtx, x: Val): Val {
  const r = x.shape!.length;
  const k = c.in(1).shape?.[0];
  if (typeof k !== "number") unsupported("Slice with run-time starts of unknown length");
  const axes = (c.opt(3) ? c.ints(3, "axes") : Array.from({ length: k }, (_, i) => i)).map((a) =>
    a < 0 ? a + r : a,
  );
  const steps = c.opt(4) ? c.ints(4, "steps") : axes.map(() => 1);
  if (steps.some((s) => s <= 0)) unsupported("Slice with run-time bounds and negative steps");
  // Piece i of a bound vector: element j of the input (run time or constant), or a filler.
  const bound = (input: number, filler: number): Ref => {
    const v = c.in(input);
    const ref = cast(c, c.ref(v, "native"), v.dtype, "int32");
    const parts = Array.from({ length: r }, (_, i) => {
      const j = axes.indexOf(i);
      return j < 0 ? c.kInts([filler]) : slice(c, ref, [j], [1], "int32");
    });
    return concat(c, parts, 0, "int32");
  };
  let endMask = 0;
  for (let i = 0; i < r; i++) if (!axes.includes(i)) endMask |= 1 << i;
  const stride = Array.from({ length: r }, (_, i) => (axes.includes(i) ? steps[axes.indexOf(i)] : 1));
  const y = c.op("StridedSlice", [c.ref(x, "native"), bound(1, 0), bound(2, 0), c.kInts(stride)], {
    T: A.type(x.dtype),
    Index: A.type("int32"),
    begin_mask: A.int(0),
    end_mask: A.int(endMask),
    ellipsis_mask: A.int(0),
    new_axis_mask: A.int(0),
    shrink_axis_mask: A.int(0),
  });
  const shape: Dim[] = x.shape!.map((d, i) => (axes.includes(i) ? null : d));
  return c.out(y, x.dtype, shape);
}
