/** Concat, Split, Slice, Gather, GatherND, Pad: axes remapped to the stored layout. */
import { A } from "../graph-builder.js";
import { unsupported, type MapCtx, type OpSpec } from "../context.js";
import { permAfterDrop, permute, storedAxis } from "../layout.js";
import { concatConst, gatherConst, sliceConst } from "../fold.js";
import { isStatic } from "../values.js";
import type { ConstData, Dim, Val } from "../types.js";
import { concat, gather, pad, slice } from "./emit.js";
import { gatherNdSpec } from "./gather-nd.js";
import { padAtRunTime } from "./pad-runtime.js";
import { sliceAtRunTime } from "./slice-runtime.js";

const INT_BIG = 2 ** 31 - 1;

const concatSpec: OpSpec = {
  layout: "any",
  map: (c) => {
    const ins = c.inputs.filter((v): v is Val => !!v && (v.shape === undefined || !v.shape.includes(0)));
    const all = c.inputs.filter((v): v is Val => !!v);
    const r = all[0].shape?.length;
    if (r === undefined) unsupported("Concat of tensors of unknown rank");
    let axis = c.attr.int("axis", 0);
    if (axis < 0) axis += r;
    const shape: Dim[] = [...all[0].shape!];
    shape[axis] = all.reduce<Dim>(
      (s, v) => (s === null || v.shape![axis] === null ? null : s + (v.shape![axis] as number)),
      0,
    );
    if (ins.every((v) => v.const)) {
      const parts = ins.map((v) => v.const!);
      const cdata: ConstData = parts.length
        ? concatConst(parts, axis)
        : { dims: shape as number[], data: new Float64Array(0) };
      return [{ dtype: all[0].dtype, shape, const: cdata }];
    }
    const refs = ins.map((v) => c.ref(v));
    const t = ins[0].dtype;
    const out =
      refs.length === 1
        ? c.op("Identity", refs, { T: A.type(t) })
        : concat(c, refs, storedAxis(axis, r, c.perm), t);
    return [c.outP(out, t, shape)];
  },
};

const splitSpec: OpSpec = {
  layout: "any",
  data: [0],
  map: (c) => {
    const x = c.in(0);
    if (!x.shape) unsupported("Split of a tensor of unknown rank");
    const r = x.shape.length;
    let axis = c.attr.int("axis", 0);
    if (axis < 0) axis += r;
    const dim = x.shape[axis];
    const n = c.outputCount;
    let sizes: number[] | undefined =
      c.opset >= 13 ? (c.opt(1) ? c.ints(1, "split") : undefined) : c.attr.ints("split");
    if (!sizes) {
      if (dim === null) unsupported("Split of an unknown dimension needs explicit sizes");
      const parts = c.attr.has("num_outputs") ? c.attr.int("num_outputs", n) : n;
      const each = Math.ceil(dim / parts);
      sizes = Array.from({ length: parts }, (_, i) => Math.max(0, Math.min(each, dim - i * each)));
    }
    const ref = c.op("SplitV", [c.ref(x), c.kInts(sizes), c.kInts([storedAxis(axis, r, c.perm)], true)], {
      T: A.type(x.dtype),
      Tlen: A.type("int32"),
      num_split: A.int(sizes.length),
    });
    return sizes.map((s, i) => {
      const shape = [...x.shape!];
      shape[axis] = s;
      return c.outP(i === 0 ? ref : `${ref}:${i}`, x.dtype, shape);
    });
  },
};

interface AxisSlice {
  begin: number;
  end: number;
  step: number;
  /** The slice runs to the start (negative step) or end of the axis. */
  toEdge: boolean;
  count: Dim;
}

/** ONNX Slice clamping for one axis. */
function clampAxis(start: number, end: number, step: number, dim: Dim): AxisSlice {
  if (step === 0) unsupported("Slice step 0");
  if (dim === null) {
    if (start < 0 || (end < 0 && end > -INT_BIG) || step < 0)
      unsupported("Slice with negative indices on an unknown dimension");
    return { begin: start, end, step, toEdge: end >= INT_BIG, count: null };
  }
  const norm = (v: number) => (v < 0 ? v + dim : v);
  let b = norm(start);
  let e = norm(end);
  if (step > 0) {
    b = Math.min(Math.max(b, 0), dim);
    e = Math.min(Math.max(e, 0), dim);
    return { begin: b, end: e, step, toEdge: e === dim, count: Math.max(0, Math.ceil((e - b) / step)) };
  }
  b = Math.min(Math.max(b, 0), dim - 1);
  e = Math.min(Math.max(e, -1), dim - 1);
  return { begin: b, end: e, step, toEdge: e === -1, count: Math.max(0, Math.ceil((e - b) / step)) };
}

