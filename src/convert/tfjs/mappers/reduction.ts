/** Reductions, ArgMax/ArgMin, Softmax/LogSoftmax/Hardmax (any axis), CumSum. */
import { A } from "../graph-builder.js";
import { unsupported, type MapCtx, type OpSpec } from "../context.js";
import { permAfterDrop, storedAxis } from "../layout.js";
import { elementCount, isStatic } from "../values.js";
import type { Dim, TfDtype, Val } from "../types.js";
import { add, bin, cast, mul, reduce, reshape, sub, un, type Ref } from "./emit.js";

/** Axes of a Reduce* node (attribute before the op's input version, input after). */
function reduceAxes(c: MapCtx, inputSince: number): number[] | undefined {
  if (c.opset >= inputSince) return c.opt(1) ? c.ints(1, "axes") : undefined;
  return c.attr.ints("axes");
}

const EMPTY_VALUE: Record<string, number> = {
  ReduceSum: 0,
  ReduceSumSquare: 0,
  ReduceL1: 0,
  ReduceL2: 0,
  ReduceProd: 1,
  ReduceMax: -Infinity,
  ReduceMin: Infinity,
  ReduceLogSum: -Infinity,
  ReduceLogSumExp: -Infinity,
  ReduceMean: NaN,
};

const INPUT_SINCE: Record<string, number> = { ReduceSum: 13 };

function reduction(kind: string): OpSpec {
  return {
    layout: "any",
    data: [0],
    map: (c) => {
      const x = c.in(0);
      if (!x.shape) unsupported("reduction of a tensor of unknown rank");
      const r = x.shape.length;
      const since = INPUT_SINCE[kind] ?? 18;
      const k = c.opset >= since && c.opt(1) && !c.constOf(1) ? c.in(1).shape?.[0] : undefined;
      // (An empty input needs the axes to produce the op's identity element: constants only.)
      if (typeof k === "number" && k > 0 && !x.shape.includes(0)) return [reduceAtRunTime(c, kind, x, k)];
      let axes = reduceAxes(c, since)?.map((a) => (a < 0 ? a + r : a));
      if (!axes || axes.length === 0) {
        if (c.attr.int("noop_with_empty_axes", 0) === 1) return [{ ...x }];
        axes = x.shape.map((_, i) => i);
      }
      const keep = c.attr.int("keepdims", 1) === 1;
      const outShape = x.shape.flatMap((d, i) => (axes.includes(i) ? (keep ? [1] : []) : [d]));
      if (axes.some((a) => x.shape![a] === 0) && isStatic(outShape)) {
        // An empty reduction is the op's identity element (tfjs would give NaN for max/min).
        const fill = EMPTY_VALUE[kind];
        const n = elementCount(outShape);
        const data = x.dtype === "float32" ? new Float32Array(n).fill(fill) : new Float64Array(n).fill(fill);
        return [{ dtype: x.dtype, shape: outShape, const: { dims: outShape, data } }];
      }
      const stored = axes.map((a) => storedAxis(a, r, c.perm)).sort((a, b) => a - b);
      const t = x.dtype;
      const y = reduceKind(c, kind, c.ref(x), keep, t, (op, v, k) => reduce(c, op, v, stored, k, t));
      const shape: Dim[] = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
      if (keep) return [c.outP(y, t, shape)];
      const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
      return [
        c.out(
          y,
          t,
          kept.map((i) => x.shape![i]),
          permAfterDrop(c.perm, kept),
        ),
      ];
    },
  };
}

type Reducer = (op: string, v: Ref, keep: boolean) => Ref;

