/** Conv (grouped, depthwise, 1-D; 3-D in conv3d.ts), ConvTranspose. Channels-last; weights pre-transposed when constant. */
import { A } from "../graph-builder.js";
import { unsupported, type MapCtx, type OpSpec } from "../context.js";
import type { Dim, Val } from "../types.js";
import { add, concat, pad, slice, transpose, type Ref } from "./emit.js";
import { outSize, windowOf, type Window } from "./spatial.js";
import { sliceConst } from "../fold.js";
import { conv3d } from "./conv3d.js";

/** Input as stored NHWC rank 4 (1-D convs get a unit height). */
function to4d(c: MapCtx, x: Val): Ref {
  const r = c.ref(x);
  if (x.shape!.length === 4) return r;
  return c.op("ExpandDims", [r, c.kInts([1], true)], { T: A.type("float32"), Tdim: A.type("int32") }, "as2d");
}

function from4d(c: MapCtx, y: Ref, rank: number): Ref {
  if (rank === 4) return y;
  return c.op("Squeeze", [y], { T: A.type("float32"), squeeze_dims: A.ints([1]) }, "as1d");
}

/** 2-D window params (1-D windows get a unit height). */
function win2d(w: Window): { k: number[]; s: number[]; d: number[]; pads: number[][] } {
  if (w.k.length === 2) return w;
  return { k: [1, w.k[0]], s: [1, w.s[0]], d: [1, w.d[0]], pads: [[0, 0], w.pads[0]] };
}

/**
 * TF filter from ONNX weights. conv: [M, C/g, kH, kW] -> [kH, kW, C/g, M]; transposed (ConvTranspose):
 * [C_in, M/g, kH, kW] -> [kH, kW, M/g, C_in]; depthwise: [C*mult, 1, kH, kW] seen as [C, mult, kH, kW]
 * -> [kH, kW, C, mult]. 1-D kernels get a unit height.
 */
function filterRef(c: MapCtx, w: Val, kind: "conv" | "depthwise" | "transposed", cin = 1): Ref {
  const dims = w.shape as number[];
  const d4 = dims.length === 3 ? [dims[0], dims[1], 1, dims[2]] : dims;
  const src = kind === "depthwise" ? [cin, d4[0] / cin, d4[2], d4[3]] : d4;
  const perm = kind === "depthwise" ? [2, 3, 0, 1] : [2, 3, 1, 0];
  if (w.const) {
    // Same data seen with `src` dims; a getter keeps a lazily read initializer undecoded (ConstData.raw).
    const k = w.const;
    return c.kConst(
      {
        dims: src,
        raw: k.raw,
        get data() {
          return k.data;
        },
      },
      "float32",
      perm,
    );
  }
  let r = c.ref(w, "native");
  if (src.some((d, i) => d !== dims[i]) || src.length !== dims.length)
    r = c.op("Reshape", [r, c.kInts(src)], { T: A.type("float32"), Tshape: A.type("int32") }, "w4d");
  return transpose(c, r, perm, "float32");
}

/**
 * A constant kernel with its dilation spelled out (zeros between taps): TF.js cannot combine strides
 * with dilations, and its transposed convolution has none, but a dilated kernel is just a bigger one.
 */
function dilatedKernel(w: Val, d: number[]): Val {
  const dims = w.shape as number[];
  const sp = dims.slice(2);
  const out = sp.map((k, i) => (k - 1) * d[i] + 1);
  const [A0, B0] = dims;
  const data = new Float32Array(A0 * B0 * out.reduce((a, b) => a * b, 1));
  const src = w.const!.data;
  const inner = sp.reduce((a, b) => a * b, 1);
  const outInner = out.reduce((a, b) => a * b, 1);
  for (let ab = 0; ab < A0 * B0; ab++) {
    for (let k = 0; k < inner; k++) {
      // k -> (kh, kw) in the small kernel -> (kh*dh, kw*dw) in the dilated one.
      const kh = sp.length === 2 ? Math.floor(k / sp[1]) : 0;
      const kw = sp.length === 2 ? k % sp[1] : k;
      const o = sp.length === 2 ? kh * d[0] * out[1] + kw * d[1] : kw * d[0];
      data[ab * outInner + o] = src[ab * inner + k];
    }
  }
  const shape = [A0, B0, ...out];
  return { dtype: "float32", shape, const: { dims: shape, data } };
}