const sliceSpec: OpSpec = {
  layout: "any",
  data: [0],
  map: (c) => {
    const x = c.in(0);
    if (!x.shape) unsupported("Slice of a tensor of unknown rank");
    const r = x.shape.length;
    const old = c.opset < 10;
    const positiveSteps = !c.opt(4) || (!!c.constOf(4) && c.ints(4, "steps").every((v) => v > 0));
    if (!old && (!c.constOf(1) || !c.constOf(2)) && !x.const && positiveSteps) return [sliceAtRunTime(c, x)];
    const starts = old ? c.attr.ints("starts")! : c.ints(1, "starts");
    const ends = old ? c.attr.ints("ends")! : c.ints(2, "ends");
    const axes = (old ? c.attr.ints("axes") : c.opt(3) && c.ints(3, "axes")) ?? starts.map((_, i) => i);
    const steps = (!old && c.opt(4) && c.ints(4, "steps")) || starts.map(() => 1);
    const per: AxisSlice[] = x.shape.map((d) => ({
      begin: 0,
      end: d ?? INT_BIG,
      step: 1,
      toEdge: true,
      count: d,
    }));
    axes.forEach(
      (a, i) =>
        (per[a < 0 ? a + r : a] = clampAxis(starts[i], ends[i], steps[i], x.shape![a < 0 ? a + r : a])),
    );
    const shape = per.map((p) => p.count);
    if (x.const && isStatic(shape)) {
      return [
        {
          dtype: x.dtype,
          shape,
          const: sliceConst(
            x.const,
            per.map((p) => p.begin),
            per.map((p) => p.step),
            shape,
          ),
        },
      ];
    }
    const stored = permute(per, c.perm);
    let endMask = 0;
    stored.forEach((p, i) => (endMask |= p.toEdge ? 1 << i : 0));
    const ref = c.op(
      "StridedSlice",
      [
        c.ref(x),
        c.kInts(stored.map((p) => p.begin)),
        c.kInts(stored.map((p) => (p.toEdge ? 0 : p.end))),
        c.kInts(stored.map((p) => p.step)),
      ],
      {
        T: A.type(x.dtype),
        Index: A.type("int32"),
        begin_mask: A.int(0),
        end_mask: A.int(endMask),
        ellipsis_mask: A.int(0),
        new_axis_mask: A.int(0),
        shrink_axis_mask: A.int(0),
      },
    );
    return [c.outP(ref, x.dtype, shape)];
  },
};

const gatherSpec: OpSpec = {
  layout: "any",
  data: [0],
  map: (c) => {
    const x = c.in(0);
    const idx = c.in(1);
    if (!x.shape || !idx.shape) unsupported("Gather needs known ranks");
    const r = x.shape.length;
    let axis = c.attr.int("axis", 0);
    if (axis < 0) axis += r;
    const dim = x.shape[axis];
    let idxConst = idx.const;
    if (idxConst && idxConst.data.some((v) => v < 0)) {
      if (dim === null) unsupported("negative Gather indices on an unknown dimension");
      idxConst = {
        dims: idxConst.dims,
        data: idxConst.data.map((v) => (v < 0 ? v + dim : v)) as Float64Array,
      };
    }
    const shape = [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)];
    if (x.const && idxConst) return [{ dtype: x.dtype, shape, const: gatherConst(x.const, idxConst, axis) }];
    let iref: string;
    if (idxConst) iref = c.kConst(idxConst, "int32");
    else {
      iref = c.ref(idx, "native");
      if (dim !== null) {
        const neg = c.op("Less", [iref, c.k(0, "int32")], { T: A.type("int32") }, "neg");
        const wrapped = c.op("AddV2", [iref, c.k(dim, "int32")], { T: A.type("int32") }, "wrap");
        iref = c.op("SelectV2", [neg, wrapped, iref], { T: A.type("int32") }, "idx");
      }
    }
    const keep = idx.shape.length === 1 && c.perm;
    const drop = idx.shape.length === 0 && c.perm;
    const perm = keep ? c.perm : drop ? c.perm : undefined;
    const ref = gather(c, c.ref(x, perm ?? "native"), iref, storedAxis(axis, r, perm), x.dtype);
    if (drop)
      return [
        c.out(
          ref,
          x.dtype,
          shape,
          permAfterDrop(
            perm,
            x.shape.map((_, i) => i).filter((i) => i !== axis),
          ),
        ),
      ];
    return [c.out(ref, x.dtype, shape, keep ? perm : undefined)];
  },
};

