/**
 * LSTM, GRU and RNN, unrolled over a static sequence length: the input projection of every step is
 * one MatMul up front, then each step adds the recurrent MatMul and applies the gates in ONNX order
 * (LSTM i,o,f,c; GRU z,r,h), with peepholes, clip, input_forget, linear_before_reset, activation lists,
 * directions (forward, reverse, bidirectional) and both layouts.
 */
import { A } from "../graph-builder.js";
import { unsupported, type MapCtx, type OpSpec } from "../context.js";
import { sliceConst } from "../fold.js";
import type { Dim, Val } from "../types.js";
import {
  add,
  bin,
  concat,
  maximum,
  minimum,
  mul,
  reshape,
  slice,
  sub,
  transpose,
  un,
  type Ref,
} from "./emit.js";

type Kind = "LSTM" | "GRU" | "RNN";
const GATES: Record<Kind, number> = { LSTM: 4, GRU: 3, RNN: 1 };
const DEFAULT_ACTS: Record<Kind, string[]> = {
  LSTM: ["sigmoid", "tanh", "tanh"],
  GRU: ["sigmoid", "tanh"],
  RNN: ["tanh"],
};
const USES_ALPHA = new Set(["leakyrelu", "thresholdedrelu", "scaledtanh", "hardsigmoid", "elu", "affine"]);
const USES_BETA = new Set(["scaledtanh", "hardsigmoid", "affine"]);
const ALPHA: Record<string, number> = { leakyrelu: 0.01, thresholdedrelu: 1, hardsigmoid: 0.2, elu: 1 };
const BETA: Record<string, number> = { hardsigmoid: 0.5 };

type Act = (c: MapCtx, x: Ref) => Ref;

function activation(name: string, alpha: number, beta: number): Act {
  const k = (c: MapCtx, v: number) => c.kFloat(v);
  switch (name) {
    case "sigmoid":
      return (c, x) => un(c, "Sigmoid", x);
    case "tanh":
      return (c, x) => un(c, "Tanh", x);
    case "relu":
      return (c, x) => un(c, "Relu", x);
    case "softsign":
      return (c, x) => bin(c, "RealDiv", x, add(c, un(c, "Abs", x), k(c, 1)));
    case "softplus":
      return (c, x) => un(c, "Softplus", x);
    case "leakyrelu":
      return (c, x) => c.op("LeakyRelu", [x], { T: A.type("float32"), alpha: A.float(alpha) }, "leaky");
    case "thresholdedrelu":
      return (c, x) => mul(c, x, c.op("Cast", [bin(c, "Greater", x, k(c, alpha))], castAttrs(), "gt"));
    case "scaledtanh":
      return (c, x) => mul(c, un(c, "Tanh", mul(c, x, k(c, beta))), k(c, alpha));
    case "hardsigmoid":
      return (c, x) => minimum(c, maximum(c, add(c, mul(c, x, k(c, alpha)), k(c, beta)), k(c, 0)), k(c, 1));
    case "affine":
      return (c, x) => add(c, mul(c, x, k(c, alpha)), k(c, beta));
    case "elu":
      return (c, x) => {
        const neg = mul(c, sub(c, un(c, "Exp", minimum(c, x, k(c, 0))), k(c, 1)), k(c, alpha));
        return add(c, maximum(c, x, k(c, 0)), neg);
      };
    default:
      unsupported(`recurrent activation ${name}`);
  }
}

function castAttrs() {
  return { SrcT: A.type("bool"), DstT: A.type("float32"), Truncate: A.bool(false) };
}