function convSpec(): OpSpec {
  return {
    layout: "nhwc",
    map: (c) => {
      const x = c.in(0);
      const w = c.in(1);
      const rank = x.shape?.length;
      if (rank !== 3 && rank !== 4 && rank !== 5) unsupported("Conv supports 1-D, 2-D and 3-D inputs");
      if (!w.shape || w.shape.some((d) => d === null)) unsupported("Conv weights need a static shape");
      if (rank === 5) return conv3d(c, x, w);
      const wd = w.shape as number[];
      const g = c.attr.int("group", 1);
      const cin = x.shape![1];
      const m = wd[0];
      const win = windowOf(c, x.shape!.slice(2), wd.slice(2));
      const w2 = win2d(win);
      let wk = w;
      if (w2.s.some((s) => s > 1) && w2.d.some((d) => d > 1)) {
        c.constIn(1, "the weights of a strided, dilated Conv");
        wk = dilatedKernel(w, win.d);
        w2.d = w2.d.map(() => 1);
      }
      const xr = to4d(c, x);
      const padAttrs = (): Record<string, ReturnType<typeof A.str>> => {
        if (win.tfSame) return { padding: A.str("SAME") };
        const p = w2.pads;
        if (p.every(([a, b]) => !a && !b)) return { padding: A.str("VALID") };
        return {
          padding: A.str("EXPLICIT"),
          explicit_paddings: A.ints([0, 0, p[0][0], p[0][1], p[1][0], p[1][1], 0, 0]),
        };
      };
      const common = {
        T: A.type("float32"),
        strides: A.ints([1, w2.s[0], w2.s[1], 1]),
        dilations: A.ints([1, w2.d[0], w2.d[1], 1]),
        data_format: A.str("NHWC"),
        ...padAttrs(),
      };
      const bias = c.opt(2);
      const biasRef = bias && c.ref(bias, "native");
      let y: Ref;
      if (g === 1) {
        const f = filterRef(c, wk, "conv");
        y = biasRef
          ? c.op("_FusedConv2D", [xr, f, biasRef], {
              ...common,
              num_args: A.int(1),
              fused_ops: A.strs(["BiasAdd"]),
            })
          : c.op("Conv2D", [xr, f], common);
      } else if (g === cin && wd[1] === 1) {
        const f = filterRef(c, wk, "depthwise", cin);
        y = biasRef
          ? c.op("FusedDepthwiseConv2dNative", [xr, f, biasRef], {
              ...common,
              num_args: A.int(1),
              fused_ops: A.strs(["BiasAdd"]),
            })
          : c.op("DepthwiseConv2dNative", [xr, f], common);
      } else {
        if (cin === null) unsupported("grouped Conv needs a static channel count");
        y = groupedConv(c, xr, wk, g, common);
        if (biasRef) y = add(c, y, biasRef);
      }
      const spatial = x.shape!.slice(2).map((_, i) => outSize(win, i));
      return [c.outP(from4d(c, y, rank), "float32", [x.shape![0], m, ...spatial])];
    },
  };
}

function groupedConv(
  c: MapCtx,
  xr: Ref,
  w: Val,
  g: number,
  attrs: Record<string, ReturnType<typeof A.str>>,
): Ref {
  const xs = c.op("Split", [c.kInts([3], true), xr], { T: A.type("float32"), num_split: A.int(g) }, "xsplit");
  const f = filterRef(c, w, "conv");
  const fs = c.op("Split", [c.kInts([3], true), f], { T: A.type("float32"), num_split: A.int(g) }, "wsplit");
  const parts = Array.from({ length: g }, (_, i) =>
    c.op("Conv2D", [i ? `${xs}:${i}` : xs, i ? `${fs}:${i}` : fs], attrs, `g${i}`),
  );
  return concat(c, parts, 3, "float32");
}

