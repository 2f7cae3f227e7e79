/**
 * Weight compression in the TF.js manifest format, as tensorflowjs_converter's quantization.py does it:
 * uint8/uint16 per-tensor affine (value = q * scale + min) with the range nudged so that 0 is exactly
 * representable when the range covers it (zero padding stays zero), or float16. Only float32 weights
 * are compressed; tfjs dequantizes them to float32 when it loads the model.
 */
import { floatToFloat16Bits } from "../../onnx/float16.js";
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
