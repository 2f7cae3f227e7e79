/**
 * Pad (constant mode) whose pads are computed at run time: TF wants [rank, 2] paddings of non-negative
 * sizes, ONNX gives [begins..., ends...] that may be negative (a crop). So: regroup the pads with a
 * Gather, pad by max(p, 0), then crop max(-p, 0) from each side with a run-time StridedSlice.
 */
import { A } from "../graph-builder.js";
import type { MapCtx } from "../context.js";
import type { Dim, Val } from "../types.js";
import { cast, concat, gather, maximum, reshape, sub, un, type Ref } from "./emit.js";

export function padAtRunTime(c: MapCtx, x: Val): Val {
  const r = x.shape!.length;
  const t = x.dtype;
  const p = cast(c, c.ref(c.in(1), "native"), c.in(1).dtype, "int32");
  const axes = (c.opset >= 18 && c.opt(3) ? c.ints(3, "axes") : Array.from({ length: r }, (_, i) => i)).map(
    (a) => (a < 0 ? a + r : a),
  );
  const k = axes.length;
  // [b(axes)..., e(axes)...] -> [[b0, e0], [b1, e1], ...] over every axis (0 where not listed): a
  // Gather from the pads with a 0 appended for the unlisted axes.
  const padded = concat(c, [p, c.kInts([0])], 0, "int32");
  const order = Array.from({ length: r }, (_, i) => {
    const j = axes.indexOf(i);
    return j < 0 ? [2 * k, 2 * k] : [j, j + k];
  }).flat();
  const pairs = reshape(c, gather(c, padded, c.kInts(order), 0, "int32"), [r, 2], "int32");
  const zero = c.k(0, "int32");
  const grow = maximum(c, pairs, zero, "int32");
  const cut = maximum(c, un(c, "Neg", pairs, "int32"), zero, "int32");
  let value: Ref | undefined;
  if (c.opt(2)) value = cast(c, c.ref(c.in(2), "native"), c.in(2).dtype, t);
  const xr = c.ref(x, "native");
  let y = value
    ? c.op("PadV2", [xr, grow, value], { T: A.type(t), Tpaddings: A.type("int32") }, "pad")
    : c.op("Pad", [xr, grow], { T: A.type(t), Tpaddings: A.type("int32") }, "pad");
  const shape = c.op("Shape", [y], { T: A.type(t), out_type: A.type("int32") }, "padded_shape");
  const col = (k: number) =>
    reshape(
      c,
      c.op(
        "StridedSlice",
        [cut, c.kInts([0, k]), c.kInts([0, k + 1]), c.kInts([1, 1])],
        sliceAttrs(1),
        "col",
      ),
      [r],
      "int32",
    );
  const begin = col(0);
  const end = sub(c, shape, col(1), "int32");
  y = c.op(
    "StridedSlice",
    [y, begin, end, c.kInts(new Array<number>(r).fill(1))],
    { ...sliceAttrs(0), T: A.type(t) },
    "crop",
  );
  return c.out(y, t, new Array<Dim>(r).fill(null));
}

/** StridedSlice attributes; `endAllRows` sets begin/end masks on axis 0 (take every row). */
function sliceAttrs(endAllRows: number) {
  return {
    T: A.type("int32"),
    Index: A.type("int32"),
    begin_mask: A.int(endAllRows),
    end_mask: A.int(endAllRows),
    ellipsis_mask: A.int(0),
    new_axis_mask: A.int(0),
    shrink_axis_mask: A.int(0),
  };
}
