/**
 * Dilated 1-D/2-D pooling without a kernel for it, in a node count independent of the kernel size and
 * dilation (TF's tf.nn.pool recipe): pad so every tap is inside the tensor and each spatial size is a
 * multiple of its dilation; SpaceToBatchND with the dilation as block gathers every d-th element into
 * its own batch, where the dilated window becomes a dense one; an ordinary VALID pool runs there;
 * BatchToSpaceND interleaves the results back (the stride-1 dilated pool), and a StridedSlice takes
 * every s-th output. Average pooling is rescaled to ONNX's per-position counts.
 */
import { A } from "../graph-builder.js";
import { unsupported, type MapCtx } from "../context.js";
import type { Val } from "../types.js";
import { mul, pad, type Ref } from "./emit.js";
import type { Window } from "./spatial.js";
import { inverseCounts } from "./pool-slices.js";

export function poolDilated(c: MapCtx, kind: "Max" | "Avg", x: Val, w: Window, outs: (number | null)[]): Ref {
  const spatial = x.shape!.slice(2);
  if (spatial.some((d) => d === null) || outs.some((o) => o === null))
    unsupported("dilated pooling needs static spatial sizes");
  const one = spatial.length === 1;
  // 1-D as 2-D with a unit height.
  const ins = one ? [1, spatial[0] as number] : (spatial as number[]);
  const out = one ? [1, outs[0] as number] : (outs as number[]);
  const k = one ? [1, w.k[0]] : w.k;
  const s = one ? [1, w.s[0]] : w.s;
  const d = one ? [1, w.d[0]] : w.d;
  const pads = one ? [[0, 0], w.pads[0]] : w.pads;
  // Every tap of every output window inside, and a size divisible by the block (never read beyond).
  const padded = ins.map((n, i) => {
    const need = Math.max(n + pads[i][0], (out[i] - 1) * s[i] + (k[i] - 1) * d[i] + 1);
    return Math.ceil(need / d[i]) * d[i];
  });
  let xr = c.ref(x);
  if (one)
    xr = c.op(
      "ExpandDims",
      [xr, c.kInts([1], true)],
      { T: A.type("float32"), Tdim: A.type("int32") },
      "as2d",
    );
  const p4 = [[0, 0], ...ins.map((n, i) => [pads[i][0], padded[i] - n - pads[i][0]]), [0, 0]];
  if (p4.some(([b, e]) => b || e)) xr = pad(c, xr, p4, "float32", kind === "Max" ? -Infinity : 0);
  const block = c.kInts(d);
  const zeros = c.kConst({ dims: [2, 2], data: new Float64Array(4) }, "int32");
  const s2b = c.op(
    "SpaceToBatchND",
    [xr, block, zeros],
    { T: A.type("float32"), Tblock_shape: A.type("int32"), Tpaddings: A.type("int32") },
    "s2b",
  );
  const pooled = c.op(
    kind === "Max" ? "MaxPool" : "AvgPool",
    [s2b],
    {
      T: A.type("float32"),
      ksize: A.ints([1, ...k, 1]),
      strides: A.ints([1, 1, 1, 1]),
      padding: A.str("VALID"),
      data_format: A.str("NHWC"),
    },
    "pool",
  );
  const b2s = c.op(
    "BatchToSpaceND",
    [pooled, block, zeros],
    { T: A.type("float32"), Tblock_shape: A.type("int32"), Tcrops: A.type("int32") },
    "b2s",
  );
  let y = c.op(
    "StridedSlice",
    [
      b2s,
      c.kInts([0, 0, 0, 0]),
      c.kInts([0, ...out.map((o, i) => (o - 1) * s[i] + 1), 0]),
      c.kInts([1, ...s, 1]),
    ],
    {
      T: A.type("float32"),
      Index: A.type("int32"),
      begin_mask: A.int(0b1001),
      end_mask: A.int(0b1001),
      ellipsis_mask: A.int(0),
      new_axis_mask: A.int(0),
      shrink_axis_mask: A.int(0),
    },
    "stride",
  );
  if (kind === "Avg") {
    // AvgPool divided by the whole kernel; ONNX divides by the taps inside (count_include_pad rules).
    const taps = k.reduce((a, b) => a * b, 1);
    const inv = inverseCounts(ins, out, { ...w, k, s, d, pads }, c.attr.int("count_include_pad", 0) === 1);
    const scale = inv.map((v) => v * taps);
    y = mul(c, y, c.kConst({ dims: [1, ...out, 1], data: scale }, "float32"));
  }
  if (one) y = c.op("Squeeze", [y], { T: A.type("float32"), squeeze_dims: A.ints([1]) }, "as1d");
  return y;
}
