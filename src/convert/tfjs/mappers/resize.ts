/**
 * Resize / Upsample, exactly as the ONNX reference computes them: every resized axis is an
 * interpolation with a few taps (nearest 1, linear 2, cubic 4) whose source indices and weights are
 * computed here from the coordinate transformation mode, so each axis becomes Gathers plus a weighted
 * sum. It runs in any layout (the gathers use the stored axis) and covers every coordinate mode.
 */
import { unsupported, type MapCtx, type OpSpec } from "../context.js";
import { storedAxis } from "../layout.js";
import type { Dim } from "../types.js";
import { add, gather, mul, type Ref } from "./emit.js";

interface Taps {
  /** idx[t][o]: source index of tap t for output position o (already clamped: edge padding). */
  idx: number[][];
  /** w[t][o]; undefined for nearest (one tap, weight 1). */
  w?: number[][];
  /** Per output position: extrapolation value added where every weight is 0 (tf_crop_and_resize). */
  extra?: number[];
}

interface AxisPlan {
  inSize: number;
  outSize: number;
  scale: number;
  roi: [number, number];
}

interface Mode {
  mode: string;
  coord: string;
  nearest: string;
  cubicA: number;
  excludeOutside: boolean;
  extrapolation: number;
  antialias: boolean;
}

function sourceCoord(x: number, p: AxisPlan, coord: string): number | undefined {
  const { inSize, outSize, scale } = p;
  const outWidth = scale * inSize;
  switch (coord) {
    case "align_corners":
      return outWidth === 1 ? 0 : (x * (inSize - 1)) / (outWidth - 1);
    case "asymmetric":
      return x / scale;
    case "tf_half_pixel_for_nn":
      return (x + 0.5) / scale;
    case "pytorch_half_pixel":
      return outWidth === 1 ? -0.5 : (x + 0.5) / scale - 0.5;
    case "half_pixel":
      return (x + 0.5) / scale - 0.5;
    case "half_pixel_symmetric": {
      const offset = (inSize / 2) * (1 - outSize / outWidth);
      return offset + (x + 0.5) / scale - 0.5;
    }
    case "tf_crop_and_resize": {
      const [a, b] = p.roi;
      const v =
        outWidth === 1
          ? ((b - a) * (inSize - 1)) / 2 + a * (inSize - 1)
          : (x * (b - a) * (inSize - 1)) / (outWidth - 1) + a * (inSize - 1);
      return v < 0 || v > inSize - 1 ? undefined : v;
    }
    default:
      unsupported(`Resize coordinate_transformation_mode ${coord}`);
  }
}