/** Source index along one axis for Pad's reflect / edge / wrap modes. */
function padIndex(o: number, dim: number, mode: string): number {
  if (mode === "edge") return Math.min(Math.max(o, 0), dim - 1);
  if (mode === "wrap") return ((o % dim) + dim) % dim;
  const period = 2 * (dim - 1);
  if (period === 0) return 0;
  const m = ((o % period) + period) % period;
  return m < dim ? m : period - m;
}

const padSpec: OpSpec = {
  layout: "any",
  data: [0],
  check: (a) =>
    ["constant", "reflect", "edge", "wrap"].includes(a.string("mode", "constant"))
      ? undefined
      : `Pad mode ${a.string("mode", "")}`,
  map: (c) => {
    const x = c.in(0);
    if (!x.shape) unsupported("Pad of a tensor of unknown rank");
    const r = x.shape.length;
    const mode = c.attr.string("mode", "constant");
    const axesConst = !(c.opset >= 18 && c.opt(3)) || !!c.constOf(3);
    if (c.opset >= 11 && mode === "constant" && !c.constOf(1) && axesConst) return [padAtRunTime(c, x)];
    const raw = c.opset < 11 ? (c.attr.ints("pads") ?? c.attr.ints("paddings")!) : c.ints(1, "pads");
    const value =
      c.opset < 11 ? c.attr.float("value", 0) : c.opt(2) ? Number(c.ints(2, "constant_value")[0] ?? 0) : 0;
    const axes =
      (c.opset >= 18 && c.opt(3) ? c.ints(3, "axes") : undefined)?.map((a) => (a < 0 ? a + r : a)) ??
      x.shape.map((_, i) => i);
    const pads = x.shape.map(() => [0, 0]);
    axes.forEach((a, i) => (pads[a] = [raw[i], raw[i + axes.length]]));
    const shape = x.shape.map((d, i) => (d === null ? null : d + pads[i][0] + pads[i][1]));
    const t = x.dtype;
    let ref = c.ref(x);
    if (mode === "constant") {
      const pos = pads.map(([b, e]) => [Math.max(b, 0), Math.max(e, 0)]);
      if (pos.some(([b, e]) => b || e)) ref = pad(c, ref, permute(pos, c.perm), t, value);
      if (pads.some(([b, e]) => b < 0 || e < 0)) {
        const begin = pads.map(([b]) => Math.max(-b, 0));
        if (!isStatic(shape)) unsupported("negative pads need a static shape");
        ref = slice(c, ref, permute(begin, c.perm), permute(shape, c.perm), t);
      }
      return [c.outP(ref, t, shape)];
    }
    pads.forEach(([b, e], a) => {
      if (!b && !e) return;
      const dim = x.shape![a];
      if (dim === null) unsupported(`Pad mode ${mode} needs a static shape`);
      const idx = Array.from({ length: dim + b + e }, (_, o) => padIndex(o - b, dim, mode));
      ref = gather(c, ref, c.kInts(idx), storedAxis(a, r, c.perm), t);
    });
    return [c.outP(ref, t, shape)];
  },
};

export const SLICE_JOIN_OPS: Record<string, OpSpec> = {
  Concat: concatSpec,
  Split: splitSpec,
  Slice: sliceSpec,
  Gather: gatherSpec,
  GatherND: gatherNdSpec,
  Pad: padSpec,
};

export type { MapCtx };
