/**
 * TensorProto <-> typed arrays for every ONNX element type. Sizes are checked against the declared
 * dims before anything is allocated, so a tensor claiming billions of elements fails fast.
 */
import { create, TensorProtoSchema, DataLocation, type TensorProto } from "./proto.js";
import { dtypeInfo, dtypeName, rawByteLength, DT, type DTypeInfo } from "./dtypes.js";
import { ModelFormatError } from "../errors.js";
import { printable } from "../printable.js";
import { endianness } from "node:os";

if (endianness() !== "LE")
  throw new Error("mlpack needs a little-endian machine (ONNX raw_data is little-endian)");

export type NumericArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

export type TensorData = NumericArray | Uint8Array[];

export interface DecodedTensor {
  name: string;
  dtype: number;
  dims: number[];
  /**
   * float16/bfloat16/float8/float4 keep their bit patterns (Uint16Array/Uint8Array); 4- and 2-bit
   * integers are unpacked to one element per byte; complex types interleave real and imaginary parts;
   * strings are byte strings.
   */
  data: TensorData;
}

/** Supplies the bytes of a tensor stored outside the protobuf (see onnx/external-data.ts). */
export type ExternalDataReader = (t: TensorProto) => Uint8Array;

/** Largest element count mlpack will materialize; keeps a lying header from exhausting memory. */
export const MAX_ELEMENTS = 2 ** 33;

export function tensorDims(t: TensorProto): number[] {
  return t.dims.map((d) => {
    if (d < 0n || d > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new ModelFormatError(`tensor "${printable(t.name)}": dimension ${d} is out of range`, {
        hint: "dimensions must be between 0 and 2^53; the file is corrupt or was written by a buggy exporter",
      });
    }
    return Number(d);
  });
}

/** Product of dims as a float64; may exceed 2^53 for absurd headers (callers compare, not index). */
export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

export function isExternal(t: TensorProto): boolean {
  return t.dataLocation === DataLocation.EXTERNAL;
}

function requireInfo(t: TensorProto): DTypeInfo {
  const info = dtypeInfo(t.dataType);
  if (!info) {
    throw new ModelFormatError(`tensor "${printable(t.name)}": unknown data_type ${t.dataType}`, {
      hint: "mlpack knows ONNX data types 1-26 (ONNX 1.20); upgrade mlpack or re-export the model",
    });
  }
  return info;
}

/** Declared size in bytes of the tensor's payload (0 for strings, whose size is not fixed). */
export function declaredByteLength(t: TensorProto): number {
  const info = dtypeInfo(t.dataType);
  if (!info || info.bits === 0) return 0;
  return rawByteLength(info, elementCount(tensorDims(t)));
}

/** Where the payload of this tensor lives: "raw", a typed field, "external", or "empty". */
export function payloadKind(t: TensorProto): "raw" | "external" | "typed" | "empty" {
  if (isExternal(t)) return "external";
  if (t.rawData.length > 0) return "raw";
  const info = dtypeInfo(t.dataType);
  if (info && t[info.field].length > 0) return "typed";
  return "empty";
}

/**
 * The little-endian bytes of a fixed-width tensor, as they would sit in raw_data. Zero-copy when the
 * tensor already uses raw_data.
 */
export function tensorRawBytes(t: TensorProto, external?: ExternalDataReader): Uint8Array {
  const info = requireInfo(t);
  if (info.bits === 0)
    throw new ModelFormatError(`tensor "${printable(t.name)}": string tensors have no raw bytes`);
  const count = checkedCount(t);
  const want = rawByteLength(info, count);
  let bytes: Uint8Array;
  if (isExternal(t)) {
    if (!external) {
      throw new ModelFormatError(
        `tensor "${printable(t.name)}" is stored in an external file that was not loaded`,
        {
          hint: "load the model from its path (not from bytes) so its external data files can be found",
        },
      );
    }
    bytes = external(t);
  } else if (t.rawData.length > 0 || t[info.field].length === 0) {
    bytes = t.rawData;
  } else {
    bytes = typedFieldToRaw(t, info, count);
  }
  if (bytes.length !== want) {
    throw new ModelFormatError(
      `tensor "${printable(t.name)}": holds ${bytes.length} bytes but dims [${t.dims.join(",")}] of ${info.name} need ${want}`,
      { hint: "the tensor's data does not match its shape; the file is corrupt or was edited by hand" },
    );
  }
  return bytes;
}

