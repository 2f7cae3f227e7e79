/** MaxPool/AveragePool (pads, ceil_mode, count_include_pad), global pools, DepthToSpace/SpaceToDepth. */
import { A } from "../graph-builder.js";
import { unsupported, type MapCtx, type OpSpec } from "../context.js";
import { permute } from "../layout.js";
import type { Dim } from "../types.js";
import { mul, pad, reduce, reshape, transpose, type Ref } from "./emit.js";
import { outSize, windowOf } from "./spatial.js";
import { poolBySlices } from "./pool-slices.js";
import { poolDilated } from "./pool-dilated.js";
import { maxPoolWithIndices } from "./pool-argmax.js";

function pool(kind: "Max" | "Avg"): OpSpec {
  return {
    layout: "nhwc",
    map: (c) => {
      const x = c.in(0);
      const rank = x.shape?.length;
      if (rank === undefined || rank < 3 || rank > 5) unsupported("pooling supports 1-D, 2-D and 3-D inputs");
      const spatial = x.shape!.slice(2);
      const w = windowOf(c, spatial, undefined);
      const ceil = c.attr.int("ceil_mode", 0) === 1;
      const outs = spatial.map((_, i) => outSize(w, i, ceil));
      if (c.wants(1) && (rank !== 4 || w.d.some((d) => d !== 1) || w.tfSame))
        unsupported("MaxPool indices of a 1-D, 3-D, dilated or SAME-padded pooling");
      if (rank === 5 || w.d.some((d) => d !== 1)) {
        // No TF.js kernel: dilated 1-D/2-D windows via SpaceToBatchND (a fixed handful of nodes);
        // 3-D windows by one strided slice per kernel tap.
        if (w.tfSame) unsupported("auto_pad SAME pooling with unknown sizes and dilations");
        const y = rank === 5 ? poolBySlices(c, kind, x, w, outs) : poolDilated(c, kind, x, w, outs);
        return [c.outP(y, "float32", [x.shape![0], x.shape![1], ...outs])];
      }
      let xr = c.ref(x);
      if (rank === 3)
        xr = c.op(
          "ExpandDims",
          [xr, c.kInts([1], true)],
          { T: A.type("float32"), Tdim: A.type("int32") },
          "as2d",
        );
      const k2 = rank === 3 ? [1, w.k[0]] : w.k;
      const s2 = rank === 3 ? [1, w.s[0]] : w.s;
      const attrs = (padding: string) => ({
        T: A.type("float32"),
        ksize: A.ints([1, ...k2, 1]),
        strides: A.ints([1, ...s2, 1]),
        padding: A.str(padding),
        data_format: A.str("NHWC"),
      });
      let y: Ref;
      if (w.tfSame) {
        if (kind === "Avg" && c.attr.int("count_include_pad", 0) === 1)
          unsupported("count_include_pad with unknown sizes");
        y = c.op(kind === "Max" ? "MaxPool" : "AvgPool", [xr], attrs("SAME"));
      } else {
        if (outs.some((o) => o === null) && (ceil || w.pads.some(([a, b]) => a || b)))
          unsupported("padded or ceil_mode pooling needs static spatial sizes");
        const extra = spatial.map((d, i) =>
          d === null
            ? 0
            : Math.max(0, ((outs[i] as number) - 1) * w.s[i] + w.k[i] - (d + w.pads[i][0] + w.pads[i][1])),
        );
        const padsFull = w.pads.map(([b, e], i) => [b, e + extra[i]]);
        const padded = padsFull.some(([b, e]) => b || e);
        if (padded) {
          const p4 =
            rank === 3 ? [[0, 0], [0, 0], padsFull[0], [0, 0]] : [[0, 0], padsFull[0], padsFull[1], [0, 0]];
          xr = pad(c, xr, p4, "float32", kind === "Max" ? -Infinity : 0);
        }
        if (kind === "Max" && c.wants(1)) {
          if (rank !== 4) unsupported("MaxPool indices of a 1-D pooling");
          return maxPoolWithIndices(c, x, xr, w, padsFull, outs);
        }
        y = c.op(kind === "Max" ? "MaxPool" : "AvgPool", [xr], attrs("VALID"));
        if (kind === "Avg" && padded) {
          const corr = avgCorrection(
            spatial as number[],
            outs as number[],
            w.k,
            w.s,
            w.pads,
            c.attr.int("count_include_pad", 0) === 1,
          );
          if (corr)
            y = mul(
              c,
              y,
              c.kConst(
                { dims: [1, ...(rank === 3 ? [1] : []), ...outs.map(Number), 1], data: corr },
                "float32",
              ),
            );
        }
      }
      if (rank === 3) y = c.op("Squeeze", [y], { T: A.type("float32"), squeeze_dims: A.ints([1]) }, "as1d");
      return [c.outP(y, "float32", [x.shape![0], x.shape![1], ...outs])];
    },
  };
}

