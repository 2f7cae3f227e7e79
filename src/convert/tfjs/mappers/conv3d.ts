/**
 * 3-D Conv as TF's Conv3D (NDHWC): the input is channels-last already (rank 5 in a conv region), the
 * ONNX weights [M, C, kD, kH, kW] become [kD, kH, kW, C, M]. Explicit pads go to a Pad first (Conv3D
 * takes SAME/VALID only), and strides with dilations (which tfjs's conv3d refuses together) use the
 * dilated kernel written out, as the 2-D Conv does.
 */
import { A } from "../graph-builder.js";
import { unsupported, type MapCtx } from "../context.js";
import type { Val } from "../types.js";
import { add, pad, transpose } from "./emit.js";
import { outSize, windowOf } from "./spatial.js";

/** A constant kernel [A, B, k...] with dilations d written out: [A, B, (k-1)*d+1 ...], zeros between. */
export function dilatedKernelNd(w: Val, d: readonly number[]): Val {
  const dims = w.shape as number[];
  const sp = dims.slice(2);
  const out = sp.map((k, i) => (k - 1) * d[i] + 1);
  const inner = sp.reduce((a, b) => a * b, 1);
  const outInner = out.reduce((a, b) => a * b, 1);
  const outer = dims[0] * dims[1];
  const data = new Float32Array(outer * outInner);
  const src = w.const!.data;
  // Offset of each small-kernel position in the dilated kernel.
  const offsets = new Int32Array(inner);
  for (let k = 0; k < inner; k++) {
    let rest = k;
    let o = 0;
    let stride = 1;
    for (let i = sp.length - 1; i >= 0; i--) {
      o += (rest % sp[i]) * d[i] * stride;
      rest = Math.floor(rest / sp[i]);
      stride *= out[i];
    }
    offsets[k] = o;
  }
  for (let ab = 0; ab < outer; ab++)
    for (let k = 0; k < inner; k++) data[ab * outInner + offsets[k]] = src[ab * inner + k];
  const shape = [dims[0], dims[1], ...out];
  return { dtype: "float32", shape, const: { dims: shape, data } };
}

export function conv3d(c: MapCtx, x: Val, w: Val): Val[] {
  const wd = w.shape as number[];
  if (c.attr.int("group", 1) !== 1) unsupported("grouped 3-D Conv has no TF.js equivalent");
  const win = windowOf(c, x.shape!.slice(2), wd.slice(2));
  let wk = w;
  let d = win.d;
  if (win.s.some((s) => s > 1) && d.some((v) => v > 1)) {
    c.constIn(1, "the weights of a strided, dilated 3-D Conv");
    wk = dilatedKernelNd(w, d);
    d = d.map(() => 1);
  }
  let xr = c.ref(x);
  let padding = "VALID";
  if (win.tfSame) padding = "SAME";
  else if (win.pads.some(([a, b]) => a || b)) xr = pad(c, xr, [[0, 0], ...win.pads, [0, 0]], "float32");
  const perm = [2, 3, 4, 1, 0];
  const f = wk.const
    ? c.kConst(wk.const, "float32", perm)
    : transpose(c, c.ref(wk, "native"), perm, "float32");
  let y = c.op("Conv3D", [xr, f], {
    T: A.type("float32"),
    strides: A.ints([1, ...win.s, 1]),
    dilations: A.ints([1, ...d, 1]),
    padding: A.str(padding),
    data_format: A.str("NDHWC"),
  });
  const bias = c.opt(2);
  if (bias) y = add(c, y, c.ref(bias, "native"));
  const spatial = x.shape!.slice(2).map((_, i) => outSize(win, i));
  return [c.outP(y, "float32", [x.shape![0], wd[0], ...spatial])];
}
