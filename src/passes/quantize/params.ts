/**
 * Quantization parameters, with the exact arithmetic of onnxruntime's quantizer (quant_utils.py):
 * the range always includes 0, scale = (rmax - rmin) / (qmax - qmin) computed in float64 then
 * stored as float32, zero points and values rounded half-to-even (numpy.round), and a tiny-scale
 * guard that falls back to scale 1, zero point 0.
 */

export type QType = "int8" | "uint8";

/**
 * Weights in 7 bits ([-64, 64]) unless asked otherwise, where integer kernels run (dynamic and static
 * modes; weights-only models compute in float). onnxruntime's u8×s8 kernels on x86 CPUs
 * without VNNI (AVX2, AVX-512 before VNNI: many cloud CPUs) add pairs of products in 16-bit lanes that
 * saturate with full 8-bit weights (255 · 127 · 2 > 32767): on such a CPU a 256-512-256-10 MLP came
 * out at cosine 0.991 instead of 0.99994, and the model built on a VNNI machine gives the same wrong
 * answers once it is deployed on one without. 7-bit weights cannot saturate (255 · 64 · 2 = 32640) and
 * cost a bit of precision where VNNI exists. onnxruntime's quantizer documents the same remedy.
 */
export const REDUCE_RANGE_DEFAULT = true;

export interface QRange {
  qmin: number;
  qmax: number;
}

export interface QParams {
  scale: number;
  zeroPoint: number;
}

/** Smallest positive normal float32 (numpy.finfo(float32).tiny). */
export const FLOAT32_TINY = 1.1754943508222875e-38;

export function qRange(qtype: QType, opts: { reduceRange?: boolean; symmetric?: boolean } = {}): QRange {
  if (qtype === "uint8") return opts.reduceRange ? { qmin: 0, qmax: 127 } : { qmin: 0, qmax: 255 };
  if (opts.reduceRange) return { qmin: -64, qmax: 64 };
  if (opts.symmetric) return { qmin: -127, qmax: 127 };
  return { qmin: -128, qmax: 127 };
}

/** numpy.round: to the nearest integer, ties to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round sends ties up; a tie that landed on an odd number goes back down to the even one.
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function computeScaleZeroPoint(rmin: number, rmax: number, range: QRange, symmetric = false): QParams {
  const { qmin, qmax } = range;
  if (qmin > 0 || qmax < 0) throw new Error(`quantization range [${qmin}, ${qmax}] must include 0`);
  let lo = Math.min(rmin, 0);
  let hi = Math.max(rmax, 0);
  if (symmetric) {
    const absmax = Math.max(Math.abs(lo), Math.abs(hi));
    lo = -absmax;
    hi = absmax;
  }
  const scale = (hi - lo) / (qmax - qmin);
  if (!(scale >= FLOAT32_TINY)) return { scale: 1, zeroPoint: 0 };
  const zeroPoint = symmetric ? roundHalfEven((qmin + qmax) / 2) : roundHalfEven(qmin - lo / scale);
  return { scale: Math.fround(scale), zeroPoint };
}

/** q = clip(round(x / scale) + zp, qmin, qmax), the float32 division numpy does. */
export function quantizeValue(x: number, p: QParams, range: QRange): number {
  const q = roundHalfEven(Math.fround(Math.fround(x) / p.scale)) + p.zeroPoint;
  return q < range.qmin ? range.qmin : q > range.qmax ? range.qmax : q;
}

export function dequantizeValue(q: number, p: QParams): number {
  return (q - p.zeroPoint) * p.scale;
}

export function minMax(data: ArrayLike<number>, start = 0, end = data.length, stride = 1): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = start; i < end; i += stride) {
    const v = data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo === Infinity ? [0, 0] : [lo, hi];
}

/** Signal-to-quantization-noise ratio in dB (Infinity when the error is zero). */
export function sqnr(reference: ArrayLike<number>, approx: ArrayLike<number>): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < reference.length; i++) {
    s += reference[i] * reference[i];
    const e = reference[i] - approx[i];
    n += e * e;
  }
  if (n === 0) return Infinity;
  if (s === 0) return -Infinity;
  return 10 * Math.log10(s / n);
}
