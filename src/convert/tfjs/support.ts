/**
 * `validate --target tfjs`: what the TF.js converter can translate, answered from the converter's own
 * mapper tables (the same OpSpec.check the converter runs), so the two cannot disagree on ops and
 * attributes. Type checks use the TF.js dtypes (float32, int32, bool: no strings, float8, 4-bit ints).
 * Shape-dependent limits (a constant axes input, static sizes) are only known while converting.
 */
import type { SupportAnswer, SupportQuery, TargetSupport } from "../../ops/support/types.js";
import { recordAttrs } from "./context.js";
import { findMapper } from "./mappers/index.js";
import { tfDtypeOfTypeString } from "./values.js";

const TFJS_VERSION = "4.22";
/** Newest ai.onnx opset and IR version the mappers were tested against (the ONNX 1.20 backend suite). */
const MAX_OPSET = 28;

function typeProblem(types: Record<string, string | undefined>): string | undefined {
  for (const [param, t] of Object.entries(types)) {
    if (t === undefined || /^(seq|optional|map)\(/.test(t)) continue;
    if (!tfDtypeOfTypeString(t)) return `${param} is ${t}, which TF.js has no dtype for`;
  }
  return undefined;
}

export const tfjsSupport: TargetSupport = {
  id: "tfjs",
  description: `TF.js ${TFJS_VERSION} graph model via mlpack convert (declared from the converter's op tables)`,
  maxIrVersion: 13,
  maxOpset: (domain) => (domain === "" || domain === "ai.onnx" ? MAX_OPSET : undefined),
  check(q: SupportQuery): SupportAnswer {
    if (q.domain !== "")
      return {
        supported: false,
        reason: `domain "${q.domain}" has no TF.js mapping`,
        hint: "only ai.onnx ops convert",
      };
    const spec = findMapper(q.opType);
    if (!spec)
      return {
        supported: false,
        reason: `no TF.js mapping for ${q.opType}`,
        hint: "replace the op in the ONNX model, or register a custom op with tf.registerOp() after converting",
      };
    const bad = typeProblem(q.types);
    if (bad)
      return { supported: false, reason: bad, hint: "cast to float32, int32 or bool in the ONNX model" };
    const why = q.attributes && spec.check?.(recordAttrs(q.attributes), q.opsetVersion);
    if (why) return { supported: false, reason: why };
    return { supported: true };
  },
  checkGraphIo(kind, name, type) {
    if (tfDtypeOfTypeString(type)) return { supported: true };
    return {
      supported: false,
      reason: `graph ${kind} "${name}" is ${type}, which TF.js has no dtype for`,
      hint: "TF.js tensors are float32, int32 or bool; cast at the model's boundary",
    };
  },
};
