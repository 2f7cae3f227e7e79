/**
 * Opset and IR version reconciliation: a merged graph has one ai.onnx opset, so every model is
 * raised to the highest one among the pieces, where the opset-raise pass says no op changes meaning;
 * otherwise composing stops and names the ops in the way.
 */
import { modelFromProto } from "../ir/graph.js";
import { checkOpsetRaise, withRaisedOpset } from "../passes/opset-raise.js";
import { UserError } from "../errors.js";
import type { Piece } from "./types.js";

/** The IR version each ai.onnx opset was released with (onnx/helper.py VERSION_TABLE). */
const IR_FOR_OPSET: [number, number][] = [
  [23, 11],
  [21, 10],
  [19, 9],
  [15, 8],
  [12, 7],
  [11, 6],
  [10, 5],
  [9, 4],
  [1, 3],
];

export function irVersionForOpset(opset: number): number {
  return IR_FOR_OPSET.find(([o]) => opset >= o)![1];
}

export function aiOnnxOpset(p: Piece): number {
  return modelFromProto(p.proto).opsets().get("") ?? 0;
}

export interface Reconciled {
  opset: number;
  irVersion: number;
  /** Non-default domains (ai.onnx.ml, com.microsoft, ...) and their single version. */
  domains: Map<string, number>;
  /** "id: 9 -> 11" for each model raised. */
  raised: string[];
}

/** Raises each piece's proto in place; `floor` is the lowest opset the stages need. */
export function reconcileOpsets(pieces: Piece[], floor = 0): Reconciled {
  const highestModel = Math.max(...pieces.map(aiOnnxOpset));
  const target = Math.max(floor, highestModel);
  const raised: string[] = [];
  for (const p of pieces) {
    const from = aiOnnxOpset(p);
    if (from === target) continue;
    const check = checkOpsetRaise(modelFromProto(p.proto), target);
    if (!check.safe) {
      const why = target > highestModel ? "needed by the stages" : "the highest among the pieces";
      throw new UserError(
        `${p.source}: cannot raise "${p.id}" from opset ${from} to opset ${target} (${why}): ${check.blockers.join(", ")} would change meaning`,
        {
          hint:
            target > highestModel
              ? `re-export "${p.id}" at opset ${target} or newer, or leave out what needs it (image resize= needs 11; a centre crop of a variable-size image needs 10: give input=HxW)`
              : `re-export "${p.id}" at opset ${target}, or the other models at opset ${from}`,
        },
      );
    }
    p.proto = withRaisedOpset(p.proto, target, irVersionForOpset(target));
    raised.push(`${p.id}: ${from} -> ${target}`);
  }
  const domains = new Map<string, number>();
  const seenIn = new Map<string, string>();
  for (const p of pieces) {
    for (const o of p.proto.opsetImport) {
      const d = o.domain === "ai.onnx" ? "" : o.domain;
      if (d === "") continue;
      const v = Number(o.version);
      const had = domains.get(d);
      if (had !== undefined && had !== v)
        throw new UserError(
          `domain "${d}" is at version ${had} in "${seenIn.get(d)}" but ${v} in "${p.id}"`,
          { hint: `mlpack raises only ai.onnx; re-export the models with the same ${d} version` },
        );
      domains.set(d, v);
      seenIn.set(d, p.id);
    }
  }
  const irVersion = Math.max(irVersionForOpset(target), ...pieces.map((p) => Number(p.proto.irVersion)));
  return { opset: target, irVersion, domains, raised };
}