/** kernel_size / count per output position, or undefined when every window counts the whole kernel. */
function avgCorrection(
  inS: number[],
  outS: number[],
  k: number[],
  s: number[],
  pads: number[][],
  includePad: boolean,
): Float32Array | undefined {
  const perAxis = inS.map((n, i) => {
    const lo = includePad ? -pads[i][0] : 0;
    const hi = includePad ? n + pads[i][1] : n;
    return Array.from({ length: outS[i] }, (_, o) => {
      const start = o * s[i] - pads[i][0];
      return Math.max(0, Math.min(start + k[i], hi) - Math.max(start, lo));
    });
  });
  const total = k.reduce((a, b) => a * b, 1);
  const n = outS.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  let same = true;
  for (let i = 0; i < n; i++) {
    let cnt = 1;
    let rem = i;
    for (let a = outS.length - 1; a >= 0; a--) {
      cnt *= perAxis[a][rem % outS[a]];
      rem = Math.floor(rem / outS[a]);
    }
    out[i] = cnt ? total / cnt : 0;
    if (cnt !== total) same = false;
  }
  return same ? undefined : out;
}

function globalPool(op: "Mean" | "Max"): OpSpec {
  return {
    layout: "nhwc",
    map: (c) => {
      const x = c.in(0);
      const r = x.shape?.length;
      if (r === undefined || r < 3) unsupported("global pooling needs an N, C, spatial... input");
      const axes = Array.from({ length: r - 2 }, (_, i) => i + 1);
      const y = reduce(c, op, c.ref(x), axes, true);
      return [c.outP(y, "float32", [x.shape![0], x.shape![1], ...new Array<Dim>(r - 2).fill(1)])];
    },
  };
}

/** NHWC DepthToSpace (DCR is TF's own order; CRD reorders through a 6-D reshape). */
const depthToSpace: OpSpec = {
  layout: "nhwc",
  map: (c) => {
    const x = c.in(0);
    const [n, ch, h, w] = x.shape ?? [];
    const b = c.attr.int("blocksize", 0);
    if (x.shape?.length !== 4 || ch === null || h === null || w === null)
      unsupported("DepthToSpace needs a static 4-D input");
    const out: Dim[] = [n, ch / (b * b), h * b, w * b];
    const xr = c.ref(x);
    let y: Ref;
    if (c.attr.string("mode", "DCR") === "DCR") {
      y = c.op("DepthToSpace", [xr], {
        T: A.type(x.dtype),
        block_size: A.int(b),
        data_format: A.str("NHWC"),
      });
    } else {
      const six = reshape(c, xr, [n, h, w, ch / (b * b), b, b], x.dtype);
      y = reshape(c, transpose(c, six, [0, 1, 4, 2, 5, 3], x.dtype), permute(out, c.perm), x.dtype);
    }
    return [c.outP(y, x.dtype, out)];
  },
};

const spaceToDepth: OpSpec = {
  layout: "nhwc",
  map: (c) => {
    const x = c.in(0);
    const [n, ch, h, w] = x.shape ?? [];
    const b = c.attr.int("blocksize", 0);
    if (x.shape?.length !== 4 || ch === null || h === null || w === null)
      unsupported("SpaceToDepth needs a static 4-D input");
    const out: Dim[] = [n, ch * b * b, h / b, w / b];
    const six = reshape(c, c.ref(x), [n, h / b, b, w / b, b, ch], x.dtype);
    const y = reshape(c, transpose(c, six, [0, 1, 3, 2, 4, 5], x.dtype), permute(out, c.perm), x.dtype);
    return [c.outP(y, x.dtype, out)];
  },
};

export const POOL_OPS: Record<string, OpSpec> = {
  MaxPool: pool("Max"),
  AveragePool: pool("Avg"),
  GlobalAveragePool: globalPool("Mean"),
  GlobalMaxPool: globalPool("Max"),
  DepthToSpace: depthToSpace,
  SpaceToDepth: spaceToDepth,
};

export type { MapCtx };
