/** Shared geometry of Conv/ConvTranspose/pooling: kernel, strides, dilations and explicit pads. */
import { unsupported, type MapCtx } from "../context.js";
import type { Dim } from "../types.js";

export interface Window {
  k: number[];
  s: number[];
  d: number[];
  /** Pads per spatial axis: [begin, end]. */
  pads: number[][];
  /** Spatial input sizes. */
  inSize: Dim[];
  /** "SAME" when the pads are TF's SAME and the sizes are unknown (only TF can compute them). */
  tfSame: boolean;
}

export function windowOf(c: MapCtx, spatial: Dim[], kernel: number[] | undefined): Window {
  const n = spatial.length;
  const k = c.attr.ints("kernel_shape") ?? kernel;
  if (!k || k.length !== n) unsupported("kernel_shape is missing or does not match the input rank");
  const s = c.attr.ints("strides") ?? new Array<number>(n).fill(1);
  const d = c.attr.ints("dilations") ?? new Array<number>(n).fill(1);
  const autoPad = c.attr.string("auto_pad", "NOTSET");
  let tfSame = false;
  let pads: number[][];
  if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
    if (spatial.some((x) => x === null)) {
      if (autoPad === "SAME_LOWER") unsupported("auto_pad SAME_LOWER needs static spatial sizes");
      tfSame = true;
      pads = spatial.map(() => [0, 0]);
    } else {
      pads = spatial.map((x, i) => {
        const total = Math.max(
          0,
          (Math.ceil((x as number) / s[i]) - 1) * s[i] + (k[i] - 1) * d[i] + 1 - (x as number),
        );
        const small = Math.floor(total / 2);
        return autoPad === "SAME_UPPER" ? [small, total - small] : [total - small, small];
      });
    }
  } else if (autoPad === "VALID") {
    pads = spatial.map(() => [0, 0]);
  } else {
    const p = c.attr.ints("pads") ?? new Array<number>(2 * n).fill(0);
    pads = spatial.map((_, i) => [p[i], p[i + n]]);
  }
  return { k, s, d, pads, inSize: spatial, tfSame };
}

export function outSize(w: Window, i: number, ceil = false): Dim {
  const x = w.inSize[i];
  if (x === null) return null;
  if (w.tfSame) return Math.ceil(x / w.s[i]);
  const span = x + w.pads[i][0] + w.pads[i][1] - ((w.k[i] - 1) * w.d[i] + 1);
  let o = (ceil ? Math.ceil(span / w.s[i]) : Math.floor(span / w.s[i])) + 1;
  // A window that would start in the end padding is dropped (ceil_mode).
  if (ceil && (o - 1) * w.s[i] >= x + w.pads[i][0]) o--;
  return o;
}
