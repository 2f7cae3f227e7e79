/**
 * ONNX element types (TensorProto.DataType) and how each is stored: the typed field that may hold it,
 * its width in bits inside raw_data, and the typed array mlpack decodes it into.
 */

export type TypedField = "floatData" | "int32Data" | "int64Data" | "doubleData" | "uint64Data" | "stringData";

export interface DTypeInfo {
  id: number;
  /** Lower-case name as in the spec's type strings: tensor(float), tensor(int64), ... */
  name: string;
  /** Bits per element in raw_data; 0 for strings. */
  bits: number;
  /** Field used when raw_data is absent. */
  field: TypedField;
  /** Values per element in the typed field (2 for complex: real, imaginary). */
  lanes: number;
}

const T = (id: number, name: string, bits: number, field: TypedField, lanes = 1): DTypeInfo => ({
  id,
  name,
  bits,
  field,
  lanes,
});

const TABLE: DTypeInfo[] = [
  T(1, "float", 32, "floatData"),
  T(2, "uint8", 8, "int32Data"),
  T(3, "int8", 8, "int32Data"),
  T(4, "uint16", 16, "int32Data"),
  T(5, "int16", 16, "int32Data"),
  T(6, "int32", 32, "int32Data"),
  T(7, "int64", 64, "int64Data"),
  T(8, "string", 0, "stringData"),
  T(9, "bool", 8, "int32Data"),
  T(10, "float16", 16, "int32Data"),
  T(11, "double", 64, "doubleData"),
  T(12, "uint32", 32, "uint64Data"),
  T(13, "uint64", 64, "uint64Data"),
  T(14, "complex64", 64, "floatData", 2),
  T(15, "complex128", 128, "doubleData", 2),
  T(16, "bfloat16", 16, "int32Data"),
  T(17, "float8e4m3fn", 8, "int32Data"),
  T(18, "float8e4m3fnuz", 8, "int32Data"),
  T(19, "float8e5m2", 8, "int32Data"),
  T(20, "float8e5m2fnuz", 8, "int32Data"),
  T(21, "uint4", 4, "int32Data"),
  T(22, "int4", 4, "int32Data"),
  T(23, "float4e2m1", 4, "int32Data"),
  T(24, "float8e8m0", 8, "int32Data"),
  T(25, "uint2", 2, "int32Data"),
  T(26, "int2", 2, "int32Data"),
];

const BY_ID = new Map(TABLE.map((d) => [d.id, d]));
const BY_NAME = new Map(TABLE.map((d) => [d.name, d]));

export const DT = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
  FLOAT8E4M3FN: 17,
  FLOAT8E4M3FNUZ: 18,
  FLOAT8E5M2: 19,
  FLOAT8E5M2FNUZ: 20,
  UINT4: 21,
  INT4: 22,
  FLOAT4E2M1: 23,
  FLOAT8E8M0: 24,
  UINT2: 25,
  INT2: 26,
} as const;

export function dtypeInfo(id: number): DTypeInfo | undefined {
  return BY_ID.get(id);
}

export function dtypeByName(name: string): DTypeInfo | undefined {
  return BY_NAME.get(name);
}

export function dtypeName(id: number): string {
  return BY_ID.get(id)?.name ?? `unknown(${id})`;
}

export function allDtypes(): readonly DTypeInfo[] {
  return TABLE;
}

/** Bytes that `count` elements occupy in raw_data (sub-byte types are packed, rounded up). */
export function rawByteLength(info: DTypeInfo, count: number): number {
  return Math.ceil((count * info.bits) / 8);
}

/** onnxruntime's tensor type names ("float32", "int64", ...), by ONNX element type. */
export const ORT_TYPE_NAMES: Readonly<Record<number, string>> = {
  [DT.FLOAT]: "float32",
  [DT.UINT8]: "uint8",
  [DT.INT8]: "int8",
  [DT.UINT16]: "uint16",
  [DT.INT16]: "int16",
  [DT.INT32]: "int32",
  [DT.INT64]: "int64",
  [DT.STRING]: "string",
  [DT.BOOL]: "bool",
  [DT.FLOAT16]: "float16",
  [DT.DOUBLE]: "float64",
  [DT.UINT32]: "uint32",
  [DT.UINT64]: "uint64",
};