/** The activation functions per direction, alphas and betas consumed in order as onnxruntime does. */
function activations(c: MapCtx, kind: Kind, dirs: number): Act[][] {
  const per = DEFAULT_ACTS[kind].length;
  const names = (c.attr.has("activations") ? readStrings(c) : []).map((s) => s.toLowerCase());
  const list = names.length ? names : Array.from({ length: dirs }, () => DEFAULT_ACTS[kind]).flat();
  if (list.length < per * dirs) unsupported(`${kind} needs ${per * dirs} activations`);
  const alphas = c.attr.floats("activation_alpha") ?? [];
  const betas = c.attr.floats("activation_beta") ?? [];
  let ai = 0;
  let bi = 0;
  const fns = list.map((n) => {
    const a = USES_ALPHA.has(n) ? (alphas[ai++] ?? ALPHA[n] ?? 1) : 0;
    const b = USES_BETA.has(n) ? (betas[bi++] ?? BETA[n] ?? 0) : 0;
    return activation(n, a, b);
  });
  return Array.from({ length: dirs }, (_, d) => fns.slice(d * per, (d + 1) * per));
}

function readStrings(c: MapCtx): string[] {
  const a = c.node.attribute("activations");
  const dec = new TextDecoder();
  return (a?.strings ?? []).map((s) => dec.decode(s));
}

/** Rows [from, from+count) of direction d of a [dirs, rows, cols] tensor, as a 2-D ref. */
function dirRows(c: MapCtx, v: Val, d: number, from: number, count: number): Ref {
  const cols = (v.shape as number[])[2];
  if (v.const) {
    const rows = sliceConst(v.const, [d, from, 0], [1, 1, 1], [1, count, cols]);
    return c.kConst({ dims: [count, cols], data: rows.data }, "float32");
  }
  const s = slice(c, c.ref(v, "native"), [d, from, 0], [1, count, cols], "float32");
  return reshape(c, s, [count, cols], "float32");
}

/** Elements [from, from+count) of row d of a [dirs, n] tensor, as a [count] ref (summing pairs for biases). */
function dirVec(c: MapCtx, v: Val, d: number, from: number, count: number): Ref {
  if (v.const) {
    const cols = (v.shape as number[])[1];
    const data = v.const.data.slice(d * cols + from, d * cols + from + count);
    return c.kConst({ dims: [count], data: Float32Array.from(data) }, "float32");
  }
  return reshape(c, slice(c, c.ref(v, "native"), [d, from], [1, count], "float32"), [count], "float32");
}

function matmulT(c: MapCtx, a: Ref, b: Ref): Ref {
  return c.op(
    "MatMul",
    [a, b],
    { T: A.type("float32"), transpose_a: A.bool(false), transpose_b: A.bool(true) },
    "mm",
  );
}

function split(c: MapCtx, x: Ref, n: number): Ref[] {
  if (n === 1) return [x];
  const s = c.op("Split", [c.kInts([1], true), x], { T: A.type("float32"), num_split: A.int(n) }, "gates");
  return Array.from({ length: n }, (_, i) => (i ? `${s}:${i}` : s));
}

function expand0(c: MapCtx, x: Ref): Ref {
  return c.op("ExpandDims", [x, c.kInts([0], true)], { T: A.type("float32"), Tdim: A.type("int32") }, "step");
}

/** Zeros [batch, h], with the batch read at run time when it is symbolic. */
function zeros(c: MapCtx, xr: Ref, batch: Dim, h: number): Ref {
  if (batch !== null) return c.kConst({ dims: [batch, h], data: new Float32Array(batch * h) }, "float32");
  const sh = c.op("Shape", [xr], { T: A.type("float32"), out_type: A.type("int32") }, "xshape");
  const dims = concat(c, [slice(c, sh, [1], [1], "int32"), c.kInts([h])], 0, "int32");
  return c.op("Fill", [dims, c.kFloat(0)], { T: A.type("float32"), index_type: A.type("int32") }, "zeros");
}

