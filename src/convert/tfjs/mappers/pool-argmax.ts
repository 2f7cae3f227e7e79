/**
 * MaxPool's Indices output: TF's MaxPoolWithArgmax on the padded channels-last input gives flat
 * NHWC indices into the padded tensor; they are re-encoded as ONNX's flat NCHW indices into the
 * unpadded input (row-major planes, or column-major for storage_order 1).
 */
import { A } from "../graph-builder.js";
import { unsupported, type MapCtx } from "../context.js";
import type { Dim, Val } from "../types.js";
import { add, bin, mul, sub, type Ref } from "./emit.js";
import type { Window } from "./spatial.js";

export function maxPoolWithIndices(
  c: MapCtx,
  x: Val,
  xPadded: Ref,
  w: Window,
  pads: number[][],
  outs: Dim[],
): Val[] {
  const [, ch, h, wd] = x.shape!;
  if (x.shape!.length !== 4 || ch === null || h === null || wd === null)
    unsupported("MaxPool indices need a static 4-D input");
  const node = c.op("MaxPoolWithArgmax", [xPadded], {
    T: A.type("float32"),
    Targmax: A.type("int32"),
    ksize: A.ints([1, ...w.k, 1]),
    strides: A.ints([1, ...w.s, 1]),
    padding: A.str("VALID"),
    include_batch_in_index: A.bool(true),
  });
  const hp = h + pads[0][0] + pads[0][1];
  const wp = wd + pads[1][0] + pads[1][1];
  const k = (v: number) => c.k(v, "int32");
  const div = (a: Ref, b: number) => bin(c, "FloorDiv", a, k(b), "int32");
  const mod = (a: Ref, b: number) => bin(c, "FloorMod", a, k(b), "int32");
  const idx = `${node}:1`;
  // idx = ((n * Hp + y) * Wp + x) * C + ch  ->  ((n * C + ch) * H + y - top) * W + x - left
  const n = div(idx, hp * wp * ch);
  const rest = mod(idx, hp * wp * ch);
  const y = sub(c, div(rest, wp * ch), k(pads[0][0]), "int32");
  const rest2 = mod(rest, wp * ch);
  const xx = sub(c, div(rest2, ch), k(pads[1][0]), "int32");
  const cc = mod(rest2, ch);
  const nc = add(c, mul(c, n, k(ch), "int32"), cc, "int32");
  // storage_order 1 (column-major planes) as onnxruntime: (n * C + ch) * H * W + x * H + y.
  const inPlane =
    c.attr.int("storage_order", 0) === 1
      ? add(c, mul(c, xx, k(h), "int32"), y, "int32")
      : add(c, mul(c, y, k(wd), "int32"), xx, "int32");
  const flat = add(c, mul(c, nc, k(h * wd), "int32"), inPlane, "int32");
  const shape: Dim[] = [x.shape![0], ch, ...outs];
  return [c.outP(node, "float32", shape), c.outP(flat, "int32", shape)];
}
