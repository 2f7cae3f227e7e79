/**
 * `data` scanned as a Float64Array (a Float32Array for FP32; codec/json-scan.ts) → the datatype's
 * storage, with the checks decodeJsonValues makes on JSON arrays (integrality and range), without a JS
 * array in between.
 */
import { badRequest } from "../errors.js";
import { datatypeInfo, type OipDatatype, type TensorValues } from "../datatypes.js";
import { decodeJsonValues, overflow } from "../values.js";
import { floatToFloat16Bits } from "../../onnx/float16.js";

export function decodeNumberValues(
  datatype: OipDatatype,
  nums: Float64Array | Float32Array,
  name: string,
): TensorValues {
  const info = datatypeInfo(datatype);
  const n = nums.length;
  switch (info.kind) {
    case "float": {
      let out = nums;
      if (!(datatype === "FP32" && nums instanceof Float32Array)) {
        out = info.create(n) as Float32Array | Float64Array;
        out.set(nums);
      }
      // JSON has no Infinity: a non-finite value here is a number past the datatype's range.
      for (let i = 0; i < n; i++) {
        const v = out[i];
        if (v - v !== 0) throw overflow(name, i, datatype);
      }
      return out;
    }
    case "fp16": {
      const out = new Uint16Array(n);
      for (let i = 0; i < n; i++) {
        const bits = floatToFloat16Bits(nums[i]);
        if ((bits & 0x7c00) === 0x7c00) throw overflow(name, i, datatype);
        out[i] = bits;
      }
      return out;
    }
    case "int": {
      const out = info.create(n) as Int32Array;
      const [min, max] = [info.min as number, info.max as number];
      for (let i = 0; i < n; i++) {
        const v = nums[i];
        if (!Number.isInteger(v) || v < min || v > max)
          throw badRequest(
            `input "${name}": data[${i}] is ${v}, expected an integer in [${min}, ${max}] for ${datatype}`,
          );
        out[i] = v;
      }
      return out;
    }
    case "bigint": {
      const out = info.create(n) as BigInt64Array;
      const [min, max] = [info.min as bigint, info.max as bigint];
      for (let i = 0; i < n; i++) {
        const v = nums[i];
        const b = Number.isSafeInteger(v) ? BigInt(v) : undefined;
        if (b === undefined || b < min || b > max)
          throw badRequest(
            `input "${name}": data[${i}] is ${v}, expected an integer in [${min}, ${max}] for ${datatype}`,
          );
        out[i] = b;
      }
      return out;
    }
    default:
      // BOOL and BYTES take no numbers: the JSON path words the error.
      return decodeJsonValues(datatype, Array.from(nums), name);
  }
}
