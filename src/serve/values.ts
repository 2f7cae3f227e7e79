/** Tensor values as JSON: checked decoding of `data` arrays and fast encoding of typed arrays. */
import { badRequest } from "./errors.js";
import { preview } from "./json-limits.js";
import { datatypeInfo, type OipDatatype, type Tensor, type TensorValues } from "./datatypes.js";
import { float16BitsToFloat, floatToFloat16Bits } from "../onnx/float16.js";
import { float32ArrayJson } from "./codec/f32-text.js";

/**
 * JSON values → the datatype's storage; every element is checked (type, integrality, range). A float
 * past its datatype's range is refused (it would become Infinity, which JSON cannot mean) unless
 * `nonFinite`: gRPC's typed contents carry NaN and Infinity as such.
 */
export function decodeJsonValues(
  datatype: OipDatatype,
  flat: unknown[],
  name: string,
  nonFinite = false,
): TensorValues {
  const info = datatypeInfo(datatype);
  const n = flat.length;
  const bad = (i: number, want: string): never => {
    throw badRequest(`input "${name}": data[${i}] is ${preview(flat[i])}, expected ${want} for ${datatype}`);
  };
  switch (info.kind) {
    case "string": {
      const out: string[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const v = flat[i];
        if (typeof v !== "string") bad(i, "a string");
        out[i] = v as string;
      }
      return out;
    }
    case "bool": {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const v = flat[i];
        if (typeof v !== "boolean") bad(i, "true or false");
        out[i] = v ? 1 : 0;
      }
      return out;
    }
    case "float": {
      const out = info.create(n) as Float32Array | Float64Array;
      for (let i = 0; i < n; i++) {
        const v = flat[i];
        if (typeof v !== "number") bad(i, "a number");
        out[i] = v as number;
        if (!nonFinite && out[i] - out[i] !== 0) throw overflow(name, i, datatype);
      }
      return out;
    }
    case "fp16": {
      const out = new Uint16Array(n);
      for (let i = 0; i < n; i++) {
        const v = flat[i];
        if (typeof v !== "number") bad(i, "a number");
        out[i] = floatToFloat16Bits(v as number);
        if (!nonFinite && (out[i] & 0x7c00) === 0x7c00) throw overflow(name, i, datatype);
      }
      return out;
    }
    case "int": {
      const out = info.create(n) as Exclude<TensorValues, string[] | BigInt64Array | BigUint64Array>;
      const [min, max] = [info.min as number, info.max as number];
      for (let i = 0; i < n; i++) {
        const v = flat[i];
        if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)
          bad(i, `an integer in [${min}, ${max}]`);
        out[i] = v as number;
      }
      return out;
    }
    case "bigint": {
      const out = info.create(n) as BigInt64Array | BigUint64Array;
      const [min, max] = [info.min as bigint, info.max as bigint];
      for (let i = 0; i < n; i++) {
        const v = flat[i];
        // Integers past 2^53 lose digits in JSON numbers; a decimal string keeps them exact.
        let b: bigint | undefined;
        if (typeof v === "number" && Number.isSafeInteger(v)) b = BigInt(v);
        else if (typeof v === "string" && /^-?\d+$/.test(v)) b = BigInt(v);
        if (b === undefined || b < min || b > max) bad(i, `an integer in [${min}, ${max}]`);
        out[i] = b!;
      }
      return out;
    }
  }
}

/** A tensor's values as a flat JSON array text. Non-finite floats become null (JSON has no NaN). */
export function encodeJsonValues(t: Tensor): string {
  const info = datatypeInfo(t.datatype);
  const d = t.data;
  switch (info.kind) {
    case "string":
      return JSON.stringify(d);
    case "bool": {
      const parts: string[] = new Array(d.length);
      for (let i = 0; i < d.length; i++) parts[i] = (d as Uint8Array)[i] ? "true" : "false";
      return `[${parts.join(",")}]`;
    }
    case "fp16": {
      const parts: string[] = new Array(d.length);
      for (let i = 0; i < d.length; i++) parts[i] = numberJson(float16BitsToFloat((d as Uint16Array)[i]));
      return `[${parts.join(",")}]`;
    }
    case "float": {
      // FP32: the shortest text that reads back as the same float32 (codec/f32-text.ts).
      if (d instanceof Float32Array) return float32ArrayJson(d);
      const s = Array.prototype.join.call(d, ",");
      // Number#toString matches JSON for finite values; only NaN and ±Infinity need rewriting.
      if (!/[NI]/.test(s)) return `[${s}]`;
      return `[${Array.from(d as Float64Array, numberJson).join(",")}]`;
    }
    default:
      // Integer arrays (BigInt too) join to exact decimal digits.
      return `[${Array.prototype.join.call(d, ",")}]`;
  }
}

function numberJson(v: number): string {
  return Number.isFinite(v) ? String(v) : "null";
}

/** The largest finite value of each float datatype, for the overflow message. */
const FLOAT_MAX: Record<string, string> = {
  FP16: "65504",
  FP32: "3.4028235e38",
  FP64: "1.7976931348623157e308",
};

/** A JSON number too large for its tensor's float datatype (it would become Infinity). */
export function overflow(name: string, i: number, datatype: string): Error {
  return badRequest(
    `input "${name}": data[${i}] is beyond ${datatype}'s range (largest finite ±${FLOAT_MAX[datatype]}); JSON has no Infinity, so send a value within range`,
  );
}