function recurrent(kind: Kind): OpSpec {
  return {
    check: (a) => {
      const dir = a.string("direction", "forward");
      if (!["forward", "reverse", "bidirectional"].includes(dir)) return `${kind} direction ${dir}`;
      if (!a.has("hidden_size")) return `${kind} without hidden_size`;
      return undefined;
    },
    map: (c) => {
      const x = c.in(0);
      const W = c.in(1);
      const R = c.in(2);
      const h = c.attr.int("hidden_size", 0);
      const G = GATES[kind];
      const dirMode = c.attr.string("direction", "forward");
      const dirs = dirMode === "bidirectional" ? 2 : 1;
      const batchFirst = c.attr.int("layout", 0) === 1;
      if (x.shape?.length !== 3 || x.shape[batchFirst ? 1 : 0] === null)
        unsupported(`${kind} needs a 3-D input with a static sequence length`);
      if (!W.shape || W.shape.some((d) => d === null) || !R.shape || R.shape.some((d) => d === null))
        unsupported(`${kind} weights need static shapes`);
      const seq = x.shape[batchFirst ? 1 : 0] as number;
      const batch = x.shape[batchFirst ? 0 : 1];
      const inSize = x.shape[2];
      const lens = c.opt(4);
      if (lens && !c.ints(4, "sequence_lens").every((v) => v === seq))
        unsupported(`${kind} with sequence_lens shorter than the sequence`);
      const acts = activations(c, kind, dirs);
      const clip = c.attr.has("clip") ? c.attr.float("clip", 0) : undefined;
      const clipped = (v: Ref) =>
        clip === undefined ? v : minimum(c, maximum(c, v, c.kFloat(-clip)), c.kFloat(clip));
      let xr = c.ref(x, "native");
      if (batchFirst) xr = transpose(c, xr, [1, 0, 2], "float32");
      const x2d = reshape(c, xr, [null, inSize], "float32");
      const B = c.opt(3);
      const initH = c.opt(5);
      const initC = kind === "LSTM" ? c.opt(6) : undefined;
      const P = kind === "LSTM" ? c.opt(7) : undefined;
      const ys: Ref[] = [];
      const hs: Ref[] = [];
      const cs: Ref[] = [];
      for (let d = 0; d < dirs; d++) {
        const reverse = dirMode === "reverse" || d === 1;
        const [f, g, hAct] = acts[d];
        // Input projection of all steps at once; the bias folded in (GRU keeps Rb_h for the reset gate).
        let xw = matmulT(c, x2d, dirRows(c, W, d, 0, G * h));
        let rbh: Ref | undefined;
        if (B) {
          const wb = dirVec(c, B, d, 0, G * h);
          const rb = kind === "GRU" ? dirVec(c, B, d, G * h, 2 * h) : dirVec(c, B, d, G * h, G * h);
          const both =
            kind === "GRU"
              ? concat(
                  c,
                  [add(c, slice(c, wb, [0], [2 * h], "float32"), rb), slice(c, wb, [2 * h], [h], "float32")],
                  0,
                  "float32",
                )
              : add(c, wb, rb);
          xw = add(c, xw, both);
          if (kind === "GRU") rbh = dirVec(c, B, d, 5 * h, h);
        }
        const xw3 = reshape(c, xw, [seq, null, G * h], "float32");
        const stepIn = (t: number) =>
          reshape(c, slice(c, xw3, [t, 0, 0], [1, -1, -1], "float32"), [null, G * h], "float32");
        let H = initH ? dirRowsBatch(c, initH, d, batch, h) : zeros(c, xr, batch, h);
        let C =
          kind === "LSTM"
            ? initC
              ? dirRowsBatch(c, initC, d, batch, h)
              : zeros(c, xr, batch, h)
            : undefined;
        const out: Ref[] = new Array<Ref>(seq);
        const Rall = kind === "GRU" ? undefined : dirRows(c, R, d, 0, G * h);
        const Rzr = kind === "GRU" ? dirRows(c, R, d, 0, 2 * h) : undefined;
        const Rh = kind === "GRU" ? dirRows(c, R, d, 2 * h, h) : undefined;
        const peep = P && [0, 1, 2].map((k) => dirVec(c, P, d, k * h, h));
        for (let s = 0; s < seq; s++) {
          const t = reverse ? seq - 1 - s : s;
          const xt = stepIn(t);
          if (kind === "RNN") {
            H = f(c, clipped(add(c, xt, matmulT(c, H, Rall!))));
          } else if (kind === "LSTM") {
            const [gi, go, gf, gc] = split(c, add(c, xt, matmulT(c, H, Rall!)), 4);
            const pre = (v: Ref, k: number) => clipped(peep ? add(c, v, mul(c, peep[k], C!)) : v);
            const i = f(c, pre(gi, 0));
            const fg = c.attr.int("input_forget", 0) === 1 ? sub(c, c.kFloat(1), i) : f(c, pre(gf, 2));
            C = add(c, mul(c, fg, C!), mul(c, i, g(c, clipped(gc))));
            const o = f(c, pre(go, 1));
            H = mul(c, o, hAct(c, C));
          } else {
            const [xz, xrr, xh] = split(c, xt, 3);
            const [hz, hr] = split(c, matmulT(c, H, Rzr!), 2);
            const z = f(c, clipped(add(c, xz, hz)));
            const r = f(c, clipped(add(c, xrr, hr)));
            let hh: Ref;
            if (c.attr.int("linear_before_reset", 0) === 1) {
              const lin = matmulT(c, H, Rh!);
              hh = mul(c, r, rbh ? add(c, lin, rbh) : lin);
            } else {
              hh = matmulT(c, mul(c, r, H), Rh!);
              if (rbh) hh = add(c, hh, rbh);
            }
            const cand = g(c, clipped(add(c, xh, hh)));
            H = add(c, cand, mul(c, z, sub(c, H, cand)));
          }
          out[t] = H;
        }
        ys.push(
          concat(
            c,
            out.map((o) => expand0(c, o)),
            0,
            "float32",
          ),
        );
        hs.push(H);
        if (C) cs.push(C);
      }
      // Y [seq, dirs, batch, h]; Y_h / Y_c [dirs, batch, h]; layout 1 moves the batch first.
      const stack = (refs: Ref[], axis: number) =>
        refs.length === 1
          ? c.op(
              "ExpandDims",
              [refs[0], c.kInts([axis], true)],
              { T: A.type("float32"), Tdim: A.type("int32") },
              "dir",
            )
          : c.op("Pack", refs, { T: A.type("float32"), N: A.int(refs.length), axis: A.int(axis) }, "dirs");
      let Y = stack(ys, 1);
      let Yh = stack(hs, 0);
      let Yc = cs.length ? stack(cs, 0) : undefined;
      if (batchFirst) {
        Y = transpose(c, Y, [2, 0, 1, 3], "float32");
        Yh = transpose(c, Yh, [1, 0, 2], "float32");
        if (Yc) Yc = transpose(c, Yc, [1, 0, 2], "float32");
      }
      const yShape: Dim[] = batchFirst ? [batch, seq, dirs, h] : [seq, dirs, batch, h];
      const hShape: Dim[] = batchFirst ? [batch, dirs, h] : [dirs, batch, h];
      const outs = [c.out(Y, "float32", yShape), c.out(Yh, "float32", hShape)];
      if (Yc) outs.push(c.out(Yc, "float32", hShape));
      return outs;
    },
  };
}

/** Direction d of an initial state [dirs, batch, h] (layout 0) as [batch, h]. */
function dirRowsBatch(c: MapCtx, v: Val, d: number, batch: Dim, h: number): Ref {
  const batchFirst = c.attr.int("layout", 0) === 1;
  if (v.const && batch !== null) {
    const begin = batchFirst ? [0, d, 0] : [d, 0, 0];
    const count = batchFirst ? [batch, 1, h] : [1, batch, h];
    return c.kConst({ dims: [batch, h], data: sliceConst(v.const, begin, [1, 1, 1], count).data }, "float32");
  }
  const s = slice(
    c,
    c.ref(v, "native"),
    batchFirst ? [0, d, 0] : [d, 0, 0],
    batchFirst ? [-1, 1, -1] : [1, -1, -1],
    "float32",
  );
  return reshape(c, s, [null, h], "float32");
}

export const RECURRENT_OPS: Record<string, OpSpec> = {
  LSTM: recurrent("LSTM"),
  GRU: recurrent("GRU"),
  RNN: recurrent("RNN"),
};
