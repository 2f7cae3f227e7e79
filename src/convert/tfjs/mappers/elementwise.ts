/** Elementwise ops: math, comparisons, logic, Where, Clip, Cast. They run in any layout. */
import { A } from "../graph-builder.js";
import { unsupported, type MapCtx, type OpSpec } from "../context.js";
import { broadcastConst, broadcastShapes } from "../values.js";
import type { TfDtype, Val } from "../types.js";
import { bin, cast, maximum, minimum, mul, select, sub, un, type Ref } from "./emit.js";
import { tfDtypeOf } from "../values.js";

/** Output rank/shape of a broadcasting op over inputs (all present). */
export function broadcastOf(vals: Val[]): Val["shape"] {
  return vals.reduce<Val["shape"]>((s, v) => broadcastShapes(s, v.shape), []);
}

/** A unary TF op, same dtype in and out. */
export function unary(op: string, fold?: (x: number) => number): OpSpec {
  return {
    layout: "any",
    map: (c) => {
      const x = c.in(0);
      if (fold && x.const) {
        const data = x.const.data.map(fold) as Float32Array | Float64Array;
        return [{ dtype: x.dtype, shape: x.shape, const: { dims: x.const.dims, data } }];
      }
      return [c.outP(un(c, op, c.ref(x), x.dtype), x.dtype, x.shape)];
    },
  };
}

/** Refs of all inputs aligned for a broadcasting op, and the output shape. */
export function broadcastRefs(c: MapCtx, ins: Val[]): { refs: Ref[]; shape: Val["shape"] } {
  const shape = broadcastOf(ins);
  if (!shape) unsupported("inputs do not broadcast (or a rank is unknown)");
  return { refs: ins.map((v) => c.refBroadcast(v, shape.length)), shape };
}

/** A broadcasting binary TF op; folds when both inputs are constants and `fold` is given. */
export function binary(op: string, fold?: (x: number, y: number) => number, outType?: TfDtype): OpSpec {
  return {
    layout: "any",
    map: (c) => {
      const a = c.in(0);
      let b = c.in(1);
      const dtype = outType ?? a.dtype;
      if (fold && a.const && b.const) {
        const isFloat = a.dtype === "float32" && !outType;
        return [
          {
            dtype,
            shape: broadcastShapes(a.shape, b.shape),
            const: broadcastConst(a.const, b.const, fold, isFloat),
          },
        ];
      }
      if (b.dtype !== a.dtype)
        b = {
          ...b,
          ref: cast(c, c.ref(b, "native"), b.dtype, a.dtype),
          dtype: a.dtype,
          const: undefined,
          perm: undefined,
        };
      const { refs, shape } = broadcastRefs(c, [a, b]);
      return [c.outP(c.op(op, refs, { T: A.type(a.dtype) }), dtype, shape)];
    },
  };
}

/** Variadic Sum/Max/Min/Mean as a chain of binary ops. */
function variadic(op: string, mean = false): OpSpec {
  return {
    layout: "any",
    map: (c) => {
      const ins = c.inputs.filter((v): v is Val => !!v);
      const { refs, shape } = broadcastRefs(c, ins);
      const t = ins[0].dtype;
      let acc = refs[0];
      for (const r of refs.slice(1)) acc = bin(c, op, acc, r, t);
      if (mean) acc = bin(c, "RealDiv", acc, c.k(ins.length, t), t);
      if (refs.length === 1) acc = un(c, "Identity", acc, t);
      return [c.outP(acc, t, shape)];
    },
  };
}

const intDiv = (x: number, y: number) => Math.trunc(x / y);