function cubicCoeffs(r: number, A: number): number[] {
  const s = 1 - r;
  return [
    ((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A,
    ((A + 2) * r - (A + 3)) * r * r + 1,
    ((A + 2) * s - (A + 3)) * s * s + 1,
    ((A * (s + 1) - 5 * A) * (s + 1) + 8 * A) * (s + 1) - 4 * A,
  ];
}

/**
 * Antialiased filters (downsampling): the kernel stretched by 1/scale, so more taps, normalized; the
 * reference's _linear_coeffs_antialias / _cubic_coeffs_antialias.
 */
function antialiasCoeffs(ratio: number, m: Mode, scale: number): number[] {
  const s = Math.min(scale, 1);
  const A = m.cubicA;
  const cubic = (v: number) => {
    const x = Math.abs(v);
    if (x <= 1) return (A + 2) * x ** 3 - (A + 3) * x ** 2 + 1;
    if (x < 2) return A * x ** 3 - 5 * A * x ** 2 + 8 * A * x - 4 * A;
    return 0;
  };
  const start = Math.floor((m.mode === "cubic" ? -2 : -1) / s) + 1;
  const n = 2 - 2 * start;
  const raw = Array.from({ length: n }, (_, j) => {
    const arg = (start + j - ratio) * s;
    return m.mode === "cubic" ? cubic(arg) : Math.min(Math.max(1 - Math.abs(arg), 0), 1);
  });
  const sum = raw.reduce((a, b) => a + b, 0);
  return raw.map((v) => v / sum);
}

function coeffs(ratio: number, m: Mode, scale: number): number[] {
  if (m.antialias && m.mode !== "nearest") return antialiasCoeffs(ratio, m, scale);
  if (m.mode === "linear") return [1 - ratio, ratio];
  if (m.mode === "cubic") return cubicCoeffs(ratio, m.cubicA);
  if (ratio === 1) return [0, 1];
  switch (m.nearest) {
    case "round_prefer_floor":
      return ratio <= 0.5 ? [1, 0] : [0, 1];
    case "round_prefer_ceil":
      return ratio < 0.5 ? [1, 0] : [0, 1];
    case "floor":
      return [1, 0];
    case "ceil":
      return [0, 1];
    default:
      unsupported(`Resize nearest_mode ${m.nearest}`);
  }
}

/** The reference's taps: the n nearest indices (ties to the left) of the edge-padded axis. */
function planTaps(p: AxisPlan, m: Mode): Taps {
  // Tap count per axis: the filter's footprint (antialiasing widens it when downsampling).
  const n = coeffs(0.5, m, p.scale).length;
  const idx: number[][] = Array.from({ length: n }, () => []);
  const w: number[][] = Array.from({ length: n }, () => []);
  const extra: number[] = [];
  let extrapolates = false;
  for (let o = 0; o < p.outSize; o++) {
    const x = sourceCoord(o, p, m.coord);
    if (x === undefined) {
      extrapolates = true;
      for (let t = 0; t < n; t++) {
        idx[t].push(0);
        w[t].push(0);
      }
      extra.push(m.extrapolation);
      continue;
    }
    const start = Math.ceil(x) - n / 2;
    const ratio = Number.isInteger(x) ? 1 : x - Math.floor(x);
    const c = coeffs(ratio, m, p.scale);
    if (m.excludeOutside) {
      for (let t = 0; t < n; t++) if (start + t < 0 || start + t >= p.inSize) c[t] = 0;
      const sum = c.reduce((a, b) => a + b, 0);
      for (let t = 0; t < n; t++) c[t] /= sum;
    }
    for (let t = 0; t < n; t++) {
      idx[t].push(Math.min(Math.max(start + t, 0), p.inSize - 1));
      w[t].push(c[t]);
    }
    extra.push(0);
  }
  if (m.mode === "nearest" && !extrapolates) {
    // One tap: the index whose weight is 1.
    const pick = idx[0].map((_, o) => (w[0][o] === 1 ? idx[0][o] : idx[1][o]));
    return { idx: [pick] };
  }
  // Taps whose weight is 0 everywhere cost nothing: drop them.
  const keep = idx.map((_, t) => w[t].some((v) => v !== 0));
  return {
    idx: idx.filter((_, t) => keep[t]),
    w: w.filter((_, t) => keep[t]),
    extra: extrapolates ? extra : undefined,
  };
}

/** Output sizes and per-axis scales from scales or sizes (with keep_aspect_ratio_policy). */
function planAxes(c: MapCtx, inShape: Dim[], upsample: boolean): { axes: number[]; plans: AxisPlan[] } {
  const r = inShape.length;
  const ax = (c.attr.ints("axes") ?? Array.from({ length: r }, (_, i) => i)).map((a) => (a < 0 ? a + r : a));
  let scales: number[] | undefined;
  let sizes: number[] | undefined;
  let roi: number[] | undefined;
  if (upsample) {
    scales = c.opset >= 9 ? c.ints(1, "scales") : c.attr.floats("scales");
  } else if (c.opset < 11) {
    scales = c.ints(1, "scales");
  } else {
    const nonEmpty = (i: number) => c.opt(i) && (c.in(i).shape?.[0] ?? 1) !== 0;
    if (nonEmpty(1)) roi = c.ints(1, "roi");
    if (nonEmpty(3)) sizes = c.ints(3, "sizes");
    else if (nonEmpty(2)) scales = c.ints(2, "scales");
  }
  if (!scales && !sizes) unsupported("Resize needs scales or sizes");
  const ins = ax.map((a) => inShape[a]);
  if (ins.some((d) => d === null)) unsupported("Resize needs static sizes on the resized axes");
  const inSizes = ins as number[];
  let outSizes: number[];
  let axisScales: number[];
  if (sizes) {
    const policy = c.attr.string("keep_aspect_ratio_policy", "stretch");
    if (policy === "stretch") {
      outSizes = sizes;
      axisScales = sizes.map((s, i) => s / inSizes[i]);
    } else {
      const ratios = sizes.map((s, i) => s / inSizes[i]);
      const sc = policy === "not_larger" ? Math.min(...ratios) : Math.max(...ratios);
      axisScales = ratios.map(() => sc);
      outSizes = inSizes.map((d) => roundHalfEven(sc * d));
    }
  } else {
    axisScales = scales!;
    outSizes = inSizes.map((d, i) => Math.floor(d * scales![i]));
  }
  const plans = ax.map((_, i) => ({
    inSize: inSizes[i],
    outSize: outSizes[i],
    scale: axisScales[i],
    roi: (roi ? [roi[i], roi[i + ax.length]] : [0, 1]) as [number, number],
  }));
  return { axes: ax, plans };
}

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function resizeSpec(upsample: boolean): OpSpec {
  return {
    layout: "any",
    data: [0],
    check: (a) => {
      const mode = a.string("mode", "nearest");
      if (!["nearest", "linear", "cubic"].includes(mode)) return `Resize mode ${mode}`;
      return undefined;
    },
    map: (c) => {
      const x = c.in(0);
      if (!x.shape) unsupported("Resize of a tensor of unknown rank");
      if (x.dtype !== "float32" && c.attr.string("mode", "nearest") !== "nearest")
        unsupported("interpolating Resize of a non-float tensor");
      const r = x.shape.length;
      const m: Mode = {
        mode: c.attr.string("mode", "nearest"),
        coord:
          upsample || c.opset < 11
            ? "asymmetric"
            : c.attr.string("coordinate_transformation_mode", "half_pixel"),
        nearest: upsample || c.opset < 11 ? "floor" : c.attr.string("nearest_mode", "round_prefer_floor"),
        cubicA: c.attr.float("cubic_coeff_a", -0.75),
        excludeOutside: c.attr.int("exclude_outside", 0) === 1,
        extrapolation: c.attr.float("extrapolation_value", 0),
        antialias: c.attr.int("antialias", 0) === 1,
      };
      const { axes, plans } = planAxes(c, x.shape, upsample);
      const shape = [...x.shape];
      let y = c.ref(x);
      axes.forEach((a, i) => {
        const p = plans[i];
        shape[a] = p.outSize;
        if (p.outSize === p.inSize && p.scale === 1 && m.coord !== "tf_crop_and_resize") return;
        y = resizeAxis(c, y, storedAxis(a, r, c.perm), r, planTaps(p, m), x.dtype);
      });
      return [c.outP(y, x.dtype, shape)];
    },
  };
}

/** One axis: sum over taps of gather(x, idx_t) * w_t (w_t broadcast along the stored axis). */
function resizeAxis(
  c: MapCtx,
  x: Ref,
  axis: number,
  rank: number,
  taps: Taps,
  dtype: "float32" | "int32" | "bool",
): Ref {
  const along = (v: number[]) => {
    const dims = Array.from({ length: rank }, (_, k) => (k === axis ? v.length : 1));
    return c.kConst({ dims, data: Float32Array.from(v) }, "float32");
  };
  let acc: Ref | undefined;
  taps.idx.forEach((idx, t) => {
    let g = gather(c, x, c.kInts(idx), axis, dtype);
    if (taps.w) g = mul(c, g, along(taps.w[t]));
    acc = acc ? add(c, acc, g) : g;
  });
  if (taps.extra) acc = add(c, acc!, along(taps.extra));
  return acc!;
}

export const RESIZE_OPS: Record<string, OpSpec> = {
  Resize: resizeSpec(false),
  Upsample: resizeSpec(true),
};
