/**
 * Open Inference Protocol v2 datatypes and how each maps to ONNX element types, onnxruntime tensor
 * types and typed arrays. One table; everything else looks things up here.
 */
import { DT } from "../onnx/dtypes.js";
import type { NumericArray } from "../onnx/tensor.js";

export type OipDatatype =
  | "BOOL"
  | "UINT8"
  | "UINT16"
  | "UINT32"
  | "UINT64"
  | "INT8"
  | "INT16"
  | "INT32"
  | "INT64"
  | "FP16"
  | "FP32"
  | "FP64"
  | "BYTES";

/** Element storage: FP16 holds IEEE half bits, BOOL holds 0/1 bytes, BYTES holds strings. */
export type TensorValues = NumericArray | string[];

export interface Tensor {
  datatype: OipDatatype;
  shape: number[];
  data: TensorValues;
}

/** How JSON numbers are checked and stored for a datatype. */
export type ValueKind = "float" | "int" | "bigint" | "bool" | "fp16" | "string";

export interface DatatypeInfo {
  oip: OipDatatype;
  onnx: number;
  /** onnxruntime-node's Tensor type string. */
  ort: string;
  /** Bytes per element in the binary extension; 0 for BYTES (length-prefixed). */
  bytes: number;
  kind: ValueKind;
  /** Inclusive range for integer kinds (bigint kinds use BigInt bounds). */
  min?: number | bigint;
  max?: number | bigint;
  create(n: number): Exclude<TensorValues, string[]>;
}

type Row = [OipDatatype, number, string, number, ValueKind, (n: number) => Exclude<TensorValues, string[]>];
const ROWS: Row[] = [
  ["BOOL", DT.BOOL, "bool", 1, "bool", (n) => new Uint8Array(n)],
  ["UINT8", DT.UINT8, "uint8", 1, "int", (n) => new Uint8Array(n)],
  ["UINT16", DT.UINT16, "uint16", 2, "int", (n) => new Uint16Array(n)],
  ["UINT32", DT.UINT32, "uint32", 4, "int", (n) => new Uint32Array(n)],
  ["UINT64", DT.UINT64, "uint64", 8, "bigint", (n) => new BigUint64Array(n)],
  ["INT8", DT.INT8, "int8", 1, "int", (n) => new Int8Array(n)],
  ["INT16", DT.INT16, "int16", 2, "int", (n) => new Int16Array(n)],
  ["INT32", DT.INT32, "int32", 4, "int", (n) => new Int32Array(n)],
  ["INT64", DT.INT64, "int64", 8, "bigint", (n) => new BigInt64Array(n)],
  ["FP16", DT.FLOAT16, "float16", 2, "fp16", (n) => new Uint16Array(n)],
  ["FP32", DT.FLOAT, "float32", 4, "float", (n) => new Float32Array(n)],
  ["FP64", DT.DOUBLE, "float64", 8, "float", (n) => new Float64Array(n)],
  ["BYTES", DT.STRING, "string", 0, "string", () => new Uint8Array(0)],
];

const RANGES: Partial<Record<OipDatatype, [number | bigint, number | bigint]>> = {
  UINT8: [0, 255],
  UINT16: [0, 65535],
  UINT32: [0, 4294967295],
  UINT64: [0n, 2n ** 64n - 1n],
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-2147483648, 2147483647],
  INT64: [-(2n ** 63n), 2n ** 63n - 1n],
};

const TABLE: DatatypeInfo[] = ROWS.map(([oip, onnx, ort, bytes, kind, create]) => ({
  oip,
  onnx,
  ort,
  bytes,
  kind,
  create,
  ...(RANGES[oip] ? { min: RANGES[oip][0], max: RANGES[oip][1] } : {}),
}));

const BY_OIP = new Map(TABLE.map((d) => [d.oip, d]));
const BY_ONNX = new Map(TABLE.map((d) => [d.onnx, d]));
const BY_ORT = new Map(TABLE.map((d) => [d.ort, d]));

export const OIP_DATATYPES: readonly OipDatatype[] = TABLE.map((d) => d.oip);

export function datatypeInfo(dt: OipDatatype): DatatypeInfo {
  return BY_OIP.get(dt)!;
}

export function isOipDatatype(s: unknown): s is OipDatatype {
  return typeof s === "string" && BY_OIP.has(s as OipDatatype);
}

/** The OIP datatype of an ONNX element type, or undefined (bfloat16, complex, float8, ...). */
export function datatypeFromOnnx(elemType: number): OipDatatype | undefined {
  return BY_ONNX.get(elemType)?.oip;
}

export function datatypeFromOrt(type: string): OipDatatype | undefined {
  return BY_ORT.get(type)?.oip;
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