const divSpec: OpSpec = {
  layout: "any",
  map: (c) => {
    const a = c.in(0);
    const b = c.in(1);
    if (a.const && b.const) {
      const isFloat = a.dtype === "float32";
      return [
        {
          dtype: a.dtype,
          shape: broadcastShapes(a.shape, b.shape),
          const: broadcastConst(a.const, b.const, isFloat ? (x, y) => x / y : intDiv, isFloat),
        },
      ];
    }
    const { refs, shape } = broadcastRefs(c, [a, b]);
    if (a.dtype === "float32") return [c.outP(bin(c, "RealDiv", refs[0], refs[1]), "float32", shape)];
    // TF.js divides int32 with floor; ONNX truncates toward zero.
    const q = bin(c, "RealDiv", cast(c, refs[0], "int32", "float32"), cast(c, refs[1], "int32", "float32"));
    return [c.outP(cast(c, trunc(c, q), "float32", "int32"), "int32", shape)];
  },
};

export function trunc(c: MapCtx, x: Ref): Ref {
  return mul(c, un(c, "Sign", x), un(c, "Floor", un(c, "Abs", x)));
}

const modSpec: OpSpec = {
  layout: "any",
  map: (c) => {
    const a = c.in(0);
    const b = c.in(1);
    const { refs, shape } = broadcastRefs(c, [a, b]);
    const t = a.dtype;
    if (c.attr.int("fmod", 0) === 0) return [c.outP(bin(c, "FloorMod", refs[0], refs[1], t), t, shape)];
    // fmod: the sign follows the dividend: a - b * trunc(a / b).
    const [x, y] = refs.map((r) => cast(c, r, t, "float32"));
    const r = sub(c, x, mul(c, y, trunc(c, bin(c, "RealDiv", x, y))));
    return [c.outP(cast(c, r, "float32", t), t, shape)];
  },
};

const powSpec: OpSpec = {
  layout: "any",
  map: (c) => {
    const a = c.in(0);
    const b = c.in(1);
    const { refs, shape } = broadcastRefs(c, [a, b]);
    const e = cast(c, refs[1], b.dtype, a.dtype);
    return [c.outP(bin(c, "Pow", refs[0], e, a.dtype), a.dtype, shape)];
  },
};

const clipSpec: OpSpec = {
  layout: "any",
  data: [0],
  map: (c) => {
    const x = c.in(0);
    const t = x.dtype;
    let r = c.ref(x);
    const lo = c.opset < 11 ? c.attr.float("min", -3.4028234663852886e38) : undefined;
    const hi = c.opset < 11 ? c.attr.float("max", 3.4028234663852886e38) : undefined;
    const minRef = c.opset < 11 ? c.k(lo!, t) : c.opt(1) && c.ref(c.in(1), "native");
    const maxRef = c.opset < 11 ? c.k(hi!, t) : c.opt(2) && c.ref(c.in(2), "native");
    if (minRef) r = maximum(c, r, minRef, t);
    if (maxRef) r = minimum(c, r, maxRef, t);
    if (!minRef && !maxRef) r = un(c, "Identity", r, t);
    return [c.outP(r, t, x.shape)];
  },
};

function castTo(c: MapCtx, x: Val, to: TfDtype): Val {
  if (x.const) {
    const data =
      to === "float32"
        ? Float32Array.from(x.const.data)
        : Float64Array.from(x.const.data, (v) => (to === "bool" ? (v ? 1 : 0) : Math.trunc(v)));
    return { dtype: to, shape: x.shape, const: { dims: x.const.dims, data } };
  }
  if (x.dtype === to) return { ...x };
  let r = c.ref(x);
  // float -> int truncates toward zero in ONNX; TF.js Cast agrees.
  if (to === "bool" && x.dtype === "float32")
    return c.outP(bin(c, "NotEqual", r, c.k(0, "float32"), "float32"), "bool", x.shape);
  r = cast(c, r, x.dtype, to);
  return c.outP(r, to, x.shape);
}

const castSpec: OpSpec = {
  layout: "any",
  check: (a) =>
    tfDtypeOf(a.int("to", 1)) ? undefined : `Cast to ONNX type ${a.int("to", 0)} has no TF.js equivalent`,
  map: (c) => [castTo(c, c.in(0), tfDtypeOf(c.attr.int("to", 1))!)],
};

