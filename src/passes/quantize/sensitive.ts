/**
 * Layers whose output reaches a numerically sensitive op: one that amplifies small absolute errors
 * near zero (Log, Reciprocal, Sqrt, the denominator of Div, Pow with an exponent below 1) or at large
 * magnitudes (Exp). Dynamic int8 error on a MatMul that feeds `Log` (a mel-spectrogram front end) is
 * invisible on random inputs and large on real audio, so such layers stay in float unless measured
 * harmless on real samples.
 *
 * The walk follows ops that carry small values through unchanged in kind (elementwise arithmetic,
 * layout, constant MatMuls); it stops at reductions, so LayerNorm's Div by the vector's own standard
 * deviation is not flagged.
 */
import type { Model, Node } from "../../ir/graph.js";
import { consumers } from "../../ir/walk.js";
import { constantTensors, type TensorReader } from "./graph-edit.js";

const SENSITIVE = new Set(["Log", "Exp", "Reciprocal", "Sqrt", "Div", "Pow"]);
const TRANSPARENT = new Set([
  "Add",
  "Sub",
  "Mul",
  "Neg",
  "Abs",
  "Relu",
  "LeakyRelu",
  "Clip",
  "Max",
  "Min",
  "Sum",
  "Reshape",
  "Transpose",
  "Squeeze",
  "Unsqueeze",
  "Flatten",
  "Identity",
  "Cast",
  "Concat",
  "Slice",
  "Split",
  "Gather",
  "MatMul",
  "Gemm",
  "Pow",
  "Expand",
  "Tile",
  "Pad",
]);
const MAX_DEPTH = 8;

/** Node name -> the sensitive op it feeds ("Log /mel/Log"). */
export function findSensitiveLayers(
  model: Model,
  read: TensorReader,
  candidates: readonly string[] = ["MatMul", "Gemm", "Conv"],
): Map<string, string> {
  const g = model.graph;
  const users = consumers(g);
  const consts = constantTensors(g);
  const exponent = (n: Node): number | undefined => {
    const t = consts.get(n.inputs[1]);
    if (!t) return undefined;
    const v = read(t).data as ArrayLike<number | bigint>;
    return v.length === 1 ? Number(v[0]) : undefined;
  };
  // Whether value `v`, entering node n at input index `slot`, hits n's sensitive side.
  const hits = (n: Node, slot: number): boolean => {
    if (!SENSITIVE.has(n.opType)) return false;
    if (n.opType === "Div") return slot === 1;
    if (n.opType === "Pow") {
      const e = exponent(n);
      return slot === 0 && !(e !== undefined && e >= 1);
    }
    return slot === 0;
  };
  const found = new Map<string, string>();
  for (const start of g.nodes) {
    if (!candidates.includes(start.opType) || !start.outputs[0]) continue;
    const seen = new Set<string>();
    let frontier = [start.outputs[0]];
    for (let depth = 0; depth < MAX_DEPTH && frontier.length && !found.has(start.name); depth++) {
      const next: string[] = [];
      for (const v of frontier) {
        for (const n of users.get(v) ?? []) {
          const slot = n.inputs.indexOf(v);
          if (hits(n, slot)) {
            found.set(start.name || start.outputs[0], `${n.opType} ${n.name || n.outputs[0]}`);
            break;
          }
          if (!TRANSPARENT.has(n.opType) || (n.opType === "Pow" && slot !== 0)) continue;
          for (const o of n.outputs)
            if (o && !seen.has(o)) {
              seen.add(o);
              next.push(o);
            }
        }
      }
      frontier = next;
    }
  }
  return found;
}
