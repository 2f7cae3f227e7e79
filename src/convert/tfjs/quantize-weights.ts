/**
 * Weight compression in the TF.js manifest format, as tensorflowjs_converter's quantization.py does it:
 * uint8/uint16 per-tensor affine (value = q * scale + min) with the range nudged so that 0 is exactly
 * representable when the range covers it (zero padding stays zero), or float16. Only float32 weights
 * are compressed; tfjs dequantizes them to float32 when it loads the model.
 *
 * Compression is per tensor and checked: a tensor the format cannot hold (NaN/Infinity, which the
 * affine range turns into min null, every output -Infinity; values float16 overflows or flushes to
 * zero, such as a Clip floor of 1e-10) stays float32, and every compressed tensor is dequantized the
 * way tfjs does it and compared with the original.
 */
import { float16BitsToFloat, floatToFloat16Bits } from "../../onnx/float16.js";
import type { QuantizeMode } from "./types.js";

export interface ManifestQuantization {
  dtype: QuantizeMode;
  min?: number;
  scale?: number;
  original_dtype: "float32";
}

export interface QuantizedWeight {
  bytes: Uint8Array;
  quantization: ManifestQuantization;
}

/** scale, nudged min (quantization.py `_get_affine_quantization_range`), in float64. */
export function affineRange(min: number, max: number, qmax: number): { scale: number; min: number } {
  const scale = (max - min) / qmax;
  if (min <= 0 && 0 <= max) {
    const zeroPoint = roundHalfEven(-min / scale);
    return { scale, min: -zeroPoint * scale };
  }
  return { scale, min };
}

/** numpy.round: half to even. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const F16_MAX = 65504;

/**
 * float16's own rounding is at most 2^-11 of a value; a tensor whose float16 copy is further off than
 * this, relative to its largest magnitude, is changed by the format rather than rounded (a 1e-10 Clip
 * floor flushed to 0). Tiny values beside large ones in a conv filter flush harmlessly.
 */
const F16_TOLERANCE = 2 ** -10;

/** Why `data` must stay float32 under `mode` (the first or worst offending value), or undefined. */
export function compressionProblem(data: Float32Array, mode: QuantizeMode): string | undefined {
  let mag = 0;
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) return `holds ${v} at index ${i}, which ${mode} cannot represent`;
    if (mode !== "float16") continue;
    const back = float16BitsToFloat(floatToFloat16Bits(v));
    if (!Number.isFinite(back)) return `value ${v} at index ${i} is outside the float16 range (±${F16_MAX})`;
    mag = Math.max(mag, Math.abs(v));
    const err = Math.abs(back - v);
    if (err > worstErr) {
      worstErr = err;
      worst = i;
    }
  }
  if (worst < 0 || worstErr <= F16_TOLERANCE * mag) return undefined;
  const v = data[worst];
  const back = float16BitsToFloat(floatToFloat16Bits(v));
  const what = back === 0 ? "would flush to zero" : `would become ${back}`;
  return `value ${v} at index ${worst} ${what} in float16 (an error of ${(worstErr / mag).toPrecision(2)} of the tensor's largest magnitude)`;
}

/** What tfjs loads from a compressed weight (io_utils: q * scale + min, or float16 decoding). */
export function dequantizeWeight(q: QuantizedWeight, length: number): Float32Array {
  const out = new Float32Array(length);
  const { dtype, min = 0, scale = 1 } = q.quantization;
  const b = q.bytes;
  const src =
    dtype === "uint8" ? b : new Uint16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  for (let i = 0; i < length; i++)
    out[i] = dtype === "float16" ? float16BitsToFloat(src[i]) : src[i] * scale + min;
  return out;
}

/**
 * The compression's effect on one tensor: max |dequantized - original| / max |original| (0 for an
 * all-zero tensor), the error relative to the tensor's own scale.
 */
export function relativeError(orig: Float32Array, back: Float32Array): number {
  let err = 0;
  let mag = 0;
  for (let i = 0; i < orig.length; i++) {
    err = Math.max(err, Math.abs(back[i] - orig[i]));
    mag = Math.max(mag, Math.abs(orig[i]));
  }
  return mag === 0 ? err : err / mag;
}

export function quantizeWeight(data: Float32Array, mode: QuantizeMode): QuantizedWeight {
  if (mode === "float16") {
    const out = new Uint16Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = floatToFloat16Bits(data[i]);
    return {
      bytes: new Uint8Array(out.buffer),
      quantization: { dtype: "float16", original_dtype: "float32" },
    };
  }
  const qmax = mode === "uint8" ? 255 : 65535;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const out = mode === "uint8" ? new Uint8Array(data.length) : new Uint16Array(data.length);
  if (data.length === 0 || lo === hi) {
    // One value: every q is 0 and min carries it (quantization.py: zeros, scale 1).
    const min = data.length ? lo : 0;
    return {
      bytes: new Uint8Array(out.buffer),
      quantization: { dtype: mode, min, scale: 1, original_dtype: "float32" },
    };
  }
  const { scale, min } = affineRange(lo, hi, qmax);
  const max = qmax * scale + min;
  for (let i = 0; i < data.length; i++) {
    const v = Math.min(Math.max(data[i], min), max);
    out[i] = Math.min(qmax, Math.max(0, roundHalfEven((v - min) / scale)));
  }
  return {
    bytes: new Uint8Array(out.buffer),
    quantization: { dtype: mode, min, scale, original_dtype: "float32" },
  };
}