/** The Reduce* op as TF reductions; `red` reduces over the node's axes. */
function reduceKind(c: MapCtx, kind: string, xr: Ref, keep: boolean, t: TfDtype, red: Reducer): Ref {
  switch (kind) {
    case "ReduceSum":
      return red("Sum", xr, keep);
    case "ReduceMean":
      return red("Mean", xr, keep);
    case "ReduceMax":
      return red("Max", xr, keep);
    case "ReduceMin":
      return red("Min", xr, keep);
    case "ReduceProd":
      return red("Prod", xr, keep);
    case "ReduceL1":
      return red("Sum", un(c, "Abs", xr, t), keep);
    case "ReduceL2":
      return un(c, "Sqrt", red("Sum", mul(c, xr, xr, t), keep), t);
    case "ReduceSumSquare":
      return red("Sum", mul(c, xr, xr, t), keep);
    case "ReduceLogSum":
      return un(c, "Log", red("Sum", xr, keep), t);
    default: {
      // log(sum(exp(x - max))) + max, the max kept for the subtraction.
      const m = red("Max", xr, true);
      return add(c, un(c, "Log", red("Sum", un(c, "Exp", sub(c, xr, m)), keep)), red("Max", xr, keep));
    }
  }
}

/** Axes computed at run time (k of them): TF reductions take them as a tensor (negatives allowed). */
function reduceAtRunTime(c: MapCtx, kind: string, x: Val, k: number): Val {
  const t = x.dtype;
  const keep = c.attr.int("keepdims", 1) === 1;
  const axes = cast(c, c.ref(c.in(1), "native"), c.in(1).dtype, "int32");
  const red: Reducer = (op, v, kd) =>
    c.op(op, [v, axes], { T: A.type(t), Tidx: A.type("int32"), keep_dims: A.bool(kd) }, op.toLowerCase());
  const y = reduceKind(c, kind, c.ref(x, "native"), keep, t, red);
  const r = x.shape!.length;
  return c.out(y, t, new Array<Dim>(keep ? r : r - k).fill(null));
}

function argReduce(op: "ArgMax" | "ArgMin"): OpSpec {
  return {
    layout: "any",
    data: [0],
    map: (c) => {
      const x = c.in(0);
      if (!x.shape) unsupported(`${op} of a tensor of unknown rank`);
      const r = x.shape.length;
      let axis = c.attr.int("axis", 0);
      if (axis < 0) axis += r;
      const sa = storedAxis(axis, r, c.perm);
      const dim = x.shape[axis];
      let xr = c.ref(x);
      const last = c.attr.int("select_last_index", 0) === 1;
      if (last)
        xr = c.op("ReverseV2", [xr, c.kInts([sa])], { T: A.type(x.dtype), Tidx: A.type("int32") }, "reverse");
      let y = c.op(op, [xr, c.kInts([sa], true)], {
        T: A.type(x.dtype),
        Tidx: A.type("int32"),
        output_type: A.type("int32"),
      });
      if (last) {
        if (dim === null) unsupported("select_last_index on an unknown dimension");
        y = bin(c, "Sub", c.k(dim - 1, "int32"), y, "int32");
      }
      const kept = x.shape.map((_, i) => i).filter((i) => i !== axis);
      if (c.attr.int("keepdims", 1) === 1) {
        y = c.op(
          "ExpandDims",
          [y, c.kInts([sa], true)],
          { T: A.type("int32"), Tdim: A.type("int32") },
          "keep",
        );
        return [
          c.outP(
            y,
            "int32",
            x.shape.map((d, i) => (i === axis ? 1 : d)),
          ),
        ];
      }
      return [
        c.out(
          y,
          "int32",
          kept.map((i) => x.shape![i]),
          permAfterDrop(c.perm, kept),
        ),
      ];
    },
  };
}

type SoftKind = "Softmax" | "LogSoftmax" | "Hardmax";

