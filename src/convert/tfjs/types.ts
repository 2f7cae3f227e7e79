/** Shared types of the ONNX -> TF.js graph-model converter. */

/** TF.js tensor element types (what tf.loadGraphModel can hold). */
export type TfDtype = "float32" | "int32" | "bool";

/** A dimension: a size, or null when it is only known at run time (symbolic batch, ...). */
export type Dim = number | null;

/**
 * Constant data in logical (ONNX) order. Float tensors hold a Float32Array; integer and bool tensors a
 * Float64Array, so int64 parameters such as INT64_MAX "until the end" survive until a mapper clamps
 * them (the int32 range check happens when a constant is written as a weight).
 */
export interface ConstData {
  dims: number[];
  data: Float32Array | Float64Array;
  /**
   * For float32 initializers read lazily: their little-endian bytes (possibly unaligned). `data` then
   * decodes on first use; a weight written in another layout reads `raw` directly instead, so a large
   * filter is never decoded into a fresh array just to be transposed.
   */
  raw?: Uint8Array;
  /** The ONNX initializer this is (set only on the initializer's own data), for reports. */
  origin?: string;
}

/**
 * One ONNX value as the converter knows it. The TF tensor `ref` holds the logical tensor transposed by
 * `perm` (stored dim i = logical dim perm[i]); perm undefined means the ONNX layout itself.
 */
export interface Val {
  dtype: TfDtype;
  /** Logical (ONNX-order) shape; undefined when the rank is unknown. */
  shape?: Dim[];
  perm?: number[];
  /** TF tensor reference ("node" or "node:1"); absent for a constant not yet written. */
  ref?: string;
  /** The value itself when it is known at conversion time (logical order). */
  const?: ConstData;
}

/** A graph-model node as model.json stores it (a TF NodeDef in protobuf JSON form). */
export interface TfNodeJson {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfAttrJson>;
}

export type TfAttrJson =
  | { type: string }
  | { i: string }
  | { f: number }
  | { b: boolean }
  | { s: string }
  | { shape: TfShapeJson }
  | { tensor: { dtype: string; tensorShape: TfShapeJson } }
  | { list: { i?: string[]; f?: number[]; s?: string[]; type?: string[] } };

export interface TfShapeJson {
  dim?: { size: string }[];
  unknownRank?: boolean;
}

export type QuantizeMode = "uint8" | "uint16" | "float16";

export interface ConvertOptions {
  /** Keep every value in the ONNX layout (no NHWC regions); conv-like ops transpose locally. */
  keepLayout?: boolean;
  /** Compress float32 weights in the manifest (tfjs dequantizes them when loading). */
  quantize?: QuantizeMode;
  /** With quantize: refuse (UserError) instead of keeping a tensor the format cannot hold in float32. */
  strict?: boolean;
  /** Bytes per weight shard file (default 4 MiB, as tensorflowjs_converter). */
  shardBytes?: number;
  /** Concrete sizes for inputs with symbolic dims (the converter needs static sizes for some ops). */
  inputShapes?: Record<string, number[]>;
  /** Fold BatchNormalization into the Conv before it (default true). */
  foldBatchNorm?: boolean;
}
