import { describe, expect, it } from "vitest";
import { create, TensorProtoSchema } from "./proto.js";
import { arrayToTensor, tensorRawBytes, tensorToArray } from "./tensor.js";
import { allDtypes, DT } from "./dtypes.js";
import {
  bfloat16BitsToFloat,
  float16BitsToFloat,
  floatToBfloat16Bits,
  floatToFloat16Bits,
} from "./float16.js";
import { ModelFormatError } from "../errors.js";
import { encodeTensorProto, decodeTensorProto } from "./proto.js";

function sample(
  dtype: number,
  n: number,
):
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Uint8Array[] {
  switch (dtype) {
    case DT.FLOAT:
      return Float32Array.from({ length: n }, (_, i) => i * 0.5 - 1);
    case DT.DOUBLE:
      return Float64Array.from({ length: n }, (_, i) => i / 3);
    case DT.COMPLEX64:
      return Float32Array.from({ length: 2 * n }, (_, i) => i);
    case DT.COMPLEX128:
      return Float64Array.from({ length: 2 * n }, (_, i) => -i);
    case DT.INT8:
      return Int8Array.from({ length: n }, (_, i) => (i % 2 ? -i : i));
    case DT.INT16:
      return Int16Array.from({ length: n }, (_, i) => -300 * i);
    case DT.UINT16:
    case DT.FLOAT16:
    case DT.BFLOAT16:
      return Uint16Array.from({ length: n }, (_, i) => 0x3c00 + i);
    case DT.INT32:
      return Int32Array.from({ length: n }, (_, i) => -(2 ** 30) + i);
    case DT.UINT32:
      return Uint32Array.from({ length: n }, (_, i) => 2 ** 32 - 1 - i);
    case DT.INT64:
      return BigInt64Array.from({ length: n }, (_, i) => 2n ** 60n + BigInt(i) * -3n);
    case DT.UINT64:
      return BigUint64Array.from({ length: n }, (_, i) => 2n ** 64n - 1n - BigInt(i));
    case DT.STRING:
      return Array.from({ length: n }, (_, i) => new TextEncoder().encode(`s${i}`));
    case DT.INT4:
      return Int8Array.from({ length: n }, (_, i) => (i % 16) - 8);
    case DT.INT2:
      return Int8Array.from({ length: n }, (_, i) => (i % 4) - 2);
    case DT.UINT4:
    case DT.FLOAT4E2M1:
      return Uint8Array.from({ length: n }, (_, i) => i % 16);
    case DT.UINT2:
      return Uint8Array.from({ length: n }, (_, i) => i % 4);
    default:
      return Uint8Array.from({ length: n }, (_, i) => (i * 37) & 0xff);
  }
}