function checkedCount(t: TensorProto): number {
  const count = elementCount(tensorDims(t));
  if (count > MAX_ELEMENTS) {
    throw new ModelFormatError(
      `tensor "${printable(t.name)}": dims [${t.dims.join(",")}] declare ${count.toExponential(2)} elements, more than mlpack will load`,
      { hint: "the header is corrupt, or the tensor is too large to materialize" },
    );
  }
  return count;
}

function typedFieldToRaw(t: TensorProto, info: DTypeInfo, count: number): Uint8Array {
  const values = t[info.field] as Array<number | bigint>;
  const need = info.bits < 8 ? Math.ceil((count * info.bits) / 8) : count * info.lanes;
  if (values.length !== need) {
    throw new ModelFormatError(
      `tensor "${printable(t.name)}": ${info.field} has ${values.length} values but dims [${t.dims.join(",")}] of ${info.name} need ${need}`,
    );
  }
  const out = new Uint8Array(rawByteLength(info, count));
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (info.field === "int32Data") {
      // Sub-byte types hold one packed byte per int32; float16/bfloat16/float8 hold their bit patterns.
      if (info.bits <= 8) out[i] = Number(v) & 0xff;
      else if (info.bits === 16) view.setUint16(i * 2, Number(v) & 0xffff, true);
      else view.setInt32(i * 4, Number(v), true);
    } else if (info.field === "floatData") {
      view.setFloat32(i * 4, Number(v), true);
    } else if (info.field === "doubleData") {
      view.setFloat64(i * 8, Number(v), true);
    } else if (info.field === "int64Data") {
      view.setBigInt64(i * 8, BigInt(v), true);
    } else if (info.bits === 32) {
      view.setUint32(i * 4, Number(v), true);
    } else {
      view.setBigUint64(i * 8, BigInt(v), true);
    }
  }
  return out;
}

/** A typed-array view of bytes, copying only when the start is not aligned for the element width. */
function view<A>(
  Ctor: { new (b: ArrayBuffer, off: number, len: number): A; BYTES_PER_ELEMENT: number },
  bytes: Uint8Array,
  count: number,
): A {
  if (bytes.byteOffset % Ctor.BYTES_PER_ELEMENT === 0)
    return new Ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset, count);
  // new Uint8Array(x) always copies (Buffer#slice would not), giving a fresh buffer at offset 0.
  return new Ctor(new Uint8Array(bytes).buffer, 0, count);
}

function unpackSubByte(
  bytes: Uint8Array,
  count: number,
  bits: number,
  signed: boolean,
): Int8Array | Uint8Array {
  const out = signed ? new Int8Array(count) : new Uint8Array(count);
  const per = 8 / bits;
  const mask = (1 << bits) - 1;
  for (let i = 0; i < count; i++) {
    let v = (bytes[Math.floor(i / per)] >> ((i % per) * bits)) & mask;
    if (signed && v >> (bits - 1)) v -= 1 << bits;
    out[i] = v;
  }
  return out;
}

function packSubByte(values: ArrayLike<number>, bits: number): Uint8Array {
  const per = 8 / bits;
  const mask = (1 << bits) - 1;
  const out = new Uint8Array(Math.ceil(values.length / per));
  for (let i = 0; i < values.length; i++)
    out[Math.floor(i / per)] |= (values[i] & mask) << ((i % per) * bits);
  return out;
}