const castLikeSpec: OpSpec = {
  layout: "any",
  data: [0],
  map: (c) => [castTo(c, c.in(0), c.in(1).dtype)],
};

const whereSpec: OpSpec = {
  layout: "any",
  map: (c) => {
    const ins = [c.in(0), c.in(1), c.in(2)];
    const { refs, shape } = broadcastRefs(c, ins);
    const t = ins[1].dtype;
    return [c.outP(select(c, refs[0], refs[1], refs[2], t), t, shape)];
  },
};

const compare = (op: string) => binary(op, undefined, "bool");

const xorSpec: OpSpec = {
  layout: "any",
  map: (c) => {
    const { refs, shape } = broadcastRefs(c, [c.in(0), c.in(1)]);
    return [c.outP(bin(c, "NotEqual", refs[0], refs[1], "bool"), "bool", shape)];
  },
};

const isInfSpec: OpSpec = {
  layout: "any",
  map: (c) => {
    const x = c.in(0);
    const r = c.ref(x);
    let out = un(c, "IsInf", r);
    const pos = c.attr.int("detect_positive", 1);
    const neg = c.attr.int("detect_negative", 1);
    if (!pos || !neg) {
      const sideOk = bin(c, pos ? "Greater" : "Less", r, c.kFloat(0));
      out = c.op("LogicalAnd", [out, sideOk], {}, "and");
      if (!pos && !neg) out = c.op("LogicalAnd", [out, c.k(0, "bool")], {}, "none");
    }
    return [c.outP(out, "bool", x.shape)];
  },
};

const signedAdd = (x: number, y: number) => x + y;

export const ELEMENTWISE_OPS: Record<string, OpSpec> = {
  Add: binary("AddV2", signedAdd),
  Sub: binary("Sub", (x, y) => x - y),
  Mul: binary("Mul", (x, y) => x * y),
  Div: divSpec,
  Pow: powSpec,
  Mod: modSpec,
  Max: variadic("Maximum"),
  Min: variadic("Minimum"),
  Sum: variadic("AddV2"),
  Mean: variadic("AddV2", true),
  Abs: unary("Abs", Math.abs),
  Neg: unary("Neg", (x) => -x),
  Sqrt: unary("Sqrt"),
  Exp: unary("Exp"),
  Log: unary("Log"),
  Reciprocal: unary("Reciprocal"),
  Floor: unary("Floor", Math.floor),
  Ceil: unary("Ceil", Math.ceil),
  Round: unary("Round"),
  Sign: unary("Sign", Math.sign),
  Sin: unary("Sin"),
  Cos: unary("Cos"),
  Tan: unary("Tan"),
  Asin: unary("Asin"),
  Acos: unary("Acos"),
  Atan: unary("Atan"),
  Sinh: unary("Sinh"),
  Cosh: unary("Cosh"),
  Asinh: unary("Asinh"),
  Acosh: unary("Acosh"),
  Atanh: unary("Atanh"),
  Erf: unary("Erf"),
  IsNaN: { layout: "any", map: (c) => [c.outP(un(c, "IsNan", c.ref(0)), "bool", c.in(0).shape)] },
  IsInf: isInfSpec,
  Equal: compare("Equal"),
  Greater: compare("Greater"),
  Less: compare("Less"),
  GreaterOrEqual: compare("GreaterEqual"),
  LessOrEqual: compare("LessEqual"),
  And: { layout: "any", map: (c) => logic(c, "LogicalAnd") },
  Or: { layout: "any", map: (c) => logic(c, "LogicalOr") },
  Xor: xorSpec,
  Not: { layout: "any", map: (c) => [c.outP(c.op("LogicalNot", [c.ref(0)]), "bool", c.in(0).shape)] },
  Where: whereSpec,
  Clip: clipSpec,
  Cast: castSpec,
  CastLike: castLikeSpec,
};

function logic(c: MapCtx, op: string): Val[] {
  const { refs, shape } = broadcastRefs(c, [c.in(0), c.in(1)]);
  return [c.outP(c.op(op, refs), "bool", shape)];
}