/** Softmax-like op along one logical axis of a stored tensor. */
function softAlong(c: MapCtx, kind: SoftKind, xr: Ref, axis: number, isLast: boolean, depth: Dim): Ref {
  if (kind === "Hardmax") {
    if (!isLast || depth === null) unsupported("Hardmax along a non-last axis or an unknown dimension");
    const am = c.op(
      "ArgMax",
      [xr, c.kInts([-1], true)],
      { T: A.type("float32"), Tidx: A.type("int32"), output_type: A.type("int32") },
      "argmax",
    );
    return c.op(
      "OneHot",
      [am, c.kInts([depth], true), c.kFloat(1), c.kFloat(0)],
      { T: A.type("float32"), TI: A.type("int32"), axis: A.int(-1) },
      "onehot",
    );
  }
  if (isLast) return c.op(kind, [xr], { T: A.type("float32") });
  const m = reduce(c, "Max", xr, [axis], true);
  const d = sub(c, xr, m);
  const s = reduce(c, "Sum", un(c, "Exp", d), [axis], true);
  return kind === "Softmax" ? bin(c, "RealDiv", un(c, "Exp", d), s) : sub(c, d, un(c, "Log", s));
}

function softmax(kind: SoftKind): OpSpec {
  return {
    layout: "any",
    map: (c) => {
      const x = c.in(0);
      if (!x.shape) unsupported(`${kind} of a tensor of unknown rank`);
      const r = x.shape.length;
      let axis = c.attr.int("axis", c.opset >= 13 ? -1 : 1);
      if (axis < 0) axis += r;
      if (c.opset >= 13 || axis === r - 1) {
        const sa = storedAxis(axis, r, c.perm);
        if (kind === "Hardmax" && sa !== r - 1) {
          // TF.js one-hot only fills the last axis: store the tensor with `axis` last.
          const last = [...Array.from({ length: r }, (_, i) => i).filter((i) => i !== axis), axis];
          const y = softAlong(c, kind, c.ref(x, last), r - 1, true, x.shape[axis]);
          return [c.out(y, "float32", x.shape, last)];
        }
        return [c.outP(softAlong(c, kind, c.ref(x), sa, sa === r - 1, x.shape[axis]), "float32", x.shape)];
      }
      // Before opset 13 the op works on the input flattened to 2-D at `axis`.
      const outer = x.shape.slice(0, axis);
      const inner = x.shape.slice(axis);
      const flat = [
        isStatic(outer) ? elementCount(outer) : null,
        isStatic(inner) ? elementCount(inner) : null,
      ];
      if (flat.every((d) => d === null)) unsupported(`${kind} (opset < 13) needs static dims`);
      if (x.shape.filter((d) => d === null).length > 1) unsupported(`${kind} (opset < 13) needs static dims`);
      const two = reshape(c, c.ref(x, "native"), flat, "float32");
      const y = softAlong(c, kind, two, 1, true, flat[1]);
      return [c.out(reshape(c, y, x.shape, "float32"), "float32", x.shape)];
    },
  };
}

const cumSumSpec: OpSpec = {
  layout: "any",
  data: [0],
  map: (c) => {
    const x = c.in(0);
    if (!x.shape) unsupported("CumSum of a tensor of unknown rank");
    const axis = c.ints(1, "axis")[0];
    const sa = storedAxis(axis, x.shape.length, c.perm);
    const y = c.op("Cumsum", [c.ref(x), c.kInts([sa], true)], {
      T: A.type(x.dtype),
      Tidx: A.type("int32"),
      exclusive: A.bool(c.attr.int("exclusive", 0) === 1),
      reverse: A.bool(c.attr.int("reverse", 0) === 1),
    });
    return [c.outP(y, x.dtype, x.shape)];
  },
};

export const REDUCTION_OPS: Record<string, OpSpec> = {
  ...Object.fromEntries(
    [
      "ReduceSum",
      "ReduceMean",
      "ReduceMax",
      "ReduceMin",
      "ReduceProd",
      "ReduceL1",
      "ReduceL2",
      "ReduceSumSquare",
      "ReduceLogSum",
      "ReduceLogSumExp",
    ].map((k) => [k, reduction(k)]),
  ),
  ArgMax: argReduce("ArgMax"),
  ArgMin: argReduce("ArgMin"),
  Softmax: softmax("Softmax"),
  LogSoftmax: softmax("LogSoftmax"),
  Hardmax: softmax("Hardmax"),
  CumSum: cumSumSpec,
};

export type { Val };
