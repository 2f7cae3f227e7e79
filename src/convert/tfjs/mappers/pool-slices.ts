/**
 * Pooling TF.js has no kernel for (3-D; dilated 1-D/2-D go to pool-dilated.ts), built from strided slices: for every kernel
 * tap, a StridedSlice of the padded channels-last input picks that tap of every window, and the slices
 * are combined with Maximum or summed and divided by the per-position count (count_include_pad rules
 * as in ONNX: explicit pads count when asked, the ceil-mode overhang never does).
 */
import { A } from "../graph-builder.js";
import { unsupported, type MapCtx } from "../context.js";
import type { Val } from "../types.js";
import { add, maximum, mul, pad, type Ref } from "./emit.js";
import type { Window } from "./spatial.js";

export function poolBySlices(
  c: MapCtx,
  kind: "Max" | "Avg",
  x: Val,
  w: Window,
  outs: (number | null)[],
): Ref {
  const spatial = x.shape!.slice(2);
  if (spatial.some((d) => d === null) || outs.some((o) => o === null))
    unsupported("dilated or 3-D pooling needs static spatial sizes");
  const ins = spatial as number[];
  const out = outs as number[];
  const n = ins.length;
  const r = n + 2;
  // Pad so that every tap of every window is inside the tensor.
  const padEnd = ins.map((d, i) =>
    Math.max(0, (out[i] - 1) * w.s[i] + (w.k[i] - 1) * w.d[i] + 1 - d - w.pads[i][0]),
  );
  let xr = c.ref(x);
  const pads = [[0, 0], ...ins.map((_, i) => [w.pads[i][0], padEnd[i]]), [0, 0]];
  if (pads.some(([b, e]) => b || e)) xr = pad(c, xr, pads, "float32", kind === "Max" ? -Infinity : 0);
  const edges = 1 | (1 << (r - 1)); // batch and channels: whole axis
  const taps = w.k.reduce((a, b) => a * b, 1);
  let acc: Ref | undefined;
  for (let t = 0; t < taps; t++) {
    const off: number[] = [];
    let rest = t;
    for (let i = n - 1; i >= 0; i--) {
      off[i] = (rest % w.k[i]) * w.d[i];
      rest = Math.floor(rest / w.k[i]);
    }
    const begin = [0, ...off, 0];
    const end = [0, ...off.map((o, i) => o + (out[i] - 1) * w.s[i] + 1), 0];
    const tap = c.op(
      "StridedSlice",
      [xr, c.kInts(begin), c.kInts(end), c.kInts([1, ...w.s, 1])],
      {
        T: A.type("float32"),
        Index: A.type("int32"),
        begin_mask: A.int(edges),
        end_mask: A.int(edges),
        ellipsis_mask: A.int(0),
        new_axis_mask: A.int(0),
        shrink_axis_mask: A.int(0),
      },
      "tap",
    );
    acc = acc === undefined ? tap : kind === "Max" ? maximum(c, acc, tap) : add(c, acc, tap);
  }
  if (kind === "Max") return acc!;
  const includePad = c.attr.int("count_include_pad", 0) === 1;
  return mul(
    c,
    acc!,
    c.kConst({ dims: [1, ...out, 1], data: inverseCounts(ins, out, w, includePad) }, "float32"),
  );
}

/** 1 / (taps that fall in the input, or in the explicitly padded input) per output position. */
export function inverseCounts(ins: number[], out: number[], w: Window, includePad: boolean): Float32Array {
  const perAxis = ins.map((d, i) =>
    Array.from({ length: out[i] }, (_, o) => {
      const lo = includePad ? -w.pads[i][0] : 0;
      const hi = includePad ? d + w.pads[i][1] : d;
      let cnt = 0;
      for (let t = 0; t < w.k[i]; t++) {
        const p = o * w.s[i] - w.pads[i][0] + t * w.d[i];
        if (p >= lo && p < hi) cnt++;
      }
      return cnt;
    }),
  );
  const total = out.reduce((a, b) => a * b, 1);
  const res = new Float32Array(total);
  for (let idx = 0; idx < total; idx++) {
    let cnt = 1;
    let rest = idx;
    for (let i = out.length - 1; i >= 0; i--) {
      cnt *= perAxis[i][rest % out[i]];
      rest = Math.floor(rest / out[i]);
    }
    res[idx] = cnt ? 1 / cnt : 0;
  }
  return res;
}
