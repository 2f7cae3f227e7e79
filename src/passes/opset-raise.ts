/**
 * Whether a model's ai.onnx opset can be raised without changing what any of its nodes mean, judged
 * from the schemas: every op it uses must resolve to the same schema at the new opset, or to one that
 * only grew (same inputs and outputs, where a required input may become optional; every old attribute
 * kept with its type and default, new ones allowed; type constraints only widened). Value-level changes
 * the schemas do not show are caught by the caller, which runs both models and compares outputs.
 */
import type { Model } from "../ir/graph.js";
import { allGraphs } from "../ir/walk.js";
import { resolveSchema } from "../ops/schema/registry.js";
import type { OpSchema } from "../ops/schema/types.js";

function paramsGrew(a: OpSchema["inputs"], b: OpSchema["inputs"]): boolean {
  if (a.length !== b.length) return false;
  return a.every((p, i) => {
    const q = b[i];
    const optionOk = p.option === q.option || (p.option === "single" && q.option === "optional");
    return p.name === q.name && p.type === q.type && p.homogeneous === q.homogeneous && optionOk;
  });
}

function onlyGrew(from: OpSchema, to: OpSchema): boolean {
  if (!paramsGrew(from.inputs, to.inputs) || !paramsGrew(from.outputs, to.outputs)) return false;
  const attrsKept = from.attributes.every((a) => {
    const b = to.attributes.find((x) => x.name === a.name);
    return (
      b !== undefined &&
      b.type === a.type &&
      JSON.stringify(b.default) === JSON.stringify(a.default) &&
      (!b.required || a.required)
    );
  });
  if (!attrsKept || to.attributes.some((b) => b.required && !from.attributes.some((a) => a.name === b.name)))
    return false;
  return from.typeConstraints.every((c) => {
    const next = to.typeConstraints.find((x) => x.param === c.param);
    return next !== undefined && c.allowed.every((t) => next.allowed.includes(t));
  });
}

export interface OpsetRaiseCheck {
  safe: boolean;
  /** Ops whose meaning may change, as "Op-from -> Op-to". */
  blockers: string[];
}

export function checkOpsetRaise(model: Model, to: number): OpsetRaiseCheck {
  const from = model.opsets().get("") ?? 0;
  const blockers = new Set<string>();
  for (const g of allGraphs(model.graph)) {
    for (const n of g.nodes) {
      if (n.domain && n.domain !== "ai.onnx") continue;
      const a = resolveSchema("", n.opType, from);
      const b = resolveSchema("", n.opType, to);
      if (!a || !b) {
        blockers.add(`${n.opType} (no schema)`);
        continue;
      }
      if (a !== b && !onlyGrew(a, b))
        blockers.add(`${n.opType}-${a.sinceVersion} -> ${n.opType}-${b.sinceVersion}`);
    }
  }
  return { safe: blockers.size === 0, blockers: [...blockers].sort() };
}

/** A copy of the model proto with ai.onnx raised to `to` (and IR version at least `ir`). */
export function withRaisedOpset<
  T extends { opsetImport: { domain: string; version: bigint }[]; irVersion: bigint },
>(proto: T, to: number, ir: number): T {
  const copy = Object.assign(Object.create(Object.getPrototypeOf(proto)) as T, proto);
  copy.opsetImport = proto.opsetImport.map((o) =>
    o.domain === "" || o.domain === "ai.onnx"
      ? Object.assign(Object.create(Object.getPrototypeOf(o)), o, { version: BigInt(to) })
      : o,
  );
  if (copy.irVersion < BigInt(ir)) copy.irVersion = BigInt(ir);
  return copy;
}