describe("tensor <-> typed arrays", () => {
  it.each(allDtypes().map((d) => [d.name, d.id] as const))(
    "round-trips %s through raw_data and protobuf",
    (_name, dtype) => {
      const dims = [3, 5];
      const data = sample(dtype, 15);
      const t = decodeTensorProto(encodeTensorProto(arrayToTensor("x", dtype, dims, data)));
      const back = tensorToArray(t);
      expect(back.dims).toEqual(dims);
      expect(back.dtype).toBe(dtype);
      if (Array.isArray(data))
        expect((back.data as Uint8Array[]).map((b) => [...b])).toEqual(data.map((b) => [...b]));
      else
        expect([...(back.data as ArrayLike<unknown> & Iterable<unknown>)]).toEqual([
          ...(data as Iterable<unknown>),
        ]);
    },
  );

  it("keeps int64 exact past 2^53 from int64_data", () => {
    const big = 2n ** 62n + 1n;
    const t = create(TensorProtoSchema, {
      name: "i",
      dataType: DT.INT64,
      dims: [2n],
      int64Data: [big, -big],
    });
    const back = tensorToArray(decodeTensorProto(encodeTensorProto(t)));
    expect([...(back.data as BigInt64Array)]).toEqual([big, -big]);
  });

  it("reads float16 bit patterns from int32_data and int4 packed bytes from int32_data", () => {
    const h = create(TensorProtoSchema, {
      name: "h",
      dataType: DT.FLOAT16,
      dims: [2n],
      int32Data: [0x3c00, 0xc000],
    });
    expect([...(tensorToArray(h).data as Uint16Array)].map(float16BitsToFloat)).toEqual([1, -2]);
    // Two int4 values per byte, low nibble first: 0xF1 -> [1, -1].
    const q = create(TensorProtoSchema, {
      name: "q",
      dataType: DT.INT4,
      dims: [3n],
      int32Data: [0xf1, 0x07],
    });
    expect([...(tensorToArray(q).data as Int8Array)]).toEqual([1, -1, 7]);
  });

  it("reads uint32 from uint64_data and doubles from double_data", () => {
    const u = create(TensorProtoSchema, {
      name: "u",
      dataType: DT.UINT32,
      dims: [2n],
      uint64Data: [4294967295n, 7n],
    });
    expect([...(tensorToArray(u).data as Uint32Array)]).toEqual([4294967295, 7]);
    const d = create(TensorProtoSchema, {
      name: "d",
      dataType: DT.DOUBLE,
      dims: [1n],
      doubleData: [Math.PI],
    });
    expect(tensorRawBytes(d).length).toBe(8);
    expect((tensorToArray(d).data as Float64Array)[0]).toBe(Math.PI);
  });

  it("decodes raw_data at an unaligned offset", () => {
    const f = Float32Array.from([1.5, -2.25, 3]);
    const buf = new Uint8Array(13);
    buf.set(new Uint8Array(f.buffer), 1);
    const t = create(TensorProtoSchema, {
      name: "u",
      dataType: DT.FLOAT,
      dims: [3n],
      rawData: buf.subarray(1),
    });
    expect([...(tensorToArray(t).data as Float32Array)]).toEqual([1.5, -2.25, 3]);
  });

  it("refuses a payload that does not match the dims, and absurd dims, without allocating", () => {
    const t = create(TensorProtoSchema, {
      name: "w",
      dataType: DT.FLOAT,
      dims: [4n],
      rawData: new Uint8Array(8),
    });
    expect(() => tensorToArray(t)).toThrow(/holds 8 bytes but dims \[4\] of float need 16/);
    const huge = create(TensorProtoSchema, {
      name: "h",
      dataType: DT.FLOAT,
      dims: [4000000000n, 4000000000n],
      rawData: new Uint8Array(8),
    });
    expect(() => tensorToArray(huge)).toThrow(ModelFormatError);
    expect(() => tensorToArray(huge)).toThrow(/more than mlpack will load/);
    const neg = create(TensorProtoSchema, { name: "n", dataType: DT.FLOAT, dims: [-1n] });
    expect(() => tensorToArray(neg)).toThrow(/dimension -1 is out of range/);
    const unknown = create(TensorProtoSchema, { name: "k", dataType: 99, dims: [1n] });
    expect(() => tensorToArray(unknown)).toThrow(/unknown data_type 99/);
  });
});

describe("float16 and bfloat16", () => {
  it("converts worked values with round-to-nearest-even", () => {
    expect(floatToFloat16Bits(1)).toBe(0x3c00);
    expect(floatToFloat16Bits(-2)).toBe(0xc000);
    expect(floatToFloat16Bits(65504)).toBe(0x7bff);
    expect(floatToFloat16Bits(65520)).toBe(0x7c00); // rounds up to infinity
    expect(floatToFloat16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(floatToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie -> even
    expect(floatToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie -> even (up)
    expect(Number.isNaN(float16BitsToFloat(floatToFloat16Bits(NaN)))).toBe(true);
    expect(float16BitsToFloat(0x7bff)).toBe(65504);
    expect(float16BitsToFloat(0x0001)).toBe(2 ** -24);
    for (let h = 0; h < 0x7c00; h += 7) expect(floatToFloat16Bits(float16BitsToFloat(h))).toBe(h);
  });

  it("converts bfloat16", () => {
    expect(floatToBfloat16Bits(1)).toBe(0x3f80);
    expect(bfloat16BitsToFloat(0x3f80)).toBe(1);
    expect(floatToBfloat16Bits(1 + 2 ** -8)).toBe(0x3f80); // tie -> even
    expect(bfloat16BitsToFloat(floatToBfloat16Bits(3.140625))).toBe(3.140625);
  });
});
