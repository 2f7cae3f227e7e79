/**
 * `validate --target tfjs`: the TF.js converter's own graph walk, run without writing anything
 * (checkModel), so validate and convert give the same verdict on every model: the same per-node
 * checks (attributes, ranks, broadcasting, constant parameters, dtypes). The per-op `check` answers
 * single-node questions from the same mapper tables. Imports go one way: this table reads the
 * converter; the converter never reads src/ops/support.
 */
import type { ModelProto } from "../../onnx/proto.js";
import { modelFromProto } from "../../ir/graph.js";
import type { ModelCheckProblem, SupportAnswer, SupportQuery, TargetSupport } from "./types.js";
import { recordAttrs } from "../../convert/tfjs/context.js";
import { findMapper } from "../../convert/tfjs/mappers/index.js";
import { tfDtypeOfTypeString } from "../../convert/tfjs/values.js";
import { convertGraph } from "../../convert/tfjs/convert-graph.js";
import { conversionHint } from "../../convert/tfjs/hints.js";

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
  description: `TF.js ${TFJS_VERSION} graph model via mlpack convert (checked by the converter's own graph walk)`,
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
  checkModel(proto: ModelProto): ModelCheckProblem[] {
    const model = modelFromProto(proto);
    const g = convertGraph(model, undefined, {});
    const problems: ModelCheckProblem[] = g.unsupported.map((n) => ({
      node: n.node,
      opType: n.opType,
      reason: n.reason,
      hint: conversionHint([n], g.symbolicInputs, false),
    }));
    if (g.unsupported.length === 0 && g.outputs.length === 0)
      problems.push({ reason: "the graph has no outputs to convert", hint: "declare the graph outputs" });
    return problems;
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