export function tensorToArray(t: TensorProto, external?: ExternalDataReader): DecodedTensor {
  const info = requireInfo(t);
  const dims = tensorDims(t);
  if (t.segment) {
    throw new ModelFormatError(
      `tensor "${printable(t.name)}" uses the segment field, which mlpack does not support`,
      {
        hint: "re-save the model without segmented tensors",
      },
    );
  }
  if (info.id === DT.STRING) {
    const count = checkedCount(t);
    if (t.stringData.length !== count) {
      throw new ModelFormatError(
        `tensor "${printable(t.name)}": has ${t.stringData.length} strings but dims [${dims.join(",")}] need ${count}`,
      );
    }
    return { name: t.name, dtype: info.id, dims, data: t.stringData };
  }
  const bytes = tensorRawBytes(t, external);
  const n = elementCount(dims);
  return { name: t.name, dtype: info.id, dims, data: bytesToTypedArray(info, bytes, n) };
}

function bytesToTypedArray(info: DTypeInfo, bytes: Uint8Array, n: number): NumericArray {
  switch (info.id) {
    case DT.FLOAT:
      return view(Float32Array, bytes, n);
    case DT.COMPLEX64:
      return view(Float32Array, bytes, 2 * n);
    case DT.DOUBLE:
      return view(Float64Array, bytes, n);
    case DT.COMPLEX128:
      return view(Float64Array, bytes, 2 * n);
    case DT.INT8:
      return view(Int8Array, bytes, n);
    case DT.INT16:
      return view(Int16Array, bytes, n);
    case DT.UINT16:
    case DT.FLOAT16:
    case DT.BFLOAT16:
      return view(Uint16Array, bytes, n);
    case DT.INT32:
      return view(Int32Array, bytes, n);
    case DT.UINT32:
      return view(Uint32Array, bytes, n);
    case DT.INT64:
      return view(BigInt64Array, bytes, n);
    case DT.UINT64:
      return view(BigUint64Array, bytes, n);
    case DT.UINT4:
    case DT.FLOAT4E2M1:
      return unpackSubByte(bytes, n, 4, false);
    case DT.INT4:
      return unpackSubByte(bytes, n, 4, true);
    case DT.UINT2:
      return unpackSubByte(bytes, n, 2, false);
    case DT.INT2:
      return unpackSubByte(bytes, n, 2, true);
    default:
      // uint8, bool, float8 variants: one byte per element.
      return view(Uint8Array, bytes, n);
  }
}

/** Build a TensorProto holding `data` in raw_data (strings in string_data). */
export function arrayToTensor(
  name: string,
  dtype: number,
  dims: readonly number[],
  data: TensorData,
): TensorProto {
  const info = dtypeInfo(dtype);
  if (!info) throw new ModelFormatError(`unknown data type ${dtype} for tensor "${printable(name)}"`);
  const count = elementCount(dims);
  const t = create(TensorProtoSchema, { name, dataType: dtype, dims: dims.map((d) => BigInt(d)) });
  if (dtype === DT.STRING) {
    if (!Array.isArray(data) || data.length !== count) {
      throw new ModelFormatError(`tensor "${printable(name)}": expected ${count} strings`);
    }
    t.stringData = data.map((s) => new Uint8Array(s));
    return t;
  }
  if (Array.isArray(data))
    throw new ModelFormatError(`tensor "${printable(name)}": ${dtypeName(dtype)} data must be a typed array`);
  const lanes = info.lanes;
  if (data.length !== count * lanes) {
    throw new ModelFormatError(
      `tensor "${printable(name)}": ${data.length} values do not fill dims [${dims.join(",")}] of ${info.name}`,
    );
  }
  if (info.bits < 8) {
    t.rawData = packSubByte(data as ArrayLike<number>, info.bits) as Uint8Array<ArrayBuffer>;
  } else {
    t.rawData = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  }
  return t;
}

/** Numeric view as float64 numbers, for statistics and printing (float16/bfloat16 decoded). */
export { float16BitsToFloat, bfloat16BitsToFloat } from "./float16.js";
