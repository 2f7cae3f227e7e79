/** Weight quantization: per-tensor or per-channel (along one axis), int8 symmetric or uint8 asymmetric. */
import { computeScaleZeroPoint, qRange, quantizeValue, roundHalfEven, type QType } from "./params.js";

export interface QuantizedWeight {
  qtype: QType;
  values: Int8Array | Uint8Array;
  /** One entry per channel (per-channel) or a single entry. */
  scales: Float32Array;
  zeroPoints: Int32Array;
  axis: number | undefined;
  /** Weight SQNR in dB: the float weight against its dequantized copy. */
  sqnr: number;
}

export interface WeightQuantOptions {
  qtype?: QType;
  /** Quantize each slice along this axis with its own scale. */
  axis?: number;
  reduceRange?: boolean;
  /** Default: true for int8 (onnxruntime's WeightSymmetric default), false for uint8. */
  symmetric?: boolean;
}

/**
 * The tensor seen as [outer, channels, inner]: channel c of row o is data[(o*channels + c)*inner ...+inner].
 * Hot loops are written per layout (long contiguous runs, or one value per channel when the axis is
 * the last one) because this runs once per weight of a 100 MB model.
 */
interface Layout {
  outer: number;
  channels: number;
  inner: number;
}

function channelMinMax(data: Float32Array, l: Layout): [Float64Array, Float64Array] {
  const lo = new Float64Array(l.channels).fill(Infinity);
  const hi = new Float64Array(l.channels).fill(-Infinity);
  for (let o = 0; o < l.outer; o++) {
    if (l.inner === 1) {
      const base = o * l.channels;
      for (let c = 0; c < l.channels; c++) {
        const v = data[base + c];
        if (v < lo[c]) lo[c] = v;
        if (v > hi[c]) hi[c] = v;
      }
      continue;
    }
    for (let c = 0; c < l.channels; c++) {
      let a = lo[c];
      let b = hi[c];
      const start = (o * l.channels + c) * l.inner;
      const end = start + l.inner;
      // Math.min/max compile to branch-free instructions; if/else here mispredicts on real weights.
      for (let i = start; i < end; i++) {
        const v = data[i];
        a = Math.min(a, v);
        b = Math.max(b, v);
      }
      lo[c] = a;
      hi[c] = b;
    }
  }
  return [lo, hi];
}

/**
 * Round half to even without branches: adding and subtracting 1.5 * 2^52 makes the FPU round in its
 * default mode, which is ties-to-even (numpy.round's rule). Exact for |v| < 2^51; larger values are
 * clamped to [qmin, qmax] anyway. Math.round would need a data-dependent branch for ties.
 */
const ROUNDER = 6755399441055744;
function roundEven(v: number): number {
  return v + ROUNDER - ROUNDER;
}

/** acc[0] += sum x^2, acc[1] += sum (x - deq(q))^2 over data[start, end). */
function quantizeRun(
  data: Float32Array,
  out: Int8Array | Uint8Array,
  start: number,
  end: number,
  s: number,
  zp: number,
  qmin: number,
  qmax: number,
  acc: Float64Array,
): void {
  let signal = 0;
  let noise = 0;
  for (let i = start; i < end; i++) {
    const x = data[i];
    const r = roundEven(Math.fround(x / s));
    let q = r + zp;
    q = q < qmin ? qmin : q > qmax ? qmax : q;
    out[i] = q;
    const e = x - (q - zp) * s;
    signal += x * x;
    noise += e * e;
  }
  acc[0] += signal;
  acc[1] += noise;
}

function quantizeColumns(
  data: Float32Array,
  out: Int8Array | Uint8Array,
  l: Layout,
  scales: Float32Array,
  zps: Int32Array,
  qmin: number,
  qmax: number,
  acc: Float64Array,
): void {
  let signal = 0;
  let noise = 0;
  for (let o = 0; o < l.outer; o++) {
    const base = o * l.channels;
    for (let c = 0; c < l.channels; c++) {
      const x = data[base + c];
      const s = scales[c];
      const zp = zps[c];
      let q = roundEven(Math.fround(x / s)) + zp;
      q = q < qmin ? qmin : q > qmax ? qmax : q;
      out[base + c] = q;
      const e = x - (q - zp) * s;
      signal += x * x;
      noise += e * e;
    }
  }
  acc[0] += signal;
  acc[1] += noise;
}

export function quantizeWeight(
  data: Float32Array,
  dims: readonly number[],
  opts: WeightQuantOptions = {},
): QuantizedWeight {
  const qtype = opts.qtype ?? "int8";
  const symmetric = opts.symmetric ?? qtype === "int8";
  const range = qRange(qtype, { reduceRange: opts.reduceRange, symmetric });
  const axis = opts.axis;
  const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);
  const l: Layout =
    axis === undefined
      ? { outer: 1, channels: 1, inner: data.length }
      : { outer: prod(dims.slice(0, axis)), channels: dims[axis], inner: prod(dims.slice(axis + 1)) };
  const [lo, hi] = channelMinMax(data, l);
  const scales = new Float32Array(l.channels);
  const zeroPoints = new Int32Array(l.channels);
  for (let c = 0; c < l.channels; c++) {
    const p = computeScaleZeroPoint(
      lo[c] === Infinity ? 0 : lo[c],
      hi[c] === -Infinity ? 0 : hi[c],
      range,
      symmetric,
    );
    scales[c] = p.scale;
    zeroPoints[c] = p.zeroPoint;
  }
  const values = qtype === "int8" ? new Int8Array(data.length) : new Uint8Array(data.length);
  const acc = new Float64Array(2);
  if (l.inner === 1 && l.channels > 1)
    quantizeColumns(data, values, l, scales, zeroPoints, range.qmin, range.qmax, acc);
  else {
    for (let o = 0; o < l.outer; o++) {
      for (let c = 0; c < l.channels; c++) {
        const start = (o * l.channels + c) * l.inner;
        quantizeRun(
          data,
          values,
          start,
          start + l.inner,
          scales[c],
          zeroPoints[c],
          range.qmin,
          range.qmax,
          acc,
        );
      }
    }
  }
  const [signal, noise] = acc;
  const sqnr = noise === 0 ? Infinity : signal === 0 ? -Infinity : 10 * Math.log10(signal / noise);
  return { qtype, values, scales, zeroPoints, axis, sqnr };
}

/** int32 bias with scale = input scale x weight scale (per channel), zero point 0 (onnxruntime's rule). */
export function quantizeBias(
  bias: Float32Array,
  inputScale: number,
  weightScales: Float32Array,
): { values: Int32Array; scales: Float32Array } {
  const scales = new Float32Array(bias.length);
  const values = new Int32Array(bias.length);
  for (let i = 0; i < bias.length; i++) {
    const s = Math.fround(inputScale * weightScales[weightScales.length === 1 ? 0 : i]);
    scales[i] = s;
    const q = s === 0 ? 0 : roundHalfEven(bias[i] / s);
    values[i] = Math.max(-2147483648, Math.min(2147483647, q));
  }
  return { values, scales };
}

export { quantizeValue };