const convTransposeSpec: OpSpec = {
  layout: "nhwc",
  map: (c) => {
    const x = c.in(0);
    let w = c.in(1);
    const rank = x.shape?.length;
    if (rank !== 3 && rank !== 4) unsupported("ConvTranspose supports 1-D and 2-D inputs");
    if (!w.shape || w.shape.some((d) => d === null)) unsupported("ConvTranspose weights need a static shape");
    const wd = w.shape as number[];
    const g = c.attr.int("group", 1);
    const cin = x.shape![1];
    if (g !== 1) {
      if (cin === null) unsupported("grouped ConvTranspose needs a static channel count");
      c.constIn(1, "the weights of a grouped ConvTranspose");
    }
    const spatialIn = x.shape!.slice(2);
    if (spatialIn.some((d) => d === null)) unsupported("ConvTranspose needs static spatial sizes");
    const ins = spatialIn as number[];
    const n = ins.length;
    const dil = c.attr.ints("dilations") ?? new Array<number>(wd.length - 2).fill(1);
    if (dil.some((d) => d !== 1)) {
      c.constIn(1, "the weights of a dilated ConvTranspose");
      w = dilatedKernel(w, dil);
    }
    const k = (c.attr.ints("kernel_shape") ?? wd.slice(2)).map((v, i) => (v - 1) * dil[i] + 1);
    const s = c.attr.ints("strides") ?? new Array<number>(n).fill(1);
    const op = c.attr.ints("output_padding") ?? new Array<number>(n).fill(0);
    const autoPad = c.attr.string("auto_pad", "NOTSET");
    const outShape = c.attr.ints("output_shape");
    const mOut = wd[1] * g;
    const full = ins.map((v, i) => (v - 1) * s[i] + k[i]);
    let pads: number[][];
    let outs: number[];
    if (outShape || autoPad.startsWith("SAME")) {
      outs = outShape ? outShape.slice(-n) : ins.map((v, i) => v * s[i]);
      pads = outs.map((o, i) => {
        const total = s[i] * (ins[i] - 1) + op[i] + k[i] - o;
        const half = Math.floor(total / 2);
        return autoPad === "SAME_UPPER" ? [half, total - half] : [total - half, half];
      });
    } else {
      const p =
        autoPad === "VALID"
          ? new Array<number>(2 * n).fill(0)
          : (c.attr.ints("pads") ?? new Array<number>(2 * n).fill(0));
      pads = ins.map((_, i) => [p[i], p[i + n]]);
      outs = ins.map((v, i) => s[i] * (v - 1) + op[i] + k[i] - pads[i][0] - pads[i][1]);
    }
    const one = n === 1;
    const xr = to4d(c, x);
    const batch = x.shape![0];
    const mg = mOut / g;
    const fullShape = one ? [1, full[0], mg] : [full[0], full[1], mg];
    let shapeRef: Ref;
    if (batch !== null) shapeRef = c.kInts([batch, ...fullShape]);
    else {
      const sh = c.op("Shape", [xr], { T: A.type("float32"), out_type: A.type("int32") }, "xshape");
      const nRef = slice(c, sh, [0], [1], "int32");
      shapeRef = concat(c, [nRef, c.kInts(fullShape)], 0, "int32");
    }
    const s2 = one ? [1, s[0]] : s;
    const deconv = (xg: Ref, f: Ref, tag?: string) =>
      c.op(
        "Conv2DBackpropInput",
        [shapeRef, f, xg],
        {
          T: A.type("float32"),
          strides: A.ints([1, s2[0], s2[1], 1]),
          padding: A.str("VALID"),
          data_format: A.str("NHWC"),
          dilations: A.ints([1, 1, 1, 1]),
        },
        tag,
      );
    let y: Ref;
    if (g === 1) y = deconv(xr, filterRef(c, w, "transposed"));
    else {
      // Groups: split the input channels, one transposed convolution per weight slice, concatenated.
      const per = (cin as number) / g;
      const xs = c.op(
        "Split",
        [c.kInts([3], true), xr],
        { T: A.type("float32"), num_split: A.int(g) },
        "xsplit",
      );
      const wdims = w.shape as number[];
      const parts = Array.from({ length: g }, (_, i) => {
        const slice4 = sliceConst(
          w.const!,
          [i * per, 0, 0, 0].slice(0, wdims.length),
          wdims.map(() => 1),
          [per, ...wdims.slice(1)],
        );
        const wg: Val = { dtype: "float32", shape: slice4.dims, const: slice4 };
        return deconv(i ? `${xs}:${i}` : xs, filterRef(c, wg, "transposed"), `g${i}`);
      });
      y = concat(c, parts, 3, "float32");
    }
    // Crop the pads; output_padding beyond the full result is zeros.
    const extra = outs.map((o, i) => Math.max(0, pads[i][0] + o - full[i]));
    const p4 = one
      ? [
          [0, 0],
          [0, 0],
          [0, extra[0]],
          [0, 0],
        ]
      : [
          [0, 0],
          [0, extra[0]],
          [0, extra[1]],
          [0, 0],
        ];
    if (extra.some((e) => e > 0)) y = pad(c, y, p4, "float32");
    const begin = one ? [0, 0, pads[0][0], 0] : [0, pads[0][0], pads[1][0], 0];
    const size = one ? [-1, 1, outs[0], -1] : [-1, outs[0], outs[1], -1];
    if (begin.some((b) => b) || outs.some((o, i) => o !== full[i])) y = slice(c, y, begin, size, "float32");
    const bias = c.opt(2);
    if (bias) y = add(c, y, c.ref(bias, "native"));
    return [c.outP(from4d(c, y, rank), "float32", [batch, mOut, ...outs] as Dim[])];
  },
};

export const CONV_OPS: Record<string, OpSpec> = {
  Conv: convSpec(),
  ConvTranspose: convTransposeSpec,
};
