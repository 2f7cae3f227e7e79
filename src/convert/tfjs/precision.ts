/**
 * Where converting narrows a type: TF.js holds float64 as float32 and int64/uint32/uint64 as int32.
 * Graph inputs and outputs are listed (the caller feeds and reads the narrower type), and initializers
 * with the number of their values that do not fit the narrower type (large int64 values such as
 * INT64_MAX "until the end" are clamped by the op that reads them at conversion time; float64 values
 * beyond float32's range are refused before this).
 */
import type { Graph } from "../../ir/graph.js";
import { DT, dtypeName } from "../../onnx/dtypes.js";
import type { ConstData } from "./types.js";

export interface PrecisionChange {
  kind: "input" | "output" | "initializer";
  name: string;
  from: string;
  to: "float32" | "int32";
  /** Initializers: values outside the narrower type's range (0 when all fit). */
  outOfRange?: number;
}

const NARROWED: Record<number, "float32" | "int32"> = {
  [DT.DOUBLE]: "float32",
  [DT.INT64]: "int32",
  [DT.UINT32]: "int32",
  [DT.UINT64]: "int32",
};

/** ONNX "double" said the way numpy and TF.js users say it. */
const typeName = (t: number): string => (t === DT.DOUBLE ? "float64" : dtypeName(t));

const I32_MIN = -(2 ** 31);
const I32_MAX = 2 ** 31 - 1;
const F32_MAX = 3.4028234663852886e38;

function elemType(v: Graph["inputs"][number]): number {
  return v.type?.value.case === "tensorType" ? v.type.value.value.elemType : 0;
}

function outside(c: ConstData, to: "float32" | "int32"): number {
  let n = 0;
  const d = c.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (to === "int32" ? v < I32_MIN || v > I32_MAX : Number.isFinite(v) && Math.abs(v) > F32_MAX) n++;
  }
  return n;
}

export function precisionChanges(g: Graph, consts: ReadonlyMap<string, { c: ConstData }>): PrecisionChange[] {
  const out: PrecisionChange[] = [];
  const initialized = new Set(g.initializers.map((t) => t.name));
  const io = (kind: "input" | "output", vs: Graph["inputs"]) => {
    for (const v of vs) {
      if (kind === "input" && initialized.has(v.name)) continue;
      const to = NARROWED[elemType(v)];
      if (to) out.push({ kind, name: v.name, from: typeName(elemType(v)), to });
    }
  };
  io("input", g.inputs);
  io("output", g.outputs);
  for (const t of g.initializers) {
    const to = NARROWED[t.dataType];
    const c = consts.get(t.name)?.c;
    if (!to || !c) continue;
    out.push({
      kind: "initializer",
      name: t.name,
      from: typeName(t.dataType),
      to,
      outOfRange: outside(c, to),
    });
  }
  return out;
}
