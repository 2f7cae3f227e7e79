/** Gemm and MatMul (numpy semantics: 1-D promotion, broadcast batch dims). */
import { A } from "../graph-builder.js";
import { unsupported, type MapCtx, type OpSpec } from "../context.js";
import { broadcastShapes, isStatic } from "../values.js";
import type { Dim, Val } from "../types.js";
import { add, mul, type Ref } from "./emit.js";

function matmul(c: MapCtx, a: Ref, b: Ref, ta: boolean, tb: boolean, batched: boolean): Ref {
  if (batched)
    return c.op("BatchMatMulV2", [a, b], { T: A.type("float32"), adj_x: A.bool(ta), adj_y: A.bool(tb) });
  return c.op("MatMul", [a, b], { T: A.type("float32"), transpose_a: A.bool(ta), transpose_b: A.bool(tb) });
}

const gemm: OpSpec = {
  map: (c) => {
    const [a, b] = [c.in(0), c.in(1)];
    const ta = c.attr.int("transA", 0) === 1;
    const tb = c.attr.int("transB", 0) === 1;
    const alpha = c.attr.float("alpha", 1);
    const beta = c.attr.float("beta", 1);
    if (a.shape?.length !== 2 || b.shape?.length !== 2) unsupported("Gemm needs 2-D inputs");
    let y = matmul(c, c.ref(a, "native"), c.ref(b, "native"), ta, tb, false);
    if (alpha !== 1) y = mul(c, y, c.kFloat(alpha));
    const shape: Dim[] = [a.shape[ta ? 1 : 0], b.shape[tb ? 0 : 1]];
    const bias = c.opt(2);
    if (bias && beta !== 0) {
      let br: Ref;
      if (bias.const && beta !== 1) {
        const scaled = Float32Array.from(bias.const.data, (v) => v * beta);
        br = c.kConst({ dims: bias.const.dims, data: scaled }, "float32");
      } else {
        br = c.ref(bias, "native");
        if (beta !== 1) br = mul(c, br, c.kFloat(beta));
      }
      y = add(c, y, br);
    }
    return [c.out(y, "float32", shape)];
  },
};

/** Stored as its logical tensor with the last two axes swapped (rank >= 2, batch axes in order). */
function lastTwoSwapped(v: Val): boolean {
  const p = v.perm;
  if (!p || !v.ref || p.length < 2) return false;
  const r = p.length;
  return p[r - 2] === r - 1 && p[r - 1] === r - 2 && p.slice(0, r - 2).every((x, i) => x === i);
}

function sameOrSingle(a: Dim[], b: Dim[]): boolean {
  const single = (bd: Dim[]) => bd.every((d) => d === 1);
  return (a.length === b.length && a.every((d, i) => d === b[i])) || single(a) || single(b);
}

const matMul: OpSpec = {
  map: (c) => {
    const [a, b] = [c.in(0), c.in(1)];
    if (!a.shape || !b.shape) unsupported("MatMul of tensors of unknown rank");
    const ra = a.shape.length;
    const rb = b.shape.length;
    const sa0: Dim[] = ra === 1 ? [1, a.shape[0]] : a.shape;
    const sb0: Dim[] = rb === 1 ? [b.shape[0], 1] : b.shape;
    const needsBroadcast = !sameOrSingle(sa0.slice(0, -2), sb0.slice(0, -2));
    // A side stored with only its last two axes swapped (k^T in attention) feeds MatMul's adjoint flag.
    const ta = !needsBroadcast && lastTwoSwapped(a);
    const tb = !needsBroadcast && lastTwoSwapped(b);
    let ar = ta ? a.ref! : c.ref(a, "native");
    let br = tb ? b.ref! : c.ref(b, "native");
    const expand = (r: Ref, axis: number, t: string) =>
      c.op("ExpandDims", [r, c.kInts([axis], true)], { T: A.type("float32"), Tdim: A.type("int32") }, t);
    if (ra === 1) ar = expand(ar, 0, "a2d");
    if (rb === 1) br = expand(br, 1, "b2d");
    const sa: Dim[] = ra === 1 ? [1, a.shape[0]] : a.shape;
    const sb: Dim[] = rb === 1 ? [b.shape[0], 1] : b.shape;
    const batch = broadcastShapes(sa.slice(0, -2), sb.slice(0, -2));
    if (!batch) unsupported("MatMul batch dims do not broadcast");
    // tfjs broadcasts batch dims only when one side's batch is a single matrix: expand the others.
    const batchA = sa.slice(0, -2);
    const batchB = sb.slice(0, -2);
    const single = (bd: Dim[]) => bd.every((d) => d === 1);
    // Equal batch dims (a symbolic dim paired with itself, e.g. the batch of attention heads) need no
    // expansion; should they differ at run time tfjs refuses rather than computing wrong numbers.
    const same = batchA.length === batchB.length && batchA.every((d, i) => d === batchB[i]);
    if (!same && !single(batchA) && !single(batchB)) {
      if (!isStatic(batch)) unsupported("MatMul broadcasting of unknown batch dims");
      const to = (r: Ref, s: Dim[], tag: string) =>
        c.op(
          "BroadcastTo",
          [r, c.kInts([...batch, ...(s.slice(-2) as number[])])],
          { T: A.type("float32"), Tidx: A.type("int32") },
          tag,
        );
      if (batchA.length !== batch.length || batchA.some((d, i) => d !== batch[i])) ar = to(ar, sa, "abatch");
      if (batchB.length !== batch.length || batchB.some((d, i) => d !== batch[i])) br = to(br, sb, "bbatch");
    }
    let y = matmul(c, ar, br, ta, tb, sa.length > 2 || sb.length > 2);
    let shape: Dim[] = [...batch, sa[sa.length - 2], sb[sb.length - 1]];
    const squeeze: number[] = [];
    if (ra === 1) squeeze.push(shape.length - 2);
    if (rb === 1) squeeze.push(shape.length - 1);
    if (squeeze.length) {
      y = c.op("Squeeze", [y], { T: A.type("float32"), squeeze_dims: A.ints(squeeze) }, "squeeze");
      shape = shape.filter((_, i) => !squeeze.includes(i));
    }
    return [c.out(y, "float32", shape)];
  },
};

export const MATRIX_OPS: Record<string, OpSpec> = {
  Gemm: gemm,
  MatMul: matMul,
};

export type { Val };
