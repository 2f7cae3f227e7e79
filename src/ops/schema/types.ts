/**
 * Operator schema shapes. The tables themselves are generated from fixtures/onnx-spec by
 * scripts/gen-op-schemas.ts (never hand-typed); this file only says what a row looks like.
 */

export type AttrType =
  | "float"
  | "int"
  | "string"
  | "tensor"
  | "graph"
  | "sparse_tensor"
  | "type_proto"
  | "floats"
  | "ints"
  | "strings"
  | "tensors"
  | "graphs"
  | "sparse_tensors"
  | "type_protos";

export interface AttrSchema {
  name: string;
  type: AttrType;
  required: boolean;
  /** Default as printed in the spec, parsed to a number/string/list where the type says so. */
  default?: number | string | number[] | string[];
}

/** "single" = exactly one; "optional" = may be omitted or ""; "variadic" = one or more (min arity applies). */
export type ParamOption = "single" | "optional" | "variadic";

export interface FormalParam {
  name: string;
  /** A type parameter ("T") or a concrete type string ("tensor(int64)", "seq(tensor(float))"). */
  type: string;
  option: ParamOption;
  /** Variadic only: false when the spec says "heterogeneous" (each value may bind a different type). */
  homogeneous: boolean;
}

export interface TypeConstraint {
  param: string;
  /** Allowed type strings exactly as the spec prints them: "tensor(float)", "seq(tensor(int64))", ... */
  allowed: string[];
}

export interface OpSchema {
  /** "" for ai.onnx, or "ai.onnx.ml", "ai.onnx.preview", "ai.onnx.preview.training", "com.microsoft". */
  domain: string;
  name: string;
  sinceVersion: number;
  /** The version from which this op is deprecated (e.g. Upsample-10), when it is. */
  deprecated: boolean;
  inputs: FormalParam[];
  outputs: FormalParam[];
  minInputs: number;
  /** Number.MAX_SAFE_INTEGER stands for "∞". */
  maxInputs: number;
  minOutputs: number;
  maxOutputs: number;
  attributes: AttrSchema[];
  typeConstraints: TypeConstraint[];
}
