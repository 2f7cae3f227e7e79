/** Activations: native TF ops where the semantics match, composites of elementwise ops otherwise. */
import type { MapCtx, OpSpec } from "../context.js";
import type { Val } from "../types.js";
import { broadcastRefs, unary } from "./elementwise.js";
import { add, bin, div, maximum, minimum, mul, reshape, select, sub, un, type Ref } from "./emit.js";

/** An activation y = f(x) built from emitters on the stored tensor (layout-agnostic). */
function act(f: (c: MapCtx, x: Ref) => Ref): OpSpec {
  return {
    layout: "any",
    data: [0],
    map: (c) => {
      const x = c.in(0);
      return [c.outP(f(c, c.ref(x)), x.dtype, x.shape)];
    },
  };
}

const k = (c: MapCtx, v: number) => c.kFloat(v);

/** alpha * (exp(min(x, 0)) - 1) + max(x, 0): ELU without a branch. */
function elu(c: MapCtx, x: Ref, alpha: number): Ref {
  const neg = sub(c, un(c, "Exp", minimum(c, x, k(c, 0))), k(c, 1));
  return add(c, maximum(c, x, k(c, 0)), alpha === 1 ? neg : mul(c, neg, k(c, alpha)));
}

function hardSigmoid(c: MapCtx, x: Ref, alpha: number, beta: number): Ref {
  return minimum(c, maximum(c, add(c, mul(c, x, k(c, alpha)), k(c, beta)), k(c, 0)), k(c, 1));
}

/**
 * Before opset 7, PRelu's slope [C] is per channel (axis 1), not numpy-broadcast against the last
 * axis: seen as [C, 1, ...] it broadcasts the modern way.
 */
function legacySlope(c: MapCtx, x: Val, slope: Val): Val {
  const r = x.shape?.length;
  const s = slope.shape;
  if (c.opset >= 7 || r === undefined || r < 2 || s?.length !== 1 || s[0] === 1) return slope;
  if (s[0] !== null && x.shape![1] !== null && s[0] !== x.shape![1]) return slope; // reported by broadcasting
  const shape = [s[0], ...new Array<number>(r - 2).fill(1)];
  if (slope.const) {
    const data = slope.const.data;
    return { dtype: slope.dtype, shape, const: { dims: shape as number[], data } };
  }
  const ref = reshape(
    c,
    c.ref(slope, "native"),
    shape.map((d) => d ?? -1),
    slope.dtype,
  );
  return { dtype: slope.dtype, shape, ref };
}

const preluSpec: OpSpec = {
  layout: "any",
  map: (c) => {
    const x = c.in(0);
    const { refs, shape } = broadcastRefs(c, [x, legacySlope(c, x, c.in(1))]);
    const y = add(c, maximum(c, refs[0], k(c, 0)), mul(c, refs[1], minimum(c, refs[0], k(c, 0))));
    return [c.outP(y, x.dtype, shape)];
  },
};

export const ACTIVATION_OPS: Record<string, OpSpec> = {
  Relu: unary("Relu"),
  Sigmoid: unary("Sigmoid"),
  Tanh: unary("Tanh"),
  Softplus: unary("Softplus"),
  LeakyRelu: act((c, x) =>
    c.op("LeakyRelu", [x], { T: { type: "DT_FLOAT" }, alpha: { f: c.attr.float("alpha", 0.01) } }),
  ),
  PRelu: preluSpec,
  Elu: act((c, x) =>
    c.attr.float("alpha", 1) === 1 ? un(c, "Elu", x) : elu(c, x, c.attr.float("alpha", 1)),
  ),
  Selu: act((c, x) => {
    const alpha = c.attr.float("alpha", 1.6732631921768188);
    const gamma = c.attr.float("gamma", 1.0507010221481323);
    return mul(c, elu(c, x, alpha), k(c, gamma));
  }),
  Celu: act((c, x) => {
    const alpha = c.attr.float("alpha", 1);
    const neg = mul(
      c,
      sub(c, un(c, "Exp", div(c, minimum(c, x, k(c, 0)), k(c, alpha))), k(c, 1)),
      k(c, alpha),
    );
    return add(c, maximum(c, x, k(c, 0)), neg);
  }),
  ThresholdedRelu: act((c, x) =>
    select(c, bin(c, "Greater", x, k(c, c.attr.float("alpha", 1))), x, mul(c, x, k(c, 0))),
  ),
  HardSigmoid: act((c, x) => hardSigmoid(c, x, c.attr.float("alpha", 0.2), c.attr.float("beta", 0.5))),
  HardSwish: act((c, x) => mul(c, x, hardSigmoid(c, x, 1 / 6, 0.5))),
  Softsign: act((c, x) => div(c, x, add(c, un(c, "Abs", x), k(c, 1)))),
  Mish: act((c, x) => mul(c, x, un(c, "Tanh", un(c, "Softplus", x)))),
  Swish: act((c, x) => mul(c, x, un(c, "Sigmoid", mul(c, x, k(c, c.attr.float("alpha", 1)))))),
  Gelu: act((c, x) => {
    const half = mul(c, x, k(c, 0.5));
    if (c.attr.string("approximate", "none") === "tanh") {
      const cube = mul(c, mul(c, x, x), x);
      const inner = mul(c, add(c, x, mul(c, cube, k(c, 0.044715))), k(c, Math.sqrt(2 / Math.PI)));
      return mul(c, half, add(c, un(c, "Tanh", inner), k(c, 1)));
    }
    return mul(c, half, add(c, un(c, "Erf", mul(c, x, k(c, Math.SQRT1_2))), k(c, 1)));
  }),
  Shrink: act((c, x) => {
    const lambd = c.attr.float("lambd", 0.5);
    const bias = c.attr.float("bias", 0);
    const zero = mul(c, x, k(c, 0));
    const hi = select(c, bin(c, "Greater", x, k(c, lambd)), sub(c, x, k(c, bias)), zero);
    return select(c, bin(c, "Less", x, k(c, -lambd)), add(c, x, k(c, bias)), hi);
  }),
};

export type { Val };
