/**
 * The one dispatcher: ONNX op type -> its mapping spec. Op knowledge lives in the per-category tables;
 * adding an op is one table entry there.
 */
import type { OpSpec } from "../context.js";
import { ACTIVATION_OPS } from "./activation.js";
import { CONV_OPS } from "./conv.js";
import { ELEMENTWISE_OPS } from "./elementwise.js";
import { MATRIX_OPS } from "./matrix.js";
import { NORMALIZATION_OPS } from "./normalization.js";
import { POOL_OPS } from "./pool.js";
import { QUANTIZE_LINEAR_OPS } from "./quantize-linear.js";
import { RECURRENT_OPS } from "./recurrent.js";
import { REDUCTION_OPS } from "./reduction.js";
import { RESIZE_OPS } from "./resize.js";
import { SHAPE_OPS } from "./shape.js";
import { SLICE_JOIN_OPS } from "./slice-join.js";

/** Category name -> its table (the order only matters for listing). */
export const OP_CATEGORIES: Record<string, Record<string, OpSpec>> = {
  activation: ACTIVATION_OPS,
  conv: CONV_OPS,
  elementwise: ELEMENTWISE_OPS,
  matrix: MATRIX_OPS,
  normalization: NORMALIZATION_OPS,
  pool: POOL_OPS,
  quantization: QUANTIZE_LINEAR_OPS,
  recurrent: RECURRENT_OPS,
  reduction: REDUCTION_OPS,
  resize: RESIZE_OPS,
  shape: SHAPE_OPS,
  "slice-join": SLICE_JOIN_OPS,
};

const BY_OP = new Map<string, OpSpec>();
for (const [category, table] of Object.entries(OP_CATEGORIES)) {
  for (const [op, spec] of Object.entries(table)) {
    if (BY_OP.has(op)) throw new Error(`op ${op} is mapped twice (second time in ${category})`);
    BY_OP.set(op, spec);
  }
}

export function findMapper(opType: string): OpSpec | undefined {
  return BY_OP.get(opType);
}

/** Every ai.onnx op type the converter maps, sorted. */
export function supportedOps(): string[] {
  return [...BY_OP.keys()].sort();
}
